/**
 * NormalWishart(out | mean, precisionScale, df, scale): the joint prior of a Gaussian's mean and
 * precision with fixed hyperparameters (PRML 10.40):
 *   Λ ~ Wishart(ν₀, W₀),  μ | Λ ~ N(m₀, (β₀Λ)⁻¹),
 *   log f = log h + η₀ᵀT(μ, Λ) − A(η₀),  η₀ from (m₀, β₀, ν₀, W₀),  log h = −(d/2) log 2π.
 * Edges: out (NormalWishart(d)); mean (input, d values), precisionScale (input β₀ > 0),
 * df (input ν₀ > d − 1), scale (input, d×d SPD W₀). The message to out is η₀ and
 * E[log f] = log h + η₀ᵀE[T] − A(η₀).
 */
import { NormalWishart, VireoError, LOG_2PI, type NormalWishartFamily } from "@vireo/core";
import { type NodeContext, weightAt, instanceOf } from "../contract/node.js";
import { defineNode } from "../contract/define.js";
import { requireKnown, requireSameDim, requireValueSize } from "../contract/edges.js";

const NAME = "NormalWishart";
const INPUTS = ["mean", "precisionScale", "df", "scale"] as const;

function inputAt(ctx: NodeContext, edge: string, n: number, size: number): Float64Array {
  const e = ctx.edges[edge]!;
  const o = instanceOf(e, n) * size;
  return e.values.subarray(o, o + size);
}

/** η₀ at row n from the known inputs, validated (errors name the node and row). */
function naturalAt(ctx: NodeContext, n: number): Float64Array {
  const fam = ctx.edges.out!.family as NormalWishartFamily, d = fam.dim;
  try {
    return fam.toNatural({
      mean: inputAt(ctx, "mean", n, d).slice(),
      precisionScale: inputAt(ctx, "precisionScale", n, 1)[0]!,
      df: inputAt(ctx, "df", n, 1)[0]!,
      scale: inputAt(ctx, "scale", n, d * d).slice(),
    });
  } catch (err) {
    if (err instanceof VireoError) {
      throw new VireoError(err.code, `Node '${ctx.nodeName}' (${NAME}), row ${n}: ${err.message}`, { ...err.context, node: ctx.nodeName, row: n });
    }
    throw err;
  }
}

/** Row n ↦ η₀ and A(η₀), computed once when every input is broadcast (the usual case). */
function priorAt(ctx: NodeContext): (n: number) => { eta: Float64Array; logPartition: number } {
  const fam = ctx.edges.out!.family as NormalWishartFamily;
  const at = (n: number) => {
    const eta = naturalAt(ctx, n);
    return { eta, logPartition: fam.logPartition(eta) };
  };
  if (INPUTS.some((e) => ctx.edges[e]!.layout !== "broadcast")) return at;
  const once = at(0);
  return () => once;
}

export const NormalWishartNode = defineNode({
  name: NAME,
  edges: {
    out: { family: NormalWishart, doc: "the joint (μ, Λ) of a Gaussian" },
    mean: { family: "input", doc: "known m₀, d values" },
    precisionScale: { family: "input", doc: "known β₀ > 0: μ | Λ ~ N(m₀, (β₀Λ)⁻¹)" },
    df: { family: "input", doc: "known Wishart degrees of freedom ν₀ > d − 1" },
    scale: { family: "input", doc: "known SPD d×d Wishart scale W₀ (E[Λ] = ν₀W₀)" },
  },
  check(info, nodeName) {
    for (const e of INPUTS) requireKnown(info[e].known, nodeName, NAME, e, "prior parameters are fixed numbers");
    const d = requireSameDim(info, ["out"], nodeName, NAME);
    requireValueSize(info, "mean", d, nodeName, NAME, `a mean of length ${d}`);
    requireValueSize(info, "precisionScale", 1, nodeName, NAME, "one β₀ value");
    requireValueSize(info, "df", 1, nodeName, NAME, "one df value");
    requireValueSize(info, "scale", d * d, nodeName, NAME, `a ${d}×${d} scale matrix`);
  },
  checkData(ctx) {
    // Every row's hyperparameters, once per binding: bad ones fail here with node and row.
    const rows = INPUTS.some((e) => ctx.edges[e].layout !== "broadcast") ? ctx.rows : 1;
    for (let n = 0; n < rows; n++) naturalAt(ctx as NodeContext, n);
  },
  messages: {
    out(ctx, out) {
      const x = ctx.edges.out, prior = priorAt(ctx as NodeContext);
      for (let n = 0; n < ctx.rows; n++) {
        const eta = prior(n).eta, wn = weightAt(ctx.weights, n), o = instanceOf(x, n) * x.size;
        for (let i = 0; i < eta.length; i++) out[o + i] += wn * eta[i]!;
      }
    },
  },
  rowTerm(ctx) {
    const x = ctx.edges.out, prior = priorAt(ctx as NodeContext), logBase = -0.5 * x.family!.dim * LOG_2PI;
    return (n) => {
      const { eta, logPartition } = prior(n), o = instanceOf(x, n) * x.size;
      let dot = 0;
      for (let i = 0; i < eta.length; i++) dot += eta[i]! * x.stats[o + i]!;
      return logBase + dot - logPartition;
    };
  },
});
