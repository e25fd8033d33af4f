/**
 * The learnt parameters of a GP model as one unconstrained vector for an optimiser: log kernel
 * hyperparameters, log likelihood parameters (through the log bijector, θ = e^z), and optionally
 * the inducing inputs as they are. Gradients with respect to θ become gradients with respect to z
 * by the chain rule ∂/∂z = θ ∂/∂θ.
 */
import { VireoError, fmt } from "../errors.js";
import { logTransform } from "../variational/log-transform.js";
import type { Kernel } from "./kernel.js";
import type { GpLikelihood } from "./likelihood.js";

export interface LearnOptions {
  /** Learn the kernel hyperparameters (default true). */
  readonly kernel?: boolean;
  /** Learn the likelihood's parameters, e.g. the noise variance (default true). */
  readonly likelihood?: boolean;
  /** Learn the inducing inputs (default false). */
  readonly inducing?: boolean;
}

/** Layout of the gradient buffer models fill: [kernel θ | likelihood θ | Z]. */
export class HyperLayout {
  readonly kernelSize: number;
  readonly likelihoodSize: number;
  readonly inducingSize: number;
  readonly learn: Required<LearnOptions>;

  constructor(readonly kernel: Kernel, readonly likelihood: GpLikelihood, inducingSize: number, learn: LearnOptions = {}) {
    this.kernelSize = kernel.size;
    this.likelihoodSize = likelihood.size;
    this.inducingSize = inducingSize;
    this.learn = { kernel: learn.kernel ?? true, likelihood: learn.likelihood ?? true, inducing: learn.inducing ?? false };
  }

  /** Length of the natural-parameter gradient buffer (θ and Z). */
  get size(): number {
    return this.kernelSize + this.likelihoodSize + this.inducingSize;
  }

  /** Current θ (constrained) and Z into `out` (length `size`). */
  read(out: Float64Array, Z: Float64Array | null): void {
    this.kernel.getParams(out, 0);
    this.likelihood.getParams(out, this.kernelSize);
    if (Z) out.set(Z, this.kernelSize + this.likelihoodSize);
  }

  /** Unconstrained vector z of the learnt parts only. */
  unconstrained(Z: Float64Array | null): Float64Array {
    const all = new Float64Array(this.size);
    this.read(all, Z);
    const parts: number[] = [];
    if (this.learn.kernel) for (let i = 0; i < this.kernelSize; i++) parts.push(Math.log(all[i]!));
    if (this.learn.likelihood) for (let i = 0; i < this.likelihoodSize; i++) parts.push(Math.log(all[this.kernelSize + i]!));
    if (this.learn.inducing && Z) for (let i = 0; i < this.inducingSize; i++) parts.push(all[this.kernelSize + this.likelihoodSize + i]!);
    return Float64Array.from(parts);
  }

  /** Writes z back into the kernel, likelihood and Z; refuses a non-finite or zero θ. */
  apply(z: Float64Array, Z: Float64Array | null, scratch: Float64Array): void {
    let k = 0;
    if (this.learn.kernel) {
      logTransform.forwardValue(z.subarray(k, k + this.kernelSize), scratch.subarray(0, this.kernelSize));
      this.check(scratch, 0, this.kernelSize, this.kernel.parameterNames, "kernel");
      this.kernel.setParams(scratch, 0);
      k += this.kernelSize;
    }
    if (this.learn.likelihood) {
      logTransform.forwardValue(z.subarray(k, k + this.likelihoodSize), scratch.subarray(0, this.likelihoodSize));
      this.check(scratch, 0, this.likelihoodSize, this.likelihood.parameterNames, "likelihood");
      this.likelihood.setParams(scratch, 0);
      k += this.likelihoodSize;
    }
    if (this.learn.inducing && Z) {
      for (let i = 0; i < this.inducingSize; i++) Z[i] = z[k + i]!;
    }
  }

  private check(v: Float64Array, off: number, n: number, names: readonly string[], owner: string): void {
    for (let i = 0; i < n; i++) {
      const x = v[off + i]!;
      if (!(x > 0) || !Number.isFinite(x)) {
        throw new VireoError("NUMERICAL_FAILURE", `GP hyperparameter ${owner}.${names[i]} left (0, ∞) (${fmt(x)}) during optimisation; lower the learning rate or start from a sensible value.`, { parameter: names[i] });
      }
    }
  }

  /**
   * The loss gradient with respect to z (−∂ELBO/∂z) from the ELBO gradient with respect to θ and
   * Z (`grad`, layout as `read`), at the current values `theta`.
   */
  lossGradient(grad: Float64Array, theta: Float64Array, out: Float64Array): void {
    let k = 0;
    if (this.learn.kernel) for (let i = 0; i < this.kernelSize; i++) out[k++] = -grad[i]! * theta[i]!;
    const lo = this.kernelSize;
    if (this.learn.likelihood) for (let i = 0; i < this.likelihoodSize; i++) out[k++] = -grad[lo + i]! * theta[lo + i]!;
    const zo = lo + this.likelihoodSize;
    if (this.learn.inducing) for (let i = 0; i < this.inducingSize; i++) out[k++] = -grad[zo + i]!;
  }
}
