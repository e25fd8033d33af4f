/**
 * Document-local inner iterations (Hoffman, Blei & Bach 2010, the E-step of online LDA) for a
 * pair of local variables found in the graph:
 *   A: per-instance variables (θ_d), updated first;
 *   B: per-row variables with softmax statistics (z_n) whose messages are all gathers
 *      (engine/gathered-update.ts), exactly one of them from A's statistics at the row's instance
 *      (E[log θ_doc(n)]) through a factor linear in B's edge, the others from tables that stay
 *      fixed during the local step (E[log β_k,w] of the row's word).
 * Linearity in B with the message a gather from A's statistics makes E_q[log f] =
 * Σ_n w_n ⟨E[z_n], E[T(θ)]_doc(n)⟩, so the message to A is the scatter Σ_{n ∈ d} w_n E[z_n]. With
 * c_n = Π_{fixed j} e^{L_j(n)} computed once per step, one iteration of document d is
 *   φ_nk ∝ e^{E[log θ_dk]} c_nk,   γ_d = (A's other messages)_d + Σ_{n ∈ d} w_n φ_n,
 * two passes of K over the document's rows and K exponentials per document. Each document
 * iterates until the mean absolute change of its natural parameters falls below the tolerance
 * (scikit-learn's mean_change_tol), then B takes its final update from A. Every step is a
 * coordinate step of the same ELBO, so the fixed points are those of the plain sweeps.
 *
 * With `restart` (CAVI, whose locals persist from sweep to sweep), each document is also iterated
 * from its prior, as scikit-learn's batch E-step starts every document afresh, and that result is
 * kept when its part of the ELBO (z at their optimum) is at least the warm start's: a document
 * warm-started under new topics stays in the mode it was in, which locks batch LDA into poor
 * optima; comparing the two keeps every sweep's ELBO non-decreasing.
 */
import { DirichletFamily, type ExponentialFamily } from "@vireo/core";
import type { GatheredMessage } from "@vireo/nodes";
import type { VariableState, Neighbour } from "./state.js";
import { sumMessages } from "./update.js";
import { gatheredUpdate, gatheredSources, type GatheredPlan } from "./gathered-update.js";
import { documentChunk, type DocumentJob } from "./document-kernel.js";
import type { ThreadPool } from "./threads.js";

/** Sums below this are recomputed in log space (the product of exponentials underflowed). */
const TINY = 1e-280;

export interface DocumentBlockPlan {
  readonly a: VariableState;
  readonly b: VariableState;
  /** Index in b.neighbours of the message gathered from a's statistics. */
  readonly link: number;
  /** a's neighbours other than the linking factor (their messages stay fixed during the step). */
  readonly others: readonly Neighbour[];
  /** Per-step buffers, grown as batches need. */
  buffers: Buffers | null;
  /** Threads that share the documents (null: this thread alone). */
  readonly pool: ThreadPool | null;
}

/** Finds the pattern in [a, b] (null when the locals do not have it). Static checks only. */
export function documentBlockPlan(locals: readonly VariableState[], pool: ThreadPool | null = null): DocumentBlockPlan | null {
  if (locals.length !== 2) return null;
  const [a, b] = locals as [VariableState, VariableState];
  if (a.family === null || a.family.coupledRows || a.gradient !== null || a.damping !== 1 || a.weights !== null || a.spec.factorisation === "mean-field") return null;
  if (b.family === null || !b.family.softmaxStats || b.gradient !== null) return null;
  const localNames = new Set([a.name, b.name]);
  let link = -1;
  for (let j = 0; j < b.neighbours.length; j++) {
    const nb = b.neighbours[j]!, type = nb.factor.spec.type;
    if (type.gatheredMessage === undefined) return null;
    const touchesA = Object.values(nb.factor.spec.edges).some((e) => e.variable === a.name);
    if (!touchesA) continue;
    if (link >= 0 || !(type.linearEdges ?? []).includes(nb.edge)) return null;
    link = j;
  }
  if (link < 0) return null;
  const linkFactor = b.neighbours[link]!.factor;
  // a meets the linking factor on one edge only; its other factors touch no other local.
  if (a.neighbours.filter((nb) => nb.factor === linkFactor).length !== 1) return null;
  const others = a.neighbours.filter((nb) => nb.factor !== linkFactor);
  for (const nb of others) {
    if (Object.values(nb.factor.spec.edges).some((e) => e.variable !== a.name && localNames.has(e.variable))) return null;
  }
  return { a, b, link, others, buffers: null, pool: pool !== null && pool.size > 1 ? pool : null };
}

/** Per-step buffers, grown as batches need (in shared memory when threads share the documents). */
interface Buffers {
  fixed: Float64Array;
  /** Row multiplicities in document order. */
  rowWeight: Float64Array;
  base: Float64Array;
  start: Float64Array;
  order: Int32Array;
  cursor: Int32Array;
  /** Per document: iterations taken by the kernel (−1: redo in log space). */
  iterations: Float64Array;
  /** θ's natural parameters and statistics where the threads can reach them (a's own buffers otherwise). */
  eta: Float64Array;
  stats: Float64Array;
  pieces: Float64Array;
  next: Int32Array;
  eTheta: Float64Array;
  acc: Float64Array;
  direct: Float64Array;
  previous: Float64Array;
}

/** Pieces of documents per thread: enough for the threads to balance documents of unequal work. */
const PIECES_PER_THREAD = 8;

function buffers(plan: DocumentBlockPlan, rows: number, docs: number, K: number): Buffers {
  let s = plan.buffers;
  if (!s || s.fixed.length < rows * K || s.iterations.length < docs) {
    const pool = plan.pool, allocate = (n: number) => (pool !== null ? pool.allocate(n) : new Float64Array(n));
    const threads = pool?.size ?? 1;
    s = {
      fixed: allocate(rows * K), rowWeight: allocate(rows), base: allocate(docs * K), start: allocate(docs + 1),
      order: new Int32Array(rows), cursor: new Int32Array(docs), iterations: allocate(docs),
      eta: pool !== null ? allocate(docs * K) : new Float64Array(0), stats: pool !== null ? allocate(docs * K) : new Float64Array(0),
      pieces: allocate(threads * PIECES_PER_THREAD + 1), next: new Int32Array(pool !== null ? new SharedArrayBuffer(4) : new ArrayBuffer(4)),
      eTheta: new Float64Array(K), acc: new Float64Array(K), direct: new Float64Array(K), previous: new Float64Array(K),
    };
    plan.buffers = s;
  }
  return s;
}

function instanceAt(g: GatheredMessage, n: number): number {
  return g.layout === "broadcast" ? 0 : g.layout === "row" ? n : g.index![n]! | 0;
}

/** e^{x − max x} of a's statistics of one instance into out. */
function expShifted(stats: Float64Array, o: number, K: number, out: Float64Array): void {
  let m = -Infinity;
  for (let k = 0; k < K; k++) if (stats[o + k]! > m) m = stats[o + k]!;
  for (let k = 0; k < K; k++) out[k] = Math.exp(stats[o + k]! - m);
}

/**
 * Runs the document-local iterations and B's final update. Returns the most iterations any
 * document took and B's log-normaliser (when wanted), or null when the dynamic conditions do not
 * hold here (the caller then sweeps the plain way, which also reports numerical failures).
 */
export function runDocumentBlock(plan: DocumentBlockPlan, maxIterations: number, tolerance: number, wantLogNormaliser: boolean, restart: boolean): { sweeps: number; logNormaliser: number } | null {
  const { a, b, link } = plan;
  const K = b.size;
  if (a.size !== K) return null;
  const gathered: GatheredPlan | null = gatheredSources(b);
  if (gathered === null) return null;
  const sources = gathered.sources, g = sources[link]!.gather;
  if (g.table !== a.stats || g.layout !== "indexed" || g.instanceStride !== K || g.kStride !== 1 || g.instances !== a.count) return null;
  for (let j = 0; j < sources.length; j++) if (j !== link && (sources[j]!.gather.table === a.stats || sources[j]!.gather.table === b.stats)) return null;
  const rows = b.count, docs = a.count, w = b.weights, index = g.index!;
  const s = buffers(plan, rows, docs, K);
  const start = s.start, order = s.order, fixed = s.fixed, rowWeight = s.rowWeight;
  sortRowsByDocument(index, rows, docs, start, order, s.cursor);
  gatherFixedRows(sources, link, order, w, rows, K, fixed, rowWeight);
  // a's fixed messages (its prior).
  const base = s.base;
  sumMessages(a, base.subarray(0, docs * K), undefined, (f) => plan.others.some((nb) => nb.factor === f));
  const fam = a.family! as ExponentialFamily;
  const eta = a.eta, stats = a.stats, eTheta = s.eTheta, acc = s.acc, direct = s.direct, previous = s.previous;
  const one = new Float64Array(K), oneStats = new Float64Array(K), kept = new Float64Array(K), keptStats = new Float64Array(K);
  let most = 0;
  if (fam instanceof DirichletFamily) {
    // The kernel (engine/document-kernel.ts), on the pool's threads when there is one; documents
    // it hands back (a row underflowed) take the log-space path below.
    const shared = plan.pool !== null;
    if (shared) s.eta.set(eta.subarray(0, docs * K));
    const threads = plan.pool?.size ?? 1, pieces = Math.min(docs, threads === 1 ? 1 : threads * PIECES_PER_THREAD);
    // Pieces of about equal rows (work per iteration is proportional to a document's rows).
    s.pieces[0] = 0;
    for (let p = 1, d = 0; p <= pieces; p++) {
      const until = p === pieces ? docs : Math.floor((p * rows) / pieces);
      while (d < docs && (p === pieces || start[d]! < until)) d++;
      s.pieces[p] = d;
    }
    s.next[0] = 0;
    const job: DocumentJob = {
      kind: "documents", K, start, fixed, rowWeight, base, eta: shared ? s.eta : eta, stats: shared ? s.stats : stats, iterations: s.iterations,
      pieces: s.pieces.subarray(0, pieces + 1), next: s.next, maxIterations, tolerance, restart,
    };
    if (plan.pool !== null) plan.pool.run(job, plan.pool.size);
    else documentChunk(job, 0);
    if (shared) {
      eta.set(s.eta.subarray(0, docs * K));
      stats.set(s.stats.subarray(0, docs * K));
    }
    for (let d = 0; d < docs; d++) {
      const it = s.iterations[d]!;
      if (it >= 0) {
        if (it > most) most = it;
        continue;
      }
      fam.expectedStats(eta.subarray(d * K, (d + 1) * K), oneStats);
      stats.set(oneStats, d * K);
      const again = runDocument(d);
      if (again > most) most = again;
    }
  } else {
    for (let d = 0; d < docs; d++) {
      const it = runDocument(d);
      if (it > most) most = it;
    }
  }

  /** Document d on this thread, through the generic family and log space where products underflow. */
  function runDocument(d: number): number {
    const od = d * K;
    let it: number;
    if (restart) {
      // From the document's prior first; back to the warm start only where that fits worse.
      const warm = documentBound(d);
      for (let k = 0; k < K; k++) {
        kept[k] = eta[od + k]!;
        keptStats[k] = stats[od + k]!;
        one[k] = base[od + k]!;
      }
      fam.expectedStats(one, oneStats);
      for (let k = 0; k < K; k++) {
        eta[od + k] = one[k]!;
        stats[od + k] = oneStats[k]!;
      }
      it = iterate(d, 0);
      if (!(documentBound(d) >= warm)) {
        for (let k = 0; k < K; k++) {
          eta[od + k] = kept[k]!;
          stats[od + k] = keptStats[k]!;
        }
        it = iterate(d, it);
      }
    } else it = iterate(d, 0);
    return it;
  }

  /** Iterates document d from its current θ until it stops changing; returns `it` plus the iterations made. */
  function iterate(d: number, it: number): number {
    const od = d * K, from = start[d]!, to = start[d + 1]!, limit = it + maxIterations;
    expShifted(stats, od, K, eTheta);
    while (it < limit) {
      it++;
      acc.fill(0);
      direct.fill(0);
      for (let r = from; r < to; r++) {
        const o = r * K, wn = rowWeight[r]!;
        let norm = 0;
        for (let k = 0; k < K; k++) norm += eTheta[k]! * fixed[o + k]!;
        if (norm > TINY && norm < Infinity) {
          const f = wn / norm;
          for (let k = 0; k < K; k++) acc[k] += f * fixed[o + k]!;
        } else logSpaceRow(stats, od, sources, link, order[r]!, K, wn, direct);
      }
      let change = 0;
      for (let k = 0; k < K; k++) {
        previous[k] = eta[od + k]!;
        const v = base[od + k]! + eTheta[k]! * acc[k]! + direct[k]!;
        one[k] = v;
        change += Math.abs(v - previous[k]!);
      }
      fam.expectedStats(one, oneStats);
      for (let k = 0; k < K; k++) {
        eta[od + k] = one[k]!;
        stats[od + k] = oneStats[k]!;
      }
      if (change / K < tolerance) break;
      expShifted(stats, od, K, eTheta);
    }
    return it;
  }

  /**
   * Document d's part of the ELBO at its current θ with its z at their optimum given θ, up to
   * terms that do not depend on θ: Σ_n w_n log Σ_k e^{E[log θ_k]} c_nk + ⟨prior − η, E[T]⟩ + A(η)
   * (the prior's factors are exact, so affine in θ's statistics).
   */
  function documentBound(d: number): number {
    const od = d * K, from = start[d]!, to = start[d + 1]!;
    let m = -Infinity;
    for (let k = 0; k < K; k++) if (stats[od + k]! > m) m = stats[od + k]!;
    for (let k = 0; k < K; k++) eTheta[k] = Math.exp(stats[od + k]! - m);
    let sum = 0, weight = 0;
    for (let r = from; r < to; r++) {
      const n = order[r]!, o = r * K, wn = rowWeight[r]!;
      let norm = 0;
      for (let k = 0; k < K; k++) norm += eTheta[k]! * fixed[o + k]!;
      if (norm > TINY && norm < Infinity) sum += wn * Math.log(norm);
      else {
        // log Σ_k e^{E[log θ_k] − m + log c_nk} in log space.
        let mm = -Infinity;
        for (let k = 0; k < K; k++) {
          const l = stats[od + k]! - m + logFixed(n, k);
          if (l > mm) mm = l;
        }
        let t = 0;
        for (let k = 0; k < K; k++) t += Math.exp(stats[od + k]! - m + logFixed(n, k) - mm);
        sum += wn * (mm + Math.log(t));
      }
      weight += wn;
    }
    let inner = 0;
    for (let k = 0; k < K; k++) {
      one[k] = eta[od + k]!;
      inner += (base[od + k]! - eta[od + k]!) * stats[od + k]!;
    }
    return sum + weight * m + inner + fam.logPartition(one);
  }

  /** log c_nk from the fixed sources' log tables (relative to the same shifts as `fixed`). */
  function logFixed(n: number, k: number): number {
    let l = 0;
    for (let j = 0; j < sources.length; j++) {
      if (j === link) continue;
      const src = sources[j]!, i = instanceAt(src.gather, n);
      l += src.logs[i * K + k]! - src.shifts[i]!;
    }
    return l;
  }
  a.changes.markChanged(a.stats);
  // An improper or non-finite result: the plain sweeps redo the step and report it.
  for (let i = 0; i < eta.length; i++) if (!Number.isFinite(eta[i]!)) return null;
  if (fam.firstImproperRow(eta, docs) >= 0) return null;
  const logNormaliser = gatheredUpdate(b, wantLogNormaliser);
  if (logNormaliser === null) return null;
  return { sweeps: most, logNormaliser };
}

/** Rows of each document, a counting sort of the index column: document d's rows are order[start[d]..start[d+1]). */
function sortRowsByDocument(index: ArrayLike<number>, rows: number, docs: number, start: Float64Array, order: Int32Array, cursor: Int32Array): void {
  start.fill(0, 0, docs + 1);
  for (let n = 0; n < rows; n++) start[(index[n]! | 0) + 1]++;
  for (let d = 0; d < docs; d++) start[d + 1] += start[d]!;
  for (let d = 0; d < docs; d++) cursor[d] = start[d]!;
  for (let n = 0; n < rows; n++) order[cursor[index[n]! | 0]++] = n;
}

/**
 * The fixed sources' product per row, c_nk, and the row weights, in document order (so the
 * document loops stream through memory).
 */
function gatherFixedRows(sources: GatheredPlan["sources"], link: number, order: Int32Array, w: Float64Array | null, rows: number, K: number, fixed: Float64Array, rowWeight: Float64Array): void {
  if (sources.length === 2) {
    // One fixed source (LDA's topics): its exponentials, copied.
    const only = sources[1 - link]!, g = only.gather, e = only.exps;
    const index = g.layout === "indexed" ? g.index! : null, broadcast = g.layout === "broadcast";
    for (let r = 0, o = 0; r < rows; r++, o += K) {
      const n = order[r]!, oi = (index !== null ? index[n]! | 0 : broadcast ? 0 : n) * K;
      for (let k = 0; k < K; k++) fixed[o + k] = e[oi + k]!;
    }
  } else {
    for (let r = 0, o = 0; r < rows; r++, o += K) {
      const n = order[r]!;
      for (let k = 0; k < K; k++) fixed[o + k] = 1;
      for (let j = 0; j < sources.length; j++) {
        if (j === link) continue;
        const src = sources[j]!, oi = instanceAt(src.gather, n) * K, e = src.exps;
        for (let k = 0; k < K; k++) fixed[o + k] = fixed[o + k]! * e[oi + k]!;
      }
    }
  }
  for (let r = 0; r < rows; r++) rowWeight[r] = w === null ? 1 : w[order[r]!]!;
}

/** Adds w_n · softmax(E[log θ_d] + Σ_fixed L_j(n)) to `direct` (a row whose product underflowed). */
function logSpaceRow(stats: Float64Array, od: number, sources: GatheredPlan["sources"], link: number, n: number, K: number, wn: number, direct: Float64Array): void {
  let m = -Infinity;
  const l = new Float64Array(K);
  for (let k = 0; k < K; k++) l[k] = stats[od + k]!;
  for (let j = 0; j < sources.length; j++) {
    if (j === link) continue;
    const src = sources[j]!, oi = instanceAt(src.gather, n) * K;
    for (let k = 0; k < K; k++) l[k] += src.logs[oi + k]!;
  }
  for (let k = 0; k < K; k++) if (l[k]! > m) m = l[k]!;
  let sum = 0;
  for (let k = 0; k < K; k++) sum += (l[k] = Math.exp(l[k]! - m));
  for (let k = 0; k < K; k++) direct[k] += (wn * l[k]!) / sum;
}
