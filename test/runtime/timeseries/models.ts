/** Shared simulation helpers: the 2-D constant-velocity tracking model (4-D state, 2-D positions). */
import { Generator, sampleStandardNormal, cholesky } from "@vireo/core";
import type { LgssmSpec, NoiseSpec } from "@vireo/runtime";

export function constantVelocity(q: number, dt = 1) {
  const A = [1, 0, dt, 0, 0, 1, 0, dt, 0, 0, 1, 0, 0, 0, 0, 1];
  const a = (q * dt ** 3) / 3, b = (q * dt ** 2) / 2, c = q * dt;
  const Q = [a, 0, b, 0, 0, a, 0, b, b, 0, c, 0, 0, b, 0, c];
  const C = [1, 0, 0, 0, 0, 1, 0, 0];
  return { A, Q, C, m0: [0, 0, 1, 0.5], P0: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] };
}

export function cvSpec(q: number, observationNoise: NoiseSpec, transitionNoise?: NoiseSpec): LgssmSpec {
  const m = constantVelocity(q);
  return {
    transition: m.A, observation: m.C, initialMean: m.m0, initialCovariance: m.P0,
    transitionNoise: transitionNoise ?? { covariance: m.Q }, observationNoise,
  };
}

/** Simulates T steps of an LGSSM given as flat arrays; returns y (T×p) and x (T×d). */
export function simulateLgssm(rng: Generator, A: number[], Q: number[], C: number[], R: number[], m0: number[], P0: number[], T: number) {
  const d = m0.length, p = C.length / d;
  const Lq = cholesky(Float64Array.from(Q), d), Lr = cholesky(Float64Array.from(R), p), L0 = cholesky(Float64Array.from(P0), d);
  const noise = (L: Float64Array, n: number) => {
    const z = Array.from({ length: n }, () => sampleStandardNormal(rng));
    return Array.from({ length: n }, (_, i) => z.reduce((s, v, k) => s + L[i * n + k]! * v, 0));
  };
  const x = new Float64Array(T * d), y = new Float64Array(T * p);
  let cur = noise(L0, d).map((v, i) => v + m0[i]!);
  for (let t = 0; t < T; t++) {
    if (t > 0) {
      const w = noise(Lq, d);
      cur = cur.map((_, i) => cur.reduce((s, v, k) => s + A[i * d + k]! * v, 0) + w[i]!);
    }
    x.set(cur, t * d);
    const v = noise(Lr, p);
    for (let a = 0; a < p; a++) y[t * p + a] = cur.reduce((s, xv, k) => s + C[a * d + k]! * xv, 0) + v[a]!;
  }
  return { x, y };
}

export function simulateCv(seed: number, T: number, q: number, R: number[]) {
  const m = constantVelocity(q);
  return simulateLgssm(new Generator(seed), m.A, m.Q, m.C, R, m.m0, m.P0, T);
}

/** The largest relative drop between consecutive trace values (0 for a non-decreasing trace); tests allow 1e-11 of round-off. */
export function worstDrop(trace: readonly number[]): number {
  let worst = 0;
  for (let i = 1; i < trace.length; i++) worst = Math.max(worst, (trace[i - 1]! - trace[i]!) / (1 + Math.abs(trace[i]!)));
  return worst;
}
