/**
 * Non-conjugate nodes (BernoulliLogit, PoissonLog, StudentT): messages equal the gradient of the
 * quadrature E_q[log f] at random test points (plate rows, row weights, mixtures), the quadrature
 * is accurate, and bad options, models and data fail with clear errors.
 */
import test from "ava";
import {
  Normal, Bernoulli, Poisson, MvNormal, Categorical, Generator, sampleStandardNormal, sampleGamma, sampleWishart,
  softplus, VireoError, type ExponentialFamily,
} from "@vireo/core";
import {
  BernoulliLogitNode, PoissonLogNode, StudentTNode, bernoulliLogitNode, poissonLogNode, studentTNode, gaussHermite,
  Mixture, MvNormalNode, NormalNode, verifyNode, contextFor, type NodeType, type VerifyPoint, type VerifyEdge,
} from "@vireo/nodes";
import { ModelBuilder, cavi } from "@vireo/runtime";

const rng = new Generator(77031);
const N = 6, D = 3, K = 2;

function eye(d: number, s: number): Float64Array {
  return Float64Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? s : 0));
}
function randomEta(f: ExponentialFamily, count: number): Float64Array {
  const out = new Float64Array(count * f.size);
  for (let i = 0; i < count; i++) {
    const eta = f.name === "Normal" ? f.toNatural({ mean: sampleStandardNormal(rng), variance: sampleGamma(rng, 2) })
      : f.name === "Categorical" ? Float64Array.from({ length: f.dim }, () => sampleStandardNormal(rng))
      : f.toNatural({ mean: Float64Array.from({ length: f.dim }, () => 0.5 * sampleStandardNormal(rng)), covariance: sampleWishart(rng, f.dim + 3, eye(f.dim, 0.1), f.dim) });
    out.set(eta, i * f.size);
  }
  return out;
}
const rand = (f: ExponentialFamily, count = 1): VerifyEdge => ({ family: f, eta: randomEta(f, count), count });
const known = (f: ExponentialFamily | null, values: number[], count = 1): VerifyEdge => ({ family: f, values: Float64Array.from(values), count });
const covariates = (rows: number): VerifyEdge => known(null, Array.from({ length: rows * D }, (_, i) => (i % D === 0 ? 1 : sampleStandardNormal(rng))), rows);
const weights = Float64Array.from({ length: N }, () => sampleGamma(rng, 2));

const cases: [string, NodeType, VerifyPoint][] = [
  ["BernoulliLogit", BernoulliLogitNode, { rows: N, edges: { out: known(Bernoulli, [0, 1, 1, 0, 1, 0], N), w: rand(MvNormal(D)), x: covariates(N) } }],
  ["BernoulliLogit, weighted rows", BernoulliLogitNode, { rows: N, weights, edges: { out: known(Bernoulli, [1, 1, 0, 0, 1, 1], N), w: rand(MvNormal(D)), x: covariates(N) } }],
  ["BernoulliLogit, indexed w", BernoulliLogitNode, { rows: N, edges: { out: known(Bernoulli, [1, 0, 0, 1, 1, 0], N), w: { ...rand(MvNormal(D), 2), layout: "indexed", index: Int32Array.of(0, 1, 1, 0, 1, 0) }, x: covariates(N) } }],
  ["PoissonLog", PoissonLogNode, { rows: N, edges: { out: known(Poisson, [0, 3, 1, 7, 2, 0], N), w: rand(MvNormal(D)), x: covariates(N) } }],
  ["PoissonLog, weighted rows", PoissonLogNode, { rows: N, weights, edges: { out: known(Poisson, [4, 0, 0, 1, 9, 2], N), w: rand(MvNormal(D)), x: covariates(N) } }],
  ["StudentT, shared mean", StudentTNode, { rows: N, edges: { out: known(Normal, [0.3, -1.2, 2, 9, 0.5, -14], N), mean: rand(Normal), df: known(null, [3]), scale: known(null, [0.8]) } }],
  ["StudentT, per-row means and df, weighted", StudentTNode, { rows: N, weights, edges: { out: known(Normal, [0.3, -1.2, 2, 9, 0.5, -4], N), mean: rand(Normal, N), df: known(null, [1, 2, 4, 30, 0.5, 3], N), scale: known(null, [1.5]) } }],
  ["Mixture of BernoulliLogit", Mixture(BernoulliLogitNode, ["w"]), { rows: N, edges: { selector: rand(Categorical(K), N), out: known(Bernoulli, [1, 0, 1, 1, 0, 0], N), w: rand(MvNormal(D), K), x: covariates(N) } }],
  ["Mixture of StudentT", Mixture(StudentTNode, ["mean"]), { rows: N, edges: { selector: rand(Categorical(K), N), out: known(Normal, [0.3, -1.2, 2, 9, 0.5, -4], N), mean: rand(Normal, K), df: known(null, [4]), scale: known(null, [1]) } }],
];

for (const [title, node, point] of cases) {
  test(`verification: ${title}`, (t) => {
    const report = verifyNode(node, point);
    t.true(report.edges.length > 0);
    for (const e of report.edges) t.true(e.passed, `${title}, edge ${e.edge}: max relative error ${e.maxRelError}`);
  });
}

test("verification catches a message evaluated at the mean only (a Laplace-style rule is not the gradient)", (t) => {
  // Same energy, but the message ignores q's spread: what a plug-in rule would send.
  const wrong: NodeType = {
    ...BernoulliLogitNode,
    messages: {
      w(ctx, out) {
        const { out: y, w, x } = ctx.edges;
        for (let n = 0; n < ctx.rows; n++) {
          let m = 0;
          for (let i = 0; i < D; i++) m += x!.values[n * D + i]! * w!.stats[i]!;
          const p = 1 / (1 + Math.exp(-m)), gv = -0.5 * p * (1 - p), gm = y!.values[n]! - p;
          for (let i = 0; i < D; i++) {
            out[i] += (gm - 2 * gv * m) * x!.values[n * D + i]!;
            for (let j = 0; j < D; j++) out[D + i * D + j] += gv * x!.values[n * D + i]! * x!.values[n * D + j]!;
          }
        }
      },
    },
  };
  const point: VerifyPoint = { rows: N, edges: { out: known(Bernoulli, [0, 1, 1, 0, 1, 0], N), w: rand(MvNormal(D)), x: covariates(N) } };
  t.false(verifyNode(wrong, point).passed);
  t.true(verifyNode(BernoulliLogitNode, point).passed);
});

test("Gauss–Hermite rules integrate Gaussian moments exactly", (t) => {
  for (const n of [2, 5, 20, 32, 64]) {
    const { points: z, weights: p } = gaussHermite(n);
    const moment = (k: number) => z.reduce((s, zi, i) => s + p[i]! * zi ** k, 0);
    t.true(Math.abs(moment(0) - 1) < 1e-14, `n=${n}: Σp = ${moment(0)}`);
    t.true(Math.abs(moment(1)) < 1e-14);
    // An n-point rule is exact for polynomials of degree ≤ 2n − 1.
    if (n >= 2) t.true(Math.abs(moment(2) - 1) < 1e-13, `n=${n}: E z² = ${moment(2)}`);
    if (n >= 3) t.true(Math.abs(moment(4) - 3) < 1e-12, `n=${n}: E z⁴ = ${moment(4)}`);
    if (n >= 4) t.true(Math.abs(moment(6) - 15) < 1e-11, `n=${n}: E z⁶ = ${moment(6)}`);
  }
  t.is(gaussHermite(32), gaussHermite(32), "rules are computed once");
});

/** E[h(a)], a ~ N(m, v), by the trapezoid rule on a fine grid over ±12 sd. */
function denseExpectation(h: (a: number) => number, m: number, v: number): number {
  const sd = Math.sqrt(v), M = 200000, lo = -12, step = 24 / M;
  let s = 0;
  for (let i = 0; i <= M; i++) {
    const z = lo + i * step, wgt = (i === 0 || i === M ? 0.5 : 1) * Math.exp(-0.5 * z * z);
    s += wgt * h(m + sd * z);
  }
  return (s * step) / Math.sqrt(2 * Math.PI);
}

test("the quadrature energy matches a dense numerical integral", (t) => {
  // One row, one covariate equal to 1: the predictor's moments are q(w)'s. The 32-point default is
  // accurate to ~1e-8 while the predictor's sd ≤ 2 (softplus bends on a scale of 1); a broad
  // predictor (sd 5) needs more points, which the `points` option gives.
  const fine = bernoulliLogitNode({ points: 100 });
  for (const [m, v, y, node, tol] of [[0.3, 0.5, 1, BernoulliLogitNode, 1e-9], [-2, 4, 0, BernoulliLogitNode, 5e-8], [5, 0.01, 0, BernoulliLogitNode, 1e-9], [0, 25, 1, fine, 2e-6]] as const) {
    const eta = MvNormal(1).toNatural({ mean: Float64Array.of(m), covariance: Float64Array.of(v) });
    const ctx = contextFor(node, { rows: 1, edges: { out: known(Bernoulli, [y]), w: { family: MvNormal(1), eta }, x: known(null, [1]) } });
    const exact = denseExpectation((a) => y * a - softplus(a), m, v);
    t.true(Math.abs(node.logFactor(ctx) - exact) < tol, `m=${m} v=${v}: ${node.logFactor(ctx)} vs ${exact}`);
  }
  const eta = Normal.toNatural({ mean: 0.4, variance: 0.3 });
  const ctx = contextFor(StudentTNode, { rows: 1, edges: { out: known(Normal, [2]), mean: { family: Normal, eta }, df: known(null, [3]), scale: known(null, [0.7]) } });
  const c = Math.log(2 / Math.sqrt(Math.PI)) - 0.5 * Math.log(3 * Math.PI) - Math.log(0.7); // Γ(2)/Γ(3/2) = 2/√π
  const exactT = c + denseExpectation((mu) => -2 * Math.log1p(((2 - mu) ** 2) / (3 * 0.49)), 0.4, 0.3);
  t.true(Math.abs(StudentTNode.logFactor(ctx) - exactT) < 1e-8, `StudentT: ${StudentTNode.logFactor(ctx)} vs ${exactT}`);
});

test("PoissonLog's closed-form energy is E[y a − eᵃ − log y!]", (t) => {
  const eta = MvNormal(1).toNatural({ mean: Float64Array.of(0.7), covariance: Float64Array.of(0.8) });
  const ctx = contextFor(PoissonLogNode, { rows: 1, edges: { out: known(Poisson, [3]), w: { family: MvNormal(1), eta }, x: known(null, [1]) } });
  const exact = denseExpectation((a) => 3 * a - Math.exp(a) - Math.log(6), 0.7, 0.8);
  t.true(Math.abs(PoissonLogNode.logFactor(ctx) - exact) < 1e-9);
});

test("bad options, models and data fail with clear errors", (t) => {
  for (const make of [() => bernoulliLogitNode({ damping: 0 }), () => poissonLogNode({ damping: 1.5 }), () => studentTNode({ damping: NaN })]) {
    const e = t.throws(make, { instanceOf: VireoError });
    t.is(e!.code, "INVALID_OPTION");
    t.regex(e!.message, /damping .* must be in \(0, 1\]/);
  }
  t.is(t.throws(() => bernoulliLogitNode({ points: 1 }), { instanceOf: VireoError })!.code, "INVALID_OPTION");

  const latent = new ModelBuilder();
  const w = latent.random("w", MvNormal(2));
  latent.factor(MvNormalNode, { out: w, mean: new Float64Array(2), precision: eye(2, 1) });
  const rows = latent.plate("rows");
  latent.factor(BernoulliLogitNode, { out: latent.random("y", Bernoulli, { plate: rows }), w, x: latent.input("x", { plate: rows, size: 2 }) });
  t.is(t.throws(() => latent.build(), { instanceOf: VireoError, message: /no message rule for edge 'out'/ })!.code, "MISSING_RULE");

  const wrongSize = new ModelBuilder();
  const w2 = wrongSize.random("w", MvNormal(2));
  wrongSize.factor(MvNormalNode, { out: w2, mean: new Float64Array(2), precision: eye(2, 1) });
  const r2 = wrongSize.plate("rows");
  wrongSize.factor(PoissonLogNode, { out: wrongSize.observed("y", Poisson, { plate: r2 }), w: w2, x: wrongSize.input("x", { plate: r2, size: 3 }) });
  t.throws(() => wrongSize.build(), { instanceOf: VireoError, message: /edge 'x' must hold D = 2 covariates/ });

  const badScale = new ModelBuilder();
  const mu = badScale.random("mu", Normal);
  badScale.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
  badScale.factor(StudentTNode, { out: badScale.observed("y", Normal, { plate: badScale.plate("rows") }), mean: mu, df: 3, scale: -1 });
  const e = t.throws(() => cavi(badScale.build(), { data: { y: [1, 2, 3] } }), { instanceOf: VireoError });
  t.is(e!.code, "INVALID_DATA");
  t.regex(e!.message, /'scale' must be a finite number > 0, got -1/);
});
