/**
 * Graph models with gradient-fitted variables for the tests: Bayesian logistic regression as a
 * density factor (the model of the black-box-VI tests, in the graph), and helpers.
 */
import { MvNormal, Bernoulli, ad, type VariationalChoice } from "@vireo/core";
import { MvNormalNode, densityNode } from "@vireo/nodes";
import { ModelBuilder, type Model } from "@vireo/runtime";

export const eye = (d: number, s: number) => Float64Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? s : 0));

/** log p(y | w, x) of Bernoulli-logit rows, one density node over the whole plate. */
export const logisticLikelihood = densityNode("LogisticLikelihood", { edges: { w: "MvNormal", x: "input", y: "Bernoulli" } }, ({ w, x, y }) => {
  const eta = ad.matmul(x!, w!);
  return ad.sum(ad.sub(ad.mul(y!, eta), ad.softplus(eta)));
});

/** w ~ N(0, s0² I) (a conjugate MvNormal node), y_n ~ Bernoulli(σ(wᵀx_n)) (a density node); q(w) as given. */
export function logisticGraph(D: number, s0: number, q: VariationalChoice): Model {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const w = m.random("w", MvNormal(D), { q });
  m.factor(MvNormalNode, { out: w, mean: new Float64Array(D), precision: eye(D, 1 / (s0 * s0)) }, { name: "prior" });
  m.factor(logisticLikelihood, { w, x: m.input("x", { plate: rows, size: D }), y: m.observed("y", Bernoulli, { plate: rows }) }, { name: "likelihood" });
  return m.build();
}
