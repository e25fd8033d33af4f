/**
 * Prior nodes with fixed hyperparameters: Beta(out | a, b), Dirichlet(out | alpha),
 * Wishart(out | df, scale). Each is log f = ηᵀT(x) − A(η) with η from the inputs.
 */
import { Beta, Dirichlet, Wishart as WishartFamilyOf, VireoError, fmt, type DirichletFamily } from "@vireo/core";
import type { NodeContext } from "../contract/node.js";
import { instanceOf } from "../contract/node.js";
import { requireValueSize, requireSameDim } from "../contract/edges.js";
import { fixedPriorNode } from "./fixed-prior.js";

function input(ctx: NodeContext, edge: string, n: number, size: number): Float64Array {
  const e = ctx.edges[edge]!;
  const o = instanceOf(e, n) * size;
  return e.values.subarray(o, o + size);
}

function wrap(ctx: NodeContext, n: number, f: () => Float64Array): Float64Array {
  try {
    return f();
  } catch (err) {
    if (err instanceof VireoError) {
      throw new VireoError(err.code, `Node '${ctx.nodeName}', row ${n}: ${err.message}`, { ...err.context, node: ctx.nodeName, row: n });
    }
    throw err;
  }
}

/** Beta(out | a, b) with known a, b > 0. */
export const BetaNode = fixedPriorNode({
  name: "Beta",
  edges: {
    out: { family: Beta, doc: "a probability" },
    a: { family: "input", doc: "known α > 0" },
    b: { family: "input", doc: "known β > 0" },
  },
  checkInputs(info, nodeName) {
    requireValueSize(info, "a", 1, nodeName, "Beta", "one α value");
    requireValueSize(info, "b", 1, nodeName, "Beta", "one β value");
  },
  naturalAt(ctx, n) {
    const a = input(ctx, "a", n, 1)[0]!, b = input(ctx, "b", n, 1)[0]!;
    return wrap(ctx, n, () => Beta.toNatural({ alpha: a, beta: b }));
  },
});

/** Dirichlet(out | alpha) with known alpha (K positive values). */
export const DirichletNode = fixedPriorNode({
  name: "Dirichlet",
  edges: {
    out: { family: Dirichlet, doc: "a probability vector of length K" },
    alpha: { family: "input", doc: "known concentrations, K values > 0" },
  },
  checkInputs(info, nodeName) {
    requireValueSize(info, "alpha", info.out.family!.dim, nodeName, "Dirichlet", `K = ${info.out.family!.dim} concentrations`);
  },
  naturalAt(ctx, n) {
    const fam = ctx.edges.out.family as DirichletFamily;
    const alpha = input(ctx, "alpha", n, fam.dim);
    return wrap(ctx, n, () => fam.toNatural({ alpha: alpha.slice() }));
  },
});

/** Wishart(out | df, scale) with known df > d − 1 and SPD d×d scale. */
export const WishartNode = fixedPriorNode({
  name: "Wishart",
  edges: {
    out: { family: WishartFamilyOf, doc: "a d×d precision matrix" },
    df: { family: "input", doc: "known degrees of freedom > d − 1" },
    scale: { family: "input", doc: "known SPD d×d scale matrix" },
  },
  checkInputs(info, nodeName) {
    const d = requireSameDim(info, ["out"], nodeName, "Wishart");
    requireValueSize(info, "df", 1, nodeName, "Wishart", "one df value");
    requireValueSize(info, "scale", d * d, nodeName, "Wishart", `a ${d}×${d} scale matrix`);
  },
  naturalAt(ctx, n) {
    const d = ctx.edges.out.family!.dim;
    const df = input(ctx, "df", n, 1)[0]!, scale = input(ctx, "scale", n, d * d);
    if (!Number.isFinite(df)) throw new VireoError("INVALID_PARAMETER", `Node '${ctx.nodeName}': Wishart df is ${fmt(df)}.`, { node: ctx.nodeName, edge: "df" });
    return wrap(ctx, n, () => WishartFamilyOf(d).toNatural({ df, scale: scale.slice() }));
  },
});
