/**
 * Sparse-GP objectives as single ops on the autodiff tape, so kernel hyperparameters (and the
 * inducing inputs) can be variables of a model graph fitted by gradients like any other. Each op's
 * forward pass is one blocked pass of the SparseGp (O(N M²), M × block buffers, never N × N) and its
 * backward pass is the same pass's gradient: ∂objective/∂K for K_ZZ, K_ZX and diag K_XX, contracted
 * block by block by the kernel's own `gradient`/`inputGradient` (the dL/dK approach), then scaled
 * by the upstream gradient. No ∂K/∂θ matrix is ever formed.
 *
 *   gpCollapsedBound:     Titsias' collapsed bound F(θ, σ², Z; X, y) (Gaussian likelihood; q(u)
 *                         optimal in closed form). With Z = X it is the exact log marginal likelihood.
 *   gpPointLogLikelihood: Σ_n E_{p(f_n|v)}[log p(y_n|f_n)] at a whitened inducing point v (any
 *                         likelihood): the SVGP data term for a draw v ~ q(v).
 *   gpExpectedLogLikelihood: the same under a Gaussian q(v) in closed form (the SVGP data term
 *                         itself), as a function of the hyperparameters and Z.
 *
 * Hyperparameters come in as one scalar node (or a fixed number) per entry of the model's layout
 * θ = [kernel θ | likelihood θ], on the constrained (positive) scale.
 */
import { VireoError, fmt } from "../errors.js";
import { type TNode, type Tape, describe } from "../autodiff/tape.js";
import type { SparseGp } from "./sparse-gp.js";
import type { InputRows } from "./inputs.js";

/** A hyperparameter on the tape (a scalar node) or held fixed (a number). */
export type GpHyperValue = TNode | number;

/** What an op's backward rule reads. */
interface GpOpRecord {
  readonly hyper: readonly GpHyperValue[];
  readonly v: TNode | null;
  readonly Z: TNode | null;
  /** ∂objective/∂[θ | Z] (layout.read) and ∂objective/∂v. */
  readonly grad: Float64Array;
  readonly gradV: Float64Array | null;
}

function backward(out: TNode, r: GpOpRecord): void {
  const g = out.grad[0]!;
  r.hyper.forEach((h, k) => {
    if (typeof h !== "number" && h.needsGrad) h.grad[0] += g * r.grad[k]!;
  });
  if (r.Z !== null && r.Z.needsGrad) {
    const off = r.grad.length - r.Z.size;
    for (let i = 0; i < r.Z.size; i++) r.Z.grad[i] += g * r.grad[off + i]!;
  }
  if (r.v !== null && r.v.needsGrad && r.gradV !== null) for (let i = 0; i < r.v.size; i++) r.v.grad[i] += g * r.gradV[i]!;
}

/**
 * Writes the hyperparameter values (and Z) into the model. A hyperparameter ≤ 0 or not finite is
 * outside the support, where the log density is −∞ (`valid` false; the model is left as it was).
 */
function apply(gp: SparseGp, hyper: readonly GpHyperValue[], Z: TNode | null, op: string): { tape: Tape | null; needsGrad: boolean; valid: boolean } {
  const layout = gp.layout, n = layout.kernelSize + layout.likelihoodSize;
  if (hyper.length !== n) {
    throw new VireoError("DIMENSION_MISMATCH", `${op}: expected ${n} hyperparameters (${[...gp.kernel.parameterNames, ...gp.likelihood.parameterNames.map((p) => `likelihood.${p}`)].join(", ")}), got ${hyper.length}.`);
  }
  const theta = new Float64Array(n);
  let tape: Tape | null = null, needsGrad = false, valid = true;
  const names = [...gp.kernel.parameterNames, ...gp.likelihood.parameterNames.map((p) => `likelihood.${p}`)];
  hyper.forEach((h, k) => {
    let x: number;
    if (typeof h === "number") x = h;
    else {
      if (h.size !== 1) throw new VireoError("DIMENSION_MISMATCH", `${op}: hyperparameter '${names[k]}' must be a scalar node, got ${describe(h)}.`, { parameter: names[k] });
      x = h.value[0]!;
      tape = h.tape;
      needsGrad ||= h.needsGrad;
    }
    if (!(x > 0) || !Number.isFinite(x)) valid = false;
    theta[k] = x;
  });
  if (!valid) return { tape, needsGrad, valid };
  gp.kernel.setParams(theta, 0);
  gp.likelihood.setParams(theta, layout.kernelSize);
  if (Z !== null) {
    if (Z.size !== gp.Z.length) throw new VireoError("DIMENSION_MISMATCH", `${op}: inducing inputs Z must hold ${gp.M}×${gp.dim} = ${gp.Z.length} values, got ${describe(Z)}.`, { parameter: "inducing" });
    for (let i = 0; i < Z.size; i++) {
      if (!Number.isFinite(Z.value[i])) throw new VireoError("NUMERICAL_FAILURE", `${op}: inducing input ${Math.floor(i / gp.dim)} column ${i % gp.dim} is ${fmt(Z.value[i]!)}; lower the learning rate of Z.`, { parameter: "inducing" });
    }
    gp.Z.set(Z.value);
    tape ??= Z.tape;
    needsGrad ||= Z.needsGrad;
  }
  return { tape, needsGrad, valid };
}

const NO_GRAD: GpOpRecord = { hyper: [], v: null, Z: null, grad: new Float64Array(0), gradV: null };

function record(tape: Tape, op: string, value: number, rec: GpOpRecord, needsGrad: boolean): TNode {
  const out = tape.node(op, 0, 1, 1);
  out.value[0] = value;
  out.needsGrad = needsGrad;
  if (needsGrad) {
    // One closure per op: the op's O(N M²) pass dwarfs it.
    out.backward = (n) => backward(n, rec);
  }
  return out;
}

/**
 * Titsias' collapsed bound of `gp` (Gaussian likelihood) on rows (X, y) as a scalar tape node, at
 * the hyperparameters `hyper` (layout order) and, when `Z` is given (a node of M·D values; the
 * model must have been built with `learn: { inducing: true }`), at those inducing inputs. `tape`
 * is used when every input is a number. Leaves q(u) of `gp` at its optimum for these values.
 */
export function gpCollapsedBound(tape: Tape, gp: SparseGp, X: InputRows, y: Float64Array, hyper: readonly GpHyperValue[], Z: TNode | null = null): TNode {
  const op = "gpCollapsedBound";
  if (Z !== null && !gp.layout.learn.inducing) throw new VireoError("INVALID_OPTION", `${op}: Z is on the tape but the sparse GP was built without learn: { inducing: true }.`, { parameter: "inducing" });
  const { needsGrad, valid } = apply(gp, hyper, Z, op);
  if (!valid) return record(tape, op, -Infinity, NO_GRAD, false);
  const grad = needsGrad ? new Float64Array(gp.layout.size) : null;
  const value = gp.collapsedBound(X, y, grad).elbo;
  return record(tape, op, value, { hyper, v: null, Z, grad: grad ?? new Float64Array(0), gradV: null }, needsGrad);
}

/**
 * Σ_n E_{p(f_n|v)}[log p(y_n|f_n)] of `gp` on rows (X, y) at the inducing point `v` (whitened, or u when unwhitened)
 * (a node of M values, u = L v), as a scalar tape node (see SparseGp.pointLogLikelihood).
 */
export function gpPointLogLikelihood(gp: SparseGp, X: InputRows, y: Float64Array, v: TNode, hyper: readonly GpHyperValue[], Z: TNode | null = null): TNode {
  const op = "gpPointLogLikelihood";
  if (v.size !== gp.M) throw new VireoError("DIMENSION_MISMATCH", `${op}: v must hold ${gp.M} values (one per inducing input), got ${describe(v)}.`, { parameter: "v" });
  if (Z !== null && !gp.layout.learn.inducing) throw new VireoError("INVALID_OPTION", `${op}: Z is on the tape but the sparse GP was built without learn: { inducing: true }.`, { parameter: "inducing" });
  const applied = apply(gp, hyper, Z, op);
  if (!applied.valid) return record(v.tape, op, -Infinity, NO_GRAD, false);
  const needsGrad = applied.needsGrad || v.needsGrad;
  const grad = needsGrad ? new Float64Array(gp.layout.size) : null, gradV = needsGrad ? new Float64Array(gp.M) : null;
  const value = gp.pointLogLikelihood(X, y, v.value, grad, gradV).elbo;
  return record(v.tape, op, value, { hyper, v, Z, grad: grad ?? new Float64Array(0), gradV }, needsGrad);
}

/**
 * Σ_n E_{q(v)}E_{p(f_n|v)}[log p(y_n|f_n)] of `gp` on rows (X, y) under the Gaussian
 * q(v) = N(mean, covariance) (M and M×M numbers, constants), as a scalar tape node differentiable
 * in the hyperparameters and Z (see SparseGp.expectedLogLikelihood). Sets the model's q to q(v).
 */
export function gpExpectedLogLikelihood(tape: Tape, gp: SparseGp, X: InputRows, y: Float64Array, q: { readonly mean: Float64Array; readonly covariance: Float64Array }, hyper: readonly GpHyperValue[], Z: TNode | null = null): TNode {
  const op = "gpExpectedLogLikelihood";
  if (Z !== null && !gp.layout.learn.inducing) throw new VireoError("INVALID_OPTION", `${op}: Z is on the tape but the sparse GP was built without learn: { inducing: true }.`, { parameter: "inducing" });
  const { needsGrad, valid } = apply(gp, hyper, Z, op);
  if (!valid) return record(tape, op, -Infinity, NO_GRAD, false);
  gp.setQMoments(q.mean, q.covariance);
  const grad = needsGrad ? new Float64Array(gp.layout.size) : null;
  const value = gp.expectedLogLikelihood(X, y, grad).elbo;
  return record(tape, op, value, { hyper, v: null, Z, grad: grad ?? new Float64Array(0), gradV: null }, needsGrad);
}

/**
 * log N(u | 0, K_ZZ(θ, Z)) of an unwhitened `gp`, at a point `u` (a node of M values) or in
 * expectation under q(u) = N(mean, covariance) (constants), as a scalar tape node differentiable in
 * the kernel hyperparameters, Z and the point u (see SparseGp.inducingLogPrior).
 */
export function gpInducingLogPrior(tape: Tape, gp: SparseGp, u: TNode | { readonly mean: Float64Array; readonly covariance: Float64Array }, hyper: readonly GpHyperValue[], Z: TNode | null = null): TNode {
  const op = "gpInducingLogPrior";
  const point = "tape" in u ? u : null;
  if (point !== null && point.size !== gp.M) throw new VireoError("DIMENSION_MISMATCH", `${op}: u must hold ${gp.M} values (one per inducing input), got ${describe(point)}.`, { parameter: "u" });
  if (Z !== null && !gp.layout.learn.inducing) throw new VireoError("INVALID_OPTION", `${op}: Z is on the tape but the sparse GP was built without learn: { inducing: true }.`, { parameter: "inducing" });
  const applied = apply(gp, hyper, Z, op);
  if (!applied.valid) return record(tape, op, -Infinity, NO_GRAD, false);
  const needsGrad = applied.needsGrad || (point?.needsGrad ?? false);
  const grad = needsGrad ? new Float64Array(gp.layout.size) : null, gradU = needsGrad && point !== null ? new Float64Array(gp.M) : null;
  const value = point !== null ? gp.inducingLogPrior(point.value, null, grad, gradU).elbo : gp.inducingLogPrior((u as { mean: Float64Array }).mean, (u as { covariance: Float64Array }).covariance, grad, null).elbo;
  return record(tape, op, value, { hyper, v: point, Z, grad: grad ?? new Float64Array(0), gradV: gradU }, needsGrad);
}
