/**
 * Stationary kernels k(x, z) = σ² f(r²), r² = Σ_d (x_d − z_d)² / ℓ_d²: the squared exponential and
 * the Matérn 1/2, 3/2 and 5/2 family. One class, one profile f per kernel (value and df/dr²), so the
 * block loops, ARD lengthscales and gradients are written once.
 */
import { type Kernel, OwnParamsKernel, positiveVector, requireDim, requirePositiveHyper, vectorNames } from "./kernel.js";
import { gemmStrided } from "../linalg/gemm.js";

/** f(r²) and df/dr² of a stationary kernel's profile. */
interface Profile {
  readonly name: string;
  value(r2: number): number;
  /** df/dr²; at r² = 0 the finite limit (or 0 where the limit is infinite: every δ is 0 there). */
  slope(r2: number): number;
  /** df/dr² given f(r²) already computed: the exponential is not evaluated twice. */
  slopeFromValue(r2: number, value: number): number;
}

const SQRT3 = Math.sqrt(3), SQRT5 = Math.sqrt(5);

const squaredExponentialProfile: Profile = {
  name: "squaredExponential",
  value: (r2) => Math.exp(-0.5 * r2),
  slope: (r2) => -0.5 * Math.exp(-0.5 * r2),
  slopeFromValue: (_r2, f) => -0.5 * f,
};
const matern12Profile: Profile = {
  name: "matern12",
  value: (r2) => Math.exp(-Math.sqrt(r2)),
  slope: (r2) => (r2 > 0 ? -Math.exp(-Math.sqrt(r2)) / (2 * Math.sqrt(r2)) : 0),
  slopeFromValue: (r2, f) => (r2 > 0 ? -f / (2 * Math.sqrt(r2)) : 0),
};
const matern32Profile: Profile = {
  name: "matern32",
  value: (r2) => {
    const s = SQRT3 * Math.sqrt(r2);
    return (1 + s) * Math.exp(-s);
  },
  slope: (r2) => -1.5 * Math.exp(-SQRT3 * Math.sqrt(r2)),
  // f = (1 + s) e^{−s}, df/dr² = −1.5 e^{−s}.
  slopeFromValue: (r2, f) => (-1.5 * f) / (1 + SQRT3 * Math.sqrt(r2)),
};
const matern52Profile: Profile = {
  name: "matern52",
  value: (r2) => {
    const s = SQRT5 * Math.sqrt(r2);
    return (1 + s + (5 / 3) * r2) * Math.exp(-s);
  },
  slope: (r2) => {
    const s = SQRT5 * Math.sqrt(r2);
    return (-5 / 6) * (1 + s) * Math.exp(-s);
  },
  // f = (1 + s + 5r²/3) e^{−s}, df/dr² = −(5/6)(1 + s) e^{−s}.
  slopeFromValue: (r2, f) => {
    const s = SQRT5 * Math.sqrt(r2);
    return ((-5 / 6) * (1 + s) * f) / (1 + s + (5 / 3) * r2);
  },
};

/**
 * Input columns from which the squared distances of a block go through the identity
 * |u|² + |w|² − 2 u·w with one GEMM for the cross terms (below it the direct differences are cheaper).
 */
const GEMM_DISTANCE_MIN_DIM = 4;
/**
 * The identity loses about ε (|u|² + |w|²) absolutely to cancellation; where r² is below this
 * fraction of |u|² + |w|² the entry is recomputed from the differences, so every r² keeps a relative
 * error under ~1e-12 (and √r², which the Matérn kernels take, stays accurate near 0).
 */
const CANCELLATION_GUARD = 1e-3;

export interface StationaryOptions {
  /** Number of input columns (default 1). */
  readonly dim?: number;
  /** Signal variance σ² (default 1). */
  readonly variance?: number;
  /** One lengthscale for every column, or one per column (ARD). Default 1. */
  readonly lengthscale?: number | readonly number[];
}

/**
 * params = [variance, lengthscale…]. Blocks are computed from inputs scaled by 1/ℓ into grow-only
 * scratch (u = (x − c)/ℓ, c the mean of the first block's rows, which keeps the GEMM identity's
 * terms small), a block of r² (direct differences, or the GEMM identity with its cancellation
 * guard for wide inputs), then one flat pass of the profile. Warm calls allocate nothing.
 */
export class StationaryKernel extends OwnParamsKernel implements Kernel {
  readonly name: string;
  private readonly profile: Profile;
  private readonly ard: boolean;
  private u1 = new Float64Array(0);
  private u2 = new Float64Array(0);
  private sq1 = new Float64Array(0);
  private sq2 = new Float64Array(0);
  private r2Block = new Float64Array(0);
  private wu = new Float64Array(0);
  private rowW = new Float64Array(0);
  private colW = new Float64Array(0);
  private readonly nearGrad: Float64Array;
  private readonly cache = new BlockCache();
  private readonly center: Float64Array;
  private readonly invLength: Float64Array;

  constructor(profile: Profile, options: StationaryOptions) {
    const name = profile.name;
    const dim = requireDim(options.dim ?? 1, name);
    const variance = requirePositiveHyper(options.variance ?? 1, "variance", name);
    const ls = positiveVector(options.lengthscale ?? 1, dim, "lengthscale", name);
    const params = new Float64Array(1 + ls.length);
    params[0] = variance;
    params.set(ls, 1);
    super(dim, params, ["variance", ...vectorNames("lengthscale", ls.length)]);
    this.name = name;
    this.profile = profile;
    this.ard = ls.length > 1;
    this.center = new Float64Array(dim);
    this.invLength = new Float64Array(dim);
    this.nearGrad = new Float64Array(dim);
  }

  /**
   * 1/ℓ per column, and when `centred` the scaled, centred copies u1 = (X1 − c)/ℓ, u2 = (X2 − c)/ℓ
   * (c the column means of X1) that the GEMM identity and the ARD contraction work on. Direct
   * differences are always taken on the raw inputs, (x − z)/ℓ: exact subtraction of close inputs.
   */
  private scale(X1: Float64Array, n1: number, X2: Float64Array, n2: number, centred: boolean): void {
    const d = this.dim, p = this.params, c = this.center, il = this.invLength;
    for (let k = 0; k < d; k++) il[k] = 1 / (this.ard ? p[1 + k]! : p[1]!);
    if (!centred) return;
    c.fill(0);
    for (let i = 0; i < n1; i++) for (let k = 0; k < d; k++) c[k] += X1[i * d + k]!;
    for (let k = 0; k < d; k++) c[k] = n1 > 0 ? c[k]! / n1 : 0;
    if (this.u1.length < n1 * d) this.u1 = new Float64Array(n1 * d);
    if (this.u2.length < n2 * d) this.u2 = new Float64Array(n2 * d);
    const u1 = this.u1, u2 = this.u2;
    for (let i = 0; i < n1; i++) for (let k = 0; k < d; k++) u1[i * d + k] = (X1[i * d + k]! - c[k]!) * il[k]!;
    for (let j = 0; j < n2; j++) for (let k = 0; k < d; k++) u2[j * d + k] = (X2[j * d + k]! - c[k]!) * il[k]!;
  }

  /** The GEMM identity is used for the distances of this kernel's blocks. */
  private get gemmDistances(): boolean {
    return this.dim >= GEMM_DISTANCE_MIN_DIM;
  }

  /** out (n1×n2) ← r² between the rows of X1 and X2 (after `scale`, centred when gemmDistances). */
  private distances(X1: Float64Array, n1: number, X2: Float64Array, n2: number, out: Float64Array): void {
    const d = this.dim, il = this.invLength;
    if (d === 1) {
      const s = il[0]!;
      for (let i = 0; i < n1; i++) {
        const a = X1[i]!, r = i * n2;
        for (let j = 0; j < n2; j++) {
          const t = (a - X2[j]!) * s;
          out[r + j] = t * t;
        }
      }
      return;
    }
    if (!this.gemmDistances) {
      for (let i = 0; i < n1; i++) {
        const r = i * n2, io = i * d;
        for (let j = 0; j < n2; j++) out[r + j] = direct(X1, io, X2, j * d, il, d);
      }
      return;
    }
    if (this.sq1.length < n1) this.sq1 = new Float64Array(n1);
    if (this.sq2.length < n2) this.sq2 = new Float64Array(n2);
    const s1 = this.sq1, s2 = this.sq2, u1 = this.u1, u2 = this.u2;
    for (let i = 0; i < n1; i++) s1[i] = squaredNorm(u1, i * d, d);
    for (let j = 0; j < n2; j++) s2[j] = squaredNorm(u2, j * d, d);
    // out = −2 U1 U2ᵀ, then + |u1|² + |u2|², guarded.
    gemmStrided(n1, n2, d, u1, 0, d, 1, u2, 0, 1, d, out, 0, n2, false, -2);
    for (let i = 0; i < n1; i++) {
      const r = i * n2, a = s1[i]!;
      for (let j = 0; j < n2; j++) {
        const norms = a + s2[j]!, r2 = out[r + j]! + norms;
        out[r + j] = r2 > CANCELLATION_GUARD * norms ? r2 : direct(X1, i * d, X2, j * d, il, d);
      }
    }
  }

  /** Buffers of the ARD contraction: row/column sums of W, squared norms, the near pairs' sums. */
  private growContraction(n1: number, n2: number): void {
    if (this.sq1.length < n1) this.sq1 = new Float64Array(n1);
    if (this.sq2.length < n2) this.sq2 = new Float64Array(n2);
    if (this.rowW.length < n1) this.rowW = new Float64Array(n1);
    if (this.colW.length < n2) this.colW = new Float64Array(n2);
  }

  /** r² for (X1, X2) into the kernel's own block (grown on demand). */
  private distanceBlock(X1: Float64Array, n1: number, X2: Float64Array, n2: number, centred: boolean): Float64Array {
    this.scale(X1, n1, X2, n2, centred || this.gemmDistances);
    if (this.r2Block.length < n1 * n2) this.r2Block = new Float64Array(n1 * n2);
    this.distances(X1, n1, X2, n2, this.r2Block);
    return this.r2Block;
  }

  matrix(X1: Float64Array, n1: number, X2: Float64Array, n2: number, _same: boolean, out: Float64Array): void {
    const v = this.params[0]!, f = this.profile, n = n1 * n2;
    this.scale(X1, n1, X2, n2, this.gemmDistances);
    this.distances(X1, n1, X2, n2, out);
    if (!cacheable(n)) {
      for (let i = 0; i < n; i++) out[i] = v * f.value(out[i]!);
      return;
    }
    const c = this.cache.prepare(X1, n1, X2, n2, this.dim, this.params), R = c.r2, F = c.f;
    for (let i = 0; i < n; i++) {
      const r2 = out[i]!, fv = f.value(r2);
      R[i] = r2;
      F[i] = fv;
      out[i] = v * fv;
    }
  }

  diag(_X: Float64Array, n: number, out: Float64Array): void {
    out.fill(this.params[0]!, 0, n);
  }

  gradient(X1: Float64Array, n1: number, X2: Float64Array, n2: number, _same: boolean, G: Float64Array, grad: Float64Array, offset: number): void {
    const d = this.dim, v = this.params[0]!, f = this.profile, il = this.invLength;
    // The block's r² and profile values from the last `matrix` call on the same inputs and
    // hyperparameters (SparseGp asks for K_ZX, then for its contraction), else computed afresh.
    const hit = cacheable(n1 * n2) && this.cache.matches(X1, n1, X2, n2, d, this.params);
    let R: Float64Array, F: Float64Array | null = null;
    if (hit) {
      this.scale(X1, n1, X2, n2, this.ard);
      if (this.r2Block.length < n1 * n2) this.r2Block = new Float64Array(n1 * n2);
      R = this.cache.r2;
      F = this.cache.f;
    } else {
      R = this.distanceBlock(X1, n1, X2, n2, this.ard);
    }
    const W = this.r2Block, u1 = this.u1, u2 = this.u2;
    let gVar = 0, gLen = 0;
    // W = G ∘ ∂K/∂r² overwrites R (ARD), its row and column sums kept for the contraction below.
    // Pairs with r² small against |u1|² + |u2|² (where the identity would cancel) are contracted
    // directly instead and left out of W.
    if (this.ard) this.growContraction(n1, n2);
    const rowW = this.rowW, colW = this.colW, sq1 = this.sq1, sq2 = this.sq2, near = this.nearGrad;
    if (this.ard) {
      colW.fill(0, 0, n2);
      near.fill(0);
      for (let i = 0; i < n1; i++) sq1[i] = squaredNorm(u1, i * d, d);
      for (let j = 0; j < n2; j++) sq2[j] = squaredNorm(u2, j * d, d);
    }
    for (let i = 0; i < n1; i++) {
      const r = i * n2;
      let rowSum = 0;
      for (let j = 0; j < n2; j++) {
        const g = G[r + j]!;
        if (g === 0) {
          W[r + j] = 0;
          continue;
        }
        const r2 = R[r + j]!, fv = F ? F[r + j]! : f.value(r2);
        gVar += g * fv;
        const w = g * v * f.slopeFromValue(r2, fv);
        if (this.ard) {
          if (r2 > CANCELLATION_GUARD * (sq1[i]! + sq2[j]!)) {
            W[r + j] = w;
            rowSum += w;
            colW[j] += w;
          } else {
            W[r + j] = 0;
            const io = i * d, jo = j * d;
            for (let c = 0; c < d; c++) {
              const t = (X1[io + c]! - X2[jo + c]!) * il[c]!;
              near[c] += w * t * t;
            }
          }
        } else {
          gLen += w * r2;
        }
      }
      if (this.ard) rowW[i] = rowSum;
    }
    grad[offset] += gVar;
    // ∂r²/∂ℓ_c = −2 u_c²/ℓ_c (ARD), −2 r²/ℓ (shared).
    if (!this.ard) {
      grad[offset + 1] += -2 * gLen * il[0]!;
      return;
    }
    // Σ_ij W_ij (u1_ic − u2_jc)² = Σ_i u1_ic² rowW_i + Σ_j u2_jc² colW_j − 2 Σ_i u1_ic (W U2)_ic: one
    // GEMM (n1×n2 by n2×d) instead of d passes over the block. The inputs are centred (scale), so the
    // three terms stay of the size of the result.
    if (this.wu.length < n1 * d) this.wu = new Float64Array(n1 * d);
    const WU = this.wu;
    gemmStrided(n1, d, n2, W, 0, n2, 1, u2, 0, d, 1, WU, 0, d, false);
    for (let c = 0; c < d; c++) {
      let s = near[c]!;
      for (let i = 0; i < n1; i++) {
        const a = u1[i * d + c]!;
        s += a * (a * rowW[i]! - 2 * WU[i * d + c]!);
      }
      for (let j = 0; j < n2; j++) {
        const b = u2[j * d + c]!;
        s += b * b * colW[j]!;
      }
      grad[offset + 1 + c] += -2 * s * il[c]!;
    }
  }

  diagGradient(_X: Float64Array, n: number, g: Float64Array, grad: Float64Array, offset: number): void {
    let s = 0;
    for (let i = 0; i < n; i++) s += g[i]!;
    grad[offset] += s;
  }

  inputGradient(X1: Float64Array, n1: number, X2: Float64Array, n2: number, G: Float64Array, gX1: Float64Array): void {
    const d = this.dim, v = this.params[0]!, f = this.profile, il = this.invLength;
    const R = this.distanceBlock(X1, n1, X2, n2, false);
    for (let i = 0; i < n1; i++) {
      const r = i * n2, io = i * d;
      for (let j = 0; j < n2; j++) {
        const g = G[r + j]!;
        if (g === 0) continue;
        const r2 = R[r + j]!;
        // ∂r²/∂x_c = 2 u_c / ℓ_c.
        const w = 2 * g * v * f.slope(r2), jo = j * d;
        for (let c = 0; c < d; c++) gX1[io + c] += w * (X1[io + c]! - X2[jo + c]!) * il[c]! * il[c]!;
      }
    }
  }
}

/** Blocks below this many entries are not cached (recomputing them is cheap), nor above the max (memory). */
const CACHE_MIN_ENTRIES = 1024, CACHE_MAX_ENTRIES = 1 << 20;

function cacheable(n: number): boolean {
  return n >= CACHE_MIN_ENTRIES && n <= CACHE_MAX_ENTRIES;
}

/**
 * The r² and profile values of the last large block a kernel computed, with copies of its inputs
 * and hyperparameters: a contraction over the same block (checked value by value, O((n1 + n2)·d),
 * so inputs changed in place are caught) reuses them instead of recomputing n1·n2 distances and
 * exponentials. Grow-only buffers.
 */
class BlockCache {
  r2 = new Float64Array(0);
  f = new Float64Array(0);
  private x1 = new Float64Array(0);
  private x2 = new Float64Array(0);
  private params = new Float64Array(0);
  private n1 = -1;
  private n2 = -1;

  /** Records the inputs and returns buffers for n1·n2 entries (the caller fills r2 and f). */
  prepare(X1: Float64Array, n1: number, X2: Float64Array, n2: number, d: number, params: Float64Array): this {
    const n = n1 * n2;
    if (this.r2.length < n) {
      this.r2 = new Float64Array(n);
      this.f = new Float64Array(n);
    }
    if (this.x1.length < n1 * d) this.x1 = new Float64Array(n1 * d);
    if (this.x2.length < n2 * d) this.x2 = new Float64Array(n2 * d);
    if (this.params.length !== params.length) this.params = new Float64Array(params.length);
    this.x1.set(X1.subarray(0, n1 * d));
    this.x2.set(X2.subarray(0, n2 * d));
    this.params.set(params);
    this.n1 = n1;
    this.n2 = n2;
    return this;
  }

  matches(X1: Float64Array, n1: number, X2: Float64Array, n2: number, d: number, params: Float64Array): boolean {
    if (n1 !== this.n1 || n2 !== this.n2) return false;
    for (let i = 0; i < params.length; i++) if (params[i] !== this.params[i]) return false;
    for (let i = 0; i < n1 * d; i++) if (X1[i] !== this.x1[i]) return false;
    for (let i = 0; i < n2 * d; i++) if (X2[i] !== this.x2[i]) return false;
    return true;
  }
}

/** Σ_c ((a_c − b_c)/ℓ_c)² over d columns. */
function direct(a: Float64Array, ao: number, b: Float64Array, bo: number, il: Float64Array, d: number): number {
  let s = 0;
  for (let c = 0; c < d; c++) {
    const t = (a[ao + c]! - b[bo + c]!) * il[c]!;
    s += t * t;
  }
  return s;
}

function squaredNorm(a: Float64Array, ao: number, d: number): number {
  let s = 0;
  for (let c = 0; c < d; c++) s += a[ao + c]! * a[ao + c]!;
  return s;
}

/** Squared exponential (RBF) kernel σ² exp(−r²/2); ARD when `lengthscale` has one value per column. */
export function squaredExponential(options: StationaryOptions = {}): StationaryKernel {
  return new StationaryKernel(squaredExponentialProfile, options);
}
/** Matérn 1/2 (exponential, Ornstein–Uhlenbeck) kernel σ² e^{−r}. */
export function matern12(options: StationaryOptions = {}): StationaryKernel {
  return new StationaryKernel(matern12Profile, options);
}
/** Matérn 3/2 kernel σ² (1 + √3 r) e^{−√3 r}. */
export function matern32(options: StationaryOptions = {}): StationaryKernel {
  return new StationaryKernel(matern32Profile, options);
}
/** Matérn 5/2 kernel σ² (1 + √5 r + 5r²/3) e^{−√5 r}. */
export function matern52(options: StationaryOptions = {}): StationaryKernel {
  return new StationaryKernel(matern52Profile, options);
}
