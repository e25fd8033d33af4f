/**
 * AmortisedRowsQ (the graph's amortised q over a plate): log q(z) at any z (through the flow
 * layers' inverses and, for a full covariance, forward substitution) equals log q returned with
 * the draw, for diagonal, full and flow-topped q; the tape entropy of the Gaussian equals the
 * Monte Carlo mean of −log q; moments match the per-row q.
 */
import test from "ava";
import { Generator, Tape, amortised, mlp } from "@vireo/core";

const rows = 5, D = 3;
const X = Float64Array.from({ length: rows * D }, (_, i) => Math.sin(i + 1));

function bound(covariance: "diagonal" | "full", flow: number) {
  const K = 2, outputs = covariance === "diagonal" ? 2 * K : K + (K * (K + 1)) / 2;
  const q = amortised(mlp([D, 4, outputs], { activation: "tanh" }), { covariance, from: "x", flow, seed: 3 }).forRows();
  q.bindRows([{ name: "x", values: X, width: D }], rows);
  const lambda = new Float64Array(q.nParams);
  q.init(lambda);
  return { q, lambda };
}

for (const [covariance, flow] of [["diagonal", 0], ["full", 0], ["diagonal", 2], ["full", 1]] as const) {
  test(`log q at a draw equals log q evaluated at it (${covariance}, ${flow} planar layers)`, (t) => {
    const { q, lambda } = bound(covariance, flow), rng = new Generator(8), z = new Float64Array(q.dim);
    t.is(q.dim, rows * 2);
    for (let i = 0; i < 5; i++) {
      const logq = q.sampleWithLogDensity(lambda, rng, z);
      const again = q.logDensity(lambda, z);
      t.true(Math.abs(logq - again) < 1e-9 * (1 + Math.abs(logq)), `draw ${i}: ${logq} vs ${again}`);
    }
  });
}

test("the Gaussian's closed-form entropy equals the mean of −log q over draws (5 SE), and its moments are the per-row q's", (t) => {
  const { q, lambda } = bound("full", 0), rng = new Generator(9), z = new Float64Array(q.dim);
  const tape = new Tape();
  const h = q.entropy(q.prepare(tape.constant(lambda))).value[0]!;
  const n = 4000;
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) {
    const v = -q.sampleWithLogDensity(lambda, rng, z);
    s += v;
    s2 += v * v;
  }
  const mean = s / n, se = Math.sqrt((s2 / n - mean * mean) / n);
  t.true(Math.abs(mean - h) < 5 * se, `entropy ${h} vs Monte Carlo ${mean} ± ${se}`);
  const m = new Float64Array(q.dim), v = new Float64Array(q.dim);
  q.mean(lambda, m);
  q.variance(lambda, v);
  const ref = q.q.moments(lambda, X, rows);
  t.deepEqual(Array.from(m), Array.from(ref.mean));
  t.deepEqual(Array.from(v), Array.from(ref.variance));
});
