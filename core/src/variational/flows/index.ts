/** Normalising flows: bijector layers and the flow variational family. */
export { type Bijector, type BijectorSpec, type FlowStep } from "./bijector.js";
export { PlanarBijector, planar } from "./planar.js";
export { RadialBijector, radial } from "./radial.js";
export { AffineCouplingBijector, affineCoupling, type CouplingOptions } from "./affine-coupling.js";
export { IafBijector, iaf, type IafOptions } from "./iaf.js";
export { FlowQ, flowQ, repeat, type FlowQOptions } from "./flow-q.js";
