/** @vireo/runtime: model builder, graph validation, data binding, engines, streams, registries, checkpoints. */

// Models: building and validating graphs.
export * from "./model/spec.js";
export { ModelBuilder, VariableRef, IndexedRef, PlateRef, flattenValue, type EdgeValue, type VariableOptions, type RandomOptions } from "./model/builder.js";

// Closed-form coordinate ascent (CAVI / VMP) and the exact ELBO.
export { bindData, checkValues, type DataBinding, type DataValue, type BoundData } from "./engine/bind.js";
export { initialise, initialiseSome, rebind, sameShape, type SharedBuffers, type CompiledState, type VariableState, type FactorState } from "./engine/state.js";
export { updateVariable } from "./engine/update.js";
export { createThreadPool, type ThreadPool } from "./engine/threads.js";
export { CHUNK_ROWS, type RowPass, type SelectorJob } from "./engine/row-pass.js";
export { elbo, elboTerms, collapsePlan, type ElboTerms } from "./engine/elbo.js";
export { computeSchedule, scheduleFromNames } from "./engine/schedule.js";
export { cavi, compile, ALL_CAPABILITIES } from "./engine/all-capabilities.js";
export { CONJUGATE_ONLY, type EngineCapabilities, type GradientCapability } from "./engine/capabilities.js";
export { runCavi, CaviEngine, type CaviOptions, type CaviResult, type ElboDecrease, type CaviGradientOptions } from "./engine/cavi.js";
export { Posterior, type PosteriorSummary, type PosteriorJSON, type ParamsOf, type ValueOf } from "./engine/posterior.js";
export { posteriorPredictive, type LatentDraw, type PredictiveOptions } from "./engine/predictive.js";
export { describeModel, modelOutline, type ModelOutline } from "./model/summary.js";

// Gradient-fitted variables and density factors in the graph; the Monte Carlo ELBO.
export { GradientFit, GradientVariable, attachGenerator, type GradientOptions, type DensityDraws } from "./engine/gradient.js";
export { jointGradient, JointGradient, type JointGradientOptions, type JointLatent } from "./engine/joint-gradient.js";
export { JointStep, planJointSteps, startJointRound, refreshJointDensities, jointSteps, type JointChoice } from "./engine/joint-step.js";
export { validateKlWeight, klWeightAt, type KlWeight } from "./engine/kl-weight.js";
export { GradientPosterior, MOMENT_DRAWS } from "./engine/gradient-posterior.js";
export { monteCarloElbo, freshElbo, type ElboEstimate, type ElboScales } from "./engine/mc-elbo.js";

// Minibatches and live streams: SVI, online updating, RxJS operators and sources.
export { MinibatchRunner, type LocalStepOptions } from "./svi/minibatch-runner.js";
export { SviEngine, type SviOptions, type SviStepReport, type SviProgress } from "./svi/svi-engine.js";
export { OnlineEngine, type OnlineOptions, type OnlineStepReport, type OnlineProgress } from "./svi/online-engine.js";
export { svi, type SviSnapshot, type SvgpSnapshot } from "./rx/svi.js";
export { SvgpEngine, type SvgpOptions, type SvgpStepReport } from "./gp/svgp-engine.js";
export { online, type OnlineSnapshot } from "./rx/online.js";
export { streamOperator, batchError, type BatchInput, type SkippedBatch, type StreamOptions, type SnapshotBase } from "./rx/stream-step.js";
export * from "./rx/sources/index.js";
export { caviProgress, bbviProgress, type CaviProgress, type CaviSweepEvent, type CaviDoneEvent, type BbviProgress, type BbviStepEvent, type BbviDoneEvent } from "./rx/fit-progress.js";

// Registries of families, nodes and codecs; checkpoints.
export * from "./registry/index.js";
export * from "./checkpoint/index.js";
export { sviCheckpoint, resumeSvi, type SviEngineState } from "./checkpoint/svi.js";
export { onlineCheckpoint, resumeOnline, type OnlineEngineState } from "./checkpoint/online.js";

// Black-box VI.
export * from "./bbvi/index.js";

// Time series: streaming Kalman filtering (batch LGSSMs and HMMs are graph chain blocks:
// GaussMarkovChain / CategoricalChain with the chain nodes of @vireo/nodes).
export * from "./timeseries/lgssm-model.js";
export * from "./timeseries/online-kalman.js";
export * from "./rx/filter.js";

// Distributed SVI and online updating: the worker and coordinator halves of a step (the Redis
// side is Node-only, in the separate entry @vireo/runtime/distributed).
export { sviBatchTarget, sviApplyTarget, onlineFitBatch, onlineApplyFit, type SviBatchTarget, type OnlineBatchFit, type OnlineRunState } from "./svi/distributed-steps.js";

// Reliability: documented size limits and option validation shared by the entry points.
export { MAX_PLATE_SIZE, MAX_DIMENSION, MAX_CHECKPOINT_BYTES } from "./limits.js";
export { MAX_ITERATIONS } from "./engine/options.js";

// Deep amortised inference: variational autoencoders (networks and amortised q live in @vireo/core).
export { vaeModel, type VaeModelOptions } from "./deep/vae-graph.js";
export { Vae, vae, type VaeOptions, type VaeShorthand, type VaeLikelihood, type VaeStepReport, type VaeEvaluation, type VaeFitOptions } from "./deep/vae.js";
// Bayesian neural networks (local reparameterisation), predictive sampling and calibration tables.
export * from "./bnn/index.js";
export type { BoundReport, PsisReport } from "./engine/cavi.js";
export type { SviPsis } from "./svi/svi-engine.js";
export type { BuiltModel } from "./model/builder.js";
