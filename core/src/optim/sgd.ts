/**
 * Stochastic gradient descent with (optionally Nesterov) momentum: v ← μv + g, step lr·v
 * (or lr·(g + μv) with Nesterov).
 */
import { type Optimizer, type OptimizerState, requireRange, requirePositiveOption } from "./optimizer.js";

export interface SgdOptions {
  readonly lr?: number;
  readonly momentum?: number;
  readonly nesterov?: boolean;
}

export function sgd(options: SgdOptions = {}): Optimizer {
  const lr0 = options.lr ?? 0.01, mu = options.momentum ?? 0, nesterov = options.nesterov ?? false;
  requirePositiveOption(lr0, "lr", "sgd");
  requireRange(mu, 0, 1, "momentum", "sgd");
  return {
    name: "sgd",
    learningRate: lr0,
    init: (n: number): OptimizerState => ({ step: 0, buffers: [new Float64Array(n)] }),
    update(params, grad, state, lr) {
      const v = state.buffers[0]!;
      for (let i = 0; i < params.length; i++) {
        const vi = mu * v[i]! + grad[i]!;
        v[i] = vi;
        params[i] -= lr * (nesterov ? grad[i]! + mu * vi : vi);
      }
    },
  };
}
