/**
 * A Bayesian Gaussian mixture with full covariances, as a Vireo model graph:
 *   π ~ Dirichlet(α₀),  μ_k ~ N(0, (β₀I)⁻¹),  Λ_k ~ Wishart(ν₀, W₀),
 *   z_n ~ Categorical(π),  x_n | z_n = k ~ N(μ_k, Λ_k⁻¹).
 */
import { Dirichlet, MvNormal, Wishart, Categorical } from "@vireo/core";
import { DirichletNode, MvNormalNode, WishartNode, CategoricalNode } from "@vireo/nodes";
import { ModelBuilder, type Model } from "@vireo/runtime";

export interface MixturePriors {
  /** Dirichlet concentration per component (small values switch unneeded components off). */
  readonly alpha: number;
  /** Prior precision of each component mean around 0. */
  readonly meanPrecision: number;
  /** Wishart degrees of freedom (> d − 1) and scale W₀ = scale·I. */
  readonly df?: number;
  readonly scale?: number;
}

export function gaussianMixture(K: number, d: number, priors: MixturePriors): Model {
  const eye = (s: number) => Float64Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? s : 0));
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const components = m.plate("components", K);

  const pi = m.random("pi", Dirichlet(K));
  m.factor(DirichletNode, { out: pi, alpha: new Float64Array(K).fill(priors.alpha) }, { name: "pi_prior" });

  const mu = m.random("mu", MvNormal(d), { plate: components });
  m.factor(MvNormalNode, { out: mu, mean: new Float64Array(d), precision: eye(priors.meanPrecision) }, { name: "mu_prior" });
  const Lambda = m.random("Lambda", Wishart(d), { plate: components });
  m.factor(WishartNode, { out: Lambda, df: priors.df ?? d + 1, scale: eye(priors.scale ?? 1) }, { name: "Lambda_prior" });

  const z = m.random("z", Categorical(K), { plate: rows });
  m.factor(CategoricalNode, { out: z, p: pi }, { name: "z_prior" });
  const x = m.observed("x", MvNormal(d), { plate: rows });
  m.mixture(MvNormalNode, { selector: z, out: x, mean: mu, precision: Lambda }, { name: "likelihood" });
  return m.build();
}
