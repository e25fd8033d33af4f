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
import { MvNormal, type FamilyRef } from "@vireo/core";
import type { NodeContext, EdgeView } from "../contract/node.js";
import { weightAt, instanceOf } from "../contract/node.js";
import { defineNode, type TypedNode } from "../contract/define.js";
import { requireKnown, requireValueSize } from "../contract/edges.js";
import { predictorMoments } from "../contract/predictor-moments.js";
import type { GaussianExpectation } from "./gauss-hermite.js";
import { irlsStart } from "./irls-start.js";

export interface LinearPredictorSpec {
  readonly name: string;
  /** Family of the observed response on edge `out` (the family itself, or its name). */
  readonly outFamily: FamilyRef | string;
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
export function linearPredictorNode(spec: LinearPredictorSpec): TypedNode<"out" | "w" | "x"> {
  const E = spec.expectation;
  // Scratch per context (m_n, v_n and the gradient), owned by the engine's compiled state.
  const SCRATCH = {};
  const scratchOf = (ctx: NodeContext) => ctx.scratch.get(SCRATCH, () => ({ mv: new Float64Array(2), g: new Float64Array(3) }));
  const rowValue = (ctx: NodeContext, D: number, n: number, mv: Float64Array): number => {
    const { out: y, w, x } = ctx.edges;
    meanAndVariance(w!, x!, D, n, mv);
    return E.value(y!.values[instanceOf(y!, n)]!, mv[0]!, mv[1]!, 0, 0);
  };
  const node = defineNode({
    name: spec.name,
    edges: {
      out: { family: spec.outFamily, doc: spec.outDoc, knownOnly: true },
      w: { family: MvNormal, doc: "coefficients (D) of the linear predictor" },
      x: { family: "input", doc: "covariates, D per row" },
    },
    damping: spec.damping,
    check(info, nodeName) {
      requireKnown(info.out.known, nodeName, spec.name, "out", "the node has no message to a latent response");
      requireValueSize(info, "x", info.w.family!.dim, nodeName, spec.name, `D = ${info.w.family!.dim} covariates matching w`);
    },
    messages: {
      w(ctx, out) {
        const { out: y, w, x } = ctx.edges, { mv, g } = scratchOf(ctx);
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
    logFactor(ctx) {
      const D = ctx.edges.w.family!.dim, wt = ctx.weights, { mv } = scratchOf(ctx);
      let s = 0;
      for (let n = 0; n < ctx.rows; n++) s += weightAt(wt, n) * rowValue(ctx, D, n, mv);
      return s;
    },
    rowLogFactor(ctx, out, offset, stride) {
      const D = ctx.edges.w.family!.dim, { mv } = scratchOf(ctx);
      for (let n = 0; n < ctx.rows; n++) out[offset + n * stride] += rowValue(ctx, D, n, mv);
    },
  });
  if (spec.initialPredictor === undefined) return node;
  return defineNode({ ...node, startMessages: { w: irlsStart(E, spec.initialPredictor, node.messages.w!) } });
}
