/**
 * Bishop's Bayesian Gaussian mixture (PRML §10.2; what scikit-learn's BayesianGaussianMixture fits),
 * as a Vireo model graph:
 *   π ~ Dirichlet(α₀),  Λ_k ~ Wishart(ν₀, W₀),  μ_k | Λ_k ~ N(m₀, (β₀Λ_k)⁻¹),
 *   z_n ~ Categorical(π),  x_n | z_n = k ~ N(μ_k, Λ_k⁻¹),
 * with q(π) q(μ, Λ) q(z) and each component's mean and precision kept together in one
 * NormalWishart q(μ_k, Λ_k) (PRML 10.59). Compare gaussian-mixture.ts, where the prior on μ_k does
 * not depend on Λ_k and q factorises them apart.
 */
import { Dirichlet, NormalWishart, Categorical, MvNormal } from "@vireo/core";
import { DirichletNode, NormalWishartNode, CategoricalNode, MvNormalJointNode } from "@vireo/nodes";
import { ModelBuilder, type Model } from "@vireo/runtime";

export interface NormalWishartMixturePriors {
  /** α₀: Dirichlet concentration per component (small values switch unneeded components off). */
  readonly alpha: number;
  /** m₀: prior mean of every component mean (default 0). */
  readonly mean?: ArrayLike<number>;
  /** β₀ > 0: μ_k | Λ_k has precision β₀Λ_k (pseudo-observations behind m₀). */
  readonly precisionScale: number;
  /** ν₀ > d − 1: Wishart degrees of freedom (default d). */
  readonly df?: number;
  /** W₀: Wishart scale, a number s for s·I or a d×d matrix (default I). E[Λ_k] = ν₀W₀ a priori. */
  readonly scale?: number | ArrayLike<number>;
}

/**
 * Variables: pi, theta (K NormalWishart instances: [μ_k, Λ_k]), z, x. Factors: pi_prior,
 * theta_prior, z_prior, likelihood. K = 1 is a single Gaussian (theta and x only; α is unused):
 * q then holds the exact posterior and the ELBO is the exact log evidence.
 */
export function normalWishartMixture(K: number, d: number, priors: NormalWishartMixturePriors): Model {
  const s = priors.scale ?? 1;
  const scale = typeof s === "number" ? Float64Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? s : 0)) : Float64Array.from(s);
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const thetaPrior = {
    mean: Float64Array.from(priors.mean ?? new Float64Array(d)), precisionScale: priors.precisionScale, df: priors.df ?? d, scale,
  };
  if (K === 1) {
    const theta = m.random("theta", NormalWishart(d));
    m.factor(NormalWishartNode, { out: theta, ...thetaPrior }, { name: "theta_prior" });
    m.factor(MvNormalJointNode, { out: m.observed("x", MvNormal(d), { plate: rows }), meanPrecision: theta }, { name: "likelihood" });
    return m.build();
  }
  const components = m.plate("components", K);

  const pi = m.random("pi", Dirichlet(K));
  m.factor(DirichletNode, { out: pi, alpha: new Float64Array(K).fill(priors.alpha) }, { name: "pi_prior" });

  const theta = m.random("theta", NormalWishart(d), { plate: components });
  m.factor(NormalWishartNode, { out: theta, ...thetaPrior }, { name: "theta_prior" });

  const z = m.random("z", Categorical(K), { plate: rows });
  m.factor(CategoricalNode, { out: z, p: pi }, { name: "z_prior" });
  const x = m.observed("x", MvNormal(d), { plate: rows });
  m.mixture(MvNormalJointNode, { selector: z, out: x, meanPrecision: theta }, { name: "likelihood" });
  return m.build();
}
