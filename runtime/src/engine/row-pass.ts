/**
 * Fused update of a mixture's selector: one pass over the plate per sweep. When a per-row
 * Categorical's messages are affine in per-row statistics (a mixture whose inner node is
 * row-affine, NodeType.affineRowMessage: row n's message is A·E[T(y_n)] + b), the update is done
 * row by row in one loop: the logits (A·T(y_n) + b added to the other factors' messages), the
 * softmax and log-normaliser, and the plate sums Σ_n p_nk [1, E[T(y_n)]] that the components'
 * next messages read (weighted-sums.ts). The generic path makes ~2K + 3 passes for the same.
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
  /** Neighbours whose messages are summed first by their own rules (e.g. the Categorical prior). */
  readonly others: readonly Neighbour[];
  /** Neighbours that may give their message as A·T(y) + b. */
  readonly affine: readonly Neighbour[];
  readonly chunks: number;
  /** Chunk partials: chunks × width, width = 1 + Σ_j K (1 + s_j) for the current sources. */
  partials: Float64Array;
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
  return { variable: v, others: v.neighbours.filter((nb) => !affine.includes(nb)), affine, chunks, partials: new Float64Array(0), pool };
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
  v.eta.fill(0);
  for (const nb of plan.others) nb.rule(nb.factor.ctx, v.eta);
  let width = 1;
  for (const m of messages) width += K * (1 + m.source.size);
  if (plan.partials.length !== plan.chunks * width) plan.partials = plan.pool?.allocate(plan.chunks * width) ?? new Float64Array(plan.chunks * width);
  const job: SelectorJob = {
    eta: v.eta, stats: v.stats, K, rows: v.count,
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
  readonly sources: readonly Float64Array[];
  readonly sizes: readonly number[];
  readonly A: readonly Float64Array[];
  readonly b: readonly Float64Array[];
  readonly partials: Float64Array;
  readonly width: number;
  readonly chunkRows: number;
}

/**
 * Chunk c of a fused selector update: for its rows, η_n += A_j·T(y_jn) + b_j for each source j,
 * p_n = softmax(η_n) (the arithmetic of core's softmaxRange), and into partials[c]: Σ log-normaliser
 * and Σ_n p_nk [1, T(y_jn)]. Self-contained (no imports, no closures): worker threads run its source.
 */
export function selectorChunk(job: SelectorJob, c: number): void {
  const { eta, stats, K, sources, sizes, A, b, partials, width } = job;
  const from = c * job.chunkRows, to = Math.min(job.rows, from + job.chunkRows), base = c * width;
  const J = sources.length;
  for (let i = base; i < base + width; i++) partials[i] = 0;
  let logNormaliser = 0;
  for (let n = from; n < to; n++) {
    const o = n * K;
    for (let j = 0; j < J; j++) {
      const y = sources[j]!, s = sizes[j]!, Aj = A[j]!, bj = b[j]!, yo = n * s;
      if (s === 6) {
        // 2-D Gaussian data, [x, vec xxᵀ]: the common case unrolled.
        const y0 = y[yo]!, y1 = y[yo + 1]!, y2 = y[yo + 2]!, y3 = y[yo + 3]!, y4 = y[yo + 4]!, y5 = y[yo + 5]!;
        for (let k = 0, a = 0; k < K; k++, a += 6) {
          eta[o + k] += bj[k]! + Aj[a]! * y0 + Aj[a + 1]! * y1 + Aj[a + 2]! * y2 + Aj[a + 3]! * y3 + Aj[a + 4]! * y4 + Aj[a + 5]! * y5;
        }
      } else {
        for (let k = 0, a = 0; k < K; k++) {
          let t = bj[k]!;
          for (let i = 0; i < s; i++, a++) t += Aj[a]! * y[yo + i]!;
          eta[o + k] += t;
        }
      }
    }
    // Softmax, as core's softmaxRange.
    let m = -Infinity;
    for (let k = 0; k < K; k++) if (eta[o + k]! > m) m = eta[o + k]!;
    if (m === -Infinity || m === Infinity) {
      let mm = -Infinity;
      for (let k = 0; k < K; k++) mm = Math.max(mm, eta[o + k]!);
      let ss = 0;
      if (mm === -Infinity) ss = 0;
      else for (let k = 0; k < K; k++) ss += Math.exp(eta[o + k]! - mm);
      const lse = mm === -Infinity ? -Infinity : mm + Math.log(ss);
      for (let k = 0; k < K; k++) stats[o + k] = Math.exp(eta[o + k]! - lse);
      logNormaliser += lse;
    } else {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const e = Math.exp(eta[o + k]! - m);
        stats[o + k] = e;
        s += e;
      }
      for (let k = 0; k < K; k++) stats[o + k] = stats[o + k]! / s;
      logNormaliser += m + Math.log(s);
    }
    // This row's share of the plate sums of every source.
    for (let j = 0, t = base + 1; j < J; j++) {
      const y = sources[j]!, s = sizes[j]!, yo = n * s;
      for (let k = 0; k < K; k++, t += 1 + s) {
        const r = stats[o + k]!;
        if (r === 0) continue;
        partials[t] += r;
        for (let i = 0; i < s; i++) partials[t + 1 + i] += r * y[yo + i]!;
      }
    }
  }
  partials[base] = logNormaliser;
}
