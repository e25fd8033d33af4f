/** Optimisers, learning-rate schedules and convergence detection. */
export { type Optimizer, type OptimizerState, type StepOutcome, guardedStep, firstNonFinite } from "./optimizer.js";
export { adam, type AdamOptions } from "./adam.js";
export { sgd, type SgdOptions } from "./sgd.js";
export { adagrad, type AdaGradOptions } from "./adagrad.js";
export { type Schedule, constantSchedule, exponentialDecay, stepDecay, robbinsMonro, cosineDecay } from "./schedule.js";
export { ConvergenceMonitor, type ConvergenceOptions } from "./convergence.js";
