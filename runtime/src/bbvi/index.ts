/** Black-box VI: model of log-factors, gradient estimators, step-driven engine and fit loop. */
export {
  bbviModel, type BbviModel, type BbviModelSpec, type BbviLatentSpec, type BbviFactorSpec, type BbviLatent, type BbviFactor,
  type EstimatorChoice, type TapeValues, type NumericValues,
} from "./model.js";
export { ElboGradientEstimator, type EstimatorConfig, type EstimateInput, type BaselineKind } from "../engine/estimator.js";
export { createBbvi, type Bbvi, type BbviOptions, type BbviState, type Batch, type StepReport, type SkipInfo } from "./engine.js";
export { fitBbvi, type FitOptions, type FitResult } from "./fit.js";
export { psisCheck, type PsisCheck, type PsisCheckOptions } from "./check.js";
export { compareModels, type ModelCandidate, type CompareOptions, type ModelScore, type ModelComparison } from "./compare.js";
