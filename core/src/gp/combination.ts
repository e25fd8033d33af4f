/**
 * Sums and products of kernels (both PSD by Schur's product theorem). Hyperparameters are the
 * terms' hyperparameters back to back, named "terms[i].<name>". A product's gradient for one term
 * is that term's gradient with G multiplied element-wise by the other terms' matrices, computed in
 * a scratch block the kernel keeps (grown on demand, never per entry).
 */
import { VireoError } from "../errors.js";
import type { Kernel } from "./kernel.js";

abstract class CombinationKernel {
  abstract readonly name: string;
  readonly terms: readonly Kernel[];
  readonly dim: number;
  readonly size: number;
  readonly parameterNames: readonly string[];
  protected scratch = new Float64Array(0);

  constructor(kind: string, terms: readonly Kernel[]) {
    if (terms.length < 2) throw new VireoError("INVALID_PARAMETER", `${kind}: give at least two kernels, got ${terms.length}.`);
    const dim = terms[0]!.dim;
    terms.forEach((t, i) => {
      if (t.dim !== dim) throw new VireoError("DIMENSION_MISMATCH", `${kind}: terms[${i}] (${t.name}) takes ${t.dim} input columns but terms[0] (${terms[0]!.name}) takes ${dim}; every term needs the same 'dim'.`);
    });
    this.terms = Object.freeze([...terms]);
    this.dim = dim;
    this.size = terms.reduce((s, t) => s + t.size, 0);
    this.parameterNames = Object.freeze(terms.flatMap((t, i) => t.parameterNames.map((n) => `terms[${i}].${n}`)));
  }

  protected buffer(n: number): Float64Array {
    if (this.scratch.length < n) this.scratch = new Float64Array(n);
    return this.scratch;
  }

  getParams(out: Float64Array, offset: number): void {
    for (const t of this.terms) {
      t.getParams(out, offset);
      offset += t.size;
    }
  }

  setParams(src: Float64Array, offset: number): void {
    for (const t of this.terms) {
      t.setParams(src, offset);
      offset += t.size;
    }
  }
}

export class SumKernel extends CombinationKernel implements Kernel {
  readonly name = "sum";

  constructor(terms: readonly Kernel[]) {
    super("sum", terms);
  }

  matrix(X1: Float64Array, n1: number, X2: Float64Array, n2: number, same: boolean, out: Float64Array): void {
    const n = n1 * n2, tmp = this.buffer(n);
    this.terms[0]!.matrix(X1, n1, X2, n2, same, out);
    for (let t = 1; t < this.terms.length; t++) {
      this.terms[t]!.matrix(X1, n1, X2, n2, same, tmp);
      for (let i = 0; i < n; i++) out[i] += tmp[i]!;
    }
  }

  diag(X: Float64Array, n: number, out: Float64Array): void {
    const tmp = this.buffer(n);
    this.terms[0]!.diag(X, n, out);
    for (let t = 1; t < this.terms.length; t++) {
      this.terms[t]!.diag(X, n, tmp);
      for (let i = 0; i < n; i++) out[i] += tmp[i]!;
    }
  }

  gradient(X1: Float64Array, n1: number, X2: Float64Array, n2: number, same: boolean, G: Float64Array, grad: Float64Array, offset: number): void {
    for (const t of this.terms) {
      t.gradient(X1, n1, X2, n2, same, G, grad, offset);
      offset += t.size;
    }
  }

  diagGradient(X: Float64Array, n: number, g: Float64Array, grad: Float64Array, offset: number): void {
    for (const t of this.terms) {
      t.diagGradient(X, n, g, grad, offset);
      offset += t.size;
    }
  }

  inputGradient(X1: Float64Array, n1: number, X2: Float64Array, n2: number, G: Float64Array, gX1: Float64Array): void {
    for (const t of this.terms) t.inputGradient(X1, n1, X2, n2, G, gX1);
  }
}

export class ProductKernel extends CombinationKernel implements Kernel {
  readonly name = "product";

  constructor(terms: readonly Kernel[]) {
    super("product", terms);
  }

  matrix(X1: Float64Array, n1: number, X2: Float64Array, n2: number, same: boolean, out: Float64Array): void {
    const n = n1 * n2, tmp = this.buffer(n);
    this.terms[0]!.matrix(X1, n1, X2, n2, same, out);
    for (let t = 1; t < this.terms.length; t++) {
      this.terms[t]!.matrix(X1, n1, X2, n2, same, tmp);
      for (let i = 0; i < n; i++) out[i] *= tmp[i]!;
    }
  }

  diag(X: Float64Array, n: number, out: Float64Array): void {
    const tmp = this.buffer(n);
    this.terms[0]!.diag(X, n, out);
    for (let t = 1; t < this.terms.length; t++) {
      this.terms[t]!.diag(X, n, tmp);
      for (let i = 0; i < n; i++) out[i] *= tmp[i]!;
    }
  }

  /** Writes G ∘ Π_{s≠t} K_s into `out` (n entries); `tmp` is scratch. */
  private others(t: number, n: number, G: Float64Array, out: Float64Array, tmp: Float64Array, fill: (s: Kernel, o: Float64Array) => void): void {
    for (let i = 0; i < n; i++) out[i] = G[i]!;
    for (let s = 0; s < this.terms.length; s++) {
      if (s === t) continue;
      fill(this.terms[s]!, tmp);
      for (let i = 0; i < n; i++) out[i] *= tmp[i]!;
    }
  }

  gradient(X1: Float64Array, n1: number, X2: Float64Array, n2: number, same: boolean, G: Float64Array, grad: Float64Array, offset: number): void {
    const n = n1 * n2, weighted = this.buffer(2 * n), tmp = weighted.subarray(n, 2 * n), w = weighted.subarray(0, n);
    for (let t = 0; t < this.terms.length; t++) {
      this.others(t, n, G, w, tmp, (s, o) => s.matrix(X1, n1, X2, n2, same, o));
      this.terms[t]!.gradient(X1, n1, X2, n2, same, w, grad, offset);
      offset += this.terms[t]!.size;
    }
  }

  diagGradient(X: Float64Array, n: number, g: Float64Array, grad: Float64Array, offset: number): void {
    const buf = this.buffer(2 * n), w = buf.subarray(0, n), tmp = buf.subarray(n, 2 * n);
    for (let t = 0; t < this.terms.length; t++) {
      this.others(t, n, g, w, tmp, (s, o) => s.diag(X, n, o));
      this.terms[t]!.diagGradient(X, n, w, grad, offset);
      offset += this.terms[t]!.size;
    }
  }

  inputGradient(X1: Float64Array, n1: number, X2: Float64Array, n2: number, G: Float64Array, gX1: Float64Array): void {
    const n = n1 * n2, buf = this.buffer(2 * n), w = buf.subarray(0, n), tmp = buf.subarray(n, 2 * n);
    for (let t = 0; t < this.terms.length; t++) {
      this.others(t, n, G, w, tmp, (s, o) => s.matrix(X1, n1, X2, n2, false, o));
      this.terms[t]!.inputGradient(X1, n1, X2, n2, w, gX1);
    }
  }
}

/** k = Σ terms (at least two). */
export function sumKernel(...terms: Kernel[]): SumKernel {
  return new SumKernel(terms);
}
/** k = Π terms, element-wise (at least two). */
export function productKernel(...terms: Kernel[]): ProductKernel {
  return new ProductKernel(terms);
}
