/**
 * The built-in pack: the families of @vireo/core and the node types of @vireo/nodes.
 * Dimensioned families are constructors, resolved per key ("MvNormal(3)").
 */
import { Normal, Gamma, Beta, Bernoulli, Poisson, Categorical, Dirichlet, MvNormal, Wishart, GaussMarkovChain, CategoricalChain, NormalWishart } from "@vireo/core";
import {
  NormalNode, ScaledNormalNode, MvNormalNode, GammaNode, BetaNode, DirichletNode, WishartNode, BernoulliNode,
  BinomialNode, CategoricalNode, PoissonNode, GaussianLinearNode, ChainTransitionNode, ChainObservationNode,
  ChainCategoricalTransitionNode, NormalWishartNode, MvNormalJointNode, ScaledMvNormalNode,
} from "@vireo/nodes";
import type { Pack } from "./pack.js";
import { Registry } from "./registry.js";

export const builtinPack: Pack = Object.freeze({
  name: "builtin",
  families: { Normal, Gamma, Beta, Bernoulli, Poisson, Categorical, Dirichlet, MvNormal, Wishart, GaussMarkovChain, CategoricalChain, NormalWishart },
  nodes: [
    NormalNode, ScaledNormalNode, MvNormalNode, GammaNode, BetaNode, DirichletNode, WishartNode, BernoulliNode,
    BinomialNode, CategoricalNode, PoissonNode, GaussianLinearNode, ChainTransitionNode, ChainObservationNode,
    ChainCategoricalTransitionNode, NormalWishartNode, MvNormalJointNode, ScaledMvNormalNode,
  ],
});

/** A registry holding the built-in pack and then `packs`, in order. */
export function createRegistry(...packs: readonly Pack[]): Registry {
  const r = new Registry().use(builtinPack);
  for (const p of packs) r.use(p);
  return r;
}
