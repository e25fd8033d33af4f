/**
 * A dense layer with mean-field Gaussian weights under the local reparameterisation trick
 * (Kingma, Salimans & Welling 2015, "Variational dropout and the local reparameterization trick").
 *
 * The layer maps x [N, dIn] to pre-activations [N, dOut]. Its weights W [dIn, dOut] and bias
 * b [dOut] are stacked row-major as θ = [W; b], an (dIn + 1) × dOut matrix of P numbers, and
 * q(θ) = Π N(θ_i; μ_i, σ_i²) has λ = [μ (P), ρ (P)], σ = e^ρ: the layout of `meanFieldGaussian(P)`.
 * Instead of drawing one θ per minibatch, each row's pre-activation is drawn from its exact
 * marginal under q:
 *
 *   a_nj = m_nj + √v_nj · ε_nj,   m = x μ_W + μ_b,   v = x² σ_W² + σ_b²,   ε ~ N(0, 1),
 *
 * which is unbiased for the same ELBO and has lower-variance gradients (the rows' noises are
 * independent). Forward and backward are whole-minibatch matrix products, one tape node:
 *
 *   ∂/∂μ_W = xᵀ G,  ∂/∂μ_b = Σ_n G,  ∂/∂ρ_W = 2σ_W² ⊙ (x²)ᵀ Gᵥ,  ∂/∂ρ_b = 2σ_b² Σ_n Gᵥ,
 *   ∂/∂x = G μ_Wᵀ + 2x ⊙ (Gᵥ σ_W²ᵀ),   with Gᵥ = G ⊙ ε / (2√v).
 *
 * With λ = [μ] alone (P numbers, a point estimate) or no noise, the layer is the affine map
 * x μ_W + μ_b (maximum-likelihood / MAP networks and predictive means share the op).
 */
import { VireoError } from "../errors.js";
import { type TNode, sameTape, describe } from "../autodiff/tape.js";


/**
 * Pre-activations of a Gaussian dense layer for a whole minibatch (see the file comment).
 * `x` is [N, dIn]; `layer` holds λ = [μ, ρ] (2P numbers) or μ alone (P numbers); `eps` is the
 * standard-normal noise [N · dOut] (row-major), or null for the mean map x μ_W + μ_b.
 */
export function localReparamDense(x: TNode, layer: TNode, dOut: number, eps: Float64Array | null): TNode {
  const t = sameTape("localReparamDense", x, layer);
  if (x.rank !== 2) {
    throw new VireoError("DIMENSION_MISMATCH", `localReparamDense: x must be a matrix [rows, inputs], got ${describe(x)}.`);
  }
  const N = x.d0, dIn = x.d1, P = (dIn + 1) * dOut;
  if (!Number.isInteger(dOut) || dOut < 1) {
    throw new VireoError("DIMENSION_MISMATCH", `localReparamDense: dOut must be a positive integer, got ${dOut}.`);
  }
  const bayes = layer.size === 2 * P;
  if (!bayes && layer.size !== P) {
    throw new VireoError(
      "DIMENSION_MISMATCH",
      `localReparamDense: a ${dIn} → ${dOut} layer has P = ${P} weights and biases, so its parameters hold 2P = ${2 * P} numbers ([μ, ρ]) or P = ${P} (a point estimate); got ${describe(layer)}.`,
    );
  }
  const noisy = bayes && eps !== null;
  if (noisy && eps!.length !== N * dOut) {
    throw new VireoError("DIMENSION_MISMATCH", `localReparamDense: eps must hold rows × outputs = ${N} × ${dOut} = ${N * dOut} normal draws, got ${eps!.length}.`);
  }
  const out = t.node("localReparamDense", 2, N, dOut);
  out.a = x;
  out.b = layer;
  out.int = dIn;
  out.num = noisy ? 1 : 0;
  out.needsGrad = x.needsGrad || layer.needsGrad;
  const xv = x.value, lam = layer.value, o = out.value, nOut = N * dOut;
  // o = x μ_W + μ_b, i-p-j order streams rows of μ_W and of the output.
  for (let n = 0; n < N; n++) {
    const on = n * dOut;
    for (let j = 0; j < dOut; j++) o[on + j] = lam[dIn * dOut + j]!;
    for (let p = 0; p < dIn; p++) {
      const xp = xv[n * dIn + p]!;
      if (xp === 0) continue;
      for (let j = 0, w = p * dOut; j < dOut; j++) o[on + j] += xp * lam[w + j]!;
    }
  }
  if (noisy) {
    // aux = [ε (N·dOut) | √v (N·dOut) | Gᵥ scratch (N·dOut) | σ² (P)]
    const aux = out.scratch(3 * nOut + P), e = eps!;
    const s2 = 3 * nOut;
    for (let i = 0; i < P; i++) aux[s2 + i] = Math.exp(2 * lam[P + i]!);
    for (let n = 0; n < N; n++) {
      const on = n * dOut;
      for (let j = 0; j < dOut; j++) aux[nOut + on + j] = aux[s2 + dIn * dOut + j]!;
      for (let p = 0; p < dIn; p++) {
        const xp = xv[n * dIn + p]!, x2 = xp * xp;
        if (x2 === 0) continue;
        for (let j = 0, w = s2 + p * dOut; j < dOut; j++) aux[nOut + on + j] += x2 * aux[w + j]!;
      }
    }
    for (let i = 0; i < nOut; i++) {
      const s = Math.sqrt(aux[nOut + i]!);
      aux[nOut + i] = s;
      aux[i] = e[i]!;
      o[i] += s * e[i]!;
    }
  }
  out.backward = localReparamDenseBackward;
  return out;
}

function localReparamDenseBackward(out: TNode): void {
  const x = out.a!, layer = out.b!, g = out.grad, dIn = out.int, N = out.d0, dOut = out.d1;
  const P = (dIn + 1) * dOut, nOut = N * dOut, xv = x.value, lam = layer.value;
  // Mean path: ∂μ_W = xᵀG, ∂μ_b = Σ_n G, ∂x = G μ_Wᵀ.
  if (layer.needsGrad) {
    const gl = layer.grad;
    for (let n = 0; n < N; n++) {
      const on = n * dOut;
      for (let j = 0; j < dOut; j++) gl[dIn * dOut + j] += g[on + j]!;
      for (let p = 0; p < dIn; p++) {
        const xp = xv[n * dIn + p]!;
        if (xp === 0) continue;
        for (let j = 0, w = p * dOut; j < dOut; j++) gl[w + j] += xp * g[on + j]!;
      }
    }
  }
  if (x.needsGrad) {
    const gx = x.grad;
    for (let n = 0; n < N; n++) {
      const on = n * dOut;
      for (let p = 0; p < dIn; p++) {
        let s = 0;
        for (let j = 0, w = p * dOut; j < dOut; j++) s += g[on + j]! * lam[w + j]!;
        gx[n * dIn + p] += s;
      }
    }
  }
  if (out.num === 0) return;
  // Spread path through √v: Gᵥ = G ⊙ ε / (2√v).
  const aux = out.aux, gv = 2 * nOut, s2 = 3 * nOut;
  for (let i = 0; i < nOut; i++) aux[gv + i] = (g[i]! * aux[i]!) / (2 * aux[nOut + i]!);
  if (layer.needsGrad) {
    const gl = layer.grad;
    for (let n = 0; n < N; n++) {
      const on = gv + n * dOut;
      for (let j = 0; j < dOut; j++) gl[P + dIn * dOut + j] += 2 * aux[s2 + dIn * dOut + j]! * aux[on + j]!;
      for (let p = 0; p < dIn; p++) {
        const xp = xv[n * dIn + p]!, x2 = xp * xp;
        if (x2 === 0) continue;
        for (let j = 0, w = p * dOut; j < dOut; j++) gl[P + w + j] += 2 * aux[s2 + w + j]! * x2 * aux[on + j]!;
      }
    }
  }
  if (x.needsGrad) {
    const gx = x.grad;
    for (let n = 0; n < N; n++) {
      const on = gv + n * dOut;
      for (let p = 0; p < dIn; p++) {
        let s = 0;
        for (let j = 0, w = s2 + p * dOut; j < dOut; j++) s += aux[on + j]! * aux[w + j]!;
        gx[n * dIn + p] += 2 * xv[n * dIn + p]! * s;
      }
    }
  }
}
