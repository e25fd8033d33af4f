/**
 * CAVI runs in checkpoints. The state of a coordinate-ascent run is q's natural parameters (the
 * statistics follow from them) plus the schedule and the sweep count, so a run resumed from a
 * checkpoint with the same data sweeps through bit-identical states. Gradient-fitted variables add
 * their fits (λ, optimiser state, counters) and latest draws, density factors their log g at those
 * draws, and the run its generator (checkpoint/gradient.ts).
 */
import { Generator } from "@vireo/core";
import { bindData, type DataBinding } from "../engine/bind.js";
import { compile } from "../engine/all-capabilities.js";
import { CaviEngine } from "../engine/cavi.js";
import { attachGenerator, type GradientOptions } from "../engine/gradient.js";
import type { CheckpointState, EngineState } from "./checkpoint.js";
import { invalid, isMap, keysOf } from "./schema.js";
import {
  fitRecord, drawsRecord, densityRecords, readFitRecord, readDrawsRecord, readDensityRecords, loadFit, loadDraws,
  type GradientFitRecord, type GradientDrawsRecord,
} from "./gradient.js";
import { checkGeneratorState } from "./minibatch.js";

export interface CaviEngineState extends EngineState {
  readonly kind: "cavi";
  /** Sweeps completed when the checkpoint was taken. */
  readonly sweeps: number;
  readonly schedule: readonly string[];
  /** The ELBO after each completed sweep. */
  readonly elbo: Float64Array;
  /** Gradient-fitted variables (present only when the model has some): fit and latest draws. */
  readonly gradient?: Readonly<Record<string, { readonly fit: GradientFitRecord; readonly draws: GradientDrawsRecord }>>;
  /** Density factors' log g at the latest draws. */
  readonly density?: Readonly<Record<string, Float64Array>>;
}

/**
 * The checkpoint state of `engine` after `sweeps` sweeps with ELBO trace `elbo`; with
 * gradient-fitted variables, `generator` is the one their draws come from (required then).
 */
export function caviCheckpoint(engine: CaviEngine, progress: { sweeps: number; elbo: readonly number[]; generator?: Generator }): CheckpointState {
  const variational: Record<string, Float64Array> = {};
  const gradient: Record<string, { fit: GradientFitRecord; draws: GradientDrawsRecord }> = {};
  for (const v of engine.state.random) {
    if (v.gradient === null) variational[v.name] = v.eta.slice();
    else gradient[v.name] = { fit: fitRecord(v.gradient.fit), draws: drawsRecord(v.gradient) };
  }
  const stochastic = Object.keys(gradient).length > 0;
  if (stochastic && progress.generator === undefined) {
    throw invalid("state.generator", "the model has gradient-fitted variables, whose draws come from a generator: pass it, caviCheckpoint(engine, { sweeps, elbo, generator }).");
  }
  const state: CaviEngineState = {
    kind: "cavi", sweeps: progress.sweeps, schedule: engine.schedule.map((v) => v.name), elbo: Float64Array.from(progress.elbo),
    ...(stochastic ? { gradient, density: densityRecords(engine.state) } : {}),
  };
  return { model: engine.state.model, variational, engine: state, generator: progress.generator?.getState() ?? null };
}

/**
 * A CAVI engine over `data` continuing from a decoded checkpoint. Every random variable must be
 * in the checkpoint with as many instances as the data gives; the checks run before the new
 * engine's buffers are filled, and nothing else is modified. With gradient-fitted variables, give
 * the run's own gradient options (the optimiser must match the stored one); the returned generator
 * continues the run's stream (the gradient steps draw from it).
 */
export function resumeCavi(checkpoint: CheckpointState, data: DataBinding, options: { readonly gradient?: GradientOptions } = {}): { engine: CaviEngine; sweeps: number; elbo: number[]; generator: Generator | null } {
  const e = checkpoint.engine;
  if (e.kind !== "cavi" || !Number.isInteger(e.sweeps) || !Array.isArray(e.schedule) || !(e.elbo instanceof Float64Array)) {
    throw invalid("checkpoint.engine", `expected CAVI state { kind: "cavi", sweeps, schedule, elbo }, got kind ${JSON.stringify(e.kind)}.`);
  }
  const state = compile(checkpoint.model, bindData(checkpoint.model, data), undefined, options.gradient);
  const snap = state.random.map((v) => {
    if (v.gradient !== null) return null;
    const eta = Object.prototype.hasOwnProperty.call(checkpoint.variational, v.name) ? checkpoint.variational[v.name] : undefined;
    if (eta === undefined) throw invalid(`checkpoint.variational.${v.name}`, "missing; a CAVI checkpoint holds every closed-form random variable.");
    if (eta.length !== v.eta.length) throw invalid(`checkpoint.variational.${v.name}`, `${eta.length} natural parameters, but the data gives ${v.count} instances of ${v.size}.`);
    return eta;
  });
  const fitted = state.random.filter((v) => v.gradient !== null);
  const loads: (() => void)[] = [];
  let generator: Generator | null = null;
  if (fitted.length > 0) {
    const raw = e.gradient;
    if (!isMap(raw)) throw invalid("checkpoint.engine.gradient", `expected a map of gradient-fitted variable name → { fit, draws }; the model's are [${fitted.map((v) => v.name).join(", ")}].`);
    for (const k of keysOf(raw, "checkpoint.engine.gradient")) {
      if (!fitted.some((v) => v.name === k)) throw invalid(`checkpoint.engine.gradient.${k}`, `not a gradient-fitted variable of the model; those are [${fitted.map((v) => v.name).join(", ")}].`);
    }
    for (const v of fitted) {
      const at = `checkpoint.engine.gradient.${v.name}`, rec = raw[v.name];
      if (!isMap(rec) || keysOf(rec, at).sort().join() !== "draws,fit") throw invalid(at, "expected { fit, draws }.");
      const fit = readFitRecord(rec.fit, v.gradient!.fit, `${at}.fit`), draws = readDrawsRecord(rec.draws, v.gradient!, `${at}.draws`);
      loads.push(() => {
        loadFit(v.gradient!.fit, fit);
        loadDraws(v.gradient!, draws);
      });
    }
    const density = readDensityRecords(e.density, state, "checkpoint.engine.density");
    loads.push(() => {
      for (const f of state.factors) if (f.density !== null) f.density.values.set(density.get(f.name)!);
    });
    generator = Generator.fromState(checkGeneratorState(checkpoint.generator, "CAVI (with gradient-fitted variables)"));
  }
  const engine = new CaviEngine(state, e.schedule as string[]);
  engine.restore(snap.map((s) => s ?? new Float64Array(0)));
  for (const load of loads) load();
  if (generator !== null) attachGenerator(state, generator);
  return { engine, sweeps: e.sweeps as number, elbo: Array.from(e.elbo as Float64Array), generator };
}
