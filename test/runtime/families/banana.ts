/**
 * The banana posterior θ ~ N(0, I₂), y ~ N(θ₁ + θ₂², 1) at y = 1, with its exact answers from
 * quadrature on a grid (log evidence, posterior means and variances), and the best full-rank
 * Gaussian ELBO found independently: for Gaussian q the expected log joint of this model has a
 * closed form in (m, Σ) (Gaussian moments up to order four), maximised by a pattern search.
 */
import { ad, LOG_2PI, type TNode, type VariationalFamily } from "@vireo/core";
import { bbviModel, type BbviModel } from "@vireo/runtime";

export const Y = 1;

/** log p(y, θ) as a number. */
export function bananaLogJoint(t1: number, t2: number): number {
  const r = Y - t1 - t2 * t2;
  return -0.5 * r * r - 0.5 * (t1 * t1 + t2 * t2) - 1.5 * LOG_2PI;
}

/** log p(y, θ) on the tape for θ a 2-vector node. */
export function bananaLogJointOnTape(theta: TNode): TNode {
  const t1 = ad.slice(theta, 0, 1), t2 = ad.slice(theta, 1, 1);
  const r = ad.sub(ad.sub(theta.tape.scalar(Y), t1), ad.square(t2));
  return ad.shift(ad.scale(ad.add(ad.sum(ad.square(r)), ad.sum(ad.square(theta))), -0.5), -1.5 * LOG_2PI);
}

export function bananaModel(family: VariationalFamily): BbviModel {
  return bbviModel({
    latents: [{ name: "theta", family }],
    factors: [{ name: "joint", vars: ["theta"], logDensity: ({ theta }) => bananaLogJointOnTape(theta!) }],
  });
}

export interface GridAnswer {
  readonly logEvidence: number;
  readonly mean: [number, number];
  readonly variance: [number, number];
}

/** Midpoint rule on [−8, 8]², n² cells (the integrand is negligible outside). */
export function bananaGrid(n = 800): GridAnswer {
  const lo = -8, h = 16 / n;
  let m = -Infinity;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m = Math.max(m, bananaLogJoint(lo + (i + 0.5) * h, lo + (j + 0.5) * h));
  let z = 0, s1 = 0, s2 = 0, q1 = 0, q2 = 0;
  for (let i = 0; i < n; i++) {
    const a = lo + (i + 0.5) * h;
    for (let j = 0; j < n; j++) {
      const b = lo + (j + 0.5) * h, w = Math.exp(bananaLogJoint(a, b) - m);
      z += w; s1 += w * a; s2 += w * b; q1 += w * a * a; q2 += w * b * b;
    }
  }
  const m1 = s1 / z, m2 = s2 / z;
  return { logEvidence: m + Math.log(z * h * h), mean: [m1, m2], variance: [q1 / z - m1 * m1, q2 / z - m2 * m2] };
}

/**
 * ELBO of q = N(m, LLᵀ), L = [[e^a, 0], [c, e^b]], in closed form: with u = θ₁ + θ₂²,
 * E[u] = m₁ + m₂² + Σ₂₂ and Var[u] = Σ₁₁ + 2Σ₂₂² + 4m₂²Σ₂₂ + 4m₂Σ₁₂.
 */
export function gaussianElbo([m1, m2, a, c, b]: readonly number[]): number {
  const s11 = Math.exp(2 * a), s12 = Math.exp(a) * c, s22 = c * c + Math.exp(2 * b);
  const eu = m1 + m2 * m2 + s22, vu = s11 + 2 * s22 * s22 + 4 * m2 * m2 * s22 + 4 * m2 * s12;
  const lik = -0.5 * (vu + (Y - eu) ** 2) - 0.5 * LOG_2PI;
  const prior = -0.5 * (m1 * m1 + s11 + m2 * m2 + s22) - LOG_2PI;
  return lik + prior + a + b + 1 + LOG_2PI;
}

/** The best full-rank Gaussian ELBO, by a compass search from several starts. */
export function bestGaussianElbo(): number {
  let best = -Infinity;
  for (const start of [[0, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, -1, 0, 0, 0], [1, 0, -1, 0.5, -1]]) {
    let x = start.slice(), f = gaussianElbo(x), step = 0.5;
    while (step > 1e-10) {
      let improved = false;
      for (let k = 0; k < 5; k++) {
        for (const dlt of [step, -step]) {
          const x2 = x.slice();
          x2[k] += dlt;
          const f2 = gaussianElbo(x2);
          if (f2 > f) { x = x2; f = f2; improved = true; }
        }
      }
      if (!improved) step /= 2;
    }
    best = Math.max(best, f);
  }
  return best;
}
