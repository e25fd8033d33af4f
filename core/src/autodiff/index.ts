/** Reverse-mode autodiff: the tape, its ops (as the `ad` namespace) and the gradient checker. */
export { Tape, TNode, type BackwardFn } from "./tape.js";
export { checkGradient, type GradientInput, type GradientCheckResult } from "./gradcheck.js";
export * as ad from "./ops.js";
