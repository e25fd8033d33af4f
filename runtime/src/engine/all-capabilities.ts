/**
 * Every optional engine part (engine/capabilities.ts): gradient-fitted variables, density nodes
 * and worker threads. `cavi` and `compile` from '@vireo/runtime' use these.
 */
import type { Model } from "../model/spec.js";
import { compile as compileWith, type CompiledState, type SharedBuffers, type SharedBuffer, type VariableState } from "./state.js";
import { GradientVariable, resolveFit, type GradientOptions } from "./gradient.js";
import { GradientPosterior } from "./gradient-posterior.js";
import { bindAmortised, isAmortisedQ, type AmortisedFits } from "./amortised.js";
import { monteCarloElbo, freshElbo } from "./mc-elbo.js";
import { runStochasticCavi } from "./cavi-stochastic.js";
import { planJointSteps } from "./joint-step.js";
import { runCavi, type CaviOptions, type CaviResult } from "./cavi.js";
import { createThreadPool } from "./threads.js";
import type { EngineCapabilities, GradientCapability } from "./capabilities.js";
import type { BoundData } from "./bind.js";
import type { ChangeTracker } from "@vireo/nodes";

const gradients: GradientCapability = {
  attach(state: CompiledState, v: VariableState, shared: SharedBuffer | undefined, options: GradientOptions, amortisedFits?: AmortisedFits): void {
    const fit = shared?.gradient ?? amortisedFits?.get(v.name) ?? resolveFit(v.spec, v.count, options);
    if (shared && !shared.gradient) shared.gradient = fit;
    if (isAmortisedQ(fit.q)) {
      // Encoder weights persist across minibatches (the caller's map); the q reads this state's rows.
      bindAmortised(state, v, fit.q);
      amortisedFits?.set(v.name, fit);
    }
    (v as { gradient: GradientVariable | null }).gradient = new GradientVariable(v, fit, state, options);
  },
  monteCarloElbo: (state) => monteCarloElbo(state),
  freshElbo,
  posterior: (v) => new GradientPosterior(v.name, v.family!, v.count, v.gradient!.fit),
  runCavi: runStochasticCavi,
  planJoint: (state, options) => void planJointSteps(state, options),
};

/** Gradients and threads: the whole engine. */
export const ALL_CAPABILITIES: EngineCapabilities = Object.freeze({ gradients, threads: createThreadPool });

/** Runs CAVI to convergence (or the iteration limit) and returns posteriors and the ELBO trace. */
export function cavi(model: Model, options: CaviOptions): CaviResult {
  return runCavi(model, options, ALL_CAPABILITIES);
}

/**
 * Allocates buffers and contexts for `model` bound to `data` (engine/state.ts), with every engine
 * part available: gradient-fitted variables get their q, draws and optimiser.
 */
export function compile(model: Model, data: BoundData, shared?: SharedBuffers, gradientOptions?: GradientOptions, changes?: ChangeTracker, allocate?: (length: number) => Float64Array, amortisedFits?: AmortisedFits): CompiledState {
  return compileWith(model, data, shared, gradientOptions, changes, allocate, ALL_CAPABILITIES, amortisedFits);
}

