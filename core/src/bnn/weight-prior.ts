/**
 * The weight prior's share of a Bayesian network's objective, one tape node over a layer's λ:
 *
 * - mean-field Gaussian q (λ = [μ, ρ], σ = e^ρ) against p = N(0, s²) per weight, in closed form:
 *   KL(q ‖ p) = Σ_i ½ [(σ_i² + μ_i²)/s² − 1 − 2ρ_i + log s²],
 *   ∂/∂μ_i = μ_i / s²,  ∂/∂ρ_i = σ_i²/s² − 1;
 * - a point estimate (λ = [μ]), the negative log prior −log p(μ) = Σ_i ½ [μ_i²/s² + log 2πs²]
 *   (so maximising the likelihood minus it is MAP with a Gaussian prior, weight decay 1/s²).
 */
import { VireoError, fmt } from "../errors.js";
import { LOG_2PI } from "../special/functions.js";
import type { TNode } from "../autodiff/tape.js";

/**
 * KL(q ‖ N(0, priorVariance)) of a mean-field Gaussian λ = [μ (P), ρ (P)], or −log N(μ; 0, priorVariance)
 * summed over a point estimate λ = [μ (P)] when `pointEstimate` is true.
 */
export function weightPriorPenalty(layer: TNode, priorVariance: number, pointEstimate = false): TNode {
  if (!(priorVariance > 0) || !Number.isFinite(priorVariance)) {
    throw new VireoError("INVALID_OPTION", `weightPriorPenalty: the prior variance must be finite and > 0, got ${fmt(priorVariance)}.`, { parameter: "priorVariance" });
  }
  if (!pointEstimate && layer.size % 2 !== 0) {
    throw new VireoError("DIMENSION_MISMATCH", `weightPriorPenalty: a mean-field Gaussian λ = [μ, ρ] has an even length, got ${layer.size}.`);
  }
  const out = layer.tape.node(pointEstimate ? "weightLogPrior" : "weightKl", 0, 1, 1);
  out.a = layer;
  out.num = priorVariance;
  out.int = pointEstimate ? 1 : 0;
  out.needsGrad = layer.needsGrad;
  const lam = layer.value, inv = 1 / priorVariance, logS2 = Math.log(priorVariance);
  let total = 0;
  if (pointEstimate) {
    for (let i = 0; i < layer.size; i++) total += 0.5 * (lam[i]! * lam[i]! * inv + LOG_2PI + logS2);
  } else {
    const P = layer.size / 2;
    for (let i = 0; i < P; i++) {
      const mu = lam[i]!, rho = lam[P + i]!;
      total += 0.5 * ((Math.exp(2 * rho) + mu * mu) * inv - 1 - 2 * rho + logS2);
    }
  }
  out.value[0] = total;
  out.backward = weightPriorBackward;
  return out;
}

function weightPriorBackward(out: TNode): void {
  const layer = out.a!, g = out.grad[0]!, lam = layer.value, gl = layer.grad, inv = 1 / out.num;
  if (out.int === 1) {
    for (let i = 0; i < layer.size; i++) gl[i] += g * lam[i]! * inv;
    return;
  }
  const P = layer.size / 2;
  for (let i = 0; i < P; i++) {
    gl[i] += g * lam[i]! * inv;
    gl[P + i] += g * (Math.exp(2 * lam[P + i]!) * inv - 1);
  }
}
