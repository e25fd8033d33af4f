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
import { gemmStrided } from "../linalg/gemm.js";


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
  const xv = x.value, lam = layer.value, o = out.value, nOut = N * dOut, nIn = N * dIn;
  // o = x μ_W + 1 μ_bᵀ on the packed GEMM kernel.
  for (let n = 0; n < N; n++) o.set(lam.subarray(dIn * dOut, P), n * dOut);
  gemmStrided(N, dOut, dIn, xv, 0, dIn, 1, lam, 0, dOut, 1, o, 0, dOut, true);
  if (noisy) {
    const aux = out.scratch(3 * nOut + 2 * P + 2 * nIn), e = eps!;
    const SD = nOut, S2 = 3 * nOut, X2 = S2 + P;
    for (let i = 0; i < P; i++) aux[S2 + i] = Math.exp(2 * lam[P + i]!);
    for (let i = 0; i < nIn; i++) aux[X2 + i] = xv[i]! * xv[i]!;
    // v = x² σ_W² + 1 σ_b²ᵀ, then √v and the noise.
    for (let n = 0; n < N; n++) aux.copyWithin(SD + n * dOut, S2 + dIn * dOut, S2 + P);
    gemmStrided(N, dOut, dIn, aux, X2, dIn, 1, aux, S2, dOut, 1, aux, SD, dOut, true);
    for (let i = 0; i < nOut; i++) {
      const sd = Math.sqrt(aux[SD + i]!);
      aux[SD + i] = sd;
      aux[i] = e[i]!;
      o[i] += sd * e[i]!;
    }
  }
  out.backward = localReparamDenseBackward;
  return out;
}

/**
 * aux layout of a noisy node: [ε (N·dOut) | √v (N·dOut) | Gᵥ (N·dOut) | σ² (P) | x² (N·dIn) |
 * scratch (max(P, N·dIn))]; every product is one GEMM call.
 */
function localReparamDenseBackward(out: TNode): void {
  const x = out.a!, layer = out.b!, g = out.grad, dIn = out.int, N = out.d0, dOut = out.d1;
  const P = (dIn + 1) * dOut, nOut = N * dOut, nIn = N * dIn, xv = x.value, lam = layer.value;
  // Mean path: ∂μ_W = xᵀG, ∂μ_b = Σ_n G, ∂x = G μ_Wᵀ.
  if (layer.needsGrad) {
    const gl = layer.grad;
    gemmStrided(dIn, dOut, N, xv, 0, 1, dIn, g, 0, dOut, 1, gl, 0, dOut, true);
    for (let n = 0; n < N; n++) for (let j = 0; j < dOut; j++) gl[dIn * dOut + j] += g[n * dOut + j]!;
  }
  if (x.needsGrad) gemmStrided(N, dIn, dOut, g, 0, dOut, 1, lam, 0, 1, dOut, x.grad, 0, dIn, true);
  if (out.num === 0) return;
  // Spread path through √v: Gᵥ = G ⊙ ε / (2√v).
  const aux = out.aux, SD = nOut, GV = 2 * nOut, S2 = 3 * nOut, X2 = S2 + P, T = X2 + nIn;
  for (let i = 0; i < nOut; i++) aux[GV + i] = (g[i]! * aux[i]!) / (2 * aux[SD + i]!);
  if (layer.needsGrad) {
    // ∂ρ_W = 2σ_W² ⊙ (x²)ᵀGᵥ, ∂ρ_b = 2σ_b² Σ_n Gᵥ.
    const gl = layer.grad;
    gemmStrided(dIn, dOut, N, aux, X2, 1, dIn, aux, GV, dOut, 1, aux, T, dOut, false);
    for (let w = 0; w < dIn * dOut; w++) gl[P + w] += 2 * aux[S2 + w]! * aux[T + w]!;
    for (let j = 0; j < dOut; j++) {
      let sum = 0;
      for (let n = 0; n < N; n++) sum += aux[GV + n * dOut + j]!;
      gl[P + dIn * dOut + j] += 2 * aux[S2 + dIn * dOut + j]! * sum;
    }
  }
  if (x.needsGrad) {
    // ∂x += 2x ⊙ (Gᵥ σ_W²ᵀ).
    const gx = x.grad;
    gemmStrided(N, dIn, dOut, aux, GV, dOut, 1, aux, S2, 1, dOut, aux, T, dIn, false);
    for (let i = 0; i < nIn; i++) gx[i] += 2 * xv[i]! * aux[T + i]!;
  }
}
