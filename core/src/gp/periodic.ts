/**
 * Periodic kernel (MacKay 1998): k(x, z) = σ² exp(−2 Σ_d sin²(π (x_d − z_d) / p) / ℓ²), exactly
 * periodic with period p in every column. Multiply by a squared exponential for a seasonal
 * pattern whose shape drifts (the Mauna Loa CO2 model).
 */
import { type Kernel, OwnParamsKernel, requireDim, requirePositiveHyper } from "./kernel.js";

export interface PeriodicOptions {
  readonly dim?: number;
  readonly variance?: number;
  readonly lengthscale?: number;
  readonly period?: number;
}

/** params = [variance, lengthscale, period]. */
export class PeriodicKernel extends OwnParamsKernel implements Kernel {
  readonly name = "periodic";

  constructor(options: PeriodicOptions = {}) {
    const name = "periodic";
    const dim = requireDim(options.dim ?? 1, name);
    super(
      dim,
      Float64Array.of(
        requirePositiveHyper(options.variance ?? 1, "variance", name),
        requirePositiveHyper(options.lengthscale ?? 1, "lengthscale", name),
        requirePositiveHyper(options.period ?? 1, "period", name),
      ),
      ["variance", "lengthscale", "period"],
    );
  }

  /** Σ_d sin²(π δ_d / p). */
  private sinSum(X1: Float64Array, i: number, X2: Float64Array, j: number): number {
    const d = this.dim, w = Math.PI / this.params[2]!;
    let s = 0;
    for (let c = 0; c < d; c++) {
      const t = Math.sin(w * (X1[i * d + c]! - X2[j * d + c]!));
      s += t * t;
    }
    return s;
  }

  matrix(X1: Float64Array, n1: number, X2: Float64Array, n2: number, _same: boolean, out: Float64Array): void {
    const v = this.params[0]!, l = this.params[1]!, a = -2 / (l * l);
    for (let i = 0; i < n1; i++) for (let j = 0; j < n2; j++) out[i * n2 + j] = v * Math.exp(a * this.sinSum(X1, i, X2, j));
  }

  diag(_X: Float64Array, n: number, out: Float64Array): void {
    out.fill(this.params[0]!, 0, n);
  }

  gradient(X1: Float64Array, n1: number, X2: Float64Array, n2: number, _same: boolean, G: Float64Array, grad: Float64Array, offset: number): void {
    const d = this.dim, v = this.params[0]!, l = this.params[1]!, p = this.params[2]!, a = -2 / (l * l), w = Math.PI / p;
    for (let i = 0; i < n1; i++) {
      for (let j = 0; j < n2; j++) {
        const g = G[i * n2 + j]!;
        if (g === 0) continue;
        // Σ sin², and Σ sin·cos·δ for the period derivative.
        let s = 0, sc = 0;
        for (let c = 0; c < d; c++) {
          const delta = X1[i * d + c]! - X2[j * d + c]!, arg = w * delta, sn = Math.sin(arg);
          s += sn * sn;
          sc += sn * Math.cos(arg) * delta;
        }
        const e = Math.exp(a * s), k = v * e;
        grad[offset] += g * e;
        grad[offset + 1] += (g * k * 4 * s) / (l * l * l);
        grad[offset + 2] += g * k * a * 2 * sc * (-Math.PI / (p * p));
      }
    }
  }

  diagGradient(_X: Float64Array, n: number, g: Float64Array, grad: Float64Array, offset: number): void {
    let s = 0;
    for (let i = 0; i < n; i++) s += g[i]!;
    grad[offset] += s;
  }

  inputGradient(X1: Float64Array, n1: number, X2: Float64Array, n2: number, G: Float64Array, gX1: Float64Array): void {
    const d = this.dim, v = this.params[0]!, l = this.params[1]!, a = -2 / (l * l), w = Math.PI / this.params[2]!;
    for (let i = 0; i < n1; i++) {
      for (let j = 0; j < n2; j++) {
        const g = G[i * n2 + j]!;
        if (g === 0) continue;
        const k = v * Math.exp(a * this.sinSum(X1, i, X2, j));
        for (let c = 0; c < d; c++) {
          const arg = w * (X1[i * d + c]! - X2[j * d + c]!);
          gX1[i * d + c] += g * k * a * 2 * Math.sin(arg) * Math.cos(arg) * w;
        }
      }
    }
  }
}

export function periodic(options: PeriodicOptions = {}): PeriodicKernel {
  return new PeriodicKernel(options);
}
