/**
 * The closed-form update of a per-row variable whose statistics are the softmax of its natural
 * parameters (a Categorical: topic assignments, mixture selectors), when every message it gets is
 * a gather from a table of log-weights (NodeType.gatheredMessage: E[log θ_d] of the row's
 * document, E[log β_k,w] of the row's word). Then
 *   η_n = Σ_j L_j[i_j(n)],   E[z_n] = Π_j e^{L_j[i_j(n)]} / Σ_k Π_j e^{L_j[i_j(n)]_k},
 * and each table is exponentiated once per instance (per document, per word) whenever it
 * changes, instead of K exponentials per row per update: Hoffman, Blei & Bach's online LDA
 * precomputes exp(E[log θ]) and exp(E[log β]) the same way. The result is the same q as the
 * generic path (sum of messages, softmax) up to round-off; each instance's exponentials are taken
 * relative to its largest entry, and a row whose product underflows falls back to the log-space
 * softmax of its η.
 *
 * A table's cache is keyed by its buffer and its version in the state's ChangeTracker, so it is
 * refreshed exactly when the variable behind it is updated.
 */
import { softmaxRange } from "@vireo/core";
import type { GatheredMessage } from "@vireo/nodes";
import type { VariableState } from "./state.js";

/** One message source: the gather and its cached transposed log table and exponentials. */
export interface Source {
  gather: GatheredMessage;
  /** Which buffer and version `logs`/`exps` were made from. */
  table: Float64Array | null;
  version: number;
  /** instances × K: the gathered log-weights, contiguous per instance. */
  logs: Float64Array;
  /** instances × K: e^{log-weight − shift of the instance}. */
  exps: Float64Array;
  /** Per instance: its largest log-weight. */
  shifts: Float64Array;
  /** Per instance: the generation its logs and exponentials were made in (−generation: due now). */
  stamps: Float64Array;
  /** Bumped whenever the table or its version changes. */
  generation: number;
  /** The generation in which every instance was made (nothing to check until the next one). */
  complete: number;
  /** Scratch: the instances to make in one refresh. */
  pendingWords: Int32Array;
}

export interface GatheredPlan {
  readonly sources: Source[];
}

/** Sums below this (products of exponentials relative to each table's maximum) are recomputed in log space. */
const TINY = 1e-280;

/** Whether the variable can ever take the gathered update (checked once per compiled state). */
function eligible(v: VariableState): boolean {
  return v.family !== null && v.family.softmaxStats && !v.family.coupledRows && v.gradient === null && v.damping === 1 &&
    v.spec.factorisation !== "mean-field" && v.neighbours.length > 0 &&
    v.neighbours.every((nb) => nb.factor.spec.type.gatheredMessage !== undefined);
}

function planOf(v: VariableState): GatheredPlan | null {
  const scratch = v.scratch;
  if (scratch.gathered === undefined) {
    scratch.gathered = eligible(v) ? { sources: v.neighbours.map(() => ({
      gather: null!, table: null, version: -1, logs: new Float64Array(0), exps: new Float64Array(0), shifts: new Float64Array(0),
      stamps: new Float64Array(0), generation: 0, complete: 0, pendingWords: new Int32Array(0),
    })) } : null;
  }
  return scratch.gathered;
}

/** The gather's weights are the variable's row multiplicities (or both are absent): then η is the plain sum of the gathered rows. */
function sameWeights(g: GatheredMessage, v: VariableState): boolean {
  if (g.weights === null) return v.weights === null;
  return v.weights !== null && g.weights.data === v.weights && g.weights.offset === 0 && g.weights.stride === 1;
}

/**
 * Brings a source's transposed logs and exponentials up to date for the instances the rows use
 * (a minibatch of LDA touches about half the vocabulary: the others' columns of E[log β] are
 * neither copied nor exponentiated); false if one of them has an entry that is not finite.
 * Instances carry the generation they were made in: a new table or version starts a new one.
 */
function refresh(s: Source, K: number, v: VariableState, rows: number): boolean {
  const g = s.gather, version = v.changes.versionOf(g.table);
  const n = g.instances * K;
  if (s.logs.length !== n) {
    s.logs = new Float64Array(n);
    s.exps = new Float64Array(n);
    s.shifts = new Float64Array(g.instances);
    s.stamps = new Float64Array(g.instances);
    s.table = null;
  }
  if (s.table !== g.table || s.version !== version) {
    s.generation++;
    s.table = g.table;
    s.version = version;
  }
  const generation = s.generation, stamps = s.stamps;
  if (s.complete === generation) return true;
  // The instances to make, in increasing order (the copy below then reads the table in order).
  let due = 0;
  if (g.layout === "row") {
    for (let i = 0; i < g.instances; i++) if (stamps[i] !== generation) { stamps[i] = -generation; due++; }
  } else if (g.layout === "broadcast") {
    if (g.instances > 0 && stamps[0] !== generation) { stamps[0] = -generation; due++; }
  } else {
    const index = g.index!;
    for (let r = 0; r < rows; r++) {
      const i = index[r]! | 0;
      // Out of range: the generic path reports it.
      if (!(i >= 0 && i < g.instances)) return false;
      if (stamps[i] !== generation && stamps[i] !== -generation) { stamps[i] = -generation; due++; }
    }
  }
  if (s.pendingWords.length < due) s.pendingWords = new Int32Array(Math.max(due, g.instances));
  const pendingWords = s.pendingWords;
  for (let i = 0, j = 0; j < due; i++) if (stamps[i] === -generation) pendingWords[j++] = i;
  const t = g.table, is = g.instanceStride, ks = g.kStride, logs = s.logs, exps = s.exps, shifts = s.shifts;
  if (is === 1) {
    // Instances are columns of the table (E[log β_k,w] by word w): copy it row by row, reading
    // it in order, and take each instance's largest entry on the way.
    for (let j = 0; j < due; j++) shifts[pendingWords[j]!] = -Infinity;
    for (let k = 0; k < K; k++) {
      const base = k * ks;
      for (let j = 0; j < due; j++) {
        const i = pendingWords[j]!, l = t[base + i]!;
        logs[i * K + k] = l;
        if (l > shifts[i]!) shifts[i] = l;
      }
    }
  }
  for (let j = 0; j < due; j++) {
    const i = pendingWords[j]!, o = i * K, base = i * is;
    let m = -Infinity;
    if (is === 1) m = shifts[i]!;
    else {
      for (let k = 0; k < K; k++) {
        const l = t[base + k * ks]!;
        logs[o + k] = l;
        if (l > m) m = l;
      }
    }
    if (!Number.isFinite(m)) {
      s.table = null;
      return false;
    }
    for (let k = 0; k < K; k++) {
      const l = logs[o + k]!;
      if (!Number.isFinite(l)) {
        s.table = null;
        return false;
      }
      exps[o + k] = Math.exp(l - m);
    }
    shifts[i] = m;
    stamps[i] = generation;
  }
  if (g.layout !== "indexed") s.complete = generation;
  return true;
}

/**
 * v's gathered messages, one source per neighbour (in v.neighbours' order) with its exponentials
 * up to date; null when v or one of its messages has no gathered form here.
 */
export function gatheredSources(v: VariableState): GatheredPlan | null {
  const plan = planOf(v);
  if (plan === null) return null;
  const K = v.size, rows = v.count;
  for (let j = 0; j < v.neighbours.length; j++) {
    const nb = v.neighbours[j]!, ctx = nb.factor.ctx;
    const g = nb.factor.spec.type.gatheredMessage!(ctx, nb.edge);
    if (g === null || ctx.rows !== rows || ctx.edges[nb.edge]!.layout !== "row" || !sameWeights(g, v)) return null;
    const s = plan.sources[j]!;
    s.gather = g;
    if (!refresh(s, K, v, rows)) return null;
  }
  return plan;
}

/** Table instance of row n. */
function instanceAt(g: GatheredMessage, n: number): number {
  return g.layout === "broadcast" ? 0 : g.layout === "row" ? n : g.index![n]! | 0;
}

/**
 * Updates v in place through gathered messages and returns Σ_n w_n A(η_n) (when asked, else 0),
 * or null when v or one of its messages has no gathered form here (the caller then takes the
 * generic path, which also reports any numerical failure).
 */
export function gatheredUpdate(v: VariableState, wantLogNormaliser: boolean): number | null {
  const plan = gatheredSources(v);
  if (plan === null) return null;
  const K = v.size, rows = v.count;
  const eta = v.eta, stats = v.stats, w = v.weights;
  const sources = plan.sources;
  let total = 0;
  if (sources.length === 2) {
    const a = sources[0]!, b = sources[1]!, ga = a.gather, gb = b.gather;
    const la = a.logs, ea = a.exps, lb = b.logs, eb = b.exps;
    for (let n = 0, o = 0; n < rows; n++, o += K) {
      const ia = instanceAt(ga, n), ib = instanceAt(gb, n), oa = ia * K, ob = ib * K;
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const p = ea[oa + k]! * eb[ob + k]!;
        stats[o + k] = p;
        sum += p;
        eta[o + k] = la[oa + k]! + lb[ob + k]!;
      }
      total += finishRow(eta, stats, o, K, sum, a.shifts[ia]! + b.shifts[ib]!, wantLogNormaliser) * (w === null ? 1 : w[n]!);
    }
  } else {
    for (let n = 0, o = 0; n < rows; n++, o += K) {
      let shift = 0;
      for (let k = 0; k < K; k++) {
        stats[o + k] = 1;
        eta[o + k] = 0;
      }
      for (const s of sources) {
        const i = instanceAt(s.gather, n), oi = i * K, l = s.logs, e = s.exps;
        shift += s.shifts[i]!;
        for (let k = 0; k < K; k++) {
          stats[o + k] = stats[o + k]! * e[oi + k]!;
          eta[o + k] = eta[o + k]! + l[oi + k]!;
        }
      }
      let sum = 0;
      for (let k = 0; k < K; k++) sum += stats[o + k]!;
      total += finishRow(eta, stats, o, K, sum, shift, wantLogNormaliser) * (w === null ? 1 : w[n]!);
    }
  }
  v.changes.markChanged(v.stats);
  return wantLogNormaliser ? total : 0;
}

/** Normalises row o of stats (unnormalised products summing to `sum`); returns the row's log-normaliser when wanted. */
function finishRow(eta: Float64Array, stats: Float64Array, o: number, K: number, sum: number, shift: number, want: boolean): number {
  if (sum > TINY && sum < Infinity) {
    const inv = 1 / sum;
    for (let k = 0; k < K; k++) stats[o + k] = stats[o + k]! * inv;
    return want ? Math.log(sum) + shift : 0;
  }
  // The product of exponentials underflowed: the log-space softmax of η.
  return softmaxRange(eta, o, K, stats, o);
}
