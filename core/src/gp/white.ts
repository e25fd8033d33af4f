/**
 * White-noise kernel: σ² on the diagonal of K(X, X) and 0 between different point sets (as in
 * GPflow), so it models independent noise in the latent function without coupling training and
 * test points.
 */
import { type Kernel, OwnParamsKernel, requireDim, requirePositiveHyper } from "./kernel.js";

export interface WhiteOptions {
  readonly dim?: number;
  readonly variance?: number;
}

export class WhiteKernel extends OwnParamsKernel implements Kernel {
  readonly name = "white";

  constructor(options: WhiteOptions = {}) {
    super(requireDim(options.dim ?? 1, "white"), Float64Array.of(requirePositiveHyper(options.variance ?? 1, "variance", "white")), ["variance"]);
  }

  matrix(_X1: Float64Array, n1: number, _X2: Float64Array, n2: number, same: boolean, out: Float64Array): void {
    out.fill(0, 0, n1 * n2);
    if (same) for (let i = 0; i < n1; i++) out[i * n2 + i] = this.params[0]!;
  }

  diag(_X: Float64Array, n: number, out: Float64Array): void {
    out.fill(this.params[0]!, 0, n);
  }

  gradient(_X1: Float64Array, n1: number, _X2: Float64Array, n2: number, same: boolean, G: Float64Array, grad: Float64Array, offset: number): void {
    if (!same) return;
    for (let i = 0; i < n1; i++) grad[offset] += G[i * n2 + i]!;
  }

  diagGradient(_X: Float64Array, n: number, g: Float64Array, grad: Float64Array, offset: number): void {
    for (let i = 0; i < n; i++) grad[offset] += g[i]!;
  }

  inputGradient(): void {
    // Constant in the inputs.
  }
}

export function white(options: WhiteOptions = {}): WhiteKernel {
  return new WhiteKernel(options);
}
