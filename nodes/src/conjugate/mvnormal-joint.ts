/**
 * MvNormalJoint(out | meanPrecision): x ~ N(μ, Λ⁻¹) where (μ, Λ) is one NormalWishart variable, so
 * q keeps μ and Λ together (Bishop's Bayesian Gaussian mixture, PRML §10.2, is a Mixture of it).
 *   log f = ½ log|Λ| − (d/2) log 2π − ½ tr(Λ x xᵀ) + xᵀΛμ − ½ μᵀΛμ.
 * Edges: out (MvNormal(d)), meanPrecision (NormalWishart(d)).
 * Stats layouts: MvNormal [x, vec(x xᵀ)], NormalWishart [Λμ, μᵀΛμ, log|Λ|, vec Λ]. E[log f] is
 * linear in each edge's statistics:
 *   E[log f] = ½E[log|Λ|] − (d/2) log 2π − ½ tr(E[Λ] E[xxᵀ]) + E[x]ᵀE[Λμ] − ½E[μᵀΛμ],
 * so the message to out is [E[Λμ], −½E[Λ]] and to meanPrecision [E[x], −½, ½, −½E[xxᵀ]].
 */
import { LOG_2PI, MvNormal, NormalWishart } from "@vireo/core";
import { type NodeContext, type EdgeView, weightAt, instanceOf, sumRows } from "../contract/node.js";
import { defineNode } from "../contract/define.js";
import { requireSameDim } from "../contract/edges.js";
import { weightedStatSums } from "../contract/weighted-sums.js";

const NAME = "MvNormalJoint";

function rowLog(x: EdgeView, t: EdgeView, d: number, n: number): number {
  const xs = x.stats, ts = t.stats, xo = instanceOf(x, n) * x.size, to = instanceOf(t, n) * t.size, P = to + d + 2;
  let s = 0.5 * ts[to + d + 1]! - 0.5 * d * LOG_2PI - 0.5 * ts[to + d]!;
  for (let i = 0; i < d; i++) s += xs[xo + i]! * ts[to + i]!;
  for (let i = 0; i < d * d; i++) s -= 0.5 * ts[P + i]! * xs[xo + d + i]!;
  return s;
}

/** The data case: `out` per row (observed or a per-row latent), the parameters broadcast. */
function isDataLayout(x: EdgeView, t: EdgeView): boolean {
  return x.layout === "row" && t.layout === "broadcast";
}

/** The key of the row coefficients of rowLogFactor in a context's scratch space. */
const COEFFICIENTS = {};

export const MvNormalJointNode = defineNode({
  name: NAME,
  edges: {
    out: { family: MvNormal, doc: "the d-dimensional Gaussian variable" },
    meanPrecision: { family: NormalWishart, doc: "its mean and precision, jointly (μ, Λ)" },
  },
  // A mixture component's (μ_k, Λ_k) may start located at a data row (NormalWishart.seedAt).
  seeds: { meanPrecision: "out" },
  check(info, nodeName) {
    requireSameDim(info, ["out", "meanPrecision"], nodeName, NAME);
  },
  messages(ctx, edge, out) {
    const { out: x, meanPrecision: t } = ctx.edges;
    const d = x.family!.dim, w = ctx.weights;
    if (edge === "out") {
      for (let n = 0; n < ctx.rows; n++) {
        const wn = weightAt(w, n), xo = instanceOf(x, n) * x.size, to = instanceOf(t, n) * t.size, P = to + d + 2;
        for (let i = 0; i < d; i++) out[xo + i] += wn * t.stats[to + i]!;
        for (let i = 0; i < d * d; i++) out[xo + d + i] -= 0.5 * wn * t.stats[P + i]!;
      }
    } else if (isDataLayout(x, t)) {
      // Σ_n w_n [x_n, −½, ½, −½ x_n x_nᵀ] from the plate's weighted sums.
      const sums = weightedStatSums(ctx as NodeContext, x), sw = sums[0]!;
      for (let i = 0; i < d; i++) out[i] += sums[1 + i]!;
      out[d] -= 0.5 * sw;
      out[d + 1] += 0.5 * sw;
      for (let i = 0; i < d * d; i++) out[d + 2 + i] -= 0.5 * sums[1 + d + i]!;
    } else {
      for (let n = 0; n < ctx.rows; n++) {
        const wn = weightAt(w, n), xo = instanceOf(x, n) * x.size, to = instanceOf(t, n) * t.size, P = to + d + 2;
        for (let i = 0; i < d; i++) out[to + i] += wn * x.stats[xo + i]!;
        out[to + d] -= 0.5 * wn;
        out[to + d + 1] += 0.5 * wn;
        for (let i = 0; i < d * d; i++) out[P + i] -= 0.5 * wn * x.stats[xo + d + i]!;
      }
    }
  },
  logFactor(ctx) {
    const { out: x, meanPrecision: t } = ctx.edges;
    const d = x.family!.dim;
    if (!isDataLayout(x, t)) return sumRows(ctx as NodeContext, (n) => rowLog(x, t, d, n));
    // Linear in the rows' statistics: the weighted sums give the whole plate at once.
    const sums = weightedStatSums(ctx as NodeContext, x), ts = t.stats, P = d + 2;
    let s = sums[0]! * (0.5 * ts[d + 1]! - 0.5 * d * LOG_2PI - 0.5 * ts[d]!);
    for (let i = 0; i < d; i++) s += sums[1 + i]! * ts[i]!;
    for (let i = 0; i < d * d; i++) s -= 0.5 * ts[P + i]! * sums[1 + d + i]!;
    return s;
  },
  // With (μ, Λ) broadcast, E[log f_n] = ⟨[E[Λμ], −½ vec E[Λ]], E[T(x_n)]⟩ + c.
  rowAffine: {
    edge: "out",
    coefficients(ctx, a) {
      const { out: x, meanPrecision: t } = ctx.edges;
      if (!isDataLayout(x, t)) return NaN;
      const d = x.family!.dim, ts = t.stats;
      for (let i = 0; i < d; i++) a[i] = ts[i]!;
      for (let i = 0; i < d * d; i++) a[d + i] = -0.5 * ts[d + 2 + i]!;
      return 0.5 * ts[d + 1]! - 0.5 * d * LOG_2PI - 0.5 * ts[d]!;
    },
  },
  rowLogFactor(ctx, out, offset, stride) {
    const { out: x, meanPrecision: t } = ctx.edges;
    const d = x.family!.dim;
    if (!isDataLayout(x, t)) {
      for (let n = 0; n < ctx.rows; n++) out[offset + n * stride] += rowLog(x, t, d, n);
      return;
    }
    // E[log f_n] = c + E[x_n]ᵀE[Λμ] − ½ Σ_ij E[Λ]_ij E[x_n x_nᵀ]_ij with c and −½E[Λ] read once.
    const xs = x.stats, ts = t.stats, size = x.size, dd = d * d;
    const coef = ctx.scratch.get(COEFFICIENTS, () => new Float64Array(d + dd));
    for (let i = 0; i < d; i++) coef[i] = ts[i]!;
    for (let i = 0; i < dd; i++) coef[d + i] = -0.5 * ts[d + 2 + i]!;
    const c = 0.5 * ts[d + 1]! - 0.5 * d * LOG_2PI - 0.5 * ts[d]!;
    if (d === 2) {
      // The common 2-D case unrolled (E[xxᵀ] is symmetric: its two off-diagonal entries are equal).
      const a0 = coef[0]!, a1 = coef[1]!, b00 = coef[2]!, b01 = coef[3]! + coef[4]!, b11 = coef[5]!;
      for (let n = 0, xo = 0; n < ctx.rows; n++, xo += size) {
        out[offset + n * stride] += c + a0 * xs[xo]! + a1 * xs[xo + 1]! + b00 * xs[xo + 2]! + b01 * xs[xo + 3]! + b11 * xs[xo + 5]!;
      }
      return;
    }
    const m = d + dd;
    for (let n = 0, xo = 0; n < ctx.rows; n++, xo += size) {
      let s = c;
      for (let i = 0; i < m; i++) s += coef[i]! * xs[xo + i]!;
      out[offset + n * stride] += s;
    }
  },
});
