/**
 * The logistic pack (Jaakkola–Jordan): node verification, a monotone CAVI run, and what is true
 * of a bound: the posterior mean has the right signs and decision boundary, and the ELBO lies
 * below the exact log evidence (2-D quadrature) without being far from it.
 */
import test from "ava";
import { Bernoulli, MvNormal, Generator, sampleStandardNormal, sampleGamma, sampleWishart, LOG_2PI } from "@vireo/core";
import { verifyNode, type VerifyEdge } from "@vireo/nodes";
import { ModelBuilder, cavi, createRegistry } from "@vireo/runtime";
import { JaakkolaJordanLogitNode, logisticPack, jjLambda } from "@vireo/plugins";

const rng = new Generator(11);
const N = 6, D = 3;

function eye(d: number, s: number): Float64Array {
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) a[i * d + i] = s;
  return a;
}
const mvn = (): VerifyEdge => ({ family: MvNormal(D), eta: MvNormal(D).toNatural({ mean: Float64Array.from({ length: D }, () => sampleStandardNormal(rng)), covariance: sampleWishart(rng, D + 3, eye(D, 0.3), D) }) });
const xs = (): VerifyEdge => ({ family: null, count: N, values: Float64Array.from({ length: N * D }, () => sampleStandardNormal(rng)) });

test("JaakkolaJordanLogit passes verification with random labels (envelope theorem at the optimal ξ)", (t) => {
  const report = verifyNode(JaakkolaJordanLogitNode, { rows: N, edges: { out: { family: Bernoulli, count: N, eta: Float64Array.from({ length: N }, () => sampleStandardNormal(rng)) }, w: mvn(), x: xs() } });
  t.deepEqual(report.edges.map((e) => e.edge), ["out", "w"]);
  for (const e of report.edges) t.true(e.passed, `edge ${e.edge}: relative error ${e.maxRelError}`);
});

test("JaakkolaJordanLogit passes verification with observed labels and row weights", (t) => {
  const report = verifyNode(JaakkolaJordanLogitNode, {
    rows: N, weights: Float64Array.from({ length: N }, () => sampleGamma(rng, 2)),
    edges: { out: { family: Bernoulli, count: N, values: Float64Array.of(0, 1, 1, 0, 1, 0) }, w: mvn(), x: xs() },
  });
  t.deepEqual(report.edges.map((e) => e.edge), ["w"]);
  t.true(report.passed, JSON.stringify(report.edges));
});

test("λ(ξ) is continuous at 0", (t) => {
  t.true(Math.abs(jjLambda(0) - 0.125) < 1e-15);
  t.true(Math.abs(jjLambda(1e-6) - jjLambda(1.0001e-6)) < 1e-12);
  t.true(Math.abs(jjLambda(2e-6) - Math.tanh(1e-6) / 8e-6) < 1e-12);
});

/** Labels from σ(w0 + w1 x) with (w0, w1) = (−1.5, 2). */
function data(n: number): { x: number[][]; y: number[] } {
  const g = new Generator(99);
  const x: number[][] = [], y: number[] = [];
  for (let i = 0; i < n; i++) {
    const xi = 1.5 * sampleStandardNormal(g);
    x.push([1, xi]);
    y.push(g.uniform() < 1 / (1 + Math.exp(-(-1.5 + 2 * xi))) ? 1 : 0);
  }
  return { x, y };
}

/** log Z and the posterior mean of w under p(w) = N(0, I), by a 2-D grid (the posterior is smooth and well inside it). */
function exact(x: number[][], y: number[]): { logZ: number; mean: [number, number] } {
  const h = 0.02, lo = -6, steps = 601;
  const logs: number[] = [];
  let max = -Infinity;
  for (let a = 0; a < steps; a++) {
    for (let b = 0; b < steps; b++) {
      const w0 = lo + a * h, w1 = lo + b * h;
      let l = -LOG_2PI - 0.5 * (w0 * w0 + w1 * w1);
      for (let n = 0; n < y.length; n++) {
        const s = (2 * y[n]! - 1) * (w0 + w1 * x[n]![1]!);
        l -= s > 0 ? Math.log1p(Math.exp(-s)) : -s + Math.log1p(Math.exp(s));
      }
      logs.push(l);
      if (l > max) max = l;
    }
  }
  let z = 0, m0 = 0, m1 = 0;
  for (let a = 0; a < steps; a++) {
    for (let b = 0; b < steps; b++) {
      const p = Math.exp(logs[a * steps + b]! - max);
      z += p;
      m0 += p * (lo + a * h);
      m1 += p * (lo + b * h);
    }
  }
  return { logZ: max + Math.log(z * h * h), mean: [m0 / z, m1 / z] };
}

test("logistic regression end to end: monotone CAVI, signs and decision boundary, ELBO below the exact log evidence", (t) => {
  const { x, y } = data(80);
  const m = new ModelBuilder({ registry: createRegistry(logisticPack) });
  const rows = m.plate("rows");
  const w = m.random("w", MvNormal(2));
  m.factor("MvNormal", { out: w, mean: [0, 0], precision: [1, 0, 0, 1] });
  m.factor("JaakkolaJordanLogit", { out: m.observed("y", Bernoulli, { plate: rows }), w, x: m.input("x", { plate: rows, size: 2 }) });
  const r = cavi(m.build(), { data: { x, y }, tolerance: 1e-13 });

  for (let i = 1; i < r.elbo.length; i++) t.true(r.elbo[i]! >= r.elbo[i - 1]! - 1e-12 * Math.abs(r.elbo[i - 1]!), `ELBO fell at sweep ${i}`);
  t.deepEqual(r.diagnostics, []);
  t.true(r.converged);

  const ex = exact(x, y);
  const mean = r.posteriors.w!.mean();
  const elbo = r.elbo[r.elbo.length - 1]!;
  t.log(`JJ mean (${mean[0]!.toFixed(3)}, ${mean[1]!.toFixed(3)}), exact (${ex.mean[0].toFixed(3)}, ${ex.mean[1].toFixed(3)}); ELBO ${elbo.toFixed(4)}, log Z ${ex.logZ.toFixed(4)}`);
  t.true(mean[0]! < 0 && ex.mean[0] < 0, "intercept negative");
  t.true(mean[1]! > 0 && ex.mean[1] > 0, "slope positive");
  // Where the posterior-mean predictor crosses 0 (the decision boundary x* = −w0/w1).
  const boundary = -mean[0]! / mean[1]!, exactBoundary = -ex.mean[0] / ex.mean[1];
  t.true(Math.abs(boundary - exactBoundary) < 0.1, `boundary ${boundary} vs ${exactBoundary}`);
  for (let i = 0; i < 2; i++) t.true(Math.abs(mean[i]! - ex.mean[i]!) < 0.25 * Math.abs(ex.mean[i]!) + 0.05, `mean[${i}]`);
  t.true(elbo < ex.logZ, "a bound: ELBO below log evidence");
  t.true(ex.logZ - elbo < 1, `gap ${ex.logZ - elbo}`);
});

test("registry.rule names a missing rule with a stub and the rules that exist", (t) => {
  const reg = createRegistry(logisticPack);
  t.is(typeof reg.rule("JaakkolaJordanLogit", "out"), "function");
  const err = t.throws(() => reg.rule("JaakkolaJordanLogit", "x"));
  t.is((err as { code?: string }).code, "MISSING_RULE");
  t.regex(err!.message, /Rules that exist for JaakkolaJordanLogit: \[out, w\]/);
  t.regex(err!.message, /Possible fix, define:\n  messages: \{/);
});
