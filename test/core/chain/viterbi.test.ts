/**
 * Viterbi (max-product) decoding of a CategoricalChain against brute-force enumeration of every
 * path on short chains: the same path, its log score Σ ψ_t(z_t) + Φ_t(z_{t−1}, z_t), and its log
 * probability under the chain (log score − log Z, with log Z also enumerated).
 */
import test from "ava";
import { CategoricalChain, Generator, sampleStandardNormal } from "@vireo/core";

function bruteForce(eta: Float64Array, K: number, T: number) {
  const n = K + K * K;
  let best = -Infinity, bestPath: number[] = [], terms: number[] = [];
  for (let code = 0; code < K ** T; code++) {
    const z = Array.from({ length: T }, (_, s) => Math.floor(code / K ** s) % K);
    let lw = 0;
    for (let s = 0; s < T; s++) lw += eta[s * n + z[s]!]! + (s > 0 ? eta[s * n + K + z[s - 1]! * K + z[s]!]! : 0);
    terms.push(lw);
    if (lw > best) [best, bestPath] = [lw, z];
  }
  const m = Math.max(...terms), logZ = m + Math.log(terms.reduce((a, w) => a + Math.exp(w - m), 0));
  return { path: bestPath, logScore: best, logZ };
}

for (const [K, T, seed] of [[2, 1, 1], [2, 9, 2], [3, 6, 3], [4, 5, 4], [3, 7, 5]] as const) {
  test(`K = ${K}, T = ${T}: the Viterbi path, log score and log probability equal brute-force enumeration`, (t) => {
    const rng = new Generator(seed), f = CategoricalChain(K), n = f.size;
    for (let trial = 0; trial < 20; trial++) {
      // Strong random potentials (scale 2) so the best path is unique and often not the marginal argmax.
      const eta = Float64Array.from({ length: T * n }, (_, i) => (i < n && i >= K ? 0 : 2 * sampleStandardNormal(rng)));
      const ref = bruteForce(eta, K, T), got = f.viterbi(eta);
      t.deepEqual(Array.from(got.path), ref.path, `trial ${trial}`);
      t.true(Math.abs(got.logScore - ref.logScore) < 1e-12 * (1 + Math.abs(ref.logScore)), `trial ${trial}: ${got.logScore} vs ${ref.logScore}`);
      t.true(Math.abs(got.logProbability - (ref.logScore - ref.logZ)) < 1e-10, `trial ${trial}: log probability`);
    }
  });
}

test("the Viterbi path differs from the sequence of marginal maxima where the transitions forbid it", (t) => {
  // Two states; the transition 0 → 1 is (nearly) impossible, so the joint best path cannot switch up.
  const K = 2, f = CategoricalChain(K), n = f.size, T = 3, eta = new Float64Array(T * n);
  const unary = [[0.6, 0.4], [0.3, 0.7], [0.3, 0.7]];
  for (let s = 0; s < T; s++) {
    eta[s * n] = Math.log(unary[s]![0]!);
    eta[s * n + 1] = Math.log(unary[s]![1]!);
    if (s > 0) eta.set([Math.log(0.999), Math.log(1e-9), Math.log(0.5), Math.log(0.5)], s * n + K);
  }
  const gamma = f.mean(eta), marginalMax = [0, 1, 2].map((s) => (gamma[s * 2 + 1]! > gamma[s * 2]! ? 1 : 0));
  const ref = bruteForce(eta, K, T);
  t.deepEqual(Array.from(f.viterbi(eta).path), ref.path);
  t.deepEqual(ref.path, [0, 0, 0]);
  t.notDeepEqual(ref.path, marginalMax);
});
