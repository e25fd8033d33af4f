/**
 * NormalWishart(out | mean, precisionScale, df, scale): the joint prior of a Gaussian's mean and
 * precision with fixed hyperparameters (PRML 10.40):
 *   Λ ~ Wishart(ν₀, W₀),  μ | Λ ~ N(m₀, (β₀Λ)⁻¹),
 *   log f = log h + η₀ᵀT(μ, Λ) − A(η₀),  η₀ from (m₀, β₀, ν₀, W₀),  log h = −(d/2) log 2π.
 * Edges: out (NormalWishart(d)); mean (input, d values), precisionScale (input β₀ > 0),
 * df (input ν₀ > d − 1), scale (input, d×d SPD W₀). The message to out is η₀ and
 * E[log f] = log h + η₀ᵀE[T] − A(η₀).
 */
import { VireoError, LOG_2PI, type NormalWishartFamily } from "@vireo/core";
import { type NodeType, type NodeContext, type EdgeInfo, weightAt, instanceOf, rowTerms } from "../contract/node.js";
import { requireKnown, requireSameDim, requireValueSize } from "../contract/edges.js";

const INPUTS = ["mean", "precisionScale", "df", "scale"] as const;

function inputAt(ctx: NodeContext, edge: string, n: number, size: number): Float64Array {
  const e = ctx.edges[edge]!;
  const o = instanceOf(e, n) * size;
  return e.values.subarray(o, o + size);
}

/** η₀ at row n from the known inputs, validated (errors name the node and row). */
function naturalAt(ctx: NodeContext, n: number): Float64Array {
  const fam = ctx.edges.out.family as NormalWishartFamily, d = fam.dim;
  try {
    return fam.toNatural({
      mean: inputAt(ctx, "mean", n, d).slice(),
      precisionScale: inputAt(ctx, "precisionScale", n, 1)[0]!,
      df: inputAt(ctx, "df", n, 1)[0]!,
      scale: inputAt(ctx, "scale", n, d * d).slice(),
    });
  } catch (err) {
    if (err instanceof VireoError) {
      throw new VireoError(err.code, `Node '${ctx.nodeName}', row ${n}: ${err.message}`, { ...err.context, node: ctx.nodeName, row: n });
    }
    throw err;
  }
}

/** Row n ↦ η₀ and A(η₀), computed once when every input is broadcast (the usual case). */
function priorAt(ctx: NodeContext): (n: number) => { eta: Float64Array; logPartition: number } {
  const fam = ctx.edges.out.family as NormalWishartFamily;
  const at = (n: number) => {
    const eta = naturalAt(ctx, n);
    return { eta, logPartition: fam.logPartition(eta) };
  };
  if (INPUTS.some((e) => ctx.edges[e]!.layout !== "broadcast")) return at;
  const once = at(0);
  return () => once;
}

export const NormalWishartNode: NodeType = {
  name: "NormalWishart",
  edges: [
    { name: "out", family: "NormalWishart", doc: "the joint (μ, Λ) of a Gaussian" },
    { name: "mean", family: "input", doc: "known m₀, d values" },
    { name: "precisionScale", family: "input", doc: "known β₀ > 0: μ | Λ ~ N(m₀, (β₀Λ)⁻¹)" },
    { name: "df", family: "input", doc: "known Wishart degrees of freedom ν₀ > d − 1" },
    { name: "scale", family: "input", doc: "known SPD d×d Wishart scale W₀ (E[Λ] = ν₀W₀)" },
  ],
  check(info: Readonly<Record<string, EdgeInfo>>, nodeName: string): void {
    for (const e of INPUTS) requireKnown(info[e]!.known, nodeName, "NormalWishart", e, "prior parameters are fixed numbers");
    const d = requireSameDim(info, ["out"], nodeName, "NormalWishart");
    requireValueSize(info, "mean", d, nodeName, "NormalWishart", `a mean of length ${d}`);
    requireValueSize(info, "precisionScale", 1, nodeName, "NormalWishart", "one β₀ value");
    requireValueSize(info, "df", 1, nodeName, "NormalWishart", "one df value");
    requireValueSize(info, "scale", d * d, nodeName, "NormalWishart", `a ${d}×${d} scale matrix`);
  },
  messages: {
    out(ctx: NodeContext, out: Float64Array): void {
      const x = ctx.edges.out, prior = priorAt(ctx);
      for (let n = 0; n < ctx.rows; n++) {
        const eta = prior(n).eta, wn = weightAt(ctx.weights, n), o = instanceOf(x, n) * x.size;
        for (let i = 0; i < eta.length; i++) out[o + i] += wn * eta[i]!;
      }
    },
  },
  ...rowTerms((ctx) => {
    const x = ctx.edges.out, prior = priorAt(ctx), logBase = -0.5 * x.family!.dim * LOG_2PI;
    return (n) => {
      const { eta, logPartition } = prior(n), o = instanceOf(x, n) * x.size;
      let dot = 0;
      for (let i = 0; i < eta.length; i++) dot += eta[i]! * x.stats[o + i]!;
      return logBase + dot - logPartition;
    };
  }),
};

