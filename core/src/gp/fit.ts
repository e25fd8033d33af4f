/**
 * Batch fitting of GP hyperparameters: an optimiser (Adam by default) on the unconstrained vector
 * of `HyperLayout` (log θ, and Z when learnt), maximising an objective that fills its gradient in
 * the layout of `layout.read` (the exact log marginal likelihood or the collapsed bound).
 */
import { VireoError, fmt } from "../errors.js";
import { adam } from "../optim/adam.js";
import { guardedStep, type Optimizer } from "../optim/optimizer.js";
import type { HyperLayout } from "./hyperparameters.js";

export interface GpFitOptions {
  /** Optimiser steps (default 200). */
  readonly iterations?: number;
  /** Default: Adam with learning rate 0.05 on log θ. */
  readonly optimizer?: Optimizer;
  /** Called after each step with the objective before it. */
  readonly onStep?: (step: number, objective: number) => void;
}

export interface GpFitReport {
  /** The objective at each step (before the step). */
  readonly trace: Float64Array;
  /** The objective at the final hyperparameters. */
  readonly objective: number;
}

/**
 * Maximises `objective(grad)` (which returns the value and writes ∂/∂θ, ∂/∂Z into grad when
 * given) over the learnt parameters of `layout`, updating the kernel, likelihood and Z in place.
 */
export function fitHyperparameters(layout: HyperLayout, Z: Float64Array | null, objective: (grad: Float64Array | null) => number, options: GpFitOptions = {}): GpFitReport {
  const iterations = options.iterations ?? 200;
  if (!(Number.isInteger(iterations) && iterations >= 0)) throw new VireoError("INVALID_OPTION", `GP fit: 'iterations' must be an integer ≥ 0, got ${String(iterations)}.`, { parameter: "iterations" });
  const opt = options.optimizer ?? adam({ lr: 0.05 });
  const z = layout.unconstrained(Z), state = opt.init(z.length);
  const grad = new Float64Array(layout.size), theta = new Float64Array(layout.size), g = new Float64Array(z.length), scratch = new Float64Array(Math.max(layout.kernelSize, layout.likelihoodSize, 1));
  const trace = new Float64Array(iterations);
  for (let t = 0; t < iterations; t++) {
    const value = objective(grad);
    trace[t] = value;
    layout.read(theta, Z);
    layout.lossGradient(grad, theta, g);
    const out = guardedStep(opt, z, g, state);
    if (!out.applied) {
      throw new VireoError("NUMERICAL_FAILURE", `GP fit: step ${t} gave a non-finite gradient (${fmt(out.badValue)}) for learnt parameter ${out.badIndex} (objective ${fmt(value)}); check the inputs' scale and the starting hyperparameters.`, { parameter: String(out.badIndex) });
    }
    layout.apply(z, Z, scratch);
    options.onStep?.(t, value);
  }
  return { trace, objective: objective(null) };
}
