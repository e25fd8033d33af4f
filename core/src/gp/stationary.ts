/**
 * Stationary kernels k(x, z) = σ² f(r²), r² = Σ_d (x_d − z_d)² / ℓ_d²: the squared exponential and
 * the Matérn 1/2, 3/2 and 5/2 family. One class, one profile f per kernel (value and df/dr²), so the
 * block loops, ARD lengthscales and gradients are written once.
 */
import { type Kernel, OwnParamsKernel, positiveVector, requireDim, requirePositiveHyper, vectorNames } from "./kernel.js";

/** f(r²) and df/dr² of a stationary kernel's profile. */
interface Profile {
  readonly name: string;
  value(r2: number): number;
  /** df/dr²; at r² = 0 the finite limit (or 0 where the limit is infinite: every δ is 0 there). */
  slope(r2: number): number;
}

const SQRT3 = Math.sqrt(3), SQRT5 = Math.sqrt(5);

const squaredExponentialProfile: Profile = {
  name: "squaredExponential",
  value: (r2) => Math.exp(-0.5 * r2),
  slope: (r2) => -0.5 * Math.exp(-0.5 * r2),
};
const matern12Profile: Profile = {
  name: "matern12",
  value: (r2) => Math.exp(-Math.sqrt(r2)),
  slope: (r2) => (r2 > 0 ? -Math.exp(-Math.sqrt(r2)) / (2 * Math.sqrt(r2)) : 0),
};
const matern32Profile: Profile = {
  name: "matern32",
  value: (r2) => {
    const s = SQRT3 * Math.sqrt(r2);
    return (1 + s) * Math.exp(-s);
  },
  slope: (r2) => -1.5 * Math.exp(-SQRT3 * Math.sqrt(r2)),
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
};

export interface StationaryOptions {
  /** Number of input columns (default 1). */
  readonly dim?: number;
  /** Signal variance σ² (default 1). */
  readonly variance?: number;
  /** One lengthscale for every column, or one per column (ARD). Default 1. */
  readonly lengthscale?: number | readonly number[];
}

/** params = [variance, lengthscale…]. */
export class StationaryKernel extends OwnParamsKernel implements Kernel {
  readonly name: string;
  private readonly profile: Profile;
  private readonly ard: boolean;

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
  }

  private r2(X1: Float64Array, i: number, X2: Float64Array, j: number): number {
    const d = this.dim, p = this.params;
    let r2 = 0;
    if (this.ard) {
      for (let c = 0; c < d; c++) {
        const t = (X1[i * d + c]! - X2[j * d + c]!) / p[1 + c]!;
        r2 += t * t;
      }
    } else {
      for (let c = 0; c < d; c++) {
        const t = X1[i * d + c]! - X2[j * d + c]!;
        r2 += t * t;
      }
      r2 /= p[1]! * p[1]!;
    }
    return r2;
  }

  matrix(X1: Float64Array, n1: number, X2: Float64Array, n2: number, _same: boolean, out: Float64Array): void {
    const v = this.params[0]!, f = this.profile;
    for (let i = 0; i < n1; i++) for (let j = 0; j < n2; j++) out[i * n2 + j] = v * f.value(this.r2(X1, i, X2, j));
  }

  diag(_X: Float64Array, n: number, out: Float64Array): void {
    out.fill(this.params[0]!, 0, n);
  }

  gradient(X1: Float64Array, n1: number, X2: Float64Array, n2: number, _same: boolean, G: Float64Array, grad: Float64Array, offset: number): void {
    const d = this.dim, p = this.params, v = p[0]!, f = this.profile;
    for (let i = 0; i < n1; i++) {
      for (let j = 0; j < n2; j++) {
        const g = G[i * n2 + j]!;
        if (g === 0) continue;
        const r2 = this.r2(X1, i, X2, j);
        grad[offset] += g * f.value(r2);
        const w = g * v * f.slope(r2);
        // ∂r²/∂ℓ_c = −2 δ_c² / ℓ_c³ (ARD); −2 r² / ℓ (shared lengthscale).
        if (this.ard) {
          for (let c = 0; c < d; c++) {
            const l = p[1 + c]!, t = X1[i * d + c]! - X2[j * d + c]!;
            grad[offset + 1 + c] += (w * -2 * t * t) / (l * l * l);
          }
        } else {
          grad[offset + 1] += (w * -2 * r2) / p[1]!;
        }
      }
    }
  }

  diagGradient(_X: Float64Array, n: number, g: Float64Array, grad: Float64Array, offset: number): void {
    let s = 0;
    for (let i = 0; i < n; i++) s += g[i]!;
    grad[offset] += s;
  }

  inputGradient(X1: Float64Array, n1: number, X2: Float64Array, n2: number, G: Float64Array, gX1: Float64Array): void {
    const d = this.dim, p = this.params, v = p[0]!, f = this.profile;
    for (let i = 0; i < n1; i++) {
      for (let j = 0; j < n2; j++) {
        const g = G[i * n2 + j]!;
        if (g === 0) continue;
        const w = 2 * g * v * f.slope(this.r2(X1, i, X2, j));
        for (let c = 0; c < d; c++) {
          const l = this.ard ? p[1 + c]! : p[1]!;
          gX1[i * d + c] += (w * (X1[i * d + c]! - X2[j * d + c]!)) / (l * l);
        }
      }
    }
  }
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
