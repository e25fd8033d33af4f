/** Variational families and transforms for black-box VI. */
export { type VariationalFamily, type VariationalFamilyFactory, type VariationalChoice, isVariationalFactory } from "./family.js";
export { MeanFieldGaussianQ, meanFieldGaussian, type MeanFieldGaussianOptions } from "./meanfield-gaussian.js";
export { FullRankGaussianQ, fullRankGaussian, type FullRankGaussianOptions } from "./fullrank-gaussian.js";
export { BernoulliQ, bernoulliQ, type BernoulliQOptions } from "./bernoulli-q.js";
export { CategoricalQ, categoricalQ, type CategoricalQOptions } from "./categorical-q.js";
export { type Transform, identityTransform, transformInputSize } from "./transform.js";
export { logTransform } from "./log-transform.js";
export { stickBreaking } from "./stick-breaking.js";
export { oneHotIndex } from "./one-hot-index.js";
export { type DrawWithLogDensity, strataOf, needsLogDensityEntropy, sampleWithLogDensity } from "./family.js";
export { PointMassQ, pointMass, type PointMassOptions } from "./point-mass.js";
export { MixtureGaussianQ, mixtureGaussian, logAddExp, type MixtureGaussianOptions } from "./mixture-gaussian.js";
export * from "./flows/index.js";
export {
  type Bound, elboBound, iwaeBound, renyiBound, describeBound, validateBound, drawWithLogDensity,
  VariationalObjective, type ObjectiveBlock, type LogJointOnTape, entropyEstimate,
} from "./bounds.js";
export { logitTransform } from "./logit-transform.js";
export { statsDot, statsOfValues, scalarValued } from "./stats-dot.js";
export { LowRankGaussianQ, lowRankGaussian, type LowRankGaussianOptions } from "./lowrank-gaussian.js";
export { type ParetoFit, fitGeneralisedPareto, gpdQuantile } from "./pareto.js";
export { type PsisResult, psis, psisExpectation } from "./psis.js";
export { sbc, chiSquareSurvival, type SbcOptions, type SbcResult, type SbcParameterResult } from "./sbc.js";
export { choleskyTransform } from "./cholesky-transform.js";
export { AmortisedGaussian, amortised, type AmortisedOptions, type AmortisedParts, type AmortisedCovariance } from "./amortised-gaussian.js";
export { AmortisedRowsQ, type AmortisedSource } from "./amortised-rows.js";
export { trilSize, trilTimesRows, trilLogDetAndTrace } from "./amortised-tril.js";
