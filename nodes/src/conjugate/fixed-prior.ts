/**
 * Shared machinery for nodes whose only random edge is `out` and whose parameters are known
 * inputs (Beta, Dirichlet, Wishart priors, all with base measure h = 1):
 * log f = ηᵀT(x) − A(η) with η computed from the row's inputs. The message to out is η and
 * E[log f] = ηᵀE[T] − A(η).
 */
import type { ExponentialFamily } from "@vireo/core";
import { type NodeContext, type EdgeInfo, weightAt, instanceOf } from "../contract/node.js";
import { defineNode, type EdgeDeclaration, type TypedNode, type TypedNodeContext } from "../contract/define.js";
import { requireKnown } from "../contract/edges.js";

export interface FixedPriorSpec<E extends string> {
  readonly name: string;
  /** The edges: `out` (the family the prior is on) and the known inputs. */
  readonly edges: { readonly [K in E | "out"]: EdgeDeclaration };
  /** Natural parameters of `out` at row n from the known inputs; validates them. */
  naturalAt(ctx: TypedNodeContext<E | "out">, n: number): Float64Array;
  /** Extra build-time checks (input value sizes). */
  checkInputs(info: { readonly [K in E | "out"]: EdgeInfo }, nodeName: string): void;
}

/**
 * Builds the node type. Inputs usually broadcast, so η is computed once per update and reused;
 * per-row inputs recompute it for each row.
 */
export function fixedPriorNode<const E extends string>(spec: FixedPriorSpec<E>): TypedNode<E | "out"> {
  const inputs = Object.keys(spec.edges).filter((e) => e !== "out");
  const naturalAt = spec.naturalAt as (ctx: NodeContext, n: number) => Float64Array;
  const cachedEta = (ctx: NodeContext): ((n: number) => Float64Array) => {
    if (inputs.some((e) => ctx.edges[e]!.layout !== "broadcast")) return (n) => naturalAt(ctx, n);
    const eta = naturalAt(ctx, 0);
    return () => eta;
  };
  return defineNode<string>({
    name: spec.name,
    edges: spec.edges,
    check(info, nodeName) {
      for (const e of inputs) requireKnown(info[e]!.known, nodeName, spec.name, e, "prior parameters are fixed numbers");
      spec.checkInputs(info as { readonly [K in E | "out"]: EdgeInfo }, nodeName);
    },
    messages: {
      out(ctx, out) {
        const x = ctx.edges.out!, etaAt = cachedEta(ctx);
        for (let n = 0; n < ctx.rows; n++) {
          const eta = etaAt(n), wn = weightAt(ctx.weights, n), o = instanceOf(x, n) * x.size;
          for (let i = 0; i < eta.length; i++) out[o + i] += wn * eta[i]!;
        }
      },
    },
    logFactor(ctx) {
      const x = ctx.edges.out!, fam = x.family as ExponentialFamily, etaAt = cachedEta(ctx);
      let s = 0;
      for (let n = 0; n < ctx.rows; n++) {
        const eta = etaAt(n), o = instanceOf(x, n) * x.size;
        let dot = 0;
        for (let i = 0; i < eta.length; i++) dot += eta[i]! * x.stats[o + i]!;
        s += weightAt(ctx.weights, n) * (dot - fam.logPartition(eta));
      }
      return s;
    },
  }) as TypedNode<E | "out">;
}
