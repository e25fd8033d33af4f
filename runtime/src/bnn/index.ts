/** Bayesian neural networks: mean-field Gaussian weights fitted by the local reparameterisation trick, predictive sampling, calibration. */
export { bnn, type BnnSpec, type BnnNetwork, type BnnLayer, type BnnLikelihood, type BnnWeights, type BnnActivation } from "./network.js";
export { BnnTrainer, fitBnn, initialParams, type BnnData, type BnnTrainOptions, type FitBnnOptions, type BnnFit, type BnnScales, type BnnStepReport } from "./trainer.js";
export { predictBnn, BnnPrediction, type BnnPredictOptions, type PredictiveInterval, type PredictiveLogLik } from "./predict.js";
export { intervalCoverage, reliabilityTable, type CoverageRow, type ReliabilityBin, type ReliabilityTable } from "./calibration.js";
export type { BnnInputs, BnnTargets } from "./data.js";
export { bnnModel, standardiseBnnData, bnnFitFromGraph, type BnnGraph, type BnnGraphOptions, type StandardisedBnnData } from "./graph.js";
