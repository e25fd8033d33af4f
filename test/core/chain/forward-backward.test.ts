import test from "ava";
import { Generator, sampleStandardNormal, forwardBackward, ForwardBackwardBuffers, isVireoError } from "@vireo/core";

function randomProblem(seed: number, T: number, K: number, subNormalised: boolean) {
  const rng = new Generator(seed);
  const u = () => Math.exp(sampleStandardNormal(rng));
  const init = Float64Array.from({ length: K }, u);
  const trans = Float64Array.from({ length: K * K }, u);
  if (!subNormalised) {
    const z = init.reduce((a, b) => a + b);
    init.forEach((v, i) => (init[i] = v / z));
    for (let i = 0; i < K; i++) {
      let s = 0;
      for (let j = 0; j < K; j++) s += trans[i * K + j]!;
      for (let j = 0; j < K; j++) trans[i * K + j] = trans[i * K + j]! / s;
    }
  }
  const logEmit = Float64Array.from({ length: T * K }, () => 3 * sampleStandardNormal(rng) - 50);
  return { init, trans, logEmit };
}

/** Enumerates all K^T paths. */
function bruteForce(init: Float64Array, trans: Float64Array, logEmit: Float64Array, T: number, K: number) {
  const marg = new Float64Array(T * K), xi = new Float64Array(K * K);
  let Z = 0;
  const z = new Array<number>(T).fill(0);
  const weights: [number[], number][] = [];
  for (let n = 0; n < K ** T; n++) {
    let r = n;
    for (let t = 0; t < T; t++) { z[t] = r % K; r = Math.floor(r / K); }
    let w = Math.log(init[z[0]!]!) + logEmit[z[0]!]!;
    for (let t = 1; t < T; t++) w += Math.log(trans[z[t - 1]! * K + z[t]!]!) + logEmit[t * K + z[t]!]!;
    weights.push([z.slice(), w]);
  }
  const mx = Math.max(...weights.map(([, w]) => w));
  for (const [path, w] of weights) {
    const p = Math.exp(w - mx);
    Z += p;
    for (let t = 0; t < T; t++) marg[t * K + path[t]!] += p;
    for (let t = 1; t < T; t++) xi[path[t - 1]! * K + path[t]!] += p;
  }
  return { marg: marg.map((v) => v / Z), xi: xi.map((v) => v / Z), logZ: Math.log(Z) + mx };
}

for (const [T, K, sub, seed] of [[6, 3, false, 1], [7, 2, true, 2], [4, 4, true, 3], [1, 3, false, 4]] as const) {
  test(`forward-backward equals brute-force enumeration (T=${T}, K=${K}, ${sub ? "sub-normalised" : "normalised"} weights)`, (t) => {
    const { init, trans, logEmit } = randomProblem(seed, T, K, sub);
    const buf = new ForwardBackwardBuffers(T, K);
    const logZ = forwardBackward(init, trans, logEmit, buf);
    const ref = bruteForce(init, trans, logEmit, T, K);
    t.true(Math.abs(logZ - ref.logZ) < 1e-9 * (1 + Math.abs(ref.logZ)), `log Z ${logZ} vs ${ref.logZ}`);
    for (let i = 0; i < T * K; i++) t.true(Math.abs(buf.marginals[i]! - ref.marg[i]!) < 1e-12, `marginal ${i}`);
    for (let i = 0; i < K * K; i++) t.true(Math.abs(buf.transitionCounts[i]! - ref.xi[i]!) < 1e-12, `transition count ${i}`);
  });
}

test("a long chain with tiny emission likelihoods neither under- nor overflows", (t) => {
  const T = 20000, K = 3;
  const { init, trans, logEmit } = randomProblem(9, T, K, true);
  for (let i = 0; i < T * K; i++) logEmit[i] = logEmit[i]! - 800; // exp(−850) underflows to 0
  const buf = new ForwardBackwardBuffers(T, K);
  const logZ = forwardBackward(init, trans, logEmit, buf);
  t.true(Number.isFinite(logZ) && logZ < -800 * T);
  let worst = 0;
  for (let s = 0; s < T; s++) {
    let z = 0;
    for (let k = 0; k < K; k++) z += buf.marginals[s * K + k]!;
    worst = Math.max(worst, Math.abs(z - 1));
  }
  t.true(worst < 1e-9, `marginals sum to 1 within ${worst}`);
  t.true(Math.abs(buf.transitionCounts.reduce((a, b) => a + b) - (T - 1)) < 1e-6);
});

test("forward-backward names the step where every path is impossible, and wrong sizes", (t) => {
  const buf = new ForwardBackwardBuffers(3, 2);
  const e = t.throws(() => forwardBackward([1, 0], [1, 0, 0, 1], [0, -Infinity, -Infinity, 0, 0, 0], buf));
  t.true(isVireoError(e, "NUMERICAL_FAILURE") && /step 1/.test(e.message), e?.message);
  const e2 = t.throws(() => forwardBackward([1, 0], [1, 0, 0], [0, 0, 0, 0, 0, 0], buf));
  t.true(isVireoError(e2, "DIMENSION_MISMATCH") && /K² = 4/.test(e2.message), e2?.message);
});
