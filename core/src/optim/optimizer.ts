/**
 * The optimiser contract (minimisation of a loss over one flat parameter vector) and the guarded
 * step every caller should use: a gradient with a NaN or infinite entry is never applied, and the
 * outcome names the offending element so the caller can report it.
 */
import { VireoError, fmt } from "../errors.js";

/** Mutable optimiser state: the step count and the method's moment buffers. */
export interface OptimizerState {
  /** Number of updates applied so far. */
  step: number;
  readonly buffers: Float64Array[];
}

export interface Optimizer {
  readonly name: string;
  /** Learning rate used when the caller gives none (and by schedules as the base rate). */
  readonly learningRate: number;
  /** Fresh state for a parameter vector of length n. */
  init(n: number): OptimizerState;
  /** One descent step on `params` in place, for the loss gradient `grad`, with step size `lr`. */
  update(params: Float64Array, grad: Float64Array, state: OptimizerState, lr: number): void;
}

export interface StepOutcome {
  /** True when the update was applied. */
  readonly applied: boolean;
  /** Index of the first non-finite gradient entry (−1 when applied). */
  readonly badIndex: number;
  /** Its value (NaN, Infinity or −Infinity), or 0 when applied. */
  readonly badValue: number;
}

const APPLIED: StepOutcome = Object.freeze({ applied: true, badIndex: -1, badValue: 0 });

/** Index of the first non-finite entry of x, or −1. */
export function firstNonFinite(x: Float64Array): number {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]!)) return i;
  return -1;
}

/**
 * Applies `optimizer.update` unless `grad` has a non-finite entry; then parameters and state are
 * left untouched and the outcome says where the bad value was.
 */
export function guardedStep(optimizer: Optimizer, params: Float64Array, grad: Float64Array, state: OptimizerState, lr = optimizer.learningRate): StepOutcome {
  if (params.length !== grad.length) {
    throw new VireoError("DIMENSION_MISMATCH", `${optimizer.name}: the gradient has length ${grad.length} but the parameters have ${params.length}.`);
  }
  if (!(lr > 0) || !Number.isFinite(lr)) {
    throw new VireoError("INVALID_OPTION", `${optimizer.name}: the learning rate must be finite and > 0, got ${fmt(lr)}; check the schedule.`, { parameter: "lr" });
  }
  const bad = firstNonFinite(grad);
  if (bad >= 0) return { applied: false, badIndex: bad, badValue: grad[bad]! };
  optimizer.update(params, grad, state, lr);
  state.step++;
  return APPLIED;
}

/** Throws INVALID_OPTION unless `x` lies in [lo, hi) (or [lo, hi] when `closed`). */
export function requireRange(x: number, lo: number, hi: number, name: string, where: string, closed = false): void {
  if (!(Number.isFinite(x) && x >= lo && (closed ? x <= hi : x < hi))) {
    throw new VireoError("INVALID_OPTION", `${where}: option '${name}' must be in [${lo}, ${hi}${closed ? "]" : ")"}, got ${fmt(x)}.`, { parameter: name });
  }
}

/** Throws INVALID_OPTION unless `x` is finite and > 0. */
export function requirePositiveOption(x: number, name: string, where: string): void {
  if (!(Number.isFinite(x) && x > 0)) {
    throw new VireoError("INVALID_OPTION", `${where}: option '${name}' must be finite and > 0, got ${fmt(x)}.`, { parameter: name });
  }
}
