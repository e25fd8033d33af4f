/**
 * What a CAVI result reports beyond the posteriors: `elboTerms` (E_q[log f] per factor, H[q] per
 * variable) against closed forms, and the parameter-change stopping rule against a fixed point
 * solved independently (bisection), with the rule that stopped the run.
 */
import test from "ava";
import { Normal, Gamma, Generator, VireoError, sampleStandardNormal, gammaln, digamma, LOG_2PI } from "@vireo/core";
import { NormalNode, GammaNode } from "@vireo/nodes";
import { ModelBuilder, cavi } from "@vireo/runtime";

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

test("elboTerms: every factor's E_q[log f] and every variable's entropy, equal to the closed forms", (t) => {
  const y = [1.2, 0.4, 2.5, 1.9, 0.7], tau = 1.5, m0 = -0.5, l0 = 0.3;
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: mu, mean: m0, precision: l0 }, { name: "mu_prior" });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: tau }, { name: "likelihood" });
  const r = cavi(m.build(), { data: { y } });
  t.truthy(r.elboTerms, "a closed-form fit reports its exact terms");
  const terms = r.elboTerms!;

  const lN = l0 + y.length * tau, mN = (l0 * m0 + tau * y.reduce((a, b) => a + b, 0)) / lN, vN = 1 / lN;
  const prior = 0.5 * Math.log(l0) - 0.5 * LOG_2PI - 0.5 * l0 * (vN + (mN - m0) ** 2);
  const lik = y.reduce((s, v) => s + 0.5 * Math.log(tau) - 0.5 * LOG_2PI - 0.5 * tau * ((v - mN) ** 2 + vN), 0);
  const entropy = 0.5 * Math.log(2 * Math.PI * Math.E * vN);
  t.deepEqual(Object.keys(terms.factors).sort(), ["likelihood", "mu_prior"]);
  t.deepEqual(Object.keys(terms.entropies), ["mu"]);
  t.true(rel(terms.factors.mu_prior!, prior) < 1e-12);
  t.true(rel(terms.factors.likelihood!, lik) < 1e-12);
  t.true(rel(terms.entropies.mu!, entropy) < 1e-12);
  t.true(rel(terms.total, prior + lik + entropy) < 1e-12);
  t.true(rel(terms.total, r.elbo[r.elbo.length - 1]!) < 1e-12, "the terms add up to the reported ELBO");
});

/** μ ~ N(m₀, 1/λ₀), τ ~ Gamma(a₀, b₀), y_n ~ N(μ, 1/τ) with q(μ)q(τ): a fixed point with no closed form. */
function normalGamma() {
  const rng = new Generator(4);
  const y = Array.from({ length: 8 }, () => 2 + 1.5 * sampleStandardNormal(rng));
  const p = { m0: 0, l0: 0.05, a0: 0.5, b0: 0.5 };
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal), tau = m.random("tau", Gamma);
  m.factor(NormalNode, { out: mu, mean: p.m0, precision: p.l0 });
  m.factor(GammaNode, { out: tau, shape: p.a0, rate: p.b0 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: tau });
  // The coordinate updates reduce to one equation in e = E[τ]: e = a_N / b_N(e); solve it by bisection.
  const N = y.length, sum = y.reduce((a, b) => a + b, 0), aN = p.a0 + N / 2;
  const at = (e: number) => {
    const lN = p.l0 + N * e, mN = (p.l0 * p.m0 + e * sum) / lN;
    const bN = p.b0 + 0.5 * y.reduce((s, v) => s + (v - mN) ** 2 + 1 / lN, 0);
    return { lN, mN, bN };
  };
  let lo = 1e-8, hi = 1e8;
  for (let i = 0; i < 400; i++) {
    const mid = Math.sqrt(lo * hi) === lo || Math.sqrt(lo * hi) === hi ? 0.5 * (lo + hi) : Math.sqrt(lo * hi);
    if (aN / at(mid).bN > mid) lo = mid;
    else hi = mid;
  }
  const { lN, mN, bN } = at(0.5 * (lo + hi));
  return { model: m.build(), y, fixed: { mean: mN, variance: 1 / lN, shape: aN, rate: bN } };
}

test("parameterTolerance stops on the parameters, which then sit at the fixed point to that precision", (t) => {
  const { model, y, fixed } = normalGamma();
  const r = cavi(model, { data: { y }, parameterTolerance: 1e-14, maxIterations: 10_000 });
  t.is(r.stoppedBy, "parameters");
  t.true(r.converged);
  t.true(r.parameterChange <= 1e-14);
  const mu = r.posteriors.mu!.params() as { mean: number; variance: number };
  const tau = r.posteriors.tau!.params() as { shape: number; rate: number };
  for (const [got, want, name] of [[mu.mean, fixed.mean, "mean"], [mu.variance, fixed.variance, "variance"], [tau.shape, fixed.shape, "shape"], [tau.rate, fixed.rate, "rate"]] as const) {
    t.true(rel(got, want) < 1e-12, `${name}: ${got} vs ${want} (${rel(got, want).toExponential(2)})`);
  }
  // Why the rule exists: the ELBO is flat to second order at the optimum, so even at tolerance
  // 1e-16 the ELBO rule stops with the parameters ≈ 1e-8 (relative) away from the fixed point.
  const elboRule = cavi(model, { data: { y }, tolerance: 1e-16, maxIterations: 10_000 }).posteriors.mu!.params() as { variance: number };
  t.true(rel(elboRule.variance, fixed.variance) > 100 * rel(mu.variance, fixed.variance) + 1e-13);
  // The closed-form Gamma entropy at the fixed point, as a check on the reported terms.
  const h = fixed.shape - Math.log(fixed.rate) + gammaln(fixed.shape) + (1 - fixed.shape) * digamma(fixed.shape);
  t.true(rel(r.elboTerms!.entropies.tau!, h) < 1e-11);
});

test("stopping rules: the ELBO rule by default, either rule when both are given, the sweep limit otherwise", (t) => {
  const { model, y } = normalGamma();
  const byElbo = cavi(model, { data: { y } });
  t.is(byElbo.stoppedBy, "elbo");
  t.true(byElbo.converged);
  // A loose ELBO tolerance with a strict parameter tolerance: the ELBO rule holds first.
  const both = cavi(model, { data: { y }, tolerance: 1e-4, parameterTolerance: 1e-15 });
  t.is(both.stoppedBy, "elbo");
  t.true(both.iterations < cavi(model, { data: { y }, parameterTolerance: 1e-15 }).iterations);
  const capped = cavi(model, { data: { y }, parameterTolerance: 1e-15, maxIterations: 3 });
  t.is(capped.stoppedBy, "max-iterations");
  t.false(capped.converged);
  t.is(capped.iterations, 3);
  t.true(capped.parameterChange > 1e-15);
  for (const bad of [-1, Number.NaN, Infinity]) {
    const e = t.throws(() => cavi(model, { data: { y }, parameterTolerance: bad }), { instanceOf: VireoError });
    t.is(e?.code, "INVALID_OPTION");
    t.regex(e?.message ?? "", /parameterTolerance' must be a finite number ≥ 0/);
  }
});
