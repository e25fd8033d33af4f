/**
 * The IWAE-K bound per row in the joint step (engine/joint-step.ts), on a tiny linear-Gaussian
 * VAE graph (vaeModel: amortised z, point-mass decoder weights, fixed noise variance):
 * - with SGD at learning rate 1 a step moves λ by its gradient: the encoder's and the decoder's
 *   moves equal central differences of a hand-written IWAE objective at the step's noise
 *   (Σ_i (1/S) Σ_s log (1/K) Σ_k p(x_i | z_isk) p(z_isk) / q(z_isk | x_i)), and the step's
 *   reported bound equals that objective's value (normalising constants included);
 * - IWAE(1) is the ELBO: its estimates average to the closed-form ELBO of the linear-Gaussian
 *   model within 5 standard errors, and IWAE(5) lies above it.
 */
import test from "ava";
import { Generator, sampleStandardNormal, mlp, sgd, iwaeBound, elboBound } from "@vireo/core";
import { vaeModel, compile, bindData, initialise, attachGenerator, jointSteps, type CompiledState } from "@vireo/runtime";

const N = 5, D = 3, L = 2, NOISE = 0.7, LOG_2PI = Math.log(2 * Math.PI);
const rng0 = new Generator(3);
const X = Float64Array.from({ length: N * D }, () => sampleStandardNormal(rng0));

function state(samples: number, K: number, extra: Record<string, unknown> = {}): CompiledState {
  const model = vaeModel({ inputs: D, encoder: mlp([D, 2 * L]), decoder: mlp([L, D]), likelihood: "gaussian", noise: NOISE });
  const s = compile(model, bindData(model, { x: X }), new Map(), { samples, bound: K === 0 ? elboBound() : iwaeBound(K), optimizer: sgd({ lr: 1 }), ...extra });
  initialise(s, new Generator(1));
  return s;
}

/** Per row i: log (1/K) Σ_k w_ik, by hand, at the encoder's q (mean, variance), decoder weights W and noise eps [K, N, L]. */
function iwaeRows(mean: Float64Array, variance: Float64Array, W: Float64Array, eps: Float64Array, K: number): Float64Array {
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const lw: number[] = [];
    for (let k = 0; k < K; k++) {
      let v = 0;
      const z: number[] = [];
      for (let l = 0; l < L; l++) {
        const e = eps[(k * N + i) * L + l]!, sd = Math.sqrt(variance[i * L + l]!);
        z.push(mean[i * L + l]! + sd * e);
        // log N(z; 0, 1) − log q(z | x_i), q = N(μ, σ²) at z = μ + σε.
        v += -0.5 * LOG_2PI - 0.5 * z[l]! ** 2 - (-0.5 * LOG_2PI - 0.5 * e * e - Math.log(sd));
      }
      for (let a = 0; a < D; a++) {
        let m = W[L * D + a]!;
        for (let l = 0; l < L; l++) m += z[l]! * W[l * D + a]!;
        v += -0.5 * Math.log(2 * Math.PI * NOISE) - (X[i * D + a]! - m) ** 2 / (2 * NOISE);
      }
      lw.push(v);
    }
    const top = Math.max(...lw);
    out[i] = top + Math.log(lw.reduce((s, x) => s + Math.exp(x - top), 0) / K);
  }
  return out;
}

for (const [S, K] of [[1, 4], [2, 3]] as const) {
  test(`IWAE-${K} joint step (S = ${S}): the encoder's and decoder's gradients and the reported bound match a hand-written per-row IWAE`, (t) => {
    const st = state(S, K), joint = jointSteps(st);
    t.is(joint.length, 1);
    t.truthy(joint[0]!.iwae, "the group takes the per-row IWAE step");
    const z = st.variables.get("z")!.gradient!, w = st.variables.get("decoderWeights")!.gradient!;
    const lz = z.fit.lambda.slice(), lw = w.fit.lambda.slice();
    attachGenerator(st, new Generator(11));
    z.step(undefined, 1, undefined);
    const gz = z.fit.lambda.map((x, j) => x - lz[j]!), gw = w.fit.lambda.map((x, j) => x - lw[j]!);
    // The step's noise: for each outer draw s, K draws of z's N × L normals (point-mass weights draw none).
    const g = new Generator(11);
    const eps = Array.from({ length: S }, () => Float64Array.from({ length: K * N * L }, () => sampleStandardNormal(g)));
    // Noise index within s: (k·N + i)·L + l, as drawn.
    const q = z.fit.q, mean = new Float64Array(N * L), variance = new Float64Array(N * L);
    const objective = (lambdaZ: Float64Array, W: Float64Array): number => {
      q.mean(lambdaZ, mean);
      q.variance!(lambdaZ, variance);
      let total = 0;
      for (let s = 0; s < S; s++) for (const v of iwaeRows(mean, variance, W, eps[s]!, K)) total += v / S;
      return total;
    };
    const value = objective(lz, lw);
    t.true(Math.abs(joint[0]!.lastBound - value) < 1e-9 * Math.abs(value), `reported ${joint[0]!.lastBound} vs hand-written ${value}`);
    const h = 1e-6;
    const check = (what: string, base: Float64Array, grad: Float64Array, f: (x: Float64Array) => number) => {
      for (let j = 0; j < base.length; j++) {
        const up = base.slice(), down = base.slice();
        up[j] += h;
        down[j] -= h;
        const fd = (f(up) - f(down)) / (2 * h);
        t.true(Math.abs(fd - grad[j]!) < 1e-5 * Math.max(1, Math.abs(fd)), `${what} ${j}: step ${grad[j]} vs central difference ${fd}`);
      }
    };
    check("encoder", lz, gz, (x) => objective(x, lw));
    check("decoder", lw, gw, (x) => objective(lz, x));
  });
}

test("IWAE(1) is the ELBO: its step estimates average to the closed-form ELBO of the linear-Gaussian VAE (5 SE), IWAE(5) lies above it; the ELBO step's own estimate averages to it too, unweighted by β", (t) => {
  const estimates = (K: number, steps: number, extra: Record<string, unknown> = {}) => {
    const st = state(1, K, extra), joint = jointSteps(st)[0]!;
    const z = st.variables.get("z")!.gradient!, w = st.variables.get("decoderWeights")!.gradient!;
    const lz = z.fit.lambda.slice(), lw = w.fit.lambda.slice();
    attachGenerator(st, new Generator(K));
    const out: number[] = [];
    for (let r = 0; r < steps; r++) {
      z.step(undefined, 1, undefined);
      out.push(joint.lastBound);
      z.fit.lambda.set(lz);
      w.fit.lambda.set(lw);
    }
    const m = out.reduce((a, b) => a + b, 0) / steps;
    const se = Math.sqrt(out.reduce((a, b) => a + (b - m) ** 2, 0) / (steps - 1) / steps);
    return { m, se, q: z.fit.q, lz, W: lw, out };
  };
  const one = estimates(1, 4000);
  // The ELBO in closed form: Σ_i E_q log N(x_i; Wz + b, v) − KL(q_i ‖ N(0, I)), E_q (x − Wz − b)² = (x − Wμ − b)² + Σ_l W_l² σ_l².
  const mean = new Float64Array(N * L), variance = new Float64Array(N * L), W = one.W;
  one.q.mean(one.lz, mean);
  one.q.variance!(one.lz, variance);
  let elbo = 0;
  for (let i = 0; i < N; i++) {
    for (let a = 0; a < D; a++) {
      let m = W[L * D + a]!, spread = 0;
      for (let l = 0; l < L; l++) {
        m += mean[i * L + l]! * W[l * D + a]!;
        spread += W[l * D + a]! ** 2 * variance[i * L + l]!;
      }
      elbo += -0.5 * Math.log(2 * Math.PI * NOISE) - ((X[i * D + a]! - m) ** 2 + spread) / (2 * NOISE);
    }
    for (let l = 0; l < L; l++) {
      const v = variance[i * L + l]!, mu = mean[i * L + l]!;
      elbo -= 0.5 * (v + mu * mu - 1 - Math.log(v));
    }
  }
  t.true(Math.abs(one.m - elbo) < 5 * one.se, `IWAE(1) ${one.m} ± ${one.se} vs ELBO ${elbo}`);
  const five = estimates(5, 1000);
  t.true(five.m - elbo > 5 * five.se, `IWAE(5) ${five.m} ± ${five.se} vs ELBO ${elbo}`);
  // The ELBO step's own estimate (K = 0 here: elboBound(), z's prior in closed form) averages to the same ELBO,
  // and under a KL weight β = 0.3 it stays the unweighted ELBO (same draws, same figure).
  const plainElbo = estimates(0, 2000), weighted = estimates(0, 2000, { klWeight: 0.3 });
  t.true(Math.abs(plainElbo.m - elbo) < 5 * plainElbo.se, `ELBO step estimate ${plainElbo.m} ± ${plainElbo.se} vs ELBO ${elbo}`);
  let worst = 0;
  plainElbo.out.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - weighted.out[i]!))));
  t.true(worst < 1e-9 * Math.abs(elbo), `β = 0.3 vs β = 1 estimates differ by ${worst}`);
});
