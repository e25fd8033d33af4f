/**
 * The baseline for the CAVI mixture benchmark: one CAVI iteration of the same Bayesian Gaussian
 * mixture (π ~ Dir(α₀), μ_k ~ N(0, (β₀I)⁻¹), Λ_k ~ W(ν₀, W₀), mean-field over π, μ_k, Λ_k, z_n),
 * hand-written on Float64Arrays with the responsibility pass fused with the accumulation of the
 * weighted statistics, plus the exact ELBO. Same arithmetic as the engine's sweep, no graph.
 */
import {
  Dirichlet, MvNormal, Wishart, digamma, LOG_2PI, LN2, cholesky, inverseFromCholesky, logDetFromCholesky,
} from "@vireo/core";

export interface HandLoopGmm {
  iterate(): number;
  readonly resp: Float64Array;
}

export function handLoopGmm(x: Float64Array, N: number, d: number, K: number, prior: { alpha: number; beta: number; df: number; scale: number }, initialResp: Float64Array): HandLoopGmm {
  const dd = d * d;
  const resp = initialResp.slice();
  // Weighted statistics of the current responsibilities.
  const Nk = new Float64Array(K), Sx = new Float64Array(K * d), Sxx = new Float64Array(K * dd);
  const accumulate = () => {
    Nk.fill(0); Sx.fill(0); Sxx.fill(0);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) {
      const r = resp[n * K + k]!;
      Nk[k] += r;
      for (let i = 0; i < d; i++) {
        const xi = x[n * d + i]!;
        Sx[k * d + i] += r * xi;
        for (let j = 0; j < d; j++) Sxx[k * dd + i * d + j] += r * xi * x[n * d + j]!;
      }
    }
  };
  accumulate();
  const W0inv = new Float64Array(dd);
  for (let i = 0; i < d; i++) W0inv[i * d + i] = 1 / prior.scale;
  const dir = Dirichlet(K), mvn = MvNormal(d), wis = Wishart(d);
  const etaPi0 = dir.toNatural({ alpha: new Float64Array(K).fill(prior.alpha) });
  const priorPrec = new Float64Array(dd);
  for (let i = 0; i < d; i++) priorPrec[i * d + i] = prior.beta;
  const etaMu0 = mvn.fromMeanPrecision(new Float64Array(d), priorPrec);
  const etaL0 = wis.fromDfInverseScale(prior.df, W0inv);

  // Per-component expectations used by the responsibility pass.
  const ElogPi = new Float64Array(K), EL = new Float64Array(K * dd), ELogDet = new Float64Array(K);
  const m = new Float64Array(K * d), Emm = new Float64Array(K * dd), ELm = new Float64Array(K * d), c = new Float64Array(K);
  const etaPi = new Float64Array(K), etaMu = new Float64Array(K * (d + dd)), etaL = new Float64Array(K * (1 + dd));
  // Before the first update, E[Λ_k] is the prior's: ν₀W₀.
  for (let k = 0; k < K; k++) for (let i = 0; i < d; i++) EL[k * dd + i * d + i] = prior.df * prior.scale;
  const P = new Float64Array(dd), Winv = new Float64Array(dd), W = new Float64Array(dd), logRho = new Float64Array(K);

  function iterate(): number {
    // π
    let a0 = 0;
    for (let k = 0; k < K; k++) a0 += (etaPi[k] = etaPi0[k]! + Nk[k]!) + 1;
    for (let k = 0; k < K; k++) ElogPi[k] = digamma(etaPi[k]! + 1) - digamma(a0);
    for (let k = 0; k < K; k++) {
      // μ_k | E[Λ_k]: precision β₀I + N_k E[Λ_k], linear term E[Λ_k] Σ r x.
      const Lk = EL.subarray(k * dd, (k + 1) * dd);
      for (let i = 0; i < dd; i++) P[i] = priorPrec[i]! + Nk[k]! * Lk[i]!;
      const eo = k * (d + dd);
      for (let i = 0; i < d; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += Lk[i * d + j]! * Sx[k * d + j]!;
        etaMu[eo + i] = etaMu0[i]! + s;
        for (let j = 0; j < d; j++) etaMu[eo + d + i * d + j] = -0.5 * P[i * d + j]!;
      }
      const LP = cholesky(P, d);
      const S = inverseFromCholesky(LP, d, new Float64Array(dd));
      for (let i = 0; i < d; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += S[i * d + j]! * etaMu[eo + j]!;
        m[k * d + i] = s;
      }
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) Emm[k * dd + i * d + j] = S[i * d + j]! + m[k * d + i]! * m[k * d + j]!;
      // Λ_k | μ_k: ν₀ + N_k, W⁻¹ = W₀⁻¹ + E[Σ r (x − μ)(x − μ)ᵀ].
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
        Winv[i * d + j] = W0inv[i * d + j]! + Sxx[k * dd + i * d + j]! - Sx[k * d + i]! * m[k * d + j]! - m[k * d + i]! * Sx[k * d + j]! + Nk[k]! * Emm[k * dd + i * d + j]!;
      }
      const nu = prior.df + Nk[k]!;
      etaL.set(wis.fromDfInverseScale(nu, Winv), k * (1 + dd));
      const LW = cholesky(Winv, d);
      inverseFromCholesky(LW, d, W);
      let psi = 0;
      for (let i = 1; i <= d; i++) psi += digamma((nu + 1 - i) / 2);
      ELogDet[k] = psi + d * LN2 - logDetFromCholesky(LW, d);
      for (let i = 0; i < dd; i++) EL[k * dd + i] = nu * W[i]!;
      let tr = 0;
      for (let i = 0; i < d; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) {
          s += EL[k * dd + i * d + j]! * m[k * d + j]!;
          tr += EL[k * dd + i * d + j]! * Emm[k * dd + j * d + i]!;
        }
        ELm[k * d + i] = s;
      }
      c[k] = ElogPi[k]! + 0.5 * ELogDet[k]! - 0.5 * d * LOG_2PI - 0.5 * tr;
    }
    // z, fused with the statistics for the next iteration.
    Nk.fill(0); Sx.fill(0); Sxx.fill(0);
    let sumLse = 0;
    for (let n = 0; n < N; n++) {
      const xo = n * d;
      let max = -Infinity;
      for (let k = 0; k < K; k++) {
        let quad = 0, lin = 0;
        for (let i = 0; i < d; i++) {
          const xi = x[xo + i]!;
          let s = 0;
          for (let j = 0; j < d; j++) s += EL[k * dd + i * d + j]! * x[xo + j]!;
          quad += xi * s;
          lin += xi * ELm[k * d + i]!;
        }
        const v = c[k]! - 0.5 * quad + lin;
        logRho[k] = v;
        if (v > max) max = v;
      }
      let s = 0;
      for (let k = 0; k < K; k++) s += (logRho[k] = Math.exp(logRho[k]! - max));
      sumLse += max + Math.log(s);
      for (let k = 0; k < K; k++) {
        const r = logRho[k]! / s;
        resp[n * K + k] = r;
        Nk[k] += r;
        for (let i = 0; i < d; i++) {
          const xi = x[xo + i]!;
          Sx[k * d + i] += r * xi;
          for (let j = 0; j < d; j++) Sxx[k * dd + i * d + j] += r * xi * x[xo + j]!;
        }
      }
    }
    // ELBO: Σ_n log-normalisers + Σ over globals of (E[log prior] + entropy) = −KL(q‖prior).
    let elbo = sumLse - dir.kl(etaPi, etaPi0);
    for (let k = 0; k < K; k++) {
      elbo -= mvn.kl(etaMu.subarray(k * (d + dd), (k + 1) * (d + dd)), etaMu0);
      elbo -= wis.kl(etaL.subarray(k * (1 + dd), (k + 1) * (1 + dd)), etaL0);
    }
    return elbo;
  }
  return { iterate, resp };
}
