/**
 * EM on the graph: a 1-D Gaussian mixture whose parameters (π, μ_k, τ_k) have point-mass q (through
 * the identity bijector: the mode of x itself, i.e. maximum likelihood) and whose per-row z_n keep
 * their closed-form Categorical q. Each sweep is an M-step (the point masses jump to the mode of
 * the conjugate posterior their messages define) then an E-step (responsibilities), so the ELBO
 * after sweep t is the log-likelihood at θ_t. A hand-written EM from the same starting
 * responsibilities gives the same trajectory (log-likelihood and parameters) to 1e-10.
 */
import test from "ava";
import { Normal, Gamma, Dirichlet, Categorical, Generator, sampleStandardNormal, pointMass, identityTransform } from "@vireo/core";
import { NormalNode, CategoricalNode } from "@vireo/nodes";
import { ModelBuilder, cavi, compile, initialise, bindData, CaviEngine } from "@vireo/runtime";

const K = 3;

function mixtureEm() {
  const m = new ModelBuilder();
  const rows = m.plate("rows"), components = m.plate("components", K);
  // Unit starts for τ (μ's M-step Σr x/Σr does not depend on it, but its messages need τ > 0).
  const pi = m.random("pi", Dirichlet(K), { q: pointMass({ value: [1 / K] }), bijector: identityTransform });
  const mu = m.random("mu", Normal, { plate: components, q: pointMass(), bijector: identityTransform });
  const tau = m.random("tau", Gamma, { plate: components, q: pointMass({ value: [1] }), bijector: identityTransform });
  const z = m.random("z", Categorical(K), { plate: rows });
  m.factor(CategoricalNode, { out: z, p: pi });
  m.mixture(NormalNode, { selector: z, out: m.observed("x", Normal, { plate: rows }), mean: mu, precision: tau });
  return m.build();
}

function data(): Float64Array {
  const rng = new Generator(11), N = 300, x = new Float64Array(N);
  const centres = [-3, 0.5, 4], sds = [0.7, 1.2, 0.9];
  for (let n = 0; n < N; n++) x[n] = centres[n % K]! + sds[n % K]! * sampleStandardNormal(rng);
  return x;
}

/** Classical EM for a 1-D Gaussian mixture, from responsibilities r (N × K): one M-step then one E-step per iteration. */
function handEm(x: Float64Array, r0: Float64Array, iterations: number) {
  const N = x.length, r = r0.slice();
  const out: { ll: number; pi: number[]; mu: number[]; tau: number[] }[] = [];
  for (let it = 0; it < iterations; it++) {
    const pi: number[] = [], mu: number[] = [], tau: number[] = [];
    for (let k = 0; k < K; k++) {
      let nk = 0, sx = 0;
      for (let n = 0; n < N; n++) { nk += r[n * K + k]!; sx += r[n * K + k]! * x[n]!; }
      const m = sx / nk;
      let ss = 0;
      for (let n = 0; n < N; n++) ss += r[n * K + k]! * (x[n]! - m) ** 2;
      pi.push(nk / N); mu.push(m); tau.push(nk / ss);
    }
    let ll = 0;
    const p = new Float64Array(K);
    for (let n = 0; n < N; n++) {
      let total = 0;
      for (let k = 0; k < K; k++) {
        p[k] = pi[k]! * Math.sqrt(tau[k]! / (2 * Math.PI)) * Math.exp(-0.5 * tau[k]! * (x[n]! - mu[k]!) ** 2);
        total += p[k]!;
      }
      ll += Math.log(total);
      for (let k = 0; k < K; k++) r[n * K + k] = p[k]! / total;
    }
    out.push({ ll, pi, mu, tau });
  }
  return out;
}

/** A rough start for z: log-responsibilities leaning 0.6 towards a component chosen by a threshold on x. */
function startZ(x: Float64Array): Float64Array {
  const eta = new Float64Array(x.length * K).fill(Math.log(0.2));
  for (let n = 0; n < x.length; n++) eta[n * K + (x[n]! < -1 ? 0 : x[n]! < 2 ? 1 : 2)] = Math.log(0.6);
  return eta;
}

const close = (a: number, b: number, tol = 1e-10) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

test("EM on the graph: point-mass parameters and categorical z give classical EM's log-likelihood trajectory to 1e-10", (t) => {
  const x = data(), model = mixtureEm();
  const state = compile(model, bindData(model, { x }), undefined, { samples: 2 });
  initialise(state, new Generator(3), { z: startZ(x) });
  const r0 = state.variables.get("z")!.stats.slice();
  const engine = new CaviEngine(state, ["mu", "tau", "pi", "z"]);
  const reference = handEm(x, r0, 60);
  const [pi, mu, tau] = ["pi", "mu", "tau"].map((n) => state.variables.get(n)!.gradient!);
  t.true(pi!.closedFormMode !== null && mu!.closedFormMode !== null && tau!.closedFormMode !== null);
  let previous = -Infinity;
  reference.forEach((ref, it) => {
    const elbo = engine.sweep();
    if (!close(elbo, ref.ll)) t.fail(`sweep ${it}: ELBO ${elbo} vs EM log-likelihood ${ref.ll}`);
    for (let k = 0; k < K; k++) {
      if (!close(mu!.fit.lambda[k]!, ref.mu[k]!) || !close(tau!.fit.lambda[k]!, ref.tau[k]!) || !close(pi!.fit.lambda[k]!, ref.pi[k]!)) {
        t.fail(`sweep ${it}, component ${k}: (π, μ, τ) = (${pi!.fit.lambda[k]}, ${mu!.fit.lambda[k]}, ${tau!.fit.lambda[k]}) vs EM (${ref.pi[k]}, ${ref.mu[k]}, ${ref.tau[k]})`);
      }
    }
    t.true(elbo >= previous - 1e-9 * Math.abs(previous), `EM never lowers the likelihood (sweep ${it})`);
    previous = elbo;
  });
  // The run went somewhere: the trajectory rose well above its start and the components separated.
  t.true(reference[59]!.ll - reference[0]!.ll > 10, `log-likelihood rose from ${reference[0]!.ll} to ${reference[59]!.ll}`);
  const sorted = [...reference[59]!.mu].sort((a, b) => a - b);
  t.true(Math.abs(sorted[0]! + 3) < 0.4 && Math.abs(sorted[2]! - 4) < 0.4, `means ${sorted}`);
});

test("EM through cavi(): deterministic sweeps stop on the ELBO rule with an exact ELBO (standard error 0 up to round-off)", (t) => {
  const x = data();
  const r = cavi(mixtureEm(), { data: { x }, schedule: ["mu", "tau", "pi", "z"], init: { z: startZ(x) }, tolerance: 1e-12, maxIterations: 2000 });
  t.true(r.converged, `stopped by ${r.stoppedBy} after ${r.iterations}`);
  t.true(r.elboStandardError <= 1e-12 * Math.abs(r.elboEstimate), `standard error ${r.elboStandardError} (identical draws of the points)`);
  for (let i = 1; i < r.elbo.length; i++) t.true(r.elbo[i]! >= r.elbo[i - 1]! - 1e-9 * Math.abs(r.elbo[i - 1]!), `sweep ${i}`);
  // At convergence the fixed point is an EM fixed point: one more hand-written EM step from the
  // returned responsibilities moves nothing.
  const mu = r.posteriors.mu!.mean(), tau = r.posteriors.tau!.mean(), pi = r.posteriors.pi!.mean();
  t.deepEqual(Array.from(r.posteriors.tau!.variance()), [0, 0, 0]);
  const N = x.length, resp = new Float64Array(N * K);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += (resp[n * K + k] = pi[k]! * Math.sqrt(tau[k]!) * Math.exp(-0.5 * tau[k]! * (x[n]! - mu[k]!) ** 2));
    for (let k = 0; k < K; k++) resp[n * K + k] = resp[n * K + k]! / s;
  }
  const next = handEm(x, resp, 1)[0]!;
  for (let k = 0; k < K; k++) t.true(close(next.mu[k]!, mu[k]!, 1e-5) && close(next.tau[k]!, tau[k]!, 1e-5) && close(next.pi[k]!, pi[k]!, 1e-5), `component ${k}`);
  t.true(close(r.elboEstimate, next.ll, 1e-9), `ELBO ${r.elboEstimate} vs log-likelihood ${next.ll}`);
});
