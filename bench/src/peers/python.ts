/**
 * Runs a Python peer (a script next to this file) as a subprocess, for side-by-side figures:
 * the bench writes the workload as JSON to the script's stdin (typed arrays become plain arrays),
 * the script prints one JSON object on stdout. When python3 or one of the modules the peer needs
 * is missing, the result says how to install them instead of failing, so a suite can still print
 * Vireo's own figures. Node-only (child_process), like the rest of bench/.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

export type PeerResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export interface PythonPeer {
  /** Script file name in bench/src/peers/. */
  readonly script: string;
  /** Python modules the script imports (checked first, so a missing one gives an install hint). */
  readonly modules: readonly string[];
  /** How to install them, printed when one is missing (e.g. "apt-get install -y python3-sklearn"). */
  readonly install: string;
  /** Longest run before the peer is stopped (default 10 minutes). */
  readonly timeoutMs?: number;
}

const here = dirname(fileURLToPath(import.meta.url));
/**
 * Interpreters tried in order: $VIREO_BENCH_PYTHON alone when set, else the python3 on PATH and
 * then Debian's /usr/bin/python3 (where apt's python3-sklearn lands even when a pyenv python
 * comes first on PATH).
 */
const CANDIDATES = process.env["VIREO_BENCH_PYTHON"] ? [process.env["VIREO_BENCH_PYTHON"]] : ["python3", "/usr/bin/python3"];
const found = new Map<string, { python: string | null; reason: string | null }>();

/** The first interpreter that imports every module, or why none does and how to fix it. */
export function findPython(modules: readonly string[], install: string): { python: string | null; reason: string | null } {
  const key = modules.join(",");
  const known = found.get(key);
  if (known) return known;
  const reasons: string[] = [];
  let result: { python: string | null; reason: string | null } | null = null;
  for (const python of CANDIDATES) {
    const probe = spawnSync(python, ["-c", modules.map((m) => `import ${m}`).join("; ")], { encoding: "utf8", timeout: 60_000 });
    if (probe.error) reasons.push(`${python}: not available`);
    else if (probe.status !== 0) reasons.push(`${python}: ${probe.stderr.trim().split("\n").pop() ?? "import failed"}`);
    else {
      result = { python, reason: null };
      break;
    }
  }
  result ??= { python: null, reason: `no Python with ${modules.join(", ")} (${reasons.join("; ")}); install with: ${install}` };
  found.set(key, result);
  return result;
}

/** JSON with typed arrays written as arrays (Python reads them into numpy). */
function encode(input: unknown): string {
  return JSON.stringify(input, (_k, v: unknown) => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as Float64Array) : v));
}

/** Runs the peer on `input`; its stdout's last line must be one JSON object. */
export function runPythonPeer<T>(peer: PythonPeer, input: unknown): PeerResult<T> {
  const { python, reason } = findPython(peer.modules, peer.install);
  if (python === null) return { ok: false, reason: reason! };
  const run = spawnSync(python, [join(here, peer.script)], {
    input: encode(input), encoding: "utf8", timeout: peer.timeoutMs ?? 600_000, maxBuffer: 256 * 1024 * 1024,
    // One thread for numpy/BLAS: the figures compare single-threaded work, and the machine is shared.
    env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
  });
  if (run.error) return { ok: false, reason: `${peer.script} failed to run: ${run.error.message}` };
  if (run.status !== 0) return { ok: false, reason: `${peer.script} exited with ${run.status}: ${run.stderr.trim().split("\n").slice(-3).join(" | ")}` };
  const lines = run.stdout.trim().split("\n");
  try {
    return { ok: true, value: JSON.parse(lines[lines.length - 1]!) as T };
  } catch {
    return { ok: false, reason: `${peer.script} printed no JSON result: ${run.stdout.slice(-300)}` };
  }
}
