/** @vireo/runtime: model builder, graph validation, data binding, engines, ELBO. */
export * from "./model/spec.js";
export { ModelBuilder, VariableRef, IndexedRef, PlateRef, flattenValue, type EdgeValue, type VariableOptions } from "./model/builder.js";
export { bindData, checkValues, type DataBinding, type DataValue, type BoundData } from "./engine/bind.js";
export { compile, initialise, initialiseSome, rebind, sameShape, type SharedBuffers, type CompiledState, type VariableState, type FactorState } from "./engine/state.js";
export { updateVariable } from "./engine/update.js";
export { elbo, elboTerms, collapsePlan, type ElboTerms } from "./engine/elbo.js";
export { computeSchedule, scheduleFromNames } from "./engine/schedule.js";
export { cavi, CaviEngine, type CaviOptions, type CaviResult, type ElboDecrease } from "./engine/cavi.js";
export { Posterior, type PosteriorSummary } from "./engine/posterior.js";
export * from "./timeseries/lgssm-model.js";
export * from "./timeseries/vb-lgssm.js";
export * from "./timeseries/hmm-model.js";
export * from "./timeseries/vb-hmm.js";
export * from "./bbvi/index.js";
export * from "./timeseries/online-kalman.js";
export * from "./rx/filter.js";
export * from "./registry/index.js";
export * from "./checkpoint/index.js";
