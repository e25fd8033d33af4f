/**
 * The local-reparameterisation dense layer and the weight-prior penalty: finite-difference
 * gradient checks over whole minibatches (x and λ, Bayesian and point-estimate forms), the
 * forward pass against a hand-written reference, the marginal of a pre-activation against global
 * weight sampling (5 standard errors), and the KL against numerical integration.
 */
import test from "ava";
import { Tape, Generator, checkGradient, sampleStandardNormal, localReparamDense, weightPriorPenalty, denseParamCount, ad, VireoError } from "@vireo/core";

function randomArray(n: number, rng: Generator, scale = 1, shift = 0): Float64Array {
  return Float64Array.from({ length: n }, () => shift + scale * sampleStandardNormal(rng));
}

/** A Bayesian layer's λ = [μ, ρ] with σ in roughly [0.1, 0.6]. */
function bayesLayer(dIn: number, dOut: number, rng: Generator): Float64Array {
  const P = denseParamCount(dIn, dOut);
  const lam = new Float64Array(2 * P);
  for (let i = 0; i < P; i++) {
    lam[i] = 0.7 * sampleStandardNormal(rng);
    lam[P + i] = -1.5 + 0.4 * sampleStandardNormal(rng);
  }
  return lam;
}

/** out[n, j] = Σ_p x[n,p] μ[p,j] + μ_b[j] + eps · √(Σ_p x² σ² + σ_b²), written the slow way. */
function reference(x: Float64Array, lam: Float64Array, N: number, dIn: number, dOut: number, eps: Float64Array | null): Float64Array {
  const P = (dIn + 1) * dOut, out = new Float64Array(N * dOut);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < dOut; j++) {
      let m = lam[dIn * dOut + j]!, v = lam.length === 2 * P ? Math.exp(2 * lam[P + dIn * dOut + j]!) : 0;
      for (let p = 0; p < dIn; p++) {
        m += x[n * dIn + p]! * lam[p * dOut + j]!;
        if (lam.length === 2 * P) v += x[n * dIn + p]! ** 2 * Math.exp(2 * lam[P + p * dOut + j]!);
      }
      out[n * dOut + j] = m + (eps ? eps[n * dOut + j]! * Math.sqrt(v) : 0);
    }
  }
  return out;
}

test("forward pass equals the hand-written reference (noisy, mean-only and point-estimate forms)", (t) => {
  const rng = new Generator(3), N = 7, dIn = 4, dOut = 3;
  const x = randomArray(N * dIn, rng), lam = bayesLayer(dIn, dOut, rng), eps = randomArray(N * dOut, rng);
  const tape = new Tape();
  const cases: [Float64Array, Float64Array | null][] = [[lam, eps], [lam, null], [lam.slice(0, denseParamCount(dIn, dOut)), null], [lam.slice(0, denseParamCount(dIn, dOut)), eps]];
  for (const [l, e] of cases) {
    tape.reset();
    const out = localReparamDense(tape.constant(x, [N, dIn]), tape.constant(l), dOut, e);
    t.deepEqual(out.shape, [N, dOut]);
    const ref = reference(x, l, N, dIn, dOut, e);
    for (let i = 0; i < ref.length; i++) t.true(Math.abs(out.value[i]! - ref[i]!) < 1e-12, `element ${i}: ${out.value[i]} vs ${ref[i]}`);
  }
});

for (const [name, N, dIn, dOut] of [["a 5-row minibatch 3 → 4", 5, 3, 4], ["a 12-row minibatch 6 → 2 (some x = 0)", 12, 6, 2], ["one row 1 → 1", 1, 1, 1]] as const) {
  test(`gradient check over ${name}: ∂/∂x and ∂/∂λ = [μ, ρ] against central differences`, (t) => {
    const rng = new Generator(11 + N), x = randomArray(N * dIn, rng), lam = bayesLayer(dIn, dOut, rng), eps = randomArray(N * dOut, rng);
    if (N === 12) { x[4] = 0; x[17] = 0; }
    const r = checkGradient((_tape, [xx, ll]) => localReparamDense(xx!, ll!, dOut, eps), [{ value: x, shape: [N, dIn] }, { value: lam }]);
    t.true(r.maxError < 1e-6, `max error ${r.maxError} at ${JSON.stringify(r.worst)}`);
  });
}

test("gradient check through a two-layer network: tanh between layers, squared loss, point-estimate layer on top", (t) => {
  const rng = new Generator(5), N = 6, dIn = 3, H = 4;
  const x = randomArray(N * dIn, rng), l1 = bayesLayer(dIn, H, rng), l2 = randomArray(denseParamCount(H, 1), rng, 0.5);
  const eps = randomArray(N * H, rng), y = randomArray(N, rng);
  const r = checkGradient((tape, [xx, a, b]) => {
    const h = ad.tanh(localReparamDense(xx!, a!, H, eps));
    const f = localReparamDense(h, b!, 1, null);
    return ad.sum(ad.square(ad.sub(ad.reshape(f, [N]), tape.constant(y))));
  }, [{ value: x, shape: [N, dIn] }, { value: l1 }, { value: l2 }]);
  t.true(r.maxError < 1e-6, `max error ${r.maxError} at ${JSON.stringify(r.worst)}`);
});

test("gradient check of the weight-prior penalty (KL and point-estimate log prior)", (t) => {
  const rng = new Generator(8), lam = bayesLayer(3, 2, rng);
  const kl = checkGradient((_tape, [l]) => weightPriorPenalty(l!, 0.7), [{ value: lam }]);
  t.true(kl.maxError < 1e-7, `KL: ${kl.maxError}`);
  const map = checkGradient((_tape, [l]) => weightPriorPenalty(l!, 2, true), [{ value: lam.slice(0, 8) }]);
  t.true(map.maxError < 1e-7, `log prior: ${map.maxError}`);
});

test("a pre-activation's mean and variance under local noise equal those under global weight draws (5 standard errors)", (t) => {
  const rng = new Generator(21), dIn = 3, dOut = 2, P = denseParamCount(dIn, dOut);
  const x = Float64Array.from([0.8, -1.2, 0.4]), lam = bayesLayer(dIn, dOut, rng);
  const S = 20000, tape = new Tape(), eps = new Float64Array(dOut), theta = new Float64Array(P);
  const local = [0, 0, 0, 0], global = [0, 0, 0, 0];
  for (let s = 0; s < S; s++) {
    for (let j = 0; j < dOut; j++) eps[j] = sampleStandardNormal(rng);
    tape.reset();
    const a = localReparamDense(tape.constant(x, [1, dIn]), tape.constant(lam), dOut, eps).value;
    for (let i = 0; i < P; i++) theta[i] = lam[i]! + Math.exp(lam[P + i]!) * sampleStandardNormal(rng);
    for (let j = 0; j < dOut; j++) {
      let g = theta[dIn * dOut + j]!;
      for (let p = 0; p < dIn; p++) g += x[p]! * theta[p * dOut + j]!;
      local[2 * j] += a[j]!; local[2 * j + 1] += a[j]! ** 2;
      global[2 * j] += g; global[2 * j + 1] += g ** 2;
    }
  }
  for (let j = 0; j < dOut; j++) {
    const mean = (m: number[]) => m[2 * j]! / S, variance = (m: number[]) => m[2 * j + 1]! / S - mean(m) ** 2;
    const vl = variance(local), vg = variance(global);
    const seMean = Math.sqrt((vl + vg) / S);
    t.true(Math.abs(mean(local) - mean(global)) < 5 * seMean, `output ${j} means ${mean(local)} vs ${mean(global)} (se ${seMean})`);
    // Var of a sample variance of a Gaussian: 2σ⁴/(S − 1).
    const seVar = Math.sqrt((2 * vl * vl + 2 * vg * vg) / (S - 1));
    t.true(Math.abs(vl - vg) < 5 * seVar, `output ${j} variances ${vl} vs ${vg} (se ${seVar})`);
  }
});

test("the KL penalty equals a quadrature of ∫ q log(q/p) for each weight", (t) => {
  const lam = Float64Array.from([0.3, -1.1, -0.4, 0.2]), s2 = 1.7, tape = new Tape();
  const kl = weightPriorPenalty(tape.constant(lam), s2).value[0]!;
  let quad = 0;
  for (let i = 0; i < 2; i++) {
    const mu = lam[i]!, sd = Math.exp(lam[2 + i]!), h = sd / 400;
    for (let z = mu - 12 * sd; z <= mu + 12 * sd; z += h) {
      const lq = -0.5 * Math.log(2 * Math.PI * sd * sd) - (z - mu) ** 2 / (2 * sd * sd);
      const lp = -0.5 * Math.log(2 * Math.PI * s2) - (z * z) / (2 * s2);
      quad += h * Math.exp(lq) * (lq - lp);
    }
  }
  t.true(Math.abs(kl - quad) < 1e-6, `${kl} vs ${quad}`);
});

test("shape mismatches are VireoErrors that say what the layer expected", (t) => {
  const tape = new Tape(), x = tape.constant(new Float64Array(6), [2, 3]);
  const bad = t.throws(() => localReparamDense(x, tape.constant(new Float64Array(7)), 2, null), { instanceOf: VireoError });
  t.regex(bad.message, /3 → 2 layer has P = 8/);
  const noise = t.throws(() => localReparamDense(x, tape.constant(new Float64Array(16)), 2, new Float64Array(3)), { instanceOf: VireoError });
  t.regex(noise.message, /2 × 2 = 4 normal draws, got 3/);
  t.throws(() => weightPriorPenalty(tape.constant(new Float64Array(4)), 0), { instanceOf: VireoError, message: /prior variance must be finite and > 0/ });
});
