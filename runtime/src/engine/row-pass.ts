/**
 * Fused update of a mixture's selector: one pass over the plate per sweep. When a per-row
 * Categorical's messages are affine in per-row statistics (a mixture whose inner node is
 * row-affine, NodeType.affineRowMessage: row n's message is A·E[T(y_n)] + b), the update is done
 * row by row in one loop: the logits (A·T(y_n) + b added to the other factors' messages), the
 * softmax and log-normaliser, and the plate sums Σ_n p_nk [1, E[T(y_n)]] that the components'
 * next messages (and the prior's message to the weights) read (weighted-sums.ts). The generic
 * path makes ~2K + 3 passes for the same.
 *
 * Responsibilities below e⁻⁴⁰ (≈ 4.3e-18) of a row's largest are truncated to exactly 0, and
 * their logits in η moved to the row's largest − 800 (where exp underflows to 0), so that η and
 * the statistics describe the same q: core's softmaxRange of the stored η gives these statistics
 * bit for bit (a state restored from η continues exactly), and the collapsed ELBO (Σ_n log Σ_k
 * exp η_nk) is exact for that q. At K = 20 most of a row's K exponentials are such negligible
 * entries; the truncation changes no result beyond ~1e-17 relative (tested against the generic
 * update to 1e-12).
 *
 * Rows are cut into fixed chunks; each chunk's sums go to its own partial, and partials are
 * added in chunk order. The chunks may run on worker threads (engine/threads.ts), and the
 * result is bit-identical whatever the number of threads.
 */
import { CategoricalFamily } from "@vireo/core";
import { columnSums, type AffineRowMessage } from "@vireo/nodes";
import type { Neighbour, VariableState } from "./state.js";
import type { ThreadPool } from "./threads.js";

/** Rows per chunk: fixed, so the order of every partial sum is fixed too. */
export const CHUNK_ROWS = 8192;

/** The plan of a variable's fused update (engine state, made once per compiled state). */
export interface RowPass {
  readonly variable: VariableState;
  /**
   * The other neighbours (e.g. the Categorical prior): a message that is the same for every row
   * (an unweighted broadcast gatheredMessage) is added inside the row loop; the rest are summed
   * into η first by their own rules.
   */
  readonly others: readonly Neighbour[];
  /** Neighbours that may give their message as A·T(y) + b. */
  readonly affine: readonly Neighbour[];
  readonly chunks: number;
  /** Chunk partials: chunks × width, width = 1 + Σ_j K (1 + s_j) for the current sources. */
  partials: Float64Array;
  /** Σ of the other neighbours' messages that are the same for every row (K entries). */
  offsets: Float64Array;
  readonly pool: ThreadPool | null;
}

/**
 * The fused plan for `v`, or null when its update cannot be fused: a per-row Categorical
 * (K probabilities per row, rows not coupled), fitted in closed form without damping, a
 * mean-field projection or row multiplicities, with some neighbour offering affine messages.
 */
export function planRowPass(v: VariableState, pool: ThreadPool | null): RowPass | null {
  if (v.known || v.gradient !== null || v.spec.plate === null || v.weights !== null || v.damping !== 1) return null;
  if (v.spec.factorisation === "mean-field" || !(v.family instanceof CategoricalFamily)) return null;
  const affine = v.neighbours.filter((nb) => nb.factor.spec.type.affineRowMessage !== undefined);
  if (affine.length === 0) return null;
  const chunks = Math.max(1, Math.ceil(v.count / CHUNK_ROWS));
  return { variable: v, others: v.neighbours.filter((nb) => !affine.includes(nb)), affine, chunks, partials: new Float64Array(0), offsets: new Float64Array(0), pool };
}

/**
 * Runs the fused update; returns Σ_n log Σ_k exp(η_nk) (the log-normaliser, for the collapsed
 * ELBO), or null when some affine message is not available now (then nothing was changed and the
 * caller takes the generic path).
 */
export function runRowPass(plan: RowPass): number | null {
  const v = plan.variable, K = v.size;
  const messages: AffineRowMessage[] = [];
  for (const nb of plan.affine) {
    const m = nb.factor.spec.type.affineRowMessage!(nb.factor.ctx, nb.edge);
    if (m === null || m.rows !== K || m.source.layout !== "row" || m.source.count !== v.count) return null;
    messages.push(m);
  }
  // Other messages that are the same for every row (the Categorical prior z_n ~ Cat(π): E[log π])
  // are added per row by the kernel; only the rest are summed into η first, row by row.
  const offsets = plan.offsets.length === K ? plan.offsets : (plan.offsets = new Float64Array(K));
  offsets.fill(0);
  const perRow: Neighbour[] = [];
  for (const nb of plan.others) {
    const g = nb.factor.spec.type.gatheredMessage?.(nb.factor.ctx, nb.edge) ?? null;
    if (g !== null && g.layout === "broadcast" && g.weights === null && g.table.length >= 1 + (K - 1) * g.kStride) {
      for (let k = 0; k < K; k++) offsets[k] += g.table[k * g.kStride]!;
    } else perRow.push(nb);
  }
  if (perRow.length > 0) {
    v.eta.fill(0);
    for (const nb of perRow) nb.rule(nb.factor.ctx, v.eta);
  }
  let width = 1;
  for (const m of messages) width += K * (1 + m.source.size);
  if (plan.partials.length !== plan.chunks * width) plan.partials = plan.pool?.allocate(plan.chunks * width) ?? new Float64Array(plan.chunks * width);
  const job: SelectorJob = {
    eta: v.eta, stats: v.stats, K, rows: v.count, offsets, etaHoldsMessages: perRow.length > 0,
    sources: messages.map((m) => m.source.stats), sizes: messages.map((m) => m.source.size),
    A: messages.map((m) => m.A), b: messages.map((m) => m.b), partials: plan.partials, width, chunkRows: CHUNK_ROWS,
  };
  if (plan.pool !== null && plan.pool.size > 1) plan.pool.run(job, plan.chunks);
  else for (let c = 0; c < plan.chunks; c++) selectorChunk(job, c);
  // Partials in chunk order: the same sums whatever ran the chunks.
  const p = plan.partials;
  let logNormaliser = 0;
  for (let c = 0; c < plan.chunks; c++) logNormaliser += p[c * width]!;
  v.changes.markChanged(v.stats);
  let offset = 1;
  for (const m of messages) {
    const s = m.source.size, n = K * (1 + s);
    const sums = columnSums(v.changes, m.source.stats, s, v.stats, K);
    const table = sums.table;
    table.fill(0);
    for (let c = 0; c < plan.chunks; c++) {
      const o = c * width + offset;
      for (let i = 0; i < n; i++) table[i] += p[o + i]!;
    }
    sums.stamp();
    if (offset === 1) {
      // Σ_n p_nk alone, for the Categorical prior's message to π (its column-sums entry).
      const counts = columnSums(v.changes, v.stats, 0, v.stats, K);
      for (let k = 0; k < K; k++) counts.table[k] = table[k * (1 + s)]!;
      counts.stamp();
    }
    offset += n;
  }
  return logNormaliser;
}

/** One fused update's inputs and outputs, as flat arrays (so a worker thread can run it). */
export interface SelectorJob {
  readonly eta: Float64Array;
  readonly stats: Float64Array;
  readonly K: number;
  readonly rows: number;
  /** Added to every row's natural parameters (K entries). */
  readonly offsets: Float64Array;
  /** Whether η already holds per-row messages to add to (else it is overwritten). */
  readonly etaHoldsMessages: boolean;
  readonly sources: readonly Float64Array[];
  readonly sizes: readonly number[];
  readonly A: readonly Float64Array[];
  readonly b: readonly Float64Array[];
  readonly partials: Float64Array;
  readonly width: number;
  readonly chunkRows: number;
}

/**
 * Chunk c of a fused selector update: for its rows, η_n = offsets + Σ_j (A_j·T(y_jn) + b_j) (added
 * to η_n's per-row messages when etaHoldsMessages), p_n = softmax(η_n), and into partials[c]:
 * Σ log-normaliser and Σ_n p_nk [1, T(y_jn)]. One source of size 6 (2-D Gaussian data, T(y) =
 * [x, vec xxᵀ], the common case) takes an unrolled loop. Self-contained (no imports, no closures):
 * worker threads run its source.
 */
export function selectorChunk(job: SelectorJob, c: number): void {
  const { eta, stats, K, sources, sizes, A, b, partials, width, offsets } = job;
  const from = c * job.chunkRows, to = Math.min(job.rows, from + job.chunkRows), base = c * width;
  const J = sources.length, add = job.etaHoldsMessages;
  for (let i = base; i < base + width; i++) partials[i] = 0;
  let logNormaliser = 0;
  // Per-row constant: the broadcast messages and every source's b.
  const constant = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let t = offsets[k]!;
    for (let j = 0; j < J; j++) t += b[j]![k]!;
    constant[k] = t;
  }
  const unrolled = J === 1 && sizes[0] === 6;
  // Σ_n log s_n as the log of running products (s_n ∈ [1, K]): one log per ~200 rows, not per row.
  let product = 1;
  const y = sources[0]!, A0 = A[0]!;
  for (let n = from, o = from * K; n < to; n++, o += K) {
    let m = -Infinity;
    if (unrolled) {
      const yo = n * 6, y0 = y[yo]!, y1 = y[yo + 1]!, y2 = y[yo + 2]!, y3 = y[yo + 3]!, y4 = y[yo + 4]!, y5 = y[yo + 5]!;
      for (let k = 0, a = 0; k < K; k++, a += 6) {
        const l = (add ? eta[o + k]! : 0) + constant[k]! + (A0[a]! * y0 + A0[a + 1]! * y1 + A0[a + 2]! * y2 + A0[a + 3]! * y3 + A0[a + 4]! * y4 + A0[a + 5]! * y5);
        eta[o + k] = l;
        if (l > m) m = l;
      }
    } else {
      for (let k = 0; k < K; k++) {
        let t = 0;
        for (let j = 0; j < J; j++) {
          const yj = sources[j]!, s = sizes[j]!, Aj = A[j]!, yo = n * s, a = k * s;
          for (let i = 0; i < s; i++) t += Aj[a + i]! * yj[yo + i]!;
        }
        const l = (add ? eta[o + k]! : 0) + constant[k]! + t;
        eta[o + k] = l;
        if (l > m) m = l;
      }
    }
    if (m > -Infinity && m < Infinity) {
      let s = 0;
      // Truncation (see the doc): below max − 40 a responsibility is < 4.3e-18 of the largest; it
      // is set to 0 and its logit to max − 800, where softmaxRange's exp gives exactly 0 too.
      // Not for logits so large that max − 800 would round back to max.
      const truncate = m > -1e15 && m < 1e15, cut = truncate ? -40 : -746, low = m - 800;
      for (let k = 0; k < K; k++) {
        // Math.exp's own values where they are known (1 at the maximum), without the call.
        const d = eta[o + k]! - m;
        let e = 1;
        if (d < cut) {
          e = 0;
          if (truncate && d > -800) eta[o + k] = low;
        } else if (d !== 0) e = Math.exp(d);
        stats[o + k] = e;
        s += e;
      }
      // Divided, not multiplied by 1/s: the statistics are core's softmaxRange of η bit for bit, so
      // a state restored from η (a checkpoint) continues exactly.
      for (let k = 0; k < K; k++) stats[o + k] = stats[o + k]! / s;
      logNormaliser += m;
      product *= s;
      if (product > 1e250) {
        logNormaliser += Math.log(product);
        product = 1;
      }
    } else {
      // Every entry −∞ (an impossible row), or some +∞: as core's softmaxRange.
      let mm = -Infinity;
      for (let k = 0; k < K; k++) mm = Math.max(mm, eta[o + k]!);
      let ss = 0;
      if (mm !== -Infinity) for (let k = 0; k < K; k++) ss += Math.exp(eta[o + k]! - mm);
      const lse = mm === -Infinity ? -Infinity : mm + Math.log(ss);
      for (let k = 0; k < K; k++) stats[o + k] = Math.exp(eta[o + k]! - lse);
      logNormaliser += lse;
    }
    // This row's share of the plate sums of every source.
    if (unrolled) {
      const yo = n * 6, y0 = y[yo]!, y1 = y[yo + 1]!, y2 = y[yo + 2]!, y3 = y[yo + 3]!, y4 = y[yo + 4]!, y5 = y[yo + 5]!;
      for (let k = 0, t = base + 1; k < K; k++, t += 7) {
        const r = stats[o + k]!;
        if (r === 0) continue;
        partials[t] += r;
        partials[t + 1] += r * y0;
        partials[t + 2] += r * y1;
        partials[t + 3] += r * y2;
        partials[t + 4] += r * y3;
        partials[t + 5] += r * y4;
        partials[t + 6] += r * y5;
      }
    } else {
      for (let j = 0, t = base + 1; j < J; j++) {
        const yj = sources[j]!, s = sizes[j]!, yo = n * s;
        for (let k = 0; k < K; k++, t += 1 + s) {
          const r = stats[o + k]!;
          if (r === 0) continue;
          partials[t] += r;
          for (let i = 0; i < s; i++) partials[t + 1 + i] += r * yj[yo + i]!;
        }
      }
    }
  }
  partials[base] = logNormaliser + Math.log(product);
}
