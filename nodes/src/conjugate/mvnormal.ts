/**
 * MvNormal(out | mean, precision) in d dimensions:
 *   log f = ½ log|Λ| − (d/2) log 2π − ½ tr(Λ (x − μ)(x − μ)ᵀ).
 * Edges: out (MvNormal(d)), mean (MvNormal(d)), precision (Wishart(d)).
 * Stats layouts: MvNormal [x, vec(x xᵀ)], Wishart [log|Λ|, vec Λ].
 *   E[log f] = ½E[log|Λ|] − (d/2) log 2π − ½ tr(E[Λ] S),
 *   S = E[xxᵀ] − E[x]E[μ]ᵀ − E[μ]E[x]ᵀ + E[μμᵀ].
 */
import { LOG_2PI, MvNormal, Wishart, type MvNormalFamily, type WishartFamily } from "@vireo/core";
import { type NodeContext, type EdgeView, weightAt, instanceOf, sumRows } from "../contract/node.js";
import { defineNode } from "../contract/define.js";
import { requireSameDim } from "../contract/edges.js";
import { weightedStatSums } from "../contract/weighted-sums.js";

/** tr(Λ S) for row n (S built from the stats on the fly). */
function traceLambdaS(x: EdgeView, m: EdgeView, L: EdgeView, d: number, n: number): number {
  const xs = x.stats, ms = m.stats, Ls = L.stats, X = x.family as MvNormalFamily, W = L.family as WishartFamily;
  const xi0 = instanceOf(x, n), mi0 = instanceOf(m, n);
  const xo = X.meanOffset(xi0), xxo = X.outerOffset(xi0), mo = X.meanOffset(mi0), mmo = X.outerOffset(mi0), lo = W.matrixOffset(instanceOf(L, n));
  let t = 0;
  for (let i = 0; i < d; i++) {
    const xi = xs[xo + i]!, mi = ms[mo + i]!;
    for (let j = 0; j < d; j++) {
      const s = xs[xxo + i * d + j]! - xi * ms[mo + j]! - mi * xs[xo + j]! + ms[mmo + i * d + j]!;
      t += Ls[lo + j * d + i]! * s;
    }
  }
  return t;
}

function rowLog(x: EdgeView, m: EdgeView, L: EdgeView, d: number, n: number): number {
  return 0.5 * (L.family as WishartFamily).elogdet(L.stats, instanceOf(L, n)) - 0.5 * d * LOG_2PI - 0.5 * traceLambdaS(x, m, L, d, n);
}

function dimOf(ctx: NodeContext): number {
  return ctx.edges.out.family!.dim;
}

/** The data case: `out` per row, mean and precision broadcast. */
function isDataLayout(x: EdgeView, m: EdgeView, L: EdgeView): boolean {
  return x.layout === "row" && m.layout === "broadcast" && L.layout === "broadcast";
}

/** Per-context scratch for E[Λ]E[μ] in rowLogFactor (nodes run synchronously). */
const LAMBDA_MU = {};
function scratchFor(ctx: NodeContext, d: number): Float64Array {
  return ctx.scratch.get(LAMBDA_MU, () => new Float64Array(d));
}

const NAME = "MvNormal";

/** With μ and Λ broadcast, E[log f_n] = ⟨[E[Λ]E[μ], −½ vec E[Λ]], E[T(x_n)]⟩ + c. */
const MvNormalAffine = {
  edge: "out" as const,
  coefficients(ctx: NodeContext, a: Float64Array): number {
    const { out: x, mean: m, precision: L } = ctx.edges;
    if (!isDataLayout(x!, m!, L!)) return NaN;
    const d = dimOf(ctx), Ls = L!.stats, ms = m!.stats;
    let tr = 0;
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        s += Ls[1 + i * d + j]! * ms[j]!;
        tr += Ls[1 + i * d + j]! * ms[d + j * d + i]!;
        a[d + i * d + j] = -0.5 * Ls[1 + i * d + j]!;
      }
      a[i] = s;
    }
    return 0.5 * Ls[0]! - 0.5 * d * LOG_2PI - 0.5 * tr;
  },
};

export const MvNormalNode = defineNode({
  name: NAME,
  edges: {
    out: { family: MvNormal, doc: "the d-dimensional Gaussian variable" },
    mean: { family: MvNormal, doc: "its mean vector" },
    precision: { family: Wishart, doc: "its d×d precision matrix" },
  },
  seeds: { mean: "out" },
  check(info, nodeName) {
    requireSameDim(info, ["out", "mean", "precision"], nodeName, NAME);
  },
  messages(ctx, edge, out) {
    const { out: x, mean: m, precision: L } = ctx.edges;
    const d = dimOf(ctx), w = ctx.weights;
    if (edge !== "out" && isDataLayout(x, m, L)) {
      messageFromSums(ctx, edge, out, d);
      return;
    }
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
  logFactor(ctx) {
    const { out: x, mean: m, precision: L } = ctx.edges;
    const d = dimOf(ctx);
    if (!isDataLayout(x, m, L)) return sumRows(ctx, (n) => rowLog(x, m, L, d, n));
    // Linear in the rows' statistics: Σ_n w_n E[log f_n] from the plate sums, with
    // Σ w S = Σwxxᵀ − (Σwx) E[μ]ᵀ − E[μ] (Σwx)ᵀ + (Σw) E[μμᵀ] (the form of the precision's message).
    const sums = weightedStatSums(ctx, x), sw = sums[0]!, Ls = L.stats, ms = m.stats;
    let tr = 0;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
      const S = sums[1 + d + i * d + j]! - sums[1 + i]! * ms[j]! - ms[i]! * sums[1 + j]! + sw * ms[d + i * d + j]!;
      tr += Ls[1 + j * d + i]! * S;
    }
    return sw * (0.5 * Ls[0]! - 0.5 * d * LOG_2PI) - 0.5 * tr;
  },
  rowAffine: MvNormalAffine,
  rowLogFactor(ctx, out, offset, stride) {
    const { out: x, mean: m, precision: L } = ctx.edges;
    const d = dimOf(ctx);
    if (!isDataLayout(x, m, L)) {
      for (let n = 0; n < ctx.rows; n++) out[offset + n * stride] += rowLog(x, m, L, d, n);
      return;
    }
    // Broadcast μ, Λ: E[log f_n] = c − ½ tr(E[Λ] E[x_n x_nᵀ]) + E[x_n]ᵀ E[Λ] E[μ], with c and E[Λ]E[μ]
    // computed once. Λ is symmetric, so tr(Λ X) = Σ_ij Λ_ij X_ij.
    const Ls = L.stats, ms = m.stats, xs = x.stats, size = x.size;
    let tr = 0;
    const Lm = scratchFor(ctx, d);
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        s += Ls[1 + i * d + j]! * ms[j]!;
        tr += Ls[1 + i * d + j]! * ms[d + j * d + i]!;
      }
      Lm[i] = s;
    }
    const c = 0.5 * Ls[0]! - 0.5 * d * LOG_2PI - 0.5 * tr;
    for (let n = 0, xo = 0; n < ctx.rows; n++, xo += size) {
      let q = 0, lin = 0;
      for (let i = 0; i < d; i++) lin += xs[xo + i]! * Lm[i]!;
      for (let i = 0; i < d * d; i++) q += Ls[1 + i]! * xs[xo + d + i]!;
      out[offset + n * stride] += c - 0.5 * q + lin;
    }
  },
});

/** Messages to a broadcast mean or precision from the weighted sums of per-row data. */
function messageFromSums(ctx: NodeContext, edge: string, out: Float64Array, d: number): void {
  const { out: x, mean: m, precision: L } = ctx.edges;
  // Σ w, Σ w E[x], Σ w E[xxᵀ], cached while neither the data nor the row weights change.
  const sums = weightedStatSums(ctx, x);
  const sw = sums[0]!;
  if (edge === "mean") {
    // Σ_n w_n [E[Λ] E[x_n], −½ E[Λ]] = [E[Λ] Σ w x, −½ (Σ w) E[Λ]].
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const lij = L.stats[1 + i * d + j]!;
        s += lij * sums[1 + j]!;
        out[d + i * d + j] -= 0.5 * sw * lij;
      }
      out[i] += s;
    }
  } else {
    // Σ_n w_n [½, −½ S_n] with Σ w S = Σwxxᵀ − (Σwx) E[μ]ᵀ − E[μ] (Σwx)ᵀ + (Σw) E[μμᵀ].
    const ms = m.stats;
    out[0] += 0.5 * sw;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
      const S = sums[1 + d + i * d + j]! - sums[1 + i]! * ms[j]! - ms[i]! * sums[1 + j]! + sw * ms[d + i * d + j]!;
      out[1 + j * d + i] -= 0.5 * S;
    }
  }
}
