/**
 * Neural layers on the tape: every activation, the affine maps and the MLP against central finite
 * differences over a whole minibatch (batched gradient checks), the packed GEMM kernel against a
 * plain triple loop for all three operand layouts and ragged sizes, and the seeded initialisers'
 * scales against their definitions.
 */
import test from "ava";
import {
  Tape, Generator, checkGradient, sampleStandardNormal, gemmNN, gemmNT, gemmTN, ad,
  relu, leakyRelu, gelu, activate, addBias, affine, denseAffine, dense, mlp, initialiseWeights, ACTIVATIONS, VireoError,
  type Activation,
} from "@vireo/core";

function randn(rng: Generator, n: number, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => scale * sampleStandardNormal(rng));
}

/** Values kept away from the kinks of relu/leaky relu so central differences are exact there. */
function awayFromZero(rng: Generator, n: number): Float64Array {
  return Float64Array.from({ length: n }, () => {
    const x = sampleStandardNormal(rng);
    return x + (x >= 0 ? 0.05 : -0.05);
  });
}

for (const act of ACTIVATIONS) {
  test(`activation ${act}: batched gradient matches finite differences`, (t) => {
    const rng = new Generator(11), rows = 7, cols = 5;
    const x = { value: awayFromZero(rng, rows * cols), shape: [rows, cols] };
    const r = checkGradient((_tape, [a]) => activate(a!, act as Activation), [x]);
    t.true(r.maxError < 1e-7, `${act}: ${JSON.stringify(r.worst)}`);
  });
}

test("activation values: relu, leaky relu and gelu at known points", (t) => {
  const tape = new Tape(), x = tape.constant(Float64Array.from([-2, -0.5, 0, 1.5]));
  t.deepEqual(Array.from(relu(x).value), [0, 0, 0, 1.5]);
  t.deepEqual(Array.from(leakyRelu(x, 0.1).value), [-0.2, -0.05, 0, 1.5]);
  // GELU(x) = x Φ(x): Φ(1.5) = 0.9331927987311419, Φ(−0.5) = 0.3085375387259869.
  const g = gelu(x).value;
  t.true(Math.abs(g[3]! - 1.5 * 0.9331927987311419) < 1e-15);
  t.true(Math.abs(g[1]! + 0.5 * 0.3085375387259869) < 1e-15);
  t.is(g[2], 0);
});

test("addBias and affine: batched gradients in X, W and b", (t) => {
  const rng = new Generator(3), m = 9, k = 6, n = 5;
  const X = { value: randn(rng, m * k), shape: [m, k] }, W = { value: randn(rng, k * n), shape: [k, n] }, b = { value: randn(rng, n) };
  const r1 = checkGradient((_t, [x, bb]) => addBias(x!, bb!), [{ value: randn(rng, m * n), shape: [m, n] }, b]);
  t.true(r1.maxError < 1e-8, JSON.stringify(r1.worst));
  const r2 = checkGradient((_t, [x, w, bb]) => affine(x!, w!, bb!), [X, W, b]);
  t.true(r2.maxError < 1e-8, JSON.stringify(r2.worst));
});

test("denseAffine on a flat parameter vector equals X·W + b and its gradients match finite differences (ragged sizes, past the packing threshold)", (t) => {
  const rng = new Generator(5), m = 13, k = 21, n = 10, off = 3;
  const theta = randn(rng, off + k * n + n + 4, 0.3), X = randn(rng, m * k);
  const tape = new Tape();
  const out = denseAffine(tape.constant(theta), off, tape.constant(X, [m, k]), n).value;
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = theta[off + k * n + j]!;
      for (let p = 0; p < k; p++) s += X[i * k + p]! * theta[off + p * n + j]!;
      worst = Math.max(worst, Math.abs(s - out[i * n + j]!));
    }
  }
  t.true(worst < 1e-12);
  const r = checkGradient((_t, [th, x]) => denseAffine(th!, off, x!, n), [{ value: theta }, { value: X, shape: [m, k] }]);
  t.true(r.maxError < 1e-8, JSON.stringify(r.worst));
  // Parameters outside the layer's slice get no gradient.
  t.is(r.analytic[0]![0], 0);
  t.is(r.analytic[0]![theta.length - 1], 0);
});

test("mlp: a 3-layer network's batched gradient in θ and in the inputs matches finite differences, for every hidden activation", (t) => {
  for (const act of ["relu", "leakyRelu", "tanh", "sigmoid", "softplus", "gelu"] as const) {
    const net = mlp([4, 6, 5, 3], { activation: act, output: "sigmoid" });
    const rng = new Generator(17);
    const theta = net.initialise(rng);
    const X = randn(rng, 8 * 4);
    const r = checkGradient((_t, [th, x]) => net.forward(th!, x!), [{ value: theta }, { value: X, shape: [8, 4] }]);
    // A relu kink crossed by the finite-difference step would show as a large error; the seed keeps clear of it.
    t.true(r.maxError < 1e-6, `${act}: ${JSON.stringify(r.worst)}`);
  }
});

test("mlp: layout, seeded initialisation and predict", (t) => {
  const net = mlp([3, 4, 2]);
  t.is(net.nParams, 3 * 4 + 4 + 4 * 2 + 2);
  t.deepEqual(net.offsets, [0, 16]);
  const a = net.initialise(new Generator(9)), b = net.initialise(new Generator(9));
  t.deepEqual(a, b);
  t.deepEqual(Array.from(a.subarray(12, 16)), [0, 0, 0, 0]); // biases start at zero
  const X = Float64Array.from([1, 2, 3, -1, 0, 1]);
  const y = net.predict(a, X, 2);
  // By hand: relu(X W0 + b0) W1 + b1.
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) {
      let s = a[16 + 8 + j]!;
      for (let h = 0; h < 4; h++) {
        let z = a[12 + h]!;
        for (let p = 0; p < 3; p++) z += X[i * 3 + p]! * a[p * 4 + h]!;
        s += Math.max(z, 0) * a[16 + h * 2 + j]!;
      }
      t.true(Math.abs(s - y[i * 2 + j]!) < 1e-12);
    }
  }
});

test("initialisers: sample variances match Glorot and He scales", (t) => {
  const fanIn = 200, fanOut = 300, n = fanIn * fanOut, out = new Float64Array(n);
  const cases: [Parameters<typeof initialiseWeights>[0], number][] = [
    ["glorotUniform", 2 / (fanIn + fanOut)], ["glorotNormal", 2 / (fanIn + fanOut)], ["heNormal", 2 / fanIn], ["heUniform", 2 / fanIn],
  ];
  for (const [kind, variance] of cases) {
    initialiseWeights(kind, fanIn, fanOut, new Generator(1), out);
    let s = 0, s2 = 0;
    for (const x of out) { s += x; s2 += x * x; }
    const v = s2 / n - (s / n) ** 2;
    // Var of the sample variance of n iid draws ≤ 2σ⁴/n (normal) → 5 standard errors.
    t.true(Math.abs(v - variance) < 5 * variance * Math.sqrt(2 / n), `${kind}: ${v} vs ${variance}`);
    t.true(Math.abs(s / n) < 5 * Math.sqrt(variance / n), `${kind} mean`);
  }
});

test("gemm: NN, NT and TN products match a triple loop for ragged and blocked sizes, overwrite and accumulate", (t) => {
  const rng = new Generator(2);
  for (const [m, n, k] of [[1, 1, 1], [3, 5, 2], [7, 9, 13], [33, 17, 65], [70, 530, 300]] as const) {
    const A = randn(rng, m * k), B = randn(rng, k * n), ref = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) { let s = 0; for (let p = 0; p < k; p++) s += A[i * k + p]! * B[p * n + j]!; ref[i * n + j] = s; }
    const Bt = new Float64Array(n * k), At = new Float64Array(k * m);
    for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) Bt[j * k + p] = B[p * n + j]!;
    for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) At[p * m + i] = A[i * k + p]!;
    const C1 = new Float64Array(m * n).fill(NaN), C2 = new Float64Array(m * n).fill(NaN), C3 = new Float64Array(m * n).fill(1);
    gemmNN(m, n, k, A, B, C1);
    gemmNT(m, k, n, A, Bt, C2); // A [m×k] · Bt [n×k]ᵀ
    gemmTN(k, n, m, At, B, C3, true); // At [k×m]ᵀ · B [k×n], added to ones
    let e = 0;
    for (let i = 0; i < m * n; i++) {
      const tol = 1e-12 * (1 + Math.abs(ref[i]!)) * k;
      e = Math.max(e, Math.abs(C1[i]! - ref[i]!) / tol, Math.abs(C2[i]! - ref[i]!) / tol, Math.abs(C3[i]! - 1 - ref[i]!) / tol);
    }
    t.true(e < 1, `${m}×${n}×${k}`);
  }
});

test("matmul on the tape: gradients of a blocked product match finite differences", (t) => {
  const rng = new Generator(8), m = 12, k = 20, n = 9;
  const r = checkGradient((_t, [a, b]) => ad.matmul(a!, b!), [{ value: randn(rng, m * k), shape: [m, k] }, { value: randn(rng, k * n), shape: [k, n] }]);
  t.true(r.maxError < 1e-8, JSON.stringify(r.worst));
});

test("layer errors name the layer and the expected shape", (t) => {
  const tape = new Tape(), net = mlp([4, 3, 2]);
  const theta = tape.param(net.initialise(new Generator(1)));
  const e = t.throws(() => net.forward(theta, tape.constant(new Float64Array(10), [2, 5])), { instanceOf: VireoError });
  t.regex(e!.message, /Dense\(4→3\).*\[rows, 4\].*\[2, 5\]/);
  t.throws(() => net.forward(tape.param(new Float64Array(5)), tape.constant(new Float64Array(8), [2, 4])), { instanceOf: VireoError, message: /needs 23 parameters/ });
  t.throws(() => dense(3, 0), { instanceOf: VireoError, message: /outputs must be a positive integer/ });
  t.throws(() => mlp([3, 2], { activation: "swish" as Activation }), { instanceOf: VireoError, message: /unknown activation "swish"/ });
});
