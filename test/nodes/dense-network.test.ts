/**
 * The dense-network moment node's claim: its moment form (local reparameterisation, a Gaussian
 * last layer in closed form) is an unbiased estimate of E_q[log f], the plain log density averaged
 * over draws of every weight from the mean-field q. Checked for a 3 → 4 tanh → 2 relu → 1 network
 * with both likelihoods, by Monte Carlo on both sides (fixed seeds, 5 standard errors), and
 * exactly (no noise involved) for a network without hidden layers.
 */
import test from "ava";
import { Generator, Tape, sampleStandardNormal, type TNode } from "@vireo/core";
import { denseNetworkNode, denseLayerSizes, type NodeContext, type DenseNetworkSpec } from "@vireo/nodes";

function setUp(spec: DenseNetworkSpec, rows: number, seed: number) {
  const rng = new Generator(seed), sizes = denseLayerSizes(spec);
  const x = Float64Array.from({ length: rows * spec.inputs }, () => sampleStandardNormal(rng));
  const y = Float64Array.from({ length: rows }, () => (spec.likelihood === "gaussian" ? sampleStandardNormal(rng) : rng.uniform() < 0.5 ? 1 : 0));
  const means = sizes.map((P) => Float64Array.from({ length: P }, () => 0.6 * sampleStandardNormal(rng)));
  const variances = sizes.map((P) => Float64Array.from({ length: P }, () => 0.05 + 0.2 * rng.uniform()));
  const ctx = { rows, nodeName: "net", weights: null } as unknown as NodeContext;
  return { sizes, x, y, means, variances, ctx };
}

function meanAndSe(values: number[]): { mean: number; se: number } {
  const n = values.length, mean = values.reduce((a, b) => a + b, 0) / n;
  const v = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(v / n) };
}

for (const likelihood of ["gaussian", "bernoulli"] as const) {
  test(`${likelihood}: the moment form is unbiased for E_q[log f] over global weight draws (5 SE)`, (t) => {
    const spec: DenseNetworkSpec = { inputs: 3, hidden: [4, 2], activation: "tanh", likelihood };
    const node = denseNetworkNode(spec), rows = 6, tau = 2.5;
    const { sizes, x, y, means, variances, ctx } = setUp(spec, rows, likelihood === "gaussian" ? 1 : 2);
    const tape = new Tape(), draws = 20000, rng = new Generator(3);
    const inputs = (layers: Record<string, unknown>) => ({ x: tape.constant(x, [rows, 3]), y: tape.constant(y), ...(likelihood === "gaussian" ? { precision: tape.constant(new Float64Array([tau])) } : {}), ...layers });
    const sum = (out: TNode) => (out.size === 1 ? out.value[0]! : out.value.reduce((a, b) => a + b, 0));
    const plain: number[] = [], moment: number[] = [];
    const w = sizes.map((P) => new Float64Array(P));
    for (let s = 0; s < draws; s++) {
      tape.reset();
      const layers: Record<string, TNode> = {};
      sizes.forEach((P, l) => {
        for (let i = 0; i < P; i++) w[l]![i] = means[l]![i]! + Math.sqrt(variances[l]![i]!) * sampleStandardNormal(rng);
        layers[`layer${l}`] = tape.constant(w[l]!);
      });
      plain.push(sum(node.density.logDensity!(inputs(layers) as never, tape, ctx, { sample: 0, data: undefined })));
      tape.reset();
      const mLayers: Record<string, unknown> = {};
      sizes.forEach((_, l) => { mLayers[`layer${l}`] = { mean: tape.constant(means[l]!), variance: tape.constant(variances[l]!) }; });
      moment.push(sum(node.moments.expectedLogDensity(inputs(mLayers) as never, tape, ctx, rng)));
    }
    const a = meanAndSe(plain), b = meanAndSe(moment), se = Math.hypot(a.se, b.se);
    t.log(`E_q[log f]: weight draws ${a.mean.toFixed(4)} ± ${a.se.toFixed(4)}, local reparameterisation ${b.mean.toFixed(4)} ± ${b.se.toFixed(4)}`);
    t.true(Math.abs(a.mean - b.mean) < 5 * se, `${a.mean} vs ${b.mean} (5 SE = ${5 * se})`);
  });
}

test("no hidden layer, Gaussian likelihood: the moment form is E_q[log f] exactly", (t) => {
  const spec: DenseNetworkSpec = { inputs: 2, hidden: [], likelihood: "gaussian" };
  const node = denseNetworkNode(spec), rows = 5, tau = 3;
  const { x, y, means, variances, ctx } = setUp(spec, rows, 4);
  const tape = new Tape();
  const out = node.moments.expectedLogDensity({ x: tape.constant(x, [rows, 2]), y: tape.constant(y), precision: tape.constant(new Float64Array([tau])), layer0: { mean: tape.constant(means[0]!), variance: tape.constant(variances[0]!) } } as never, tape, ctx, new Generator(1));
  // By hand: Σ_n ½ log(τ/2π) − ½ τ [(y_n − m_n)² + v_n], m = x μ_W + μ_b, v = x² σ_W² + σ_b².
  let expected = 0;
  for (let n = 0; n < rows; n++) {
    const x0 = x[2 * n]!, x1 = x[2 * n + 1]!, mu = means[0]!, vr = variances[0]!;
    const m = x0 * mu[0]! + x1 * mu[1]! + mu[2]!, v = x0 * x0 * vr[0]! + x1 * x1 * vr[1]! + vr[2]!;
    expected += 0.5 * Math.log(tau / (2 * Math.PI)) - 0.5 * tau * ((y[n]! - m) ** 2 + v);
  }
  const got = out.value.reduce((a, b) => a + b, 0);
  t.true(Math.abs(got - expected) < 1e-12 * Math.abs(expected), `${got} vs ${expected}`);
});
