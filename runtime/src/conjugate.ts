/**
 * @vireo/runtime/conjugate: the model builder and the closed-form CAVI / VMP engine alone, for
 * conjugate-exponential models in size-sensitive places (a browser bundle). The same engine as
 * `cavi` from '@vireo/runtime' (same sweeps, same numbers), without the parts a conjugate model
 * never uses: gradient-fitted variables and density nodes (the tape, the estimator, the Monte
 * Carlo ELBO, PSIS) and worker threads. A model that needs them is refused with a message naming
 * the variable; import from '@vireo/runtime' for those.
 */
import type { Model } from "./model/spec.js";
import { runCavi, type CaviOptions, type CaviResult } from "./engine/cavi.js";
import { compile as compileWith, type CompiledState, type SharedBuffers } from "./engine/state.js";
import { CONJUGATE_ONLY } from "./engine/capabilities.js";
import type { BoundData } from "./engine/bind.js";
import type { ChangeTracker } from "@vireo/nodes";

export * from "./model/spec.js";
export { ModelBuilder, VariableRef, IndexedRef, PlateRef, flattenValue, type EdgeValue, type VariableOptions, type RandomOptions, type BuiltModel } from "./model/builder.js";
export { bindData, checkValues, type DataBinding, type DataValue, type BoundData } from "./engine/bind.js";
export { initialise, type CompiledState, type VariableState, type FactorState } from "./engine/state.js";
export { updateVariable } from "./engine/update.js";
export { elbo, elboTerms, type ElboTerms } from "./engine/elbo.js";
export { CaviEngine, type CaviOptions, type CaviResult, type ElboDecrease } from "./engine/cavi.js";
export { Posterior, type PosteriorSummary, type PosteriorJSON, type ParamsOf, type ValueOf } from "./engine/posterior.js";
export { posteriorPredictive, type LatentDraw, type PredictiveOptions } from "./engine/predictive.js";
export { describeModel, modelOutline, type ModelOutline } from "./model/summary.js";

/** Runs closed-form CAVI to convergence (or the iteration limit): posteriors and the exact ELBO trace. */
export function cavi(model: Model, options: CaviOptions): CaviResult {
  return runCavi(model, options, CONJUGATE_ONLY);
}

/** Allocates buffers and contexts for a conjugate model bound to `data` (see engine/state.ts). */
export function compile(model: Model, data: BoundData, shared?: SharedBuffers, changes?: ChangeTracker): CompiledState {
  return compileWith(model, data, shared, {}, changes, undefined, CONJUGATE_ONLY);
}
