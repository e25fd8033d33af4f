/**
 * Mixture(inner, components): a Categorical selector z picks, for each row, which of K parameter
 * sets the inner node uses.  log f = Σ_k [z = k] log f_inner(edges; θ_k).
 *   E[log f] = Σ_n Σ_k E[z_nk] E[log f_inner,k(n)],
 * so the message to z is the per-row table E[log f_inner,k(n)], and the message to θ_k is the
 * inner node's message with every row weighted by its responsibility E[z_nk]. The energy is
 * linear in z with nothing left over.
 *
 * Component edges connect to variables with K instances (a components plate); other edges are
 * shared by all components (the observed data, or a tied parameter).
 */
import { VireoError } from "@vireo/core";
import { NodeScratch } from "../contract/versions.js";
import { ruleSet, type NodeType, type NodeContext, type EdgeView, type EdgeInfo, type RowWeights, type GatheredMessage, type AffineRowMessage } from "../contract/node.js";

interface Prepared {
  readonly K: number;
  readonly inner: NodeContext[];
  /** Message buffers of component edges, one subarray per component, keyed by the target array. */
  readonly outViews: Map<Float64Array, Float64Array[]>;
  /** Responsibilities (N × K) combined with outer weights, or z's stats / one-hot of known z. */
  readonly resp: Float64Array;
  readonly respIsStats: boolean;
  /** The selector's message as A·E[T(y_n)] + b (inner.rowAffine), buffers made on first use. */
  affine: { readonly A: Float64Array; readonly b: Float64Array; readonly source: EdgeView } | null;
}

function componentView(e: EdgeView, k: number): EdgeView {
  const s = e.size, v = e.valueSize;
  return {
    ...e,
    count: 1,
    layout: "broadcast",
    index: null,
    stats: e.stats.length > 0 ? e.stats.subarray(k * s, (k + 1) * s) : e.stats,
    values: e.values.length > 0 ? e.values.subarray(k * v, (k + 1) * v) : e.values,
  };
}

/** The name of a mixture's selector edge. */
export const SELECTOR_EDGE = "selector";
/** The families a mixture's selector may have (its first K statistics are a row's probabilities). */
export const SELECTOR_FAMILIES = "Categorical|CategoricalChain";

/** Builds the mixture node type over `inner`, with `components` naming its per-component edges. */
export function Mixture(inner: NodeType, components: readonly string[]): NodeType {
  for (const c of components) {
    if (!inner.edges.some((e) => e.name === c)) {
      throw new VireoError(
        "INVALID_NODE",
        `Mixture(${inner.name}): '${c}' is not an edge of ${inner.name}; its edges are [${inner.edges.map((e) => e.name).join(", ")}].`,
        { edge: c },
      );
    }
  }
  if (!inner.rowLogFactor) {
    throw new VireoError(
      "INVALID_NODE",
      `Mixture(${inner.name}): ${inner.name} has no rowLogFactor, which a mixture needs for the selector's message. Define rowLogFactor(ctx, out, offset, stride) on it.`,
    );
  }
  const componentSet = new Set(components);
  // This mixture's prepared state lives in each context's scratch, under this key.
  const key = {};

  function prepare(ctx: NodeContext): Prepared {
    const p = ctx.scratch.get(key, () => build(ctx));
    if (!p.respIsStats) refreshResponsibilities(ctx, p);
    return p;
  }

  /** One inner context per component, reading the component's slice of each component edge. */
  function build(ctx: NodeContext): Prepared {
    const z = ctx.edges.selector!;
    const K = z.family!.dim;
    const respIsStats = !z.known && ctx.weights === null;
    const resp = respIsStats ? z.stats : new Float64Array(ctx.rows * K);
    const inner: NodeContext[] = [];
    for (let k = 0; k < K; k++) {
      const edges: Record<string, EdgeView> = {};
      for (const spec of innerEdges) {
        const e = ctx.edges[spec]!;
        edges[spec] = componentSet.has(spec) ? componentView(e, k) : e;
      }
      // Sibling columns of one table: plate sums over them are computed for all K at once.
      const weights: RowWeights = { data: resp, offset: k, stride: respIsStats ? z.size : K, columns: K };
      inner.push({ rows: ctx.rows, edges, weights, nodeName: `${ctx.nodeName}[component ${k}]`, changes: ctx.changes, scratch: new NodeScratch() });
    }
    return { K, inner, outViews: new Map(), resp, respIsStats, affine: null };
  }

  /**
   * The selector's message row by row as A·E[T(y_n)] + b, where y is the inner node's row-affine
   * edge: one dot product per row and component, no per-component pass. Null unless y is per-row
   * and every other edge broadcast (the inner node's claim then holds).
   */
  function affineSelector(ctx: NodeContext, p: Prepared): AffineRowMessage | null {
    const ra = inner.rowAffine;
    if (ra === undefined) return null;
    const y = ctx.edges[ra.edge]!;
    if (y.layout !== "row") return null;
    for (const spec of innerEdges) if (spec !== ra.edge && !componentSet.has(spec) && ctx.edges[spec]!.layout !== "broadcast") return null;
    if (p.affine === null || p.affine.source !== y) p.affine = { A: new Float64Array(p.K * y.size), b: new Float64Array(p.K), source: y };
    const { A, b } = p.affine, s = y.size;
    for (let k = 0; k < p.K; k++) {
      b[k] = ra.coefficients(p.inner[k]!, A.subarray(k * s, (k + 1) * s));
      if (Number.isNaN(b[k]!)) return null;
    }
    return { source: y, rows: p.K, A, b };
  }

  function refreshResponsibilities(ctx: NodeContext, p: Prepared): void {
    const z = ctx.edges.selector!, K = p.K, w = ctx.weights, r = p.resp;
    for (let n = 0; n < ctx.rows; n++) {
      const wn = w === null ? 1 : w.data[w.offset + n * w.stride]!;
      const zi = z.layout === "row" ? n : z.layout === "indexed" ? z.index![n]! : 0;
      if (z.known) {
        const c = z.values[zi]!;
        for (let k = 0; k < K; k++) r[n * K + k] = k === c ? wn : 0;
      } else {
        for (let k = 0; k < K; k++) r[n * K + k] = wn * z.stats[zi * z.size + k]!;
      }
    }
    ctx.changes.markChanged(r);
  }

  function viewsOf(p: Prepared, out: Float64Array, size: number): Float64Array[] {
    let v = p.outViews.get(out);
    if (!v) {
      v = Array.from({ length: p.K }, (_, k) => out.subarray(k * size, (k + 1) * size));
      p.outViews.set(out, v);
    }
    return v;
  }

  const innerEdges = inner.edges.map((e) => e.name);
  return {
    name: `Mixture(${inner.name})`,
    edges: [{ name: SELECTOR_EDGE, family: SELECTOR_FAMILIES, doc: "which component each row uses (its first K statistics are the row's probabilities)" }, ...inner.edges],
    linearEdges: [SELECTOR_EDGE],
    ...(inner.seeds !== undefined ? { seeds: inner.seeds } : {}),
    ...(inner.damping !== undefined ? { damping: inner.damping } : {}),
    check(info: Readonly<Record<string, EdgeInfo>>, nodeName: string): void {
      inner.check?.(info, nodeName);
    },
    ...(inner.checkData !== undefined ? { checkData: inner.checkData } : {}),
    messages: ruleSet(["selector", ...Object.keys(inner.messages)], (ctx: NodeContext, edge: string, out: Float64Array): void => {
      // All components' messages in one pass over the rows, when the inner node has it.
      if (inner.componentScatter !== undefined && componentSet.has(edge) && inner.componentScatter(ctx, components, edge, ctx.edges.selector!, out)) return;
      const p = prepare(ctx);
      if (edge === "selector") {
        const z = ctx.edges.selector!;
        if (z.layout !== "row") {
          throw new VireoError("INVALID_MODEL", `Node '${ctx.nodeName}': a mixture's selector must be a per-row variable in the node's plate.`, { node: ctx.nodeName, edge });
        }
        const w = ctx.weights;
        const affine = affineSelector(ctx, p);
        if (affine !== null) {
          addAffineRows(affine, ctx.rows, w, out, z.size);
          return;
        }
        if (w === null) {
          // A row's statistics start with its K probabilities (a Categorical is just those; a
          // CategoricalChain row adds its pairwise block), so the stride is the selector's size.
          for (let k = 0; k < p.K; k++) inner.rowLogFactor!(p.inner[k]!, out, k, z.size);
        } else {
          const tmp = new Float64Array(ctx.rows * p.K);
          for (let k = 0; k < p.K; k++) inner.rowLogFactor!(p.inner[k]!, tmp, k, p.K);
          for (let n = 0; n < ctx.rows; n++) {
            const wn = w.data[w.offset + n * w.stride]!;
            for (let k = 0; k < p.K; k++) out[n * z.size + k] += wn * tmp[n * p.K + k]!;
          }
        }
      } else if (componentSet.has(edge)) {
        const views = viewsOf(p, out, ctx.edges[edge]!.size);
        const rule = inner.messages[edge]!;
        for (let k = 0; k < p.K; k++) rule(p.inner[k]!, views[k]!);
      } else {
        const rule = inner.messages[edge]!;
        for (let k = 0; k < p.K; k++) rule(p.inner[k]!, out);
      }
    }),
    // The selector's message as a gather, when the components offer one (a mixture of Categoricals).
    ...(inner.componentGather !== undefined ? {
      gatheredMessage(ctx: NodeContext, edge: string): GatheredMessage | null {
        const z = ctx.edges.selector!;
        if (edge !== SELECTOR_EDGE || z.known || z.layout !== "row" || z.size !== z.family!.dim) return null;
        return inner.componentGather!(ctx, components);
      },
    } : {}),
    affineRowMessage(ctx: NodeContext, edge: string): AffineRowMessage | null {
      if (edge !== SELECTOR_EDGE) return null;
      const p = prepare(ctx);
      // Fused updates write the selector's statistics, which must be the responsibilities themselves.
      return p.respIsStats ? affineSelector(ctx, p) : null;
    },
    logFactor(ctx: NodeContext): number {
      const p = prepare(ctx);
      let s = 0;
      for (let k = 0; k < p.K; k++) s += inner.logFactor(p.inner[k]!);
      return s;
    },
  };
}

/** out[n·stride + k] += w_n (A_k·y_n + b_k) for every row n and component k (one pass). */
function addAffineRows(m: AffineRowMessage, rows: number, w: RowWeights | null, out: Float64Array, stride: number): void {
  const { A, b } = m, K = m.rows, ys = m.source.stats, s = m.source.size;
  for (let n = 0, yo = 0, o = 0; n < rows; n++, yo += s, o += stride) {
    const wn = w === null ? 1 : w.data[w.offset + n * w.stride]!;
    for (let k = 0, ao = 0; k < K; k++) {
      let v = b[k]!;
      for (let i = 0; i < s; i++, ao++) v += A[ao]! * ys[yo + i]!;
      out[o + k] += wn * v;
    }
  }
}
