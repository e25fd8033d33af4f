/**
 * The map from a one-hot draw of K classes (what `categoricalQ(K)` draws) to the class index, the
 * value a Categorical(K) variable holds. A discrete q has no density over z to change, so there is
 * no Jacobian term, and no tape form: discrete variables take score-function steps, which use the
 * numeric map only.
 */
import { VireoError } from "../errors.js";
import type { Transform } from "./transform.js";

export function oneHotIndex(K: number): Transform {
  if (!Number.isInteger(K) || K < 2) throw new VireoError("INVALID_OPTION", `oneHotIndex(K): K must be an integer ≥ 2 (the number of classes), got ${K}.`);
  return {
    name: `oneHotIndex(${K})`,
    outputSize: (dim) => dim / K,
    inputSize: (size) => size * K,
    elementwise: false,
    discrete: true,
    forward() {
      throw new VireoError("INVALID_STATE", `oneHotIndex(${K}): a discrete draw has no tape form; a discrete q takes score-function steps (estimator 'score' or 'auto').`);
    },
    logDetJacobian(z) {
      return z.tape.scalar(0);
    },
    forwardValue(z, x) {
      for (let i = 0; i < x.length; i++) {
        let best = 0;
        for (let k = 1; k < K; k++) if (z[i * K + k]! > z[i * K + best]!) best = k;
        x[i] = best;
      }
      return 0;
    },
    inverseValue(x, z) {
      z.fill(0);
      for (let i = 0; i < x.length; i++) z[i * K + x[i]!] = 1;
    },
  };
}
