/**
 * The inner loop of LDA's document-local iterations (engine/document-block.ts) for Dirichlet
 * topic proportions θ_d, as plain functions over Float64Arrays so worker threads can run the
 * same code (engine/threads.ts puts their source into each worker). Per document d and
 * iteration (Hoffman, Blei & Bach 2010; scikit-learn's _update_doc_distribution):
 *   e_k = exp(ψ(α_dk) − max_j ψ(α_dj)),   norm_n = Σ_k e_k c_nk,
 *   α_dk ← α⁰_dk + e_k Σ_{n ∈ d} w_n c_nk / norm_n,
 * over the document's rows n (its distinct words, w_n their counts, c_nk the product of the
 * fixed gathered exponentials, e.g. exp E[log β_k,word(n)]): K digammas and K exponentials per
 * document and iteration, and rows taken four at a time (one pass of the accumulator per four
 * rows). The iterations stop when the mean absolute change of α_d falls below the tolerance
 * (scikit-learn's mean_change_tol); E[log θ_d] is computed once, at the end.
 *
 * Documents are independent, so the result of each depends on nothing but its own rows: threads
 * take pieces of documents from a shared counter (dynamic balancing) and the numbers are the same
 * whichever thread ran which piece. A document with a row whose Σ_k e_k c_nk underflows is left
 * as it was and marked (iterations −1) for the log-space path of document-block.ts.
 *
 * For K ≤ 64 the dense accumulation is generated once per K with the topics unrolled
 * (kernelUnrolledAccumulator): the K accumulators and exponentials then stay in registers (or
 * the stack) instead of being read and written for every row, about twice as fast at K = 10 and
 * a quarter faster at K = 50.
 *
 * Self-contained: top-level functions with no inner functions (workers run their source text),
 * one top-level cache (declared again in the workers' source), and one import, core's
 * digammaPositive, itself self-contained (its source goes to the workers too).
 */
import { digammaPositive } from "@vireo/core";

/** One run over a batch's documents; every array lives in shared memory when threads run it. */
export interface DocumentJob {
  readonly kind: "documents";
  readonly K: number;
  /** Row offsets of each document in `fixed` and `rowWeight` (documents + 1 entries). */
  readonly start: Float64Array;
  /** rows × K: c_nk, rows in document order. */
  readonly fixed: Float64Array;
  /** Per row (document order): its multiplicity w_n. */
  readonly rowWeight: Float64Array;
  /** documents × K: θ's natural parameters from its other factors (its prior), α⁰ − 1. */
  readonly base: Float64Array;
  /** documents × K: θ's natural parameters α − 1, the warm start on entry and the result on exit. */
  readonly eta: Float64Array;
  /** documents × K: E[log θ] of the result. */
  readonly stats: Float64Array;
  /** Per document: the iterations it took, or −1 when it needs the log-space path. */
  readonly iterations: Float64Array;
  /** Document boundaries of the pieces threads take in turn (pieces + 1 entries). */
  readonly pieces: Float64Array;
  /** [next piece to take]: shared by the threads. */
  readonly next: Int32Array;
  readonly maxIterations: number;
  readonly tolerance: number;
  /** Also iterate each document from its prior and keep the better (engine/document-block.ts). */
  readonly restart: boolean;
}

/** log Γ(x) for x > 0: Γ(x) = Γ(x + n) / (x (x+1) … (x+n−1)) up to x ≥ 10, then Stirling's series to x⁻¹³. */
export function kernelLogGamma(x: number): number {
  let p = 1;
  while (x < 10) {
    p *= x;
    x += 1;
  }
  const r = 1 / x, f = r * r;
  const series = r * (1 / 12 - f * (1 / 360 - f * (1 / 1260 - f * (1 / 1680 - f * (1 / 1188 - f * (691 / 360360 - f / 156))))));
  return (x - 0.5) * Math.log(x) - x + 0.9189385332046728 + series - Math.log(p);
}

/**
 * e[k] = exp(ψ(α_k) − max_j ψ(α_j)) for α = eta[o..o+K) + 1; returns max_j ψ(α_j) − ψ(Σα),
 * and leaves ψ(α_k) − ψ(Σα) = E[log θ_k] in `elog`. With `memoA`/`memoPsi` (per topic: the last
 * α_k seen and its ψ), ψ is taken again only where α_k changed: a topic a document has left keeps
 * α_k at its prior value to the bit (its share underflows against it), so with K = 50 most of
 * the K digammas per iteration are skipped, with the same numbers.
 */
export function kernelExpElog(eta: Float64Array, o: number, K: number, e: Float64Array, elog: Float64Array, memoA: Float64Array | null = null, memoPsi: Float64Array | null = null): number {
  let total = 0, m = -Infinity;
  for (let k = 0; k < K; k++) {
    const a = eta[o + k]! + 1;
    total += a;
    let p: number;
    if (memoA !== null && memoPsi !== null) {
      if (memoA[k] === a) p = memoPsi[k]!;
      else {
        p = digammaPositive(a);
        memoA[k] = a;
        memoPsi[k] = p;
      }
    } else p = digammaPositive(a);
    elog[k] = p;
    if (p > m) m = p;
  }
  const p0 = digammaPositive(total);
  for (let k = 0; k < K; k++) {
    e[k] = Math.exp(elog[k]! - m);
    elog[k] = elog[k]! - p0;
  }
  return m - p0;
}

/**
 * acc[k] = Σ_{n ∈ [from, to)} w_n c_nk / Σ_j e_j c_nj, four rows at a time; false when some row's
 * sum underflows (the document then needs the log-space path).
 */
export function kernelAccumulate(fixed: Float64Array, rowWeight: Float64Array, from: number, to: number, K: number, e: Float64Array, acc: Float64Array): boolean {
  for (let k = 0; k < K; k++) acc[k] = 0;
  let r = from;
  for (; r + 3 < to; r += 4) {
    const o0 = r * K, o1 = o0 + K, o2 = o1 + K, o3 = o2 + K;
    let n0 = 0, n1 = 0, n2 = 0, n3 = 0;
    for (let k = 0; k < K; k++) {
      const ek = e[k]!;
      n0 += ek * fixed[o0 + k]!;
      n1 += ek * fixed[o1 + k]!;
      n2 += ek * fixed[o2 + k]!;
      n3 += ek * fixed[o3 + k]!;
    }
    if (!(n0 > 1e-280 && n1 > 1e-280 && n2 > 1e-280 && n3 > 1e-280)) return false;
    const f0 = rowWeight[r]! / n0, f1 = rowWeight[r + 1]! / n1, f2 = rowWeight[r + 2]! / n2, f3 = rowWeight[r + 3]! / n3;
    for (let k = 0; k < K; k++) acc[k] += f0 * fixed[o0 + k]! + f1 * fixed[o1 + k]! + f2 * fixed[o2 + k]! + f3 * fixed[o3 + k]!;
  }
  for (; r < to; r++) {
    const o = r * K;
    let n = 0;
    for (let k = 0; k < K; k++) n += e[k]! * fixed[o + k]!;
    if (!(n > 1e-280)) return false;
    const f = rowWeight[r]! / n;
    for (let k = 0; k < K; k++) acc[k] += f * fixed[o + k]!;
  }
  return true;
}

/** kernelAccumulate with K fixed (generated by kernelUnrolledAccumulator): the same sums, row by row. */
export type UnrolledAccumulator = (fixed: Float64Array, rowWeight: Float64Array, from: number, to: number, e: Float64Array, acc: Float64Array) => boolean;

/** Largest K whose accumulation is unrolled (beyond it the registers run out and the loop is as fast). */
export const UNROLL_MAX_K = 64;

/** Above this K the row's sum is taken pairwise (shorter dependency chains; measured faster from K ≈ 12 on). */
export const UNROLL_PAIRWISE_K = 12;

/** Generated accumulators of this thread, by K (null: K too large, or code generation not allowed here). */
const kernelUnrolledCache = new Map<number, UnrolledAccumulator | null>();

/**
 * kernelAccumulate for one K with its topics unrolled: per row, the K entries c_nk are loaded
 * once into locals, the row's sum Σ_k e_k c_nk is taken in order (pairwise above
 * UNROLL_PAIRWISE_K), and the K accumulators are locals until the end. The same sums as
 * kernelAccumulate up to round-off. Made once per K and thread; null for K above UNROLL_MAX_K
 * or where code generation is not allowed (a content security policy), where kernelAccumulate
 * does the same.
 */
export function kernelUnrolledAccumulator(K: number): UnrolledAccumulator | null {
  const cached = kernelUnrolledCache.get(K);
  if (cached !== undefined) return cached;
  let made: UnrolledAccumulator | null = null;
  if (Number.isInteger(K) && K >= 1 && K <= UNROLL_MAX_K) {
    let head = "", load = "", add = "", store = "";
    let terms: string[] = [];
    for (let k = 0; k < K; k++) {
      head += "const e" + k + " = e[" + k + "]; let a" + k + " = 0;\n";
      load += "const c" + k + " = fixed[o + " + k + "];\n";
      terms.push("e" + k + " * c" + k);
      add += "a" + k + " += f * c" + k + ";\n";
      store += "acc[" + k + "] = a" + k + ";\n";
    }
    if (K <= UNROLL_PAIRWISE_K) terms = [terms.join(" + ")];
    while (terms.length > 1) {
      const pairs: string[] = [];
      for (let i = 0; i < terms.length; i += 2) pairs.push(i + 1 < terms.length ? "(" + terms[i] + " + " + terms[i + 1] + ")" : terms[i]!);
      terms = pairs;
    }
    const body = '"use strict";\n' + head + "for (let r = from, o = from * " + K + "; r < to; r++, o += " + K + ") {\n" + load +
      "const n = " + terms[0] + ";\nif (!(n > 1e-280)) return false;\nconst f = rowWeight[r] / n;\n" + add + "}\n" + store + "return true;";
    try {
      made = new Function("fixed", "rowWeight", "from", "to", "e", "acc", body) as UnrolledAccumulator;
    } catch {
      made = null;
    }
  }
  kernelUnrolledCache.set(K, made);
  return made;
}

/**
 * kernelAccumulate for a document whose θ has left most topics: those with e_k below 2⁻⁵² · 10⁻⁶
 * (E[log θ_k] some 50 below the largest; with α = 1/K for K = 50, most topics of a document
 * settle there) are left out of rows where their sum S = Σ_{left out} e_k is below round-off
 * (2⁻⁵² times the row's sum over the others: c_nk ≤ 1, so their share of the row is below it);
 * other rows take every topic. What the topics left out miss from those rows is below
 * e_k Σ_n w_n / norm_n ≤ 2⁻⁵² Σ_n w_n: with α ≥ 0.01 and 10⁴ tokens a relative 2·10⁻¹⁰ of their
 * α_k, far below any tolerance. Falls back to kernelAccumulate when more than half the topics
 * are in use.
 */
export function kernelAccumulateSparse(fixed: Float64Array, rowWeight: Float64Array, from: number, to: number, K: number, e: Float64Array, acc: Float64Array, active: Int32Array, unrolled: UnrolledAccumulator | null = null): boolean {
  let used = 0, S = 0;
  for (let k = 0; k < K; k++) {
    if (e[k]! >= 2.220446049250313e-22) active[used++] = k;
    else S += e[k]!;
  }
  if (2 * used > K) return unrolled !== null ? unrolled(fixed, rowWeight, from, to, e, acc) : kernelAccumulate(fixed, rowWeight, from, to, K, e, acc);
  for (let k = 0; k < K; k++) acc[k] = 0;
  let r = from;
  // Four rows at a time; a block with a row that needs every topic goes row by row.
  for (; r + 3 < to; r += 4) {
    const o0 = r * K, o1 = o0 + K, o2 = o1 + K, o3 = o2 + K;
    let n0 = 0, n1 = 0, n2 = 0, n3 = 0;
    for (let j = 0; j < used; j++) {
      const k = active[j]!, ek = e[k]!;
      n0 += ek * fixed[o0 + k]!;
      n1 += ek * fixed[o1 + k]!;
      n2 += ek * fixed[o2 + k]!;
      n3 += ek * fixed[o3 + k]!;
    }
    if (n0 * 2.220446049250313e-16 > S && n1 * 2.220446049250313e-16 > S && n2 * 2.220446049250313e-16 > S && n3 * 2.220446049250313e-16 > S) {
      const f0 = rowWeight[r]! / n0, f1 = rowWeight[r + 1]! / n1, f2 = rowWeight[r + 2]! / n2, f3 = rowWeight[r + 3]! / n3;
      for (let j = 0; j < used; j++) {
        const k = active[j]!;
        acc[k] += f0 * fixed[o0 + k]! + f1 * fixed[o1 + k]! + f2 * fixed[o2 + k]! + f3 * fixed[o3 + k]!;
      }
    } else {
      for (let q = r; q < r + 4; q++) if (!kernelSparseRow(fixed, rowWeight, q, K, e, acc, active, used, S)) return false;
    }
  }
  for (; r < to; r++) if (!kernelSparseRow(fixed, rowWeight, r, K, e, acc, active, used, S)) return false;
  return true;
}

/** One row of kernelAccumulateSparse: over the topics in use when the others are below round-off, else over all. */
export function kernelSparseRow(fixed: Float64Array, rowWeight: Float64Array, r: number, K: number, e: Float64Array, acc: Float64Array, active: Int32Array, used: number, S: number): boolean {
  const o = r * K;
  let n = 0;
  for (let j = 0; j < used; j++) {
    const k = active[j]!;
    n += e[k]! * fixed[o + k]!;
  }
  if (n * 2.220446049250313e-16 > S) {
    const f = rowWeight[r]! / n;
    for (let j = 0; j < used; j++) {
      const k = active[j]!;
      acc[k] += f * fixed[o + k]!;
    }
    return true;
  }
  n = 0;
  for (let k = 0; k < K; k++) n += e[k]! * fixed[o + k]!;
  if (!(n > 1e-280)) return false;
  const f = rowWeight[r]! / n;
  for (let k = 0; k < K; k++) acc[k] += f * fixed[o + k]!;
  return true;
}

/**
 * Iterates document d from the natural parameters in `eta` (its K entries at o) until they stop
 * changing or `limit` iterations; leaves the result in eta and E[log θ] in elog. Returns the
 * iterations made, or −1 when a row underflowed.
 */
export function kernelIterate(job: DocumentJob, d: number, limit: number, e: Float64Array, elog: Float64Array, acc: Float64Array, active: Int32Array, unrolled: UnrolledAccumulator | null, memoA: Float64Array, memoPsi: Float64Array): number {
  const K = job.K, eta = job.eta, base = job.base, o = d * K;
  const from = job.start[d]! | 0, to = job.start[d + 1]! | 0;
  kernelExpElog(eta, o, K, e, elog, memoA, memoPsi);
  let it = 0;
  while (it < limit) {
    it++;
    if (!kernelAccumulateSparse(job.fixed, job.rowWeight, from, to, K, e, acc, active, unrolled)) return -1;
    let change = 0;
    for (let k = 0; k < K; k++) {
      const v = base[o + k]! + e[k]! * acc[k]!;
      change += Math.abs(v - eta[o + k]!);
      eta[o + k] = v;
    }
    kernelExpElog(eta, o, K, e, elog, memoA, memoPsi);
    if (change / K < job.tolerance) break;
  }
  return it;
}

/**
 * Document d's part of the ELBO at its θ (eta at o, E[log θ] in elog) with its z at their
 * optimum, up to terms that do not depend on θ (document-block.ts' documentBound):
 * Σ_n w_n log Σ_k e^{E[log θ_k]} c_nk + ⟨α⁰ − α, E[log θ]⟩ + log B(α). NaN when a row underflows.
 */
export function kernelBound(job: DocumentJob, d: number, e: Float64Array, elog: Float64Array): number {
  const K = job.K, eta = job.eta, base = job.base, fixed = job.fixed, rowWeight = job.rowWeight, o = d * K;
  const from = job.start[d]! | 0, to = job.start[d + 1]! | 0;
  let m = -Infinity;
  for (let k = 0; k < K; k++) if (elog[k]! > m) m = elog[k]!;
  for (let k = 0; k < K; k++) e[k] = Math.exp(elog[k]! - m);
  let sum = 0, weight = 0;
  for (let r = from; r < to; r++) {
    const ro = r * K;
    let n = 0;
    for (let k = 0; k < K; k++) n += e[k]! * fixed[ro + k]!;
    if (!(n > 1e-280 && n < Infinity)) return NaN;
    sum += rowWeight[r]! * Math.log(n);
    weight += rowWeight[r]!;
  }
  let inner = 0, total = 0, logB = 0;
  for (let k = 0; k < K; k++) {
    const a = eta[o + k]! + 1;
    inner += (base[o + k]! - eta[o + k]!) * elog[k]!;
    logB += kernelLogGamma(a);
    total += a;
  }
  return sum + weight * m + inner + logB - kernelLogGamma(total);
}

/**
 * This thread's share of the job: pieces taken from the shared counter until none is left. For
 * each document, the iterations from its warm start or, with `restart`, first from its prior and
 * back to the warm start only where that fits worse (as document-block.ts explains).
 */
export function documentChunk(job: DocumentJob, _chunk: number): void {
  const K = job.K, eta = job.eta, stats = job.stats, base = job.base, iterations = job.iterations, pieces = job.pieces.length - 1;
  const e = new Float64Array(K), elog = new Float64Array(K), acc = new Float64Array(K), kept = new Float64Array(K), active = new Int32Array(K);
  const unrolled = kernelUnrolledAccumulator(K), memoA = new Float64Array(K).fill(NaN), memoPsi = new Float64Array(K);
  for (let piece = Atomics.add(job.next, 0, 1); piece < pieces; piece = Atomics.add(job.next, 0, 1)) {
    const first = job.pieces[piece]! | 0, last = job.pieces[piece + 1]! | 0;
    for (let d = first; d < last; d++) {
      const o = d * K;
      for (let k = 0; k < K; k++) kept[k] = eta[o + k]!;
      let it: number;
      if (job.restart) {
        kernelExpElog(eta, o, K, e, elog, memoA, memoPsi);
        const warm = kernelBound(job, d, e, elog);
        it = -1;
        if (!Number.isNaN(warm)) {
          for (let k = 0; k < K; k++) eta[o + k] = base[o + k]!;
          it = kernelIterate(job, d, job.maxIterations, e, elog, acc, active, unrolled, memoA, memoPsi);
          const fresh = it < 0 ? NaN : kernelBound(job, d, e, elog);
          if (Number.isNaN(fresh)) it = -1;
          else if (!(fresh >= warm)) {
            for (let k = 0; k < K; k++) eta[o + k] = kept[k]!;
            const more = kernelIterate(job, d, job.maxIterations, e, elog, acc, active, unrolled, memoA, memoPsi);
            it = more < 0 ? -1 : it + more;
          }
        }
      } else it = kernelIterate(job, d, job.maxIterations, e, elog, acc, active, unrolled, memoA, memoPsi);
      if (it < 0) {
        for (let k = 0; k < K; k++) eta[o + k] = kept[k]!;
        iterations[d] = -1;
        continue;
      }
      for (let k = 0; k < K; k++) stats[o + k] = elog[k]!;
      iterations[d] = it;
    }
  }
}

/** The source of this file's functions, for a worker to define them under the same names. */
export function documentKernelSource(): string {
  const functions = [digammaPositive, kernelLogGamma, kernelExpElog, kernelAccumulate, kernelUnrolledAccumulator, kernelAccumulateSparse, kernelSparseRow, kernelIterate, kernelBound, documentChunk];
  return [`const UNROLL_MAX_K = ${UNROLL_MAX_K};`, `const UNROLL_PAIRWISE_K = ${UNROLL_PAIRWISE_K};`, "const kernelUnrolledCache = new Map();", ...functions.map((f) => f.toString())].join("\n");
}
