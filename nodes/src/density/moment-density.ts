/**
 * A density node that can also read its gradient-fitted neighbours' q through their moments.
 *
 * Some likelihoods have a better estimator of E_q[log f] than "draw the variables, evaluate log f":
 * a Bayesian neural network's layer needs only each row's pre-activation, whose exact marginal
 * under a mean-field Gaussian q over the weights is N(x μ_W + μ_b, x² σ_W² + σ_b²) (the local
 * reparameterisation trick, Kingma, Salimans & Welling 2015). Such a node declares `momentEdges`:
 * the engine hands it, for each of those edges, the mean and variance of q over the edge's values
 * (on the tape, so the variable being stepped receives gradients through them), and the node
 * returns an unbiased estimate of E_q[log f] drawing its own local noise from `rng`.
 *
 * Contract:
 * - `momentEdges` connect random variables fitted by a mean-field Gaussian q on the identity
 *   bijector (the engine refuses anything else with a named error), or known values (variance
 *   null);
 * - `expectedLogDensity(inputs, tape, ctx, rng)` gets `{ mean, variance }` on moment edges and
 *   plain values on the other edges (known columns, or the current draw of a gradient-fitted
 *   variable, as for a plain density node), and returns a scalar or one value per row whose
 *   expectation over `rng`'s noise is E_q[log f] given the non-moment edges' values;
 * - `logDensity` (the plain density, at draws of every edge) stays required: it is the same
 *   factor, and the engine uses it wherever only joint draws make sense (importance ratios for
 *   PSIS, checks).
 *
 * The node is a density node in every other respect (no message rules; every random neighbour is
 * fitted by gradients).
 */
import { VireoError, type Generator, type Tape, type TNode } from "@vireo/core";
import type { NodeContext, NodeType } from "../contract/node.js";
import { densityNode, type DensityNodeSpec, type DensitySpec, type LogDensityFn } from "./density-node.js";

/** q's moments over one edge's values, in the edge's tape shape. */
export interface EdgeMoments {
  readonly mean: TNode;
  /** Element-wise variances, or null where the values are known exactly (data, constants, point masses). */
  readonly variance: TNode | null;
  /**
   * λ = [μ, log σ] of the mean-field Gaussian q these moments come from (2 × the edge's size), when
   * q is one: a node may feed it to fused kernels (core's localReparamDense) instead of the mean
   * and variance; both carry the same gradient to q.
   */
  readonly meanField?: TNode;
}

/** A moment node's inputs: moments on its moment edges, values on the others. */
export type MomentInputs = Readonly<Record<string, TNode | EdgeMoments>>;

/** An unbiased estimate of E_q[log f] on the tape (a scalar, or one value per row). */
export type ExpectedLogDensityFn = (x: MomentInputs, tape: Tape, ctx: NodeContext, rng: Generator) => TNode;

export interface MomentSpec {
  readonly edges: readonly string[];
  readonly expectedLogDensity: ExpectedLogDensityFn;
}

export interface MomentDensityNodeSpec extends DensityNodeSpec {
  /** Edges whose gradient-fitted variables are read through q's moments. */
  readonly momentEdges: readonly string[];
}

export type MomentNodeType = NodeType & { readonly density: DensitySpec; readonly moments: MomentSpec };

/** A density node with a moment form on `momentEdges` (see the file comment). */
export function momentDensityNode(
  name: string,
  spec: MomentDensityNodeSpec,
  fns: { readonly logDensity: LogDensityFn; readonly expectedLogDensity: ExpectedLogDensityFn },
): MomentNodeType {
  const base = densityNode(name, spec, fns?.logDensity);
  if (typeof fns.expectedLogDensity !== "function") {
    throw new VireoError("INVALID_NODE", `momentDensityNode '${name}': give expectedLogDensity(inputs, tape, ctx, rng), the estimate of E_q[log f] from the moment edges' moments.`, { node: name });
  }
  const known = new Set(base.edges.map((e) => e.name));
  if (!Array.isArray(spec.momentEdges) || spec.momentEdges.length === 0) {
    throw new VireoError("INVALID_NODE", `momentDensityNode '${name}': declare momentEdges, the edges read through q's moments (e.g. ["layer0"]).`, { node: name });
  }
  for (const e of spec.momentEdges) {
    if (!known.has(e)) {
      throw new VireoError("INVALID_NODE", `momentDensityNode '${name}': moment edge '${e}' is not one of its edges [${[...known].join(", ")}].`, { node: name, edge: e });
    }
  }
  return { ...base, moments: { edges: Object.freeze(spec.momentEdges.slice()), expectedLogDensity: fns.expectedLogDensity } };
}

/** Whether a node type has a moment form. */
export function isMomentNode(type: NodeType): type is MomentNodeType {
  return typeof (type as { moments?: MomentSpec }).moments?.expectedLogDensity === "function";
}

/** Whether a moment node's input is moments (rather than a value). */
export function isEdgeMoments(x: TNode | EdgeMoments | undefined): x is EdgeMoments {
  return x !== undefined && (x as EdgeMoments).mean !== undefined && !("tape" in (x as object));
}
