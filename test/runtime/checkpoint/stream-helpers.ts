/** Data, runs and exact encodings shared by the stream-resume tests and their child process. */
import { from, type Observable } from "rxjs";
import { Encoder } from "@msgpack/msgpack";
import type { SviEngine, OnlineEngine } from "@vireo/runtime";
import { mixtureModel } from "./models.js";

/** The Gaussian mixture of models.ts (90 rows, K = 3) in minibatches of 10 rows. */
export function mixtureBatches(): { model: ReturnType<typeof mixtureModel>["model"]; batches: { x: number[][] }[] } {
  const { model, data } = mixtureModel();
  const batches: { x: number[][] }[] = [];
  for (let i = 0; i < data.x.length; i += 10) batches.push({ x: data.x.slice(i, i + 10) });
  return { model, batches };
}

export const SVI_OPTIONS = { totalRows: 90, tau: 1, kappa: 0.7, seed: 11, localIterations: 50, localTolerance: 1e-7 } as const;

/** Subscribes, collects every value synchronously and rethrows the stream's error. */
export function collect<T>(o: Observable<T>): T[] {
  const out: T[] = [];
  let failed = false, error: unknown = null, done = false;
  o.subscribe({ next: (x) => out.push(x), error: (e) => { failed = true; error = e; }, complete: () => { done = true; } });
  if (failed) throw error;
  if (!done) throw new Error("the stream did not complete synchronously");
  return out;
}

/** A snapshot as exact bytes: msgpack with every number a float64 (so −0, NaN and 1.0 vs 1 all show). */
export function snapshotBytes(s: unknown): Uint8Array {
  return new Encoder({ forceIntegerToFloat: true }).encode(s);
}

/** Hex of snapshotBytes, for readable assertion failures. */
export function snapshotHex(s: unknown): string {
  const b = snapshotBytes(s);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

/** The globals' natural parameters as the hex of their little-endian bytes. */
export function etaHex(engine: SviEngine | OnlineEngine): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [n, g] of engine.runner.globals) out[n] = Buffer.from(new Uint8Array(g.eta.buffer, g.eta.byteOffset, g.eta.byteLength)).toString("hex");
  return out;
}

export { from };
