/**
 * A factor given as a log density on the autodiff tape: any non-conjugate piece of a model as one
 * function. The engine hands the function one tape node per edge:
 * - known edges (data, inputs, constants): their values, the whole plate column at once
 *   ([rows] for one number per row, [rows, k] for k numbers per row; [k] outside a plate);
 * - random edges: the current draw of a gradient-fitted variable, in the same shapes.
 * The function returns log f as a scalar (summed over rows) or as a vector of one value per row
 * (needed when the plate has row multiplicities, which then weight the rows). Every random
 * variable on a density node is fitted by gradients: E_q[log f] has no closed-form message, so
 * the node has no message rules and its share of the ELBO is a Monte Carlo term.
 *
 *   const logistic = densityNode("Logistic", { edges: { w: "MvNormal", x: "input", y: "Bernoulli" } },
 *     ({ w, x, y }) => { const eta = ad.matmul(x!, w!); return ad.sum(ad.sub(ad.mul(y!, eta), ad.softplus(eta))); });
 *   m.factor(logistic, { w, x, y });
 */
import { VireoError, type Tape, type TNode } from "@vireo/core";
import type { EdgeSpec, NodeContext, NodeType } from "../contract/node.js";

/** The values of a density node's edges, by edge name. */
export type DensityValues = Readonly<Record<string, TNode>>;

/**
 * Which evaluation a density call belongs to: the Monte Carlo draw index of the step, and the
 * per-batch data handed to a joint-gradient step (`jointGradient(...).estimate(..., { data })`;
 * undefined in cavi / svi sweeps, where data come through the node's known edges).
 */
export interface DensityDraw {
  readonly sample: number;
  readonly data: unknown;
}

/** log f on the tape: a scalar, or one value per row of the node's plate. */
export type LogDensityFn = (x: DensityValues, tape: Tape, ctx: NodeContext, draw: DensityDraw) => TNode;

/** log f as a plain number, from the edges' values (enough when every random edge takes score-function steps). */
export type LogDensityValueFn = (x: Readonly<Record<string, Float64Array>>, ctx: NodeContext, draw: DensityDraw) => number;

/** What marks a node type as a density node. */
export interface DensitySpec {
  /** log f on the tape; absent only for a node with logDensityValue whose random edges all take score-function steps. */
  readonly logDensity?: LogDensityFn;
  /** Optional numeric log f; a joint-gradient step uses it for factors that touch no reparameterised variable. */
  readonly logDensityValue?: LogDensityValueFn;
  /** True when log f sums over the rows of the batch given as `draw.data`: scaled by N/|B| under minibatching. */
  readonly minibatch?: boolean;
  /** Natural-gradient steps for a Gaussian q on one edge (see DensityNaturalMessage). */
  readonly natural?: DensityNaturalMessage;
}

/** Mean and covariance of a Gaussian q over one edge's values (d and d×d numbers). */
export interface GaussianMoments {
  readonly mean: Float64Array;
  readonly covariance: Float64Array;
}

/**
 * What lets the engine fit one MvNormal edge's Gaussian q by natural-gradient steps instead of
 * reparameterised gradients (Hensman et al. 2013; CVI for non-conjugate log f, Khan & Lin 2017):
 * the natural-parameter message of E_q[log f] at the current q, in MvNormal's layout
 * η = [θ₁ (d), vec(−½Λ) (d×d)]. When log f is quadratic in the edge (a Gaussian likelihood) the
 * message does not depend on q and one step of size 1 reaches the exact optimum; otherwise it is
 * the CVI target, approached in damped steps.
 */
export interface DensityNaturalMessage {
  /** The edge (an MvNormal variable with a Gaussian q, one instance) the message goes to. */
  readonly edge: string;
  /** Step size of a plain cavi sweep: 1 when the message is exact, a CVI damping in (0, 1) otherwise. */
  readonly step: number;
  /**
   * Writes the message into `out` (overwritten), given q(edge) and the other edges' values (known
   * edges: their columns; other gradient-fitted variables: one draw); each row weighted by `scale`.
   */
  message(values: Readonly<Record<string, Float64Array>>, q: GaussianMoments, ctx: NodeContext, scale: number, out: Float64Array): void;
  /**
   * E_q[log f] over the edge's Gaussian q in closed form, on the tape (differentiable in the other
   * edges, which come as in logDensity; the edge itself is absent). When given, the engine uses it
   * wherever it would evaluate log f at a draw of the edge: the other variables' gradients and the
   * ELBO are then exact in q (Rao–Blackwellised), as in Hensman et al.'s hyperparameter steps.
   */
  expectedLogDensity?(values: DensityValues, q: GaussianMoments, tape: Tape, ctx: NodeContext): TNode;
}

export interface DensityNodeSpec {
  /**
   * Edge name → family the edge accepts ("MvNormal", "Gamma", "Normal|Gamma", ...) or "input" for
   * covariates. A random variable on any edge is fitted by gradients.
   */
  readonly edges: Readonly<Record<string, string>> | readonly EdgeSpec[];
  /** One line for docs and errors. */
  readonly doc?: string;
  /** See DensitySpec.logDensityValue. */
  readonly logDensityValue?: LogDensityValueFn;
  /** See DensitySpec.minibatch (factors in a data plate are scaled without it). */
  readonly minibatch?: boolean;
  /** See DensitySpec.natural. */
  readonly natural?: DensityNaturalMessage;
}

/** A node type whose factor is `logDensity` on the tape (see the file comment). */
export function densityNode(name: string, spec: DensityNodeSpec, logDensity: LogDensityFn | undefined): NodeType & { readonly density: DensitySpec } {
  if (typeof name !== "string" || name.length === 0) {
    throw new VireoError("INVALID_NODE", `densityNode: a density node needs a non-empty name, got ${JSON.stringify(name)}.`);
  }
  if (typeof logDensity !== "function" && !(logDensity === undefined && typeof spec?.logDensityValue === "function")) {
    throw new VireoError("INVALID_NODE", `densityNode '${name}': the third argument must be the log density (values, tape, ctx) => TNode.`, { node: name });
  }
  const edges: EdgeSpec[] = Array.isArray(spec?.edges)
    ? (spec.edges as readonly EdgeSpec[]).slice()
    : Object.entries((spec?.edges ?? {}) as Record<string, string>).map(([e, family]) => ({ name: e, family }));
  if (edges.length === 0) {
    throw new VireoError("INVALID_NODE", `densityNode '${name}': declare its edges, e.g. { edges: { w: "MvNormal", x: "input" } }.`, { node: name });
  }
  for (const e of edges) {
    if (typeof e.family !== "string" || e.family.length === 0) {
      throw new VireoError("INVALID_NODE", `densityNode '${name}', edge '${e.name}': give the family it accepts as a name ("Normal", "MvNormal", "input", ...).`, { node: name, edge: e.name });
    }
  }
  return {
    name,
    edges,
    messages: {},
    density: { ...(logDensity ? { logDensity } : {}), ...(spec.logDensityValue ? { logDensityValue: spec.logDensityValue } : {}), ...(spec.minibatch ? { minibatch: true } : {}), ...(spec.natural ? { natural: spec.natural } : {}) },
    logFactor(ctx: NodeContext): number {
      throw new VireoError(
        "INVALID_STATE",
        `Density node '${ctx.nodeName}' (${name}) has no closed-form E_q[log f]; the engine estimates it by Monte Carlo from the draws of its gradient-fitted variables.`,
        { node: ctx.nodeName },
      );
    },
  };
}

/** Whether a node type is a density node. */
export function isDensityNode(type: NodeType): type is NodeType & { readonly density: DensitySpec } {
  const d = (type as { density?: DensitySpec }).density;
  return typeof d?.logDensity === "function" || typeof d?.logDensityValue === "function";
}
