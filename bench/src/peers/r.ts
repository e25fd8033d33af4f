/**
 * R peers (Stan through rstan): a script next to this file run by Rscript once every package it
 * needs loads (see subprocess.ts for the protocol).
 */
import { findInterpreter, runScript, type PeerResult } from "./subprocess.js";

export interface RPeer {
  /** Script file name in bench/src/peers/. */
  readonly script: string;
  /** R packages the script loads (checked first, so a missing one gives an install hint). */
  readonly packages: readonly string[];
  /** How to install them, printed when one is missing. */
  readonly install: string;
  /** Longest run before the peer is stopped (default 10 minutes; the first run compiles a Stan model). */
  readonly timeoutMs?: number;
}

/** Runs the peer on `input`; its stdout's last line must be one JSON object. */
export function runRPeer<T>(peer: RPeer, input: unknown): PeerResult<T> {
  const probe = peer.packages.map((p) => `suppressMessages(library(${p}))`).join("; ");
  const found = findInterpreter(`R:${peer.packages.join(",")}`, ["Rscript"], ["-e", probe], peer.install);
  if (found.command === null) return { ok: false, reason: `no R with ${peer.packages.join(", ")} (${found.reason})` };
  return runScript<T>(found.command, peer.script, input, peer.timeoutMs ?? 600_000);
}
