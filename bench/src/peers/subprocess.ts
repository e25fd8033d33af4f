/**
 * Runs a peer (a script next to this file, in another language) as a subprocess, for side-by-side
 * figures: the bench writes the workload as JSON to the script's stdin (typed arrays become plain
 * arrays), the script prints one JSON object as its last line on stdout. When the interpreter or a
 * package the peer needs is missing, the result says how to install them instead of failing, so a
 * suite can still print Vireo's own figures. Node-only (child_process), like the rest of bench/.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

export type PeerResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** The folder of the peer scripts. */
export const PEERS_DIR = dirname(fileURLToPath(import.meta.url));

export interface Interpreter {
  /** What is found: an executable, or null with why not and how to fix it. */
  readonly command: string | null;
  readonly reason: string | null;
}

/**
 * The first of `candidates` for which `probeArgs` runs cleanly (the probe imports every package the
 * peer needs), or why none does, with the install hint. Results are cached per `key`.
 */
const probed = new Map<string, Interpreter>();
export function findInterpreter(key: string, candidates: readonly string[], probeArgs: readonly string[], install: string): Interpreter {
  const known = probed.get(key);
  if (known) return known;
  const reasons: string[] = [];
  let result: Interpreter | null = null;
  for (const command of candidates) {
    const probe = spawnSync(command, probeArgs, { encoding: "utf8", timeout: 60_000 });
    if (probe.error) reasons.push(`${command}: not available`);
    else if (probe.status !== 0) reasons.push(`${command}: ${probe.stderr.trim().split("\n").pop() ?? "probe failed"}`);
    else {
      result = { command, reason: null };
      break;
    }
  }
  result ??= { command: null, reason: `${reasons.join("; ")}; install with: ${install}` };
  probed.set(key, result);
  return result;
}

/** JSON with typed arrays written as arrays. */
function encode(input: unknown): string {
  return JSON.stringify(input, (_k, v: unknown) => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as Float64Array) : v));
}

/** Runs `command script` on `input`; its stdout's last line must be one JSON object. */
export function runScript<T>(command: string, script: string, input: unknown, timeoutMs: number): PeerResult<T> {
  const run = spawnSync(command, [join(PEERS_DIR, script)], {
    input: encode(input), encoding: "utf8", timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024,
    // One thread for numeric libraries: the figures compare single-threaded work, and the machine is shared.
    env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
  });
  if (run.error) return { ok: false, reason: `${script} failed to run: ${run.error.message}` };
  if (run.status !== 0) return { ok: false, reason: `${script} exited with ${run.status}: ${run.stderr.trim().split("\n").slice(-3).join(" | ")}` };
  const lines = run.stdout.trim().split("\n");
  try {
    return { ok: true, value: JSON.parse(lines[lines.length - 1]!) as T };
  } catch {
    return { ok: false, reason: `${script} printed no JSON result: ${run.stdout.slice(-300)}` };
  }
}
