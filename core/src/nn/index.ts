/** Neural layers on the autodiff tape: activations, initialisers, affine maps, dense layers, MLPs. */
export { type Activation, ACTIVATIONS, LEAKY_RELU_SLOPE, relu, leakyRelu, gelu, activate, requireActivation } from "./activations.js";
export { type Initialiser, INITIALISERS, initialiseWeights } from "./init.js";
export { addBias, affine, denseAffine, denseParamCount } from "./affine.js";
export { Dense, dense, defaultInitialiser, type DenseOptions } from "./dense.js";
export { Mlp, mlp, type MlpOptions } from "./mlp.js";
export { columns, repeatRows } from "./rows.js";
export { bernoulliLogitRows, bernoulliLogit, gaussianRows } from "./likelihoods.js";
