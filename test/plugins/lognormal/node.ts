/**
 * LogNormal(out | mean μ, precision τ):  log f = ½ log τ − ½ log 2π − log x − ½ τ (log x − μ)².
 *   E[log f] = ½E[log τ] − ½ log 2π − E[log x] − ½E[τ] (E[log² x] − 2E[log x]E[μ] + E[μ²])
 * Messages (the gradient of E[log f] in each edge's statistics):
 *   out:       [E[τ]E[μ] − 1, −½E[τ]]     (over [log x, log² x])
 *   mean:      [E[τ]E[log x], −½E[τ]]     (over [μ, μ²])
 *   precision: [½, −½ R]                   (over [log τ, τ]), R = E[(log x − μ)²]
 * E[log f] is affine in out's statistics but not linear: −½ log 2π, ½E[log τ] and ½E[τ]E[μ²]
 * are left over, so `out` must not be declared in linearEdges (WrongLinearLogNormalNode does,
 * and verifyNode rejects it).
 */
import { Normal, Gamma, LOG_2PI } from "@vireo/core";
import { defineNode, instanceOf, weightAt, type TypedNodeContext, type NodeBody } from "@vireo/nodes";
import { LogNormal } from "./family.js";

const NAME = "LogNormal";
type Edge = "out" | "mean" | "precision";

/** R_n = E[(log x − μ)²] at row n. */
function residual(ctx: TypedNodeContext<Edge>, n: number): number {
  const { out: x, mean: m } = ctx.edges;
  const xi = instanceOf(x, n) * 2, mi = instanceOf(m, n) * 2;
  return x.stats[xi + 1]! - 2 * x.stats[xi]! * m.stats[mi]! + m.stats[mi + 1]!;
}

const edges = {
  out: { family: LogNormal, doc: "the positive variable" },
  mean: { family: Normal, doc: "the mean of its logarithm" },
  precision: { family: Gamma, doc: "the precision of its logarithm" },
} as const;

const body: NodeBody<Edge> = {
  name: NAME,
  messages(ctx, edge, out) {
    const { out: x, mean: m, precision: p } = ctx.edges;
    for (let n = 0; n < ctx.rows; n++) {
      const w = weightAt(ctx.weights, n), pi = instanceOf(p, n) * 2, Et = p.stats[pi + 1]!;
      if (edge === "out") {
        const o = instanceOf(x, n) * 2;
        out[o] += w * (Et * m.stats[instanceOf(m, n) * 2]! - 1);
        out[o + 1] -= 0.5 * w * Et;
      } else if (edge === "mean") {
        const o = instanceOf(m, n) * 2;
        out[o] += w * Et * x.stats[instanceOf(x, n) * 2]!;
        out[o + 1] -= 0.5 * w * Et;
      } else {
        out[pi] += 0.5 * w;
        out[pi + 1] -= 0.5 * w * residual(ctx, n);
      }
    }
  },
  rowTerm(ctx) {
    const { out: x, precision: p } = ctx.edges;
    return (n) => {
      const pi = instanceOf(p, n) * 2;
      return 0.5 * p.stats[pi]! - 0.5 * LOG_2PI - x.stats[instanceOf(x, n) * 2]! - 0.5 * p.stats[pi + 1]! * residual(ctx, n);
    };
  },
};

export const LogNormalNode = defineNode({ edges, ...body });

/** The LogNormal-style mistake: `out` declared linear although E[log f] has an offset in it. */
export const WrongLinearLogNormalNode = defineNode({ edges, ...body, name: "WrongLinearLogNormal", linearEdges: ["out"] });

export const logNormalPack = { name: "lognormal", families: { LogNormal }, nodes: [LogNormalNode] };
