/** Bayesian neural-network kernels: the local-reparameterisation dense layer and the weight prior's penalty. */
export { localReparamDense } from "./local-reparam.js";
export { weightPriorPenalty } from "./weight-prior.js";
