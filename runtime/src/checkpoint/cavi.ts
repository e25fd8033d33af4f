/**
 * CAVI runs in checkpoints. The state of a coordinate-ascent run is q's natural parameters (the
 * statistics follow from them) plus the schedule and the sweep count, so a run resumed from a
 * checkpoint with the same data sweeps through bit-identical states.
 */
import type { Generator } from "@vireo/core";
import { bindData, type DataBinding } from "../engine/bind.js";
import { compile } from "../engine/state.js";
import { CaviEngine } from "../engine/cavi.js";
import type { CheckpointState, EngineState } from "./checkpoint.js";
import { invalid } from "./schema.js";

export interface CaviEngineState extends EngineState {
  readonly kind: "cavi";
  /** Sweeps completed when the checkpoint was taken. */
  readonly sweeps: number;
  readonly schedule: readonly string[];
  /** The ELBO after each completed sweep. */
  readonly elbo: Float64Array;
}

/** The checkpoint state of `engine` after `sweeps` sweeps with ELBO trace `elbo`. */
export function caviCheckpoint(engine: CaviEngine, progress: { sweeps: number; elbo: readonly number[]; generator?: Generator }): CheckpointState {
  const variational: Record<string, Float64Array> = {};
  for (const v of engine.state.random) variational[v.name] = v.eta.slice();
  const state: CaviEngineState = { kind: "cavi", sweeps: progress.sweeps, schedule: engine.schedule.map((v) => v.name), elbo: Float64Array.from(progress.elbo) };
  return { model: engine.state.model, variational, engine: state, generator: progress.generator?.getState() ?? null };
}

/**
 * A CAVI engine over `data` continuing from a decoded checkpoint. Every random variable must be
 * in the checkpoint with as many instances as the data gives; the checks run before the new
 * engine's buffers are filled, and nothing else is modified.
 */
export function resumeCavi(checkpoint: CheckpointState, data: DataBinding): { engine: CaviEngine; sweeps: number; elbo: number[] } {
  const e = checkpoint.engine;
  if (e.kind !== "cavi" || !Number.isInteger(e.sweeps) || !Array.isArray(e.schedule) || !(e.elbo instanceof Float64Array)) {
    throw invalid("checkpoint.engine", `expected CAVI state { kind: "cavi", sweeps, schedule, elbo }, got kind ${JSON.stringify(e.kind)}.`);
  }
  const state = compile(checkpoint.model, bindData(checkpoint.model, data));
  const snap = state.random.map((v) => {
    const eta = Object.prototype.hasOwnProperty.call(checkpoint.variational, v.name) ? checkpoint.variational[v.name] : undefined;
    if (eta === undefined) throw invalid(`checkpoint.variational.${v.name}`, "missing; a CAVI checkpoint holds every random variable.");
    if (eta.length !== v.eta.length) throw invalid(`checkpoint.variational.${v.name}`, `${eta.length} natural parameters, but the data gives ${v.count} instances of ${v.size}.`);
    return eta;
  });
  const engine = new CaviEngine(state, e.schedule as string[]);
  engine.restore(snap);
  return { engine, sweeps: e.sweeps as number, elbo: Array.from(e.elbo as Float64Array) };
}
