/**
 * StudentT(out | mean, df, scale): y ~ t_ν(μ, s), a heavy-tailed likelihood for robust location.
 *   log f = log Γ((ν+1)/2) − log Γ(ν/2) − ½ log(νπ) − log s − (ν+1)/2 · log(1 + (y − μ)²/(ν s²))
 * with ν (degrees of freedom) and s (scale) known. Not conjugate in the mean μ ~ q(μ) = N(m, v):
 * E_q[log f] is computed by Gauss–Hermite quadrature over μ, and the message to the mean is its
 * gradient in [E μ, E μ²], i.e. [g_m − 2 g_v m, g_v] with g_m, g_v its derivatives in m and v
 * (a conjugate-computation VI step). Far outliers pull on μ with force ~ 1/|y − μ|, which is why
 * the location is robust; their curvature is positive, so a single far point would make q
 * improper: the prior and the inliers must outweigh it (they do unless most data are outliers).
 * Edges: out (Normal, observed), mean (Normal), df (input ν > 0), scale (input s > 0).
 */
import { VireoError, gammaln, LOG_PI, fmt, Normal } from "@vireo/core";
import type { NodeContext, EdgeView } from "../contract/node.js";
import { weightAt, instanceOf } from "../contract/node.js";
import { defineNode, type TypedNode } from "../contract/define.js";
import { requireKnown, requireValueSize } from "../contract/edges.js";
import { quadratureExpectation, checkDamping, type ScalarLogLik } from "./gauss-hermite.js";

/** The μ-dependent part of log f, as a function of a = μ (c1 = ν, c2 = ν s²). */
const kernel: ScalarLogLik = {
  f: (a, y, nu, ns2) => -0.5 * (nu + 1) * Math.log1p(((y - a) * (y - a)) / ns2),
  d1: (a, y, nu, ns2) => ((nu + 1) * (y - a)) / (ns2 + (y - a) * (y - a)),
  d2: (a, y, nu, ns2) => {
    const r2 = (y - a) * (y - a), den = ns2 + r2;
    return (-(nu + 1) * (ns2 - r2)) / (den * den);
  },
};

/** Throws INVALID_DATA unless every value of a known parameter edge is finite and > 0. */
function requirePositive(e: EdgeView, ctx: NodeContext): void {
  for (let i = 0; i < e.values.length; i++) {
    const v = e.values[i]!;
    if (!(v > 0 && Number.isFinite(v))) {
      throw new VireoError("INVALID_DATA", `Node '${ctx.nodeName}' (StudentT): '${e.name}' must be a finite number > 0, got ${fmt(v)}${e.values.length > 1 ? ` at row ${i}` : ""}.`, { node: ctx.nodeName, edge: e.name, row: i });
    }
  }
}

/** A StudentT node type with its own damping (default 0.5) and quadrature size (default 32). */
export function studentTNode(options: { readonly damping?: number; readonly points?: number } = {}): TypedNode<"out" | "mean" | "df" | "scale"> {
  const E = quadratureExpectation(kernel, options.points ?? 32);
  // Per-context scratch: the gradient, and the row's parameters [y, ν, ν s², constant part of log f].
  const SCRATCH = {};
  const scratchOf = (ctx: NodeContext) => ctx.scratch.get(SCRATCH, () => ({ g: new Float64Array(3), par: new Float64Array(4) }));
  const rowParams = (ctx: NodeContext, n: number, par: Float64Array): void => {
    const { out: y, df, scale } = ctx.edges;
    const nu = df!.values[instanceOf(df!, n)]!, s = scale!.values[instanceOf(scale!, n)]!;
    par[0] = y!.values[instanceOf(y!, n)]!;
    par[1] = nu;
    par[2] = nu * s * s;
    par[3] = gammaln(0.5 * (nu + 1)) - gammaln(0.5 * nu) - 0.5 * (Math.log(nu) + LOG_PI) - Math.log(s);
  };
  const rowValue = (ctx: NodeContext, n: number, par: Float64Array): number => {
    const mu = ctx.edges.mean!, i = instanceOf(mu, n), m = Normal.ex(mu.stats, i);
    rowParams(ctx, n, par);
    return par[3]! + E.value(par[0]!, m, Math.max(0, Normal.ex2(mu.stats, i) - m * m), par[1]!, par[2]!);
  };
  return defineNode({
    name: "StudentT",
    edges: {
      out: { family: Normal, doc: "observed values", knownOnly: true },
      mean: { family: Normal, doc: "the location μ" },
      df: { family: "input", doc: "degrees of freedom ν > 0" },
      scale: { family: "input", doc: "scale s > 0" },
    },
    damping: checkDamping(options.damping ?? 0.5, "StudentT"),
    check(info, nodeName) {
      requireKnown(info.out!.known, nodeName, "StudentT", "out", "the node has no message to a latent response");
      requireValueSize(info, "df", 1, nodeName, "StudentT", "the degrees of freedom");
      requireValueSize(info, "scale", 1, nodeName, "StudentT", "the scale");
    },
    // ν and s are checked once per binding, not in every message.
    checkData(ctx) {
      requirePositive(ctx.edges.df!, ctx);
      requirePositive(ctx.edges.scale!, ctx);
    },
    messages: {
      mean(ctx, out) {
        const mu = ctx.edges.mean, { g, par } = scratchOf(ctx);
        for (let n = 0; n < ctx.rows; n++) {
          const i = instanceOf(mu, n), o = 2 * i, m = Normal.ex(mu.stats, i);
          rowParams(ctx, n, par);
          E.withGradient(par[0]!, m, Math.max(0, Normal.ex2(mu.stats, i) - m * m), par[1]!, par[2]!, g);
          const wn = weightAt(ctx.weights, n);
          out[o] += wn * (g[1]! - 2 * g[2]! * m);
          out[o + 1] += wn * g[2]!;
        }
      },
    },
    logFactor(ctx) {
      const { par } = scratchOf(ctx);
      let s = 0;
      for (let n = 0; n < ctx.rows; n++) s += weightAt(ctx.weights, n) * rowValue(ctx, n, par);
      return s;
    },
    rowLogFactor(ctx, out, offset, stride) {
      const { par } = scratchOf(ctx);
      for (let n = 0; n < ctx.rows; n++) out[offset + n * stride] += rowValue(ctx, n, par);
    },
  });
}

export const StudentTNode = studentTNode();
