/**
 * Learning-rate schedules: a schedule maps the step number (0-based) to a learning rate.
 */
import { VireoError, fmt } from "../errors.js";
import { requirePositiveOption, requireRange } from "./optimizer.js";

export interface Schedule {
  readonly name: string;
  /** The learning rate at step t ≥ 0. */
  rate(t: number): number;
}

/** lr at every step. */
export function constantSchedule(lr: number): Schedule {
  requirePositiveOption(lr, "lr", "constantSchedule");
  return { name: "constant", rate: () => lr };
}

/** lr · γ^(t / every): smooth geometric decay (γ in (0, 1]). */
export function exponentialDecay(lr: number, gamma: number, every = 1): Schedule {
  requirePositiveOption(lr, "lr", "exponentialDecay");
  requireRange(gamma, Number.MIN_VALUE, 1, "gamma", "exponentialDecay", true);
  requirePositiveOption(every, "every", "exponentialDecay");
  return { name: "exponentialDecay", rate: (t) => lr * Math.pow(gamma, t / every) };
}

/** lr · γ^⌊t / every⌋: piecewise-constant drops. */
export function stepDecay(lr: number, gamma: number, every: number): Schedule {
  requirePositiveOption(lr, "lr", "stepDecay");
  requireRange(gamma, Number.MIN_VALUE, 1, "gamma", "stepDecay", true);
  if (!Number.isInteger(every) || every < 1) {
    throw new VireoError("INVALID_OPTION", `stepDecay: option 'every' must be a positive integer, got ${fmt(every)}.`, { parameter: "every" });
  }
  return { name: "stepDecay", rate: (t) => lr * Math.pow(gamma, Math.floor(t / every)) };
}

/** lr · (1 + t/τ)^−κ with κ in (0.5, 1]: the Robbins–Monro conditions of stochastic VI. */
export function robbinsMonro(lr: number, tau: number, kappa: number): Schedule {
  requirePositiveOption(lr, "lr", "robbinsMonro");
  requirePositiveOption(tau, "tau", "robbinsMonro");
  if (!(kappa > 0.5 && kappa <= 1)) {
    throw new VireoError("INVALID_OPTION", `robbinsMonro: option 'kappa' must be in (0.5, 1] so that Σρ = ∞ and Σρ² < ∞, got ${fmt(kappa)}.`, { parameter: "kappa" });
  }
  return { name: "robbinsMonro", rate: (t) => lr * Math.pow(1 + t / tau, -kappa) };
}

/** Cosine decay from lr to `floor` over `total` steps, then `floor`. */
export function cosineDecay(lr: number, total: number, floor = 0.01 * lr): Schedule {
  requirePositiveOption(lr, "lr", "cosineDecay");
  requirePositiveOption(total, "total", "cosineDecay");
  requirePositiveOption(floor, "floor", "cosineDecay");
  return {
    name: "cosineDecay",
    rate: (t) => (t >= total ? floor : floor + 0.5 * (lr - floor) * (1 + Math.cos((Math.PI * t) / total))),
  };
}
