/** @vireo/nodes: factor node types (one file each) and the node contract. */

// The node contract: types, helpers, verification, change tracking.
export * from "./contract/node.js";
export * from "./contract/edges.js";
export * from "./contract/known-stats.js";
export * from "./contract/verify.js";
export { predictorMoments } from "./contract/predictor-moments.js";
export { ChangeTracker, NodeScratch } from "./contract/versions.js";

// Conjugate nodes and mixtures (closed-form VMP).
export { NormalNode } from "./conjugate/normal.js";
export { ScaledNormalNode } from "./conjugate/scaled-normal.js";
export { MvNormalNode } from "./conjugate/mvnormal.js";
export { GammaNode } from "./conjugate/gamma.js";
export { BetaNode, DirichletNode, WishartNode } from "./conjugate/priors.js";
export { fixedPriorNode, type FixedPriorSpec } from "./conjugate/fixed-prior.js";
export { BernoulliNode } from "./conjugate/bernoulli.js";
export { BinomialNode } from "./conjugate/binomial.js";
export { CategoricalNode } from "./conjugate/categorical.js";
export { PoissonNode } from "./conjugate/poisson.js";
export { GaussianLinearNode } from "./conjugate/gaussian-linear.js";
export { Mixture, SELECTOR_EDGE, SELECTOR_FAMILIES } from "./mixture/mixture.js";
export { NormalWishartNode } from "./conjugate/normal-wishart.js";
export { MvNormalJointNode } from "./conjugate/mvnormal-joint.js";
export { ScaledMvNormalNode } from "./conjugate/scaled-mvnormal.js";
export { weightedStatSums, columnSums, type ColumnSums } from "./contract/weighted-sums.js";

// Non-conjugate nodes (damped conjugate-computation VI).
export { BernoulliLogitNode, bernoulliLogitNode, type NonConjugateOptions } from "./nonconjugate/bernoulli-logit.js";
export { PoissonLogNode, poissonLogNode } from "./nonconjugate/poisson-log.js";
export { StudentTNode, studentTNode } from "./nonconjugate/student-t.js";
export { gaussHermite, quadratureExpectation, type GaussHermiteRule, type ScalarLogLik, type GaussianExpectation } from "./nonconjugate/gauss-hermite.js";
export { linearPredictorNode, type LinearPredictorSpec } from "./nonconjugate/linear-predictor.js";

// State-space models as graph nodes over a GaussMarkovChain block.
export { ChainTransitionNode } from "./chain/chain-transition.js";
export { ChainObservationNode } from "./chain/chain-observation.js";
export { ChainCategoricalTransitionNode } from "./chain/chain-categorical-transition.js";
// Learnable state-space models (Beal 2003, ch. 5) and AR(p): matrices and noise precisions may be random.
export { ChainInitialNode, priorBeforeFirst } from "./chain/chain-initial.js";
export { ChainDynamicsNode } from "./chain/chain-dynamics.js";
export { ChainEmissionNode } from "./chain/chain-emission.js";
export { observationMatrixStart } from "./chain/emission-start.js";
export { AutoregressiveNode } from "./chain/autoregressive.js";

// Defining node types (built-ins and plugins alike).
export {
  defineNode, validateNodeType, type NodeDefinition,
  type NodeDeclaration, type NodeBody, type EdgeDeclaration, type TypedNodeContext, type TypedMessageRule, type TypedNode,
} from "./contract/define.js";
export * from "./contract/stub.js";

// Factors given as a log density on the autodiff tape (for gradient-fitted variables).
export { densityNode, isDensityNode, type DensityNodeSpec, type DensitySpec, type DensityValues, type LogDensityFn, type LogDensityValueFn, type DensityDraw, type DensityNaturalMessage, type GaussianMoments } from "./density/density-node.js";

// Likelihoods for GP models (Gauss–Hermite variational expectations).
export { bernoulliLogitLikelihood, bernoulliProbitLikelihood, poissonLogLikelihood, PoissonLogLikelihood, logNormalCdf, type QuadratureOptions } from "./gp/likelihoods.js";
export { gpPriorNode, sparseGpNode, gpLikelihoodNode, type GpNodeOptions, type GpLikelihoodNodeOptions } from "./gp/sparse-gp-nodes.js";
export { gpCollapsedNode, svgpNode, gpInducingPriorNode, type GpGraphNode, type GpGraphNodeOptions, type SvgpNodeOptions, type GpPredictAt } from "./gp/gp-density-nodes.js";

// Density nodes with a moment form (local reparameterisation) and the dense-network likelihood of Bayesian neural networks.
export { momentDensityNode, isMomentNode, isEdgeMoments, type EdgeMoments, type MomentInputs, type ExpectedLogDensityFn, type MomentSpec, type MomentDensityNodeSpec, type MomentNodeType } from "./density/moment-density.js";
export { denseNetworkNode, denseLayerSizes, layerEdge, type DenseNetworkSpec } from "./bnn/dense-network.js";
