/**
 * Linear (dot-product) kernel k(x, z) = Σ_d σ²_d x_d z_d: Bayesian linear regression through the
 * origin as a GP; one variance for all columns or one per column (ARD). Add it to a stationary
 * kernel for a trend.
 */
import { type Kernel, OwnParamsKernel, positiveVector, requireDim, vectorNames } from "./kernel.js";

export interface LinearOptions {
  readonly dim?: number;
  readonly variance?: number | readonly number[];
}

export class LinearKernel extends OwnParamsKernel implements Kernel {
  readonly name = "linear";

  constructor(options: LinearOptions = {}) {
    const dim = requireDim(options.dim ?? 1, "linear");
    const v = positiveVector(options.variance ?? 1, dim, "variance", "linear");
    super(dim, v, vectorNames("variance", v.length));
  }

  private w(c: number): number {
    return this.params.length === 1 ? this.params[0]! : this.params[c]!;
  }

  matrix(X1: Float64Array, n1: number, X2: Float64Array, n2: number, _same: boolean, out: Float64Array): void {
    const d = this.dim;
    for (let i = 0; i < n1; i++) {
      for (let j = 0; j < n2; j++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += this.w(c) * X1[i * d + c]! * X2[j * d + c]!;
        out[i * n2 + j] = s;
      }
    }
  }

  diag(X: Float64Array, n: number, out: Float64Array): void {
    const d = this.dim;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += this.w(c) * X[i * d + c]! * X[i * d + c]!;
      out[i] = s;
    }
  }

  gradient(X1: Float64Array, n1: number, X2: Float64Array, n2: number, _same: boolean, G: Float64Array, grad: Float64Array, offset: number): void {
    const d = this.dim, shared = this.params.length === 1;
    for (let i = 0; i < n1; i++) {
      for (let j = 0; j < n2; j++) {
        const g = G[i * n2 + j]!;
        if (g === 0) continue;
        for (let c = 0; c < d; c++) grad[offset + (shared ? 0 : c)] += g * X1[i * d + c]! * X2[j * d + c]!;
      }
    }
  }

  diagGradient(X: Float64Array, n: number, g: Float64Array, grad: Float64Array, offset: number): void {
    const d = this.dim, shared = this.params.length === 1;
    for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) grad[offset + (shared ? 0 : c)] += g[i]! * X[i * d + c]! * X[i * d + c]!;
  }

  inputGradient(_X1: Float64Array, n1: number, X2: Float64Array, n2: number, G: Float64Array, gX1: Float64Array): void {
    const d = this.dim;
    for (let i = 0; i < n1; i++) {
      for (let j = 0; j < n2; j++) {
        const g = G[i * n2 + j]!;
        if (g === 0) continue;
        for (let c = 0; c < d; c++) gX1[i * d + c] += g * this.w(c) * X2[j * d + c]!;
      }
    }
  }
}

export function linear(options: LinearOptions = {}): LinearKernel {
  return new LinearKernel(options);
}
