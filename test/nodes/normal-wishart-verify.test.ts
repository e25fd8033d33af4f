/**
 * The Normal–Wishart nodes pass the message-vs-energy verification (every layout, weighted rows,
 * inside a mixture), their energies equal E_q[log f] computed independently, and bad hookups fail
 * at build time with the node and edge named.
 */
import test from "ava";
import {
  NormalWishart, MvNormal, Wishart, Categorical, Generator, VireoError, sampleStandardNormal, sampleGamma, sampleWishart, LOG_2PI,
  type ExponentialFamily,
} from "@vireo/core";
import { NormalWishartNode, MvNormalJointNode, ScaledMvNormalNode, Mixture, verifyNode, contextFor, type VerifyEdge, type VerifyPoint, type NodeType } from "@vireo/nodes";
import { ModelBuilder, cavi } from "@vireo/runtime";

const rng = new Generator(20261129);
const N = 5, K = 3;

function eye(d: number, s = 1): Float64Array {
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) a[i * d + i] = s;
  return a;
}
const vec = (d: number) => Float64Array.from({ length: d }, () => sampleStandardNormal(rng));

function randomEta(f: ExponentialFamily, count: number): Float64Array {
  const d = f.dim, out = new Float64Array(count * f.size);
  for (let i = 0; i < count; i++) {
    const eta = f.name === "NormalWishart"
      ? NormalWishart(d).toNatural({ mean: vec(d), precisionScale: sampleGamma(rng, 2) + 0.2, df: d + 1 + sampleGamma(rng, 3), scale: sampleWishart(rng, d + 3, eye(d, 0.3), d) })
      : f.name === "MvNormal"
        ? MvNormal(d).toNatural({ mean: vec(d), covariance: sampleWishart(rng, d + 3, eye(d, 0.3), d) })
        : f.name === "Wishart"
        ? Wishart(d).toNatural({ df: d + 1 + sampleGamma(rng, 3), scale: sampleWishart(rng, d + 3, eye(d, 0.3), d) })
        : Float64Array.from({ length: f.size }, () => sampleStandardNormal(rng));
    out.set(eta, i * f.size);
  }
  return out;
}
const rand = (f: ExponentialFamily, count = 1): VerifyEdge => ({ family: f, eta: randomEta(f, count), count });
const known = (f: ExponentialFamily | null, values: ArrayLike<number>, count = 1): VerifyEdge => ({ family: f, values: Float64Array.from(values), count });
const data = (d: number, rows: number) => known(MvNormal(d), Array.from({ length: rows * d }, () => 2 * sampleStandardNormal(rng)), rows);
const weights = Float64Array.from({ length: N }, () => sampleGamma(rng, 2));

const prior = (d: number, rows = 1): VerifyPoint => ({
  rows,
  edges: {
    out: rand(NormalWishart(d), rows), mean: known(null, vec(d)), precisionScale: known(null, [0.5]), df: known(null, [d + 2]), scale: known(null, eye(d, 0.7)),
  },
});

const cases: [string, NodeType, VerifyPoint][] = [
  ["NormalWishart prior d=1", NormalWishartNode, prior(1)],
  ["NormalWishart prior d=3, a plate of K instances", NormalWishartNode, prior(3, K)],
  ["NormalWishart prior, per-row hyperparameters", NormalWishartNode, {
    rows: 2,
    edges: {
      out: rand(NormalWishart(2), 2), mean: known(null, [0, 1, -1, 2], 2), precisionScale: known(null, [0.5, 2], 2),
      df: known(null, [3, 4.5], 2), scale: known(null, [1, 0.2, 0.2, 1, 2, 0, 0, 0.5], 2),
    },
  }],
  ["MvNormalJoint d=2, observed rows (plate sums)", MvNormalJointNode, { rows: N, edges: { out: data(2, N), meanPrecision: rand(NormalWishart(2)) } }],
  ["MvNormalJoint d=3, observed, weighted", MvNormalJointNode, { rows: N, weights, edges: { out: data(3, N), meanPrecision: rand(NormalWishart(3)) } }],
  ["MvNormalJoint d=2, random out per row", MvNormalJointNode, { rows: N, edges: { out: rand(MvNormal(2), N), meanPrecision: rand(NormalWishart(2)) } }],
  ["MvNormalJoint d=2, indexed parameters", MvNormalJointNode, {
    rows: N, weights,
    edges: { out: rand(MvNormal(2), N), meanPrecision: { ...rand(NormalWishart(2), 2), layout: "indexed", index: Int32Array.of(0, 1, 1, 0, 1) } },
  }],
  ["Mixture of MvNormalJoint (Bishop's likelihood)", Mixture(MvNormalJointNode, ["meanPrecision"]), {
    rows: N, edges: { selector: rand(Categorical(K), N), out: data(2, N), meanPrecision: rand(NormalWishart(2), K) },
  }],
  ["Mixture of MvNormalJoint, weighted rows, random out", Mixture(MvNormalJointNode, ["meanPrecision"]), {
    rows: N, weights, edges: { selector: rand(Categorical(K), N), out: rand(MvNormal(2), N), meanPrecision: rand(NormalWishart(2), K) },
  }],
  ["ScaledMvNormal d=2 (μ_k | Λ_k ~ N(m₀, (β₀Λ_k)⁻¹), a plate of K)", ScaledMvNormalNode, {
    rows: K, edges: { out: rand(MvNormal(2), K), mean: known(MvNormal(2), [0.5, -1]), precision: rand(Wishart(2), K), scale: known(null, [0.3]) },
  }],
  ["ScaledMvNormal d=3, all random, weighted, per-row κ", ScaledMvNormalNode, {
    rows: N, weights, edges: { out: rand(MvNormal(3), N), mean: rand(MvNormal(3)), precision: rand(Wishart(3)), scale: known(null, [0.5, 1, 2, 0.1, 4], N) },
  }],
];

for (const [title, node, point] of cases) {
  test(`verification: ${title}`, (t) => {
    const report = verifyNode(node, point);
    t.true(report.edges.length > 0);
    for (const e of report.edges) t.true(e.passed, `${title}, edge ${e.edge}: max relative error ${e.maxRelError}`);
  });
}

test("MvNormalJoint: E_q[log f] equals ½E log|Λ| − (d/2) log 2π − ½E[(x − μ)ᵀΛ(x − μ)] from the standard parameters", (t) => {
  const d = 2, fam = NormalWishart(d);
  const point: VerifyPoint = { rows: N, weights, edges: { out: data(d, N), meanPrecision: rand(fam) } };
  const ctx = contextFor(MvNormalJointNode, point);
  const { mean: m, precisionScale: beta, df: nu, scale: W } = fam.fromNatural(point.edges.meanPrecision!.eta!);
  const eLogDet = fam.expectedStats(point.edges.meanPrecision!.eta!)[d + 1]!;
  const x = point.edges.out!.values!;
  let want = 0;
  const row = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    // E[(x − μ)ᵀΛ(x − μ)] = d/β + ν (x − m)ᵀW(x − m) (PRML 10.64).
    let q = 0;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) q += (x[n * d + i]! - m[i]!) * W[i * d + j]! * (x[n * d + j]! - m[j]!);
    row[n] = 0.5 * eLogDet - 0.5 * d * LOG_2PI - 0.5 * (d / beta + nu * q);
    want += weights[n]! * row[n]!;
  }
  t.true(Math.abs(MvNormalJointNode.logFactor(ctx) - want) <= 1e-12 * Math.abs(want));
  const got = new Float64Array(N);
  MvNormalJointNode.rowLogFactor!(ctx, got, 0, 1);
  for (let n = 0; n < N; n++) t.true(Math.abs(got[n]! - row[n]!) <= 1e-12 * Math.max(1, Math.abs(row[n]!)), `row ${n}`);
});

test("building: dimensions must agree, hyperparameters must be known, bad ones name node and row", (t) => {
  const m = new ModelBuilder();
  const theta = m.random("theta", NormalWishart(2));
  m.factor(MvNormalJointNode, { out: m.observed("x", MvNormal(3)), meanPrecision: theta }, { name: "lik" });
  const e1 = t.throws(() => m.build(), { instanceOf: VireoError });
  t.regex(e1?.message ?? "", /'lik' \(MvNormalJoint\)/);
  t.regex(e1?.message ?? "", /NormalWishart\(2\)|MvNormal\(3\)/);

  const m2 = new ModelBuilder();
  const th2 = m2.random("theta", NormalWishart(2));
  m2.factor(NormalWishartNode, { out: th2, mean: m2.random("m0", MvNormal(2)), precisionScale: 1, df: 3, scale: [1, 0, 0, 1] }, { name: "theta_prior" });
  const e2 = t.throws(() => m2.build(), { instanceOf: VireoError });
  t.regex(e2?.message ?? "", /theta_prior|mean/);

  // Bad hyperparameters fail once, when data is bound, naming the node and the row.
  const m3 = new ModelBuilder();
  const th3 = m3.random("theta", NormalWishart(2));
  m3.factor(NormalWishartNode, { out: th3, mean: [0, 0], precisionScale: -1, df: 3, scale: [1, 0, 0, 1] }, { name: "theta_prior" });
  m3.factor(MvNormalJointNode, { out: m3.observed("x", MvNormal(2)), meanPrecision: th3 });
  const e3 = t.throws(() => cavi(m3.build(), { data: { x: [[0.5, 1]] } }), { instanceOf: VireoError });
  t.is(e3?.code, "INVALID_PARAMETER");
  t.regex(e3?.message ?? "", /Node 'theta_prior' \(NormalWishart\), row 0: NormalWishart: parameter 'precisionScale' = -1/);
});

test("ScaledMvNormal: E_q[log f] = (d/2) log κ + ½E log|Λ| − (d/2) log 2π − ½κ (x − m)ᵀE[Λ](x − m) at known x, m", (t) => {
  const d = 2, kappa = 0.3, xv = [1.5, -0.5], mv = [0.2, 0.4];
  const point: VerifyPoint = { rows: 1, edges: { out: known(MvNormal(d), xv), mean: known(MvNormal(d), mv), precision: rand(Wishart(d)), scale: known(null, [kappa]) } };
  const eLambda = Wishart(d).mean(point.edges.precision!.eta!), eLogDet = Wishart(d).expectedStats(point.edges.precision!.eta!)[0]!;
  const u = [xv[0]! - mv[0]!, xv[1]! - mv[1]!];
  const q = u[0]! * (eLambda[0]! * u[0]! + eLambda[1]! * u[1]!) + u[1]! * (eLambda[2]! * u[0]! + eLambda[3]! * u[1]!);
  const want = 0.5 * d * Math.log(kappa) + 0.5 * eLogDet - 0.5 * d * LOG_2PI - 0.5 * kappa * q;
  const got = ScaledMvNormalNode.logFactor(contextFor(ScaledMvNormalNode, point));
  t.true(Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want)), `${got} vs ${want}`);
});
