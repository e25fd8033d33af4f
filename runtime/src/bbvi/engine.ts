/**
 * The BBVI engine: joint optimiser steps on the graph's joint ELBO gradient. `createBbvi` compiles
 * the model's graph (`model.graph`, see model.ts) and estimates ∇_λ ELBO of all latents at once
 * with `JointGradient` (engine/joint-gradient.ts), the graph's own estimator; this file only holds
 * the explicit state (λ, optimiser, baselines, generator) and the guarded optimiser step.
 * `step(state, batch?)` is the unit an outer loop (fit, an RxJS operator) calls; it never keeps
 * hidden state outside `state` except pooled scratch buffers.
 */
import {
  VireoError, Generator, adam, constantSchedule, guardedStep, fmt,
  type Optimizer, type OptimizerState, type Schedule,
} from "@vireo/core";
import { validateBound, type Bound } from "@vireo/core";
import type { BbviModel, EstimatorChoice } from "./model.js";
import type { BaselineKind } from "../engine/estimator.js";
import { jointGradient, type JointGradient } from "../engine/joint-gradient.js";

export interface BbviOptions {
  /** Monte Carlo samples per gradient estimate (default 10). */
  readonly samples?: number;
  /** Default adam({ lr: 0.05 }). */
  readonly optimizer?: Optimizer;
  /** Default: the optimiser's learning rate at every step. */
  readonly schedule?: Schedule;
  /** Per-variable estimator override (takes precedence over the latent's own choice). */
  readonly estimators?: Readonly<Record<string, EstimatorChoice>>;
  /** Score terms use only each variable's Markov blanket (default true). */
  readonly raoBlackwell?: boolean;
  /** Control variate of score terms (default "running"). */
  readonly baseline?: BaselineKind;
  /** Decay of the running baseline (default 0.9). */
  readonly baselineDecay?: number;
  /** The objective optimised and reported by `step` (default elboBound(); or iwaeBound(K), renyiBound(α, K)). */
  readonly bound?: Bound;
}

/** A minibatch: the factors' data and the sizes that give the scale N/|B| of minibatch factors. */
export interface Batch<D> {
  readonly data: D;
  /** Rows in this batch, |B|. */
  readonly size: number;
  /** Rows in the full data set, N. */
  readonly total: number;
}

export interface BbviState {
  /** All λ, flat, in latent order. */
  readonly params: Float64Array;
  readonly optimizer: OptimizerState;
  /** Running score-function baselines per latent (NaN until the first estimate). */
  readonly baselines: Float64Array;
  readonly rng: Generator;
  /** Steps attempted (applied or skipped). */
  step: number;
  /** Steps skipped for a non-finite gradient. */
  skipped: number;
}

export interface SkipInfo {
  readonly variable: string;
  /** Index within the variable's λ. */
  readonly element: number;
  readonly value: number;
}

export interface StepReport {
  readonly step: number;
  /** Noisy ELBO estimate at the parameters before the update. */
  readonly elbo: number;
  readonly lr: number;
  readonly applied: boolean;
  /** Present when the step was skipped: where the non-finite gradient was. */
  readonly skip?: SkipInfo;
}

export interface Bbvi<D = unknown> {
  readonly model: BbviModel<D>;
  /** The graph's joint gradient this engine steps on (model.graph compiled). */
  readonly joint: JointGradient<D>;
  /** Resolved estimator of each latent, by name. */
  readonly estimators: Readonly<Record<string, "reparam" | "score">>;
  /** The bound this engine optimises; every `elbo` it reports is an estimate of this bound. */
  readonly bound: Bound;
  /** Fresh state: λ from each family's init (or `initial`), seeded generator. */
  init(seed?: number, initial?: Readonly<Record<string, ArrayLike<number>>>): BbviState;
  /** An unbiased ∇ELBO estimate (ascent direction) into `out`; advances the generator and baselines. */
  gradient(state: BbviState, batch?: Batch<D>, out?: Float64Array): { readonly elbo: number; readonly grad: Float64Array };
  /** One optimiser step on the ELBO; a non-finite gradient skips the step and is reported. */
  step(state: BbviState, batch?: Batch<D>): StepReport;
  /** λ of one latent (a view into state.params). */
  params(state: BbviState, name: string): Float64Array;
  /** E_q and Var_q of a latent's unconstrained draw z. */
  mean(state: BbviState, name: string): Float64Array;
  variance(state: BbviState, name: string): Float64Array;
}

function batchScale<D>(batch: Batch<D> | undefined, step: number): number {
  if (batch === undefined) return 1;
  const { size, total } = batch;
  if (!Number.isInteger(size) || !Number.isInteger(total) || size < 1 || total < size) {
    throw new VireoError("INVALID_BATCH", `BBVI step ${step}: a batch needs integer size ≥ 1 and total ≥ size, got size=${size}, total=${total}.`, { batch: step });
  }
  return total / size;
}

/** Compiles a model and options into a step-driven BBVI engine. */
export function createBbvi<D>(model: BbviModel<D>, options: BbviOptions = {}): Bbvi<D> {
  const samples = options.samples ?? 10;
  if (!Number.isInteger(samples) || samples < 1) {
    throw new VireoError("INVALID_OPTION", `createBbvi: 'samples' must be a positive integer, got ${samples}.`, { parameter: "samples" });
  }
  const decay = options.baselineDecay ?? 0.9;
  if (!(decay >= 0 && decay < 1)) {
    throw new VireoError("INVALID_OPTION", `createBbvi: 'baselineDecay' must be in [0, 1), got ${fmt(decay)}.`, { parameter: "baselineDecay" });
  }
  const baseline = options.baseline ?? "running";
  if (baseline !== "running" && baseline !== "none") {
    throw new VireoError("INVALID_OPTION", `createBbvi: 'baseline' must be 'running' or 'none', got '${String(baseline)}'.`, { parameter: "baseline" });
  }
  for (const name of Object.keys(options.estimators ?? {})) model.indexOf(name);
  const resolved: Record<string, "reparam" | "score"> = {};
  model.latents.forEach((l) => {
    const choice = options.estimators?.[l.name] ?? l.estimator;
    if (choice === "reparam" && !l.family.reparameterizable) {
      throw new VireoError(
        "INVALID_OPTION",
        `createBbvi: latent '${l.name}' (${l.family.name}) cannot use the reparameterization estimator: it has no differentiable draw. Use 'score' or 'auto'.`,
        { variable: l.name },
      );
    }
    const r = choice === "reparam" || (choice === "auto" && l.family.reparameterizable);
    resolved[l.name] = r ? "reparam" : "score";
  });
  const optimizer = options.optimizer ?? adam({ lr: 0.05 });
  const schedule = options.schedule ?? constantSchedule(optimizer.learningRate);
  const joint = jointGradient<D>(model.graph, {
    samples, estimators: resolved, raoBlackwell: options.raoBlackwell ?? true, baseline, baselineDecay: decay,
    ...(options.bound === undefined ? {} : { bound: validateBound(options.bound, "createBbvi") }),
  });
  const bound = joint.bound;
  const grad = new Float64Array(model.nParams);
  const lossGrad = new Float64Array(model.nParams);

  const locate = (flat: number): [string, number] => {
    for (let v = model.latents.length - 1; v >= 0; v--) {
      const l = model.latents[v]!;
      if (flat >= l.offset) return [l.name, flat - l.offset];
    }
    return ["?", flat];
  };

  const engine: Bbvi<D> = {
    model,
    joint,
    estimators: resolved,
    bound,
    init(seed = 0, initial) {
      const params = joint.init(new Float64Array(model.nParams));
      for (const l of model.latents) {
        const view = params.subarray(l.offset, l.offset + l.family.nParams);
        const given = initial?.[l.name];
        if (given !== undefined) {
          if (given.length !== view.length) {
            throw new VireoError("DIMENSION_MISMATCH", `BBVI init: initial λ of '${l.name}' (${l.family.name}) needs ${view.length} values, got ${given.length}.`, { variable: l.name });
          }
          view.set(given);
        }
      }
      for (const name of Object.keys(initial ?? {})) model.indexOf(name);
      return {
        params, optimizer: optimizer.init(model.nParams), baselines: new Float64Array(model.latents.length).fill(NaN),
        rng: new Generator(seed), step: 0, skipped: 0,
      };
    },
    gradient(state, batch, out = new Float64Array(model.nParams)) {
      if (out.length !== model.nParams) {
        throw new VireoError("DIMENSION_MISMATCH", `BBVI gradient: 'out' needs length ${model.nParams}, got ${out.length}.`);
      }
      const scale = batchScale(batch, state.step);
      const elbo = joint.estimate(state.params, out, state.rng, state.baselines, { data: batch?.data, scale });
      return { elbo, grad: out };
    },
    step(state, batch) {
      const t = state.step;
      const { elbo } = engine.gradient(state, batch, grad);
      for (let i = 0; i < grad.length; i++) lossGrad[i] = -grad[i]!;
      const lr = schedule.rate(state.optimizer.step);
      const outcome = guardedStep(optimizer, state.params, lossGrad, state.optimizer, lr);
      state.step++;
      if (outcome.applied) return { step: t, elbo, lr, applied: true };
      state.skipped++;
      const [variable, element] = locate(outcome.badIndex);
      return { step: t, elbo, lr, applied: false, skip: { variable, element, value: -outcome.badValue } };
    },
    params(state, name) {
      const l = model.latents[model.indexOf(name)]!;
      return state.params.subarray(l.offset, l.offset + l.family.nParams);
    },
    mean(state, name) {
      const l = model.latents[model.indexOf(name)]!;
      const out = new Float64Array(l.family.dim);
      l.family.mean(engine.params(state, name), out);
      return out;
    },
    variance(state, name) {
      const l = model.latents[model.indexOf(name)]!;
      const out = new Float64Array(l.family.dim);
      l.family.variance(engine.params(state, name), out);
      return out;
    },
  };
  return engine;
}
