/** The Student-t pack: node verification, and robust regression against gross outliers. */
import test from "ava";
import { Normal, Gamma, MvNormal, Generator, sampleStandardNormal, sampleGamma, sampleWishart } from "@vireo/core";
import { GammaNode, MvNormalNode, GaussianLinearNode, verifyNode, type VerifyEdge } from "@vireo/nodes";
import { ModelBuilder, cavi, createRegistry, type CaviResult } from "@vireo/runtime";
import { StudentTLinearNode, studentTPack, studentTScale } from "@vireo/plugins";

const rng = new Generator(7);
const N = 5, D = 3;

function eye(d: number, s: number): Float64Array {
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) a[i * d + i] = s;
  return a;
}
const gammaEdge = (count: number): VerifyEdge => {
  const eta = new Float64Array(2 * count);
  for (let i = 0; i < count; i++) eta.set(Gamma.toNatural({ shape: 1 + sampleGamma(rng, 3), rate: sampleGamma(rng, 3) }), 2 * i);
  return { family: Gamma, count, eta };
};
const mvn = (): VerifyEdge => ({ family: MvNormal(D), eta: MvNormal(D).toNatural({ mean: Float64Array.from({ length: D }, () => sampleStandardNormal(rng)), covariance: sampleWishart(rng, D + 3, eye(D, 0.3), D) }) });
const xs = (): VerifyEdge => ({ family: null, count: N, values: Float64Array.from({ length: N * D }, () => sampleStandardNormal(rng)) });

function normalEdge(count: number): VerifyEdge {
  const eta = new Float64Array(2 * count);
  for (let i = 0; i < count; i++) eta.set(Normal.toNatural({ mean: sampleStandardNormal(rng), variance: sampleGamma(rng, 2) }), 2 * i);
  return { family: Normal, count, eta };
}

const points: [string, Parameters<typeof verifyNode>[1]][] = [
  ["all random", { rows: N, edges: { out: normalEdge(N), w: mvn(), x: xs(), precision: gammaEdge(1), scale: gammaEdge(N) } }],
  ["observed y, weighted rows", {
    rows: N, weights: Float64Array.from({ length: N }, () => sampleGamma(rng, 2)),
    edges: { out: { family: Normal, count: N, values: Float64Array.from({ length: N }, () => 3 * sampleStandardNormal(rng)) }, w: mvn(), x: xs(), precision: gammaEdge(1), scale: gammaEdge(N) },
  }],
];

for (const [title, point] of points) {
  test(`StudentTLinear passes verification: ${title}`, (t) => {
    const report = verifyNode(StudentTLinearNode, point);
    const random = title === "all random" ? ["out", "w", "precision", "scale"] : ["w", "precision", "scale"];
    t.deepEqual(report.edges.map((e) => e.edge), random);
    for (const e of report.edges) t.true(e.passed, `edge ${e.edge}: relative error ${e.maxRelError}`);
  });
}

/** y = 1 + 2x + N(0, 0.3²) on x ∈ [−2, 2]; 10% of rows, all at x > 1, replaced by gross outliers. */
function outlierData(n: number): { x: number[][]; y: number[] } {
  const g = new Generator(2024);
  const x: number[][] = [], y: number[] = [];
  for (let i = 0; i < n; i++) {
    const xi = -2 + (4 * i) / (n - 1);
    x.push([1, xi]);
    y.push(1 + 2 * xi + 0.3 * sampleStandardNormal(g));
  }
  // Every 10th row from the right end: gross outliers far below the line (leverage on the slope).
  let placed = 0;
  for (let i = n - 1; i >= 0 && placed < n / 10; i -= 3, placed++) y[i] = -15 + sampleStandardNormal(g);
  return { x, y };
}

function slope(r: CaviResult): { intercept: number; slope: number } {
  const m = r.posteriors.w!.mean();
  return { intercept: m[0]!, slope: m[1]! };
}

test("robust regression: the Student-t pack recovers the line under 10% gross outliers; the Normal model does not", (t) => {
  const { x, y } = outlierData(200);
  const prior = { mean: [0, 0], precision: [0.01, 0, 0, 0.01] };

  const registry = createRegistry(studentTPack);
  const mt = new ModelBuilder({ registry });
  const rows = mt.plate("rows");
  const w = mt.random("w", MvNormal(2));
  mt.factor(MvNormalNode, { out: w, ...prior });
  const tau = mt.random("tau", Gamma);
  mt.factor(GammaNode, { out: tau, shape: 1, rate: 1 });
  const lambda = studentTScale(mt, "lambda", { plate: rows, dof: 3 });
  mt.factor("StudentTLinear", { out: mt.observed("y", Normal, { plate: rows }), w, x: mt.input("x", { plate: rows, size: 2 }), precision: tau, scale: lambda });
  const robust = cavi(mt.build(), { data: { x, y }, maxIterations: 500, tolerance: 1e-12 });

  const mn = new ModelBuilder();
  const rows2 = mn.plate("rows");
  const w2 = mn.random("w", MvNormal(2));
  mn.factor(MvNormalNode, { out: w2, ...prior });
  const tau2 = mn.random("tau", Gamma);
  mn.factor(GammaNode, { out: tau2, shape: 1, rate: 1 });
  mn.factor(GaussianLinearNode, { out: mn.observed("y", Normal, { plate: rows2 }), w: w2, x: mn.input("x", { plate: rows2, size: 2 }), precision: tau2 });
  const plain = cavi(mn.build(), { data: { x, y } });

  const rt = slope(robust), pn = slope(plain);
  t.log(`Student-t: intercept ${rt.intercept.toFixed(3)}, slope ${rt.slope.toFixed(3)}; Normal: intercept ${pn.intercept.toFixed(3)}, slope ${pn.slope.toFixed(3)}`);
  t.true(Math.abs(rt.slope - 2) < 0.1, `Student-t slope ${rt.slope}`);
  t.true(Math.abs(rt.intercept - 1) < 0.1, `Student-t intercept ${rt.intercept}`);
  t.true(Math.abs(pn.slope - 2) > 1, `Normal slope ${pn.slope} should be pulled far from 2`);
  t.true(Math.abs(pn.intercept - 1) > 0.5, `Normal intercept ${pn.intercept}`);
  // CAVI on the scale mixture is exact coordinate ascent: monotone, no diagnostics.
  for (let i = 1; i < robust.elbo.length; i++) t.true(robust.elbo[i]! >= robust.elbo[i - 1]! - 1e-9 * Math.abs(robust.elbo[i - 1]!));
  t.deepEqual(robust.diagnostics, []);
  t.true(robust.converged);
  // The outliers get small scales E[λ_n]: the model has found them.
  const El = robust.posteriors.lambda!.mean();
  const outliers = y.map((v, i) => (v < -10 ? i : -1)).filter((i) => i >= 0);
  t.is(outliers.length, 20);
  for (const i of outliers) t.true(El[i]! < 0.05, `row ${i}: E[λ] = ${El[i]}`);
});
