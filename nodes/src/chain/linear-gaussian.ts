/**
 * Shared arithmetic of the learnable linear Gaussian chain nodes (ChainInitial, ChainDynamics,
 * ChainEmission, Autoregressive): a Gaussian residual v = u − M w with
 *   E[log N(v; 0, Λ⁻¹)] = ½E[log|Λ|] − (n/2) log 2π − ½ tr(E[Λ] E[v vᵀ]),
 * where the matrix M (r×c) is a constant or a random MvNormal(r·c) over vec(M) in row-major order
 * (entry M_ik at i·c + k), and the noise precision Λ is a Wishart(r) (full) or a Gamma (isotropic
 * Λ = λ I). Expectations E[M_ik M_jl] come from the MvNormal statistics [m, vec(m mᵀ)], so a
 * known M (statistics of its value) and a random one go through the same code.
 */
import { VireoError, GammaFamily, WishartFamily, MvNormalFamily } from "@vireo/core";
import type { EdgeView, EdgeInfo } from "../contract/node.js";

/** Whether a precision edge is isotropic (Gamma λ, Λ = λ I) rather than a full Wishart matrix. */
export function isIsotropic(e: EdgeView | EdgeInfo): boolean {
  return e.family instanceof GammaFamily;
}

/** Checks at build time that a precision edge is a Wishart(n) or a Gamma. */
export function requireNoisePrecision(info: Readonly<Record<string, EdgeInfo>>, edge: string, n: number, nodeName: string, nodeType: string): void {
  const f = info[edge]?.family;
  if (f instanceof GammaFamily || (f instanceof WishartFamily && f.dim === n)) return;
  throw new VireoError(
    "INVALID_MODEL",
    `Node '${nodeName}' (${nodeType}): edge '${edge}' must be a Wishart(${n}) precision (full) or a Gamma precision λ (isotropic λ I), got ${f ? f.key : "an input"}.`,
    { node: nodeName, edge },
  );
}

/** Checks at build time that a matrix edge is an MvNormal over r·c entries (random or constant). */
export function requireMatrix(info: Readonly<Record<string, EdgeInfo>>, edge: string, r: number, c: number, nodeName: string, nodeType: string): void {
  const f = info[edge]?.family;
  if (f instanceof MvNormalFamily && f.dim === r * c) return;
  throw new VireoError(
    "INVALID_MODEL",
    `Node '${nodeName}' (${nodeType}): edge '${edge}' must be an MvNormal(${r * c}) over the ${r}×${c} matrix in row-major order (random, or a constant ` +
      `declared with model.constant(name, value, MvNormal(${r * c}))), got ${f ? f.key : "an input"}.`,
    { node: nodeName, edge },
  );
}

/** E[Λ] (n×n) into `mean`; returns E[log|Λ|]. */
export function precisionMoments(e: EdgeView, n: number, mean: Float64Array): number {
  const s = e.stats, f = e.family;
  if (f instanceof GammaFamily) {
    mean.fill(0);
    for (let i = 0; i < n; i++) mean[i * n + i] = f.ex(s, 0);
    return n * f.elog(s, 0);
  }
  const W = f as WishartFamily, m = W.matrixOffset(0);
  for (let i = 0; i < n * n; i++) mean[i] = s[m + i]!;
  return W.elogdet(s, 0);
}

/** Adds to a precision's natural parameters the message of `count` residuals with expected scatter W (n×n). */
export function addNoiseMessage(e: EdgeView, n: number, count: number, W: Float64Array, out: Float64Array): void {
  if (isIsotropic(e)) {
    // Gamma η = [a − 1, −b], the coefficients of [log λ, λ].
    let tr = 0;
    for (let i = 0; i < n; i++) tr += W[i * n + i]!;
    out[0] += 0.5 * n * count;
    out[1] -= 0.5 * tr;
    return;
  }
  const F = e.family as WishartFamily, m = F.matrixOffset(0);
  out[F.logDetOffset(0)] += 0.5 * count;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[m + j * n + i] -= 0.5 * W[i * n + j]!;
}

/** E[Mᵀ Λ M]_kl = Σ_ij Λ_ij E[M_ik M_jl] into `out` (c×c); `m` holds the MvNormal(r·c) statistics. */
export function expectedQuadratic(m: Float64Array, r: number, c: number, Lam: Float64Array, out: Float64Array): Float64Array {
  const rc = r * c;
  out.fill(0);
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) {
    const l = Lam[i * r + j]!;
    if (l === 0) continue;
    for (let k = 0; k < c; k++) {
      const row = rc + (i * c + k) * rc + j * c;
      for (let q = 0; q < c; q++) out[k * c + q] += l * m[row + q]!;
    }
  }
  return out;
}

/** E[M S Mᵀ]_ij = Σ_kl E[M_ik M_jl] S_kl into `out` (r×r), for a symmetric or general S (c×c). */
export function expectedSandwich(m: Float64Array, r: number, c: number, S: Float64Array, out: Float64Array): Float64Array {
  const rc = r * c;
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) {
    let s = 0;
    for (let k = 0; k < c; k++) {
      const row = rc + (i * c + k) * rc + j * c;
      for (let q = 0; q < c; q++) s += m[row + q]! * S[k * c + q]!;
    }
    out[i * r + j] = s;
  }
  return out;
}

/**
 * E[(u − M w)(u − M w)ᵀ] summed over rows, from the sums Suu = Σ E[u uᵀ] (r×r), Suw = Σ E[u wᵀ] (r×c)
 * and Sww = Σ E[w wᵀ] (c×c), into `out` (r×r). `sandwich` is scratch (r×r).
 */
export function residualScatter(m: Float64Array, r: number, c: number, Suu: Float64Array, Suw: Float64Array, Sww: Float64Array, out: Float64Array, sandwich: Float64Array): Float64Array {
  expectedSandwich(m, r, c, Sww, sandwich);
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) {
    let s = Suu[i * r + j]! + sandwich[i * r + j]!;
    for (let k = 0; k < c; k++) s -= m[j * c + k]! * Suw[i * c + k]! + m[i * c + k]! * Suw[j * c + k]!;
    out[i * r + j] = s;
  }
  return out;
}

/** −½ tr(E[Λ] W) + count (½ E[log|Λ|] − (r/2) log 2π): the summed expected log density. */
export function gaussianEnergy(Lam: Float64Array, logDet: number, r: number, count: number, W: Float64Array): number {
  let tr = 0;
  for (let i = 0; i < r * r; i++) tr += Lam[i]! * W[i]!;
  return count * (0.5 * logDet - 0.5 * r * Math.log(2 * Math.PI)) - 0.5 * tr;
}

/**
 * Adds the message to vec(M) (MvNormal(r·c) natural parameters [h, vec(−½J)]) of residuals
 * u − M w: h = vec(Λ Suw), −½J at ((i,k), (j,l)) = −½ Λ_ij Sww_kl.
 */
export function addMatrixMessage(out: Float64Array, r: number, c: number, Lam: Float64Array, Suw: Float64Array, Sww: Float64Array): void {
  const rc = r * c;
  for (let i = 0; i < r; i++) for (let k = 0; k < c; k++) {
    let h = 0;
    for (let j = 0; j < r; j++) h += Lam[i * r + j]! * Suw[j * c + k]!;
    out[i * c + k] += h;
  }
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) {
    const l = -0.5 * Lam[i * r + j]!;
    if (l === 0) continue;
    for (let k = 0; k < c; k++) {
      const row = rc + (i * c + k) * rc + j * c;
      for (let q = 0; q < c; q++) out[row + q] += l * Sww[k * c + q]!;
    }
  }
}

/**
 * Row-by-row accumulation of Σ_t w_t E[(u_t − M w_t)(u_t − M w_t)ᵀ] in centred form, so a long
 * series far from the origin loses no precision to cancellation between large raw moments:
 *   E[r rᵀ] = Cov(u) − Cov(u, w) E[M]ᵀ − E[M] Cov(w, u) + E[M] Cov(w) E[M]ᵀ + r̄ r̄ᵀ + Σ_kl Cov(M_ik, M_jl) E[w_k w_l],
 * with r̄ = E[u] − E[M] E[w]. Built once per update from the statistics of M (r×c).
 */
export class ResidualScatter {
  readonly r: number;
  readonly c: number;
  private readonly M: Float64Array;
  /** Cov(vec M) (rc × rc), or null when M is known (its covariance is exactly zero). */
  private readonly covM: Float64Array | null;
  private readonly Cuu: Float64Array;
  private readonly Cuw: Float64Array;
  private readonly Cww: Float64Array;
  private readonly rbar: Float64Array;
  private readonly t1: Float64Array;

  constructor(mStats: Float64Array, r: number, c: number, known: boolean) {
    const rc = r * c;
    this.r = r;
    this.c = c;
    this.M = mStats.subarray(0, rc);
    if (known) this.covM = null;
    else {
      const cov = new Float64Array(rc * rc);
      for (let a = 0; a < rc; a++) for (let b = 0; b < rc; b++) cov[a * rc + b] = mStats[rc + a * rc + b]! - mStats[a]! * mStats[b]!;
      this.covM = cov;
    }
    this.Cuu = new Float64Array(r * r);
    this.Cuw = new Float64Array(r * c);
    this.Cww = new Float64Array(c * c);
    this.rbar = new Float64Array(r);
    this.t1 = new Float64Array(r * c);
  }

  /**
   * Adds w · E[r rᵀ] into `out` (r×r) for one row with E[u] (r), E[u uᵀ] (r×r), E[w] (c), E[w wᵀ]
   * (c×c) and E[u wᵀ] (r×c) read at the given offsets (uw = null: u and w independent).
   */
  add(weight: number, u: Float64Array, uo: number, uu: Float64Array, uuo: number, w: Float64Array, wo: number, ww: Float64Array, wwo: number, uw: Float64Array | null, uwo: number, out: Float64Array): void {
    const { r, c, M, Cuu, Cuw, Cww, rbar, t1 } = this;
    for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) Cuu[i * r + j] = uu[uuo + i * r + j]! - u[uo + i]! * u[uo + j]!;
    for (let k = 0; k < c; k++) for (let l = 0; l < c; l++) Cww[k * c + l] = ww[wwo + k * c + l]! - w[wo + k]! * w[wo + l]!;
    for (let i = 0; i < r; i++) {
      let s = u[uo + i]!;
      for (let k = 0; k < c; k++) {
        s -= M[i * c + k]! * w[wo + k]!;
        Cuw[i * c + k] = uw === null ? 0 : uw[uwo + i * c + k]! - u[uo + i]! * w[wo + k]!;
      }
      rbar[i] = s;
    }
    // t1 = E[M] Cov(w) − Cov(u, w)  (r×c), so the middle terms are t1 E[M]ᵀ − E[M] Cov(w, u).
    for (let i = 0; i < r; i++) for (let l = 0; l < c; l++) {
      let s = -Cuw[i * c + l]!;
      for (let k = 0; k < c; k++) s += M[i * c + k]! * Cww[k * c + l]!;
      t1[i * c + l] = s;
    }
    for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) {
      let s = Cuu[i * r + j]! + rbar[i]! * rbar[j]!;
      for (let l = 0; l < c; l++) s += t1[i * c + l]! * M[j * c + l]! - M[i * c + l]! * Cuw[j * c + l]!;
      out[i * r + j] += weight * s;
    }
    const cov = this.covM;
    if (cov === null) return;
    const rc = r * c;
    for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) {
      let s = 0;
      for (let k = 0; k < c; k++) {
        const row = (i * c + k) * rc + j * c;
        for (let l = 0; l < c; l++) s += cov[row + l]! * ww[wwo + k * c + l]!;
      }
      out[i * r + j] += weight * s;
    }
  }
}
