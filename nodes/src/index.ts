/** @vireo/nodes: factor node types (one file each) and the node contract. */
export * from "./contract/node.js";
export * from "./contract/edges.js";
export * from "./contract/known-stats.js";
export * from "./contract/verify.js";
export { NormalNode } from "./conjugate/normal.js";
export { MvNormalNode } from "./conjugate/mvnormal.js";
export { GammaNode } from "./conjugate/gamma.js";
export { BetaNode, DirichletNode, WishartNode } from "./conjugate/priors.js";
export { fixedPriorNode, type FixedPriorSpec } from "./conjugate/fixed-prior.js";
export { BernoulliNode } from "./conjugate/bernoulli.js";
export { BinomialNode } from "./conjugate/binomial.js";
export { CategoricalNode } from "./conjugate/categorical.js";
export { PoissonNode } from "./conjugate/poisson.js";
export { GaussianLinearNode } from "./conjugate/gaussian-linear.js";
export { Mixture } from "./mixture/mixture.js";
