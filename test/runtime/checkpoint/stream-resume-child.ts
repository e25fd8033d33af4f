/**
 * Run in a fresh process by the stream-resume tests: loads an SVI checkpoint file with a fresh
 * registry, resumes the stream at batch k with the remaining minibatches and prints the hex of
 * every later snapshot, of the final globals' η and the generator state.
 */
import { createRegistry, resumeSvi, svi } from "@vireo/runtime";
import { loadCheckpoint } from "@vireo/runtime/node";
import { mixtureBatches, SVI_OPTIONS, collect, snapshotHex, etaHex, from } from "./stream-helpers.js";

const [path, kArg] = process.argv.slice(2);
const k = Number(kArg);
const { batches } = mixtureBatches();
const engine = resumeSvi(loadCheckpoint(path!, createRegistry()), SVI_OPTIONS);
const snapshots = collect(from(batches.slice(k)).pipe(svi(engine, { startAt: { batch: k } }))).map(snapshotHex);
process.stdout.write(JSON.stringify({ snapshots, eta: etaHex(engine), generator: engine.runner.generatorState() }));
