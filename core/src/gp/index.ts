/** Gaussian processes: kernels, the exact GP, the sparse variational GP and the collapsed bound. */
export * from "./kernel.js";
export * from "./stationary.js";
export * from "./periodic.js";
export * from "./linear.js";
export * from "./white.js";
export * from "./combination.js";
export * from "./likelihood.js";
export * from "./inputs.js";
export * from "./hyperparameters.js";
export * from "./exact-gp.js";
export * from "./sparse-gp.js";
export * from "./fit.js";
export { choleskyWithJitter, type JitteredCholesky } from "./dense-blocks.js";
export * from "./tape-ops.js";
