/**
 * AdaGrad (Duchi et al. 2011): per-coordinate step lr / √(Σ g² + ε); the accumulated squares
 * give the decaying steps that Robbins–Monro conditions ask for without a schedule.
 */
import { type Optimizer, type OptimizerState, requirePositiveOption } from "./optimizer.js";

export interface AdaGradOptions {
  readonly lr?: number;
  readonly eps?: number;
}

export function adagrad(options: AdaGradOptions = {}): Optimizer {
  const lr0 = options.lr ?? 0.1, eps = options.eps ?? 1e-8;
  requirePositiveOption(lr0, "lr", "adagrad");
  requirePositiveOption(eps, "eps", "adagrad");
  return {
    name: "adagrad",
    learningRate: lr0,
    init: (n: number): OptimizerState => ({ step: 0, buffers: [new Float64Array(n)] }),
    update(params, grad, state, lr) {
      const s = state.buffers[0]!;
      for (let i = 0; i < params.length; i++) {
        const g = grad[i]!, si = s[i]! + g * g;
        s[i] = si;
        params[i] -= (lr * g) / Math.sqrt(si + eps);
      }
    },
  };
}
