/**
 * Python peers (scikit-learn): a script next to this file run by the first Python that imports
 * the modules it needs (see subprocess.ts for the protocol).
 */
import { findInterpreter, runScript, type PeerResult } from "./subprocess.js";

export type { PeerResult } from "./subprocess.js";

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

/**
 * Interpreters tried in order: $VIREO_BENCH_PYTHON alone when set, else the python3 on PATH and
 * then Debian's /usr/bin/python3 (where apt's python3-sklearn lands even when a pyenv python
 * comes first on PATH).
 */
const CANDIDATES = process.env["VIREO_BENCH_PYTHON"] ? [process.env["VIREO_BENCH_PYTHON"]] : ["python3", "/usr/bin/python3"];

/** The first interpreter that imports every module, or why none does and how to fix it. */
export function findPython(modules: readonly string[], install: string): { python: string | null; reason: string | null } {
  const found = findInterpreter(`python:${modules.join(",")}`, CANDIDATES, ["-c", modules.map((m) => `import ${m}`).join("; ")], install);
  return { python: found.command, reason: found.reason === null ? null : `no Python with ${modules.join(", ")} (${found.reason})` };
}

/** Runs the peer on `input`; its stdout's last line must be one JSON object. */
export function runPythonPeer<T>(peer: PythonPeer, input: unknown): PeerResult<T> {
  const { python, reason } = findPython(peer.modules, peer.install);
  if (python === null) return { ok: false, reason: reason! };
  return runScript<T>(python, peer.script, input, peer.timeoutMs ?? 600_000);
}
