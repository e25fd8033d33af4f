/**
 * MvNormal(out | mean, precision) in d dimensions:
 *   log f = ½ log|Λ| − (d/2) log 2π − ½ tr(Λ (x − μ)(x − μ)ᵀ).
 * Edges: out (MvNormal(d)), mean (MvNormal(d)), precision (Wishart(d)).
 * Stats layouts: MvNormal [x, vec(x xᵀ)], Wishart [log|Λ|, vec Λ].
 *   E[log f] = ½E[log|Λ|] − (d/2) log 2π − ½ tr(E[Λ] S),
 *   S = E[xxᵀ] − E[x]E[μ]ᵀ − E[μ]E[x]ᵀ + E[μμᵀ].
 */
import { LOG_2PI } from "@vireo/core";
import { type NodeType, type NodeContext, type EdgeView, type EdgeInfo, weightAt, instanceOf, sumRows } from "../contract/node.js";
import { requireSameDim } from "../contract/edges.js";

/** tr(Λ S) for row n (S built from the stats on the fly). */
function traceLambdaS(x: EdgeView, m: EdgeView, L: EdgeView, d: number, n: number): number {
  const xs = x.stats, ms = m.stats, Ls = L.stats;
  const xo = instanceOf(x, n) * x.size, mo = instanceOf(m, n) * m.size, lo = instanceOf(L, n) * L.size + 1;
  let t = 0;
  for (let i = 0; i < d; i++) {
    const xi = xs[xo + i]!, mi = ms[mo + i]!;
    for (let j = 0; j < d; j++) {
      const s = xs[xo + d + i * d + j]! - xi * ms[mo + j]! - mi * xs[xo + j]! + ms[mo + d + i * d + j]!;
      t += Ls[lo + j * d + i]! * s;
    }
  }
  return t;
}

function rowLog(x: EdgeView, m: EdgeView, L: EdgeView, d: number, n: number): number {
  return 0.5 * L.stats[instanceOf(L, n) * L.size]! - 0.5 * d * LOG_2PI - 0.5 * traceLambdaS(x, m, L, d, n);
}

function dimOf(ctx: NodeContext): number {
  return ctx.edges.out.family!.dim;
}

export const MvNormalNode: NodeType = {
  name: "MvNormal",
  edges: [
    { name: "out", family: "MvNormal", doc: "the d-dimensional Gaussian variable" },
    { name: "mean", family: "MvNormal", doc: "its mean vector" },
    { name: "precision", family: "Wishart", doc: "its d×d precision matrix" },
  ],
  check(info: Readonly<Record<string, EdgeInfo>>, nodeName: string): void {
    requireSameDim(info, ["out", "mean", "precision"], nodeName, "MvNormal");
  },
  message(ctx: NodeContext, edge: string, out: Float64Array): void {
    const { out: x, mean: m, precision: L } = ctx.edges;
    const d = dimOf(ctx), w = ctx.weights;
    if (edge === "out" || edge === "mean") {
      const target = edge === "out" ? x : m, other = edge === "out" ? m : x;
      for (let n = 0; n < ctx.rows; n++) {
        const wn = weightAt(w, n);
        const to = instanceOf(target, n) * target.size, oo = instanceOf(other, n) * other.size, lo = instanceOf(L, n) * L.size + 1;
        for (let i = 0; i < d; i++) {
          let s = 0;
          for (let j = 0; j < d; j++) {
            const lij = L.stats[lo + i * d + j]!;
            s += lij * other.stats[oo + j]!;
            out[to + d + i * d + j] -= 0.5 * wn * lij;
          }
          out[to + i] += wn * s;
        }
      }
    } else {
      const xs = x.stats, ms = m.stats;
      for (let n = 0; n < ctx.rows; n++) {
        const wn = weightAt(w, n);
        const xo = instanceOf(x, n) * x.size, mo = instanceOf(m, n) * m.size, lo = instanceOf(L, n) * L.size;
        out[lo] += 0.5 * wn;
        for (let i = 0; i < d; i++) {
          const xi = xs[xo + i]!, mi = ms[mo + i]!;
          for (let j = 0; j < d; j++) {
            const s = xs[xo + d + i * d + j]! - xi * ms[mo + j]! - mi * xs[xo + j]! + ms[mo + d + i * d + j]!;
            out[lo + 1 + j * d + i] -= 0.5 * wn * s;
          }
        }
      }
    }
  },
  logFactor(ctx: NodeContext): number {
    const { out: x, mean: m, precision: L } = ctx.edges;
    const d = dimOf(ctx);
    return sumRows(ctx, (n) => rowLog(x, m, L, d, n));
  },
  rowLogFactor(ctx: NodeContext, out: Float64Array, offset: number, stride: number): void {
    const { out: x, mean: m, precision: L } = ctx.edges;
    const d = dimOf(ctx);
    for (let n = 0; n < ctx.rows; n++) out[offset + n * stride] += rowLog(x, m, L, d, n);
  },
};
