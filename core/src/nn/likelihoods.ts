/**
 * Log-likelihoods of data rows under a network's output, one value per row (so importance weights
 * can be formed per row): fused nodes whose backward is a single pass, since on a decoder's
 * 784-wide output the composed element-wise ops would cost as much as the matrix products.
 */
import { VireoError } from "../errors.js";
import { type TNode, sameTape, describe } from "../autodiff/tape.js";

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Σ_j x_ij ℓ_ij − softplus(ℓ_ij) per row i: log Bernoulli(x | sigmoid(ℓ)) for logits ℓ [m, D]
 * and data x [m, D] with values in [0, 1] (grey levels give the usual "continuous" VAE objective).
 * When x has fewer rows than ℓ, ℓ holds S stacked copies and x is reused for each.
 */
export function bernoulliLogitRows(logits: TNode, x: TNode): TNode {
  checkRows("bernoulliLogitRows", logits, x);
  return bernoulliLogitNode("bernoulliLogitRows", logits, x, 1, logits.d0, logits.d1, x.d0);
}

/**
 * Σ_i y_i η_i − softplus(η_i): the log-likelihood of labels y ∈ {0, 1} (or values in [0, 1])
 * under Bernoulli(sigmoid(η)), summed over every element, as a scalar; η and y of equal size
 * (any shape). One fused pass forward and one backward, with one exponential per element, where
 * `ad.sum(ad.sub(ad.mul(y, η), ad.softplus(η)))` takes four passes each way: the logistic
 * regression likelihood (Stan's `bernoulli_logit`).
 */
export function bernoulliLogit(logits: TNode, y: TNode): TNode {
  sameTape("bernoulliLogit", logits, y);
  if (logits.size !== y.size || logits.size === 0) {
    throw new VireoError("DIMENSION_MISMATCH", `bernoulliLogit: expected logits and labels of equal, non-zero size, got logits ${describe(logits)} and labels ${describe(y)}.`);
  }
  if (y.needsGrad) {
    throw new VireoError("INVALID_PARAMETER", "bernoulliLogit: the labels (second argument) are data and get no gradient; pass the logits first, and a constant or an observed column as the labels.");
  }
  return bernoulliLogitNode("bernoulliLogit", logits, y, 0, 1, logits.size, 1);
}

/** The fused node: `m` rows of `D` logits against `xm` rows of data (reused cyclically), one value per row. */
function bernoulliLogitNode(op: string, logits: TNode, x: TNode, rank: number, m: number, D: number, xm: number): TNode {
  const n = logits.tape.node(op, rank, m, 1);
  n.a = logits;
  n.b = x;
  n.int = D;
  n.needsGrad = logits.needsGrad;
  const l = logits.value, xv = x.value, out = n.value;
  // One exponential per logit serves the value and the slope: with e = e^{−|z|}, softplus(z) =
  // max(z, 0) + log1p(e) and sigmoid(z) = 1/(1 + e) (z ≥ 0) or e/(1 + e); the sigmoids are kept
  // for the backward pass when a gradient is needed.
  const sig = n.needsGrad ? n.scratch(m * D) : null;
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0, o = i * D, xo = (i % xm) * D; j < D; j++, o++, xo++) {
      const z = l[o]!, e = Math.exp(-Math.abs(z));
      s += xv[xo]! * z - (z > 0 ? z : 0) - Math.log1p(e);
      if (sig !== null) {
        const r = 1 / (1 + e);
        sig[o] = z >= 0 ? r : e * r;
      }
    }
    out[i] = s;
  }
  n.backward = bernoulliLogitRowsBackward;
  return n;
}
function bernoulliLogitRowsBackward(n: TNode): void {
  const logits = n.a!, x = n.b!, D = n.int, xm = x.size / D, xv = x.value, sig = n.aux, g = n.grad, gl = logits.grad;
  for (let i = 0; i < n.d0; i++) {
    const gi = g[i]!;
    for (let j = 0, o = i * D, xo = (i % xm) * D; j < D; j++, o++, xo++) gl[o] += gi * (xv[xo]! - sig[o]!);
  }
}

/**
 * Σ_j log N(x_ij | μ_ij, e^{v_j}) per row i, for means μ [m, D], data x [m, D] (or fewer rows,
 * reused as in `bernoulliLogitRows`) and log-variances v: one value (size 1) shared by every
 * column, or one per column (size D).
 */
export function gaussianRows(mean: TNode, logVariance: TNode, x: TNode): TNode {
  const t = sameTape("gaussianRows", mean, x);
  sameTape("gaussianRows", mean, logVariance);
  checkRows("gaussianRows", mean, x);
  const m = mean.d0, D = mean.d1, xm = x.d0;
  if (logVariance.size !== 1 && logVariance.size !== D) {
    throw new VireoError("DIMENSION_MISMATCH", `gaussianRows: the log-variance must hold 1 or ${D} values, got ${describe(logVariance)}.`);
  }
  const n = t.node("gaussianRows", 1, m, 1);
  n.a = mean;
  n.b = logVariance;
  n.ints = null;
  n.needsGrad = mean.needsGrad || logVariance.needsGrad;
  // x is read again in backward: keep it on the node's scratch reference.
  n.aux = x.value;
  n.int = xm;
  const mu = mean.value, xv = x.value, v = logVariance.value, shared = logVariance.size === 1, out = n.value;
  let constant = 0;
  for (let j = 0; j < D; j++) constant -= HALF_LOG_2PI + 0.5 * (shared ? v[0]! : v[j]!);
  const prec0 = Math.exp(-v[0]!);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0, o = i * D, xo = (i % xm) * D; j < D; j++, o++, xo++) {
      const r = xv[xo]! - mu[o]!;
      s += r * r * (shared ? prec0 : Math.exp(-v[j]!));
    }
    out[i] = constant - 0.5 * s;
  }
  n.backward = gaussianRowsBackward;
  return n;
}
function gaussianRowsBackward(n: TNode): void {
  const mean = n.a!, lvNode = n.b!, D = mean.d1, xm = n.int, mu = mean.value, xv = n.aux, v = lvNode.value, shared = lvNode.size === 1, g = n.grad;
  const prec0 = Math.exp(-v[0]!), gm = mean.needsGrad ? mean.grad : null, gv = lvNode.needsGrad ? lvNode.grad : null;
  for (let i = 0; i < n.d0; i++) {
    const gi = g[i]!;
    for (let j = 0, o = i * D, xo = (i % xm) * D; j < D; j++, o++, xo++) {
      const prec = shared ? prec0 : Math.exp(-v[j]!), r = xv[xo]! - mu[o]!;
      if (gm !== null) gm[o] += gi * r * prec;
      if (gv !== null) gv[shared ? 0 : j] += gi * (0.5 * r * r * prec - 0.5);
    }
  }
}

function checkRows(op: string, out: TNode, x: TNode): void {
  if (out.rank !== 2 || x.rank !== 2 || out.d1 !== x.d1 || x.d0 === 0 || out.d0 % x.d0 !== 0) {
    throw new VireoError(
      "DIMENSION_MISMATCH",
      `${op}: expected the network output [m, D] and the data [m / S, D] with the same D (S stacked draws), got output ${describe(out)} and data ${describe(x)}.`,
    );
  }
}
