/** The tape operations, exported together as the `ad` namespace of @vireo/core. */
export { add, sub, mul, div, scale, shift, neg, square, sqrt } from "./arith.js";
export { exp, log, log1p, softplus, sigmoid, tanh } from "./unary.js";
export { matmul } from "./matmul.js";
export { sum, mean, logsumexp } from "./reduce.js";
export { gather, slice, reshape } from "./indexing.js";
export { lowerFromPacked, triSolve, logDetTriangular, logDetSpd } from "./triangular.js";
export { gammaln, digamma } from "./special.js";
