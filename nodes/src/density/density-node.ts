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
    density: { ...(logDensity ? { logDensity } : {}), ...(spec.logDensityValue ? { logDensityValue: spec.logDensityValue } : {}), ...(spec.minibatch ? { minibatch: true } : {}) },
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
