/**
 * Shared machinery of generalised-linear non-conjugate nodes: log f(y_n, a_n) with a linear
 * predictor a_n = wᵀx_n, w ~ q(w) an MvNormal(D) and x_n known covariates. Under q, a_n is
 * N(m_n, v_n) with m_n = x_nᵀE[w] and v_n = x_nᵀE[wwᵀ]x_n − m_n², so E_q[log f] depends on q(w)
 * only through its expected statistics S1 = E[w], S2 = E[wwᵀ], and its gradient in them is
 *   ∂/∂S1 = (g_m − 2 g_v m_n) x_n,   ∂/∂S2 = g_v x_n x_nᵀ,
 * with g_m = ∂E[log f]/∂m_n and g_v = ∂E[log f]/∂v_n. That gradient is the message to w: added to
 * the prior's natural parameters it is one conjugate-computation VI step (Khan & Lin 2017) of
 * size one; the engine takes a step of size `damping` by blending with the previous q(w).
 */
import type { NodeType, NodeContext, EdgeView, EdgeInfo } from "../contract/node.js";
import { weightAt, instanceOf } from "../contract/node.js";
import { requireKnown, requireValueSize } from "../contract/edges.js";
import { predictorMoments } from "../contract/predictor-moments.js";
import type { GaussianExpectation } from "./gauss-hermite.js";
import { irlsStart } from "./irls-start.js";

export interface LinearPredictorSpec {
  readonly name: string;
  /** Family name of the observed response on edge `out`. */
  readonly outFamily: string;
  readonly outDoc: string;
  readonly expectation: GaussianExpectation;
  readonly damping: number;
  /**
   * The predictor a row's own response suggests (the link of y, kept finite: log(y + ½) for counts).
   * Given, q(w) starts from the Laplace approximation at the maximum-likelihood w (IRLS).
   */
  readonly initialPredictor?: (y: number) => number;
}

/** m_n and v_n of row n's predictor into mv[0..1] (v clamped at 0 against round-off). */
function meanAndVariance(w: EdgeView, x: EdgeView, D: number, n: number, mv: Float64Array): void {
  predictorMoments(w, x, D, n, mv);
  mv[1] = Math.max(0, mv[1]! - mv[0]! * mv[0]!);
}

/** Builds the node type: edges out (observed), w (MvNormal(D)), x (D covariates per row). */
export function linearPredictorNode(spec: LinearPredictorSpec): NodeType {
  const E = spec.expectation;
  // Scratch buffers: the engine is a synchronous loop, and no rule re-enters another.
  const mv = new Float64Array(2), g = new Float64Array(3);
  const rowValue = (ctx: NodeContext, D: number, n: number): number => {
    const { out: y, w, x } = ctx.edges;
    meanAndVariance(w!, x!, D, n, mv);
    return E.value(y!.values[instanceOf(y!, n)]!, mv[0]!, mv[1]!, 0, 0);
  };
  const node: NodeType = {
    name: spec.name,
    edges: [
      { name: "out", family: spec.outFamily, doc: spec.outDoc, knownOnly: true },
      { name: "w", family: "MvNormal", doc: "coefficients (D) of the linear predictor" },
      { name: "x", family: "input", doc: "covariates, D per row" },
    ],
    damping: spec.damping,
    check(info: Readonly<Record<string, EdgeInfo>>, nodeName: string): void {
      requireKnown(info.out!.known, nodeName, spec.name, "out", "the node has no message to a latent response");
      requireValueSize(info, "x", info.w!.family!.dim, nodeName, spec.name, `D = ${info.w!.family!.dim} covariates matching w`);
    },
    messages: {
      w(ctx: NodeContext, out: Float64Array): void {
        const { out: y, w, x } = ctx.edges;
        const D = w!.family!.dim, xs = x!.values;
        for (let n = 0; n < ctx.rows; n++) {
          meanAndVariance(w!, x!, D, n, mv);
          E.withGradient(y!.values[instanceOf(y!, n)]!, mv[0]!, mv[1]!, 0, 0, g);
          const wn = weightAt(ctx.weights, n), o = instanceOf(w!, n) * w!.size, xo = instanceOf(x!, n) * D;
          const lin = wn * (g[1]! - 2 * g[2]! * mv[0]!), quad = wn * g[2]!;
          for (let i = 0; i < D; i++) {
            const xi = xs[xo + i]!;
            out[o + i] += lin * xi;
            const row = o + D + i * D, c = quad * xi;
            for (let j = 0; j < D; j++) out[row + j] += c * xs[xo + j]!;
          }
        }
      },
    },
    logFactor(ctx: NodeContext): number {
      const D = ctx.edges.w!.family!.dim, wt = ctx.weights;
      let s = 0;
      for (let n = 0; n < ctx.rows; n++) s += weightAt(wt, n) * rowValue(ctx, D, n);
      return s;
    },
    rowLogFactor(ctx: NodeContext, out: Float64Array, offset: number, stride: number): void {
      const D = ctx.edges.w!.family!.dim;
      for (let n = 0; n < ctx.rows; n++) out[offset + n * stride] += rowValue(ctx, D, n);
    },
  };
  if (spec.initialPredictor === undefined) return node;
  return { ...node, startMessages: { w: irlsStart(E, spec.initialPredictor, node.messages.w!) } };
}
