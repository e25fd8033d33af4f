/**
 * Adam (Kingma & Ba 2015): bias-corrected first and second moment estimates; the per-coordinate
 * step is lr · m̂ / (√v̂ + ε), which makes BBVI robust to the very different gradient scales of
 * means and log-scales.
 */
import { type Optimizer, type OptimizerState, requireRange, requirePositiveOption } from "./optimizer.js";

export interface AdamOptions {
  readonly lr?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
}

export function adam(options: AdamOptions = {}): Optimizer {
  const lr0 = options.lr ?? 0.01, b1 = options.beta1 ?? 0.9, b2 = options.beta2 ?? 0.999, eps = options.eps ?? 1e-8;
  requirePositiveOption(lr0, "lr", "adam");
  requireRange(b1, 0, 1, "beta1", "adam");
  requireRange(b2, 0, 1, "beta2", "adam");
  requirePositiveOption(eps, "eps", "adam");
  return {
    name: "adam",
    learningRate: lr0,
    init: (n: number): OptimizerState => ({ step: 0, buffers: [new Float64Array(n), new Float64Array(n)] }),
    update(params, grad, state, lr) {
      const m = state.buffers[0]!, v = state.buffers[1]!, t = state.step + 1;
      const c1 = 1 / (1 - Math.pow(b1, t)), c2 = 1 / (1 - Math.pow(b2, t));
      for (let i = 0; i < params.length; i++) {
        const g = grad[i]!;
        const mi = b1 * m[i]! + (1 - b1) * g, vi = b2 * v[i]! + (1 - b2) * g * g;
        m[i] = mi;
        v[i] = vi;
        params[i] -= (lr * mi * c1) / (Math.sqrt(vi * c2) + eps);
      }
    },
  };
}
