/**
 * The shared core of the streaming operators: wraps a synchronous `step(batch)` in an RxJS
 * operator that emits one immutable snapshot per batch. RxJS stays at the edges: the inference
 * itself is a plain loop, and each batch is handled inside the source's `next`, so a synchronous
 * source of a million batches runs in constant stack depth.
 *
 * Faults: a batch that fails validation becomes a VireoError INVALID_BATCH naming the batch
 * index and field. With onInvalid "error" (default) it goes down the error channel; with "skip"
 * it is reported on the `skipped` side channel and the stream goes on. Either way the engine
 * keeps the posterior of the last good batch (engines validate before they change anything and
 * restore their globals if a step fails midway).
 */
import { defer, map, filter, concat, EMPTY, type OperatorFunction } from "rxjs";
import { VireoError, array } from "@vireo/core";
import type { DataBinding } from "../engine/bind.js";
import type { Posterior, PosteriorSummary } from "../engine/posterior.js";

/** A minibatch as the sources emit it (see ./sources), or a plain data binding. */
export type BatchInput = DataBinding | { readonly index: number; readonly data: DataBinding; readonly widths: Readonly<Record<string, number>> };

/** A batch left out under onInvalid "skip". */
export interface SkippedBatch {
  /** 0-based position of the batch in this subscription's stream. */
  readonly batch: number;
  readonly error: VireoError;
}

export interface StreamOptions {
  /** What a malformed batch does: error the stream (default) or skip it and report it. */
  readonly onInvalid?: "error" | "skip";
  /** Side channel for skipped batches: a function or an observer with `next`. */
  readonly skipped?: ((s: SkippedBatch) => void) | { next(s: SkippedBatch): void };
  /**
   * Which posteriors each snapshot summarises (means and variances copied out): variable names,
   * "all" (default) or "none" (for throughput: read engine.posteriors() when needed).
   */
  readonly summaries?: readonly string[] | "all" | "none";
  /**
   * Summarise the posteriors in every k-th snapshot only (by batch position; default 1: every
   * snapshot); the others carry an empty `posteriors` record. Copying and freezing the summaries
   * is most of a snapshot's cost, which matters for streams of very small batches.
   */
  readonly summaryEvery?: number;
  /**
   * For a stream resumed from a checkpoint: the position of this subscription's first batch in
   * the whole stream and the batches skipped before it (default 0 and 0), so that snapshots
   * number their batches as the uninterrupted stream would.
   */
  readonly startAt?: { readonly batch: number; readonly skippedBatches?: number };
}

/** What every snapshot holds; engines add their own fields (ρ for SVI, …). */
export interface SnapshotBase {
  /** Steps the engine has taken (batches fitted), including this one. */
  readonly step: number;
  /** 0-based position of this batch in the subscription's stream (skipped batches count). */
  readonly batch: number;
  /** Batches skipped so far in this subscription. */
  readonly skippedBatches: number;
  /** The batch's ELBO figure (see the engine's docs for what it estimates). */
  readonly elbo: number;
  readonly posteriors: Readonly<Record<string, PosteriorSummary>>;
}

function isSourceBatch(b: BatchInput): b is Extract<BatchInput, { widths: unknown }> {
  if (b === null || typeof b !== "object") return false;
  const x = b as { index?: unknown; data?: unknown; widths?: unknown };
  return typeof x.index === "number" && typeof x.data === "object" && x.data !== null && typeof x.widths === "object" && x.widths !== null;
}

/**
 * A source batch as a binding that keeps its shapes: a field k values wide becomes a [rows, k] view
 * (no copy), so a 2-wide field bound to a scalar variable is a DIMENSION_MISMATCH, not twice the rows.
 */
function sourceBinding(b: Extract<BatchInput, { widths: unknown }>): DataBinding {
  let plain = true;
  for (const name in b.data) if (Object.hasOwn(b.widths, name) && b.widths[name] !== 1) plain = false;
  if (plain) return b.data;
  const out: Record<string, DataBinding[string]> = Object.create(null);
  for (const name of Object.keys(b.data)) {
    const data = b.data[name]!, w = Object.hasOwn(b.widths, name) ? b.widths[name]! : 1;
    out[name] = w === 1 || !(data instanceof Float64Array) || data.length % w !== 0 ? data : array(data, [data.length / w, w]);
  }
  return out;
}

/**
 * Freezes a snapshot and the plain objects and arrays inside it, as immer's deep freeze does
 * (typed arrays and class instances are left alone; frozen parts, such as a shared rows record,
 * are not walked again), without immer's per-property bookkeeping: it runs once per batch.
 */
export function deepFreeze<T>(x: T): T {
  if (typeof x !== "object" || x === null) return x;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const v: unknown = x[i];
      if (typeof v === "object" && v !== null) deepFreeze(v);
    }
    return Object.freeze(x);
  }
  if (Object.isFrozen(x)) return x;
  const proto: unknown = Object.getPrototypeOf(x);
  if (proto !== Object.prototype && proto !== null) return x;
  for (const k in x) {
    const v: unknown = (x as Record<string, unknown>)[k];
    if (typeof v === "object" && v !== null) deepFreeze(v);
  }
  return Object.freeze(x);
}

/** The posteriors of a snapshot without summaries (shared, frozen). */
export const NO_SUMMARIES: Readonly<Record<string, never>> = Object.freeze(Object.create(null));

/** Turns a validation error into INVALID_BATCH with the batch index and field. */
export function batchError(e: unknown, batch: number): unknown {
  if (!(e instanceof VireoError) || !["INVALID_DATA", "DIMENSION_MISMATCH", "UNKNOWN_NAME"].includes(e.code)) return e;
  const field = e.context.variable;
  return new VireoError("INVALID_BATCH", `Batch ${batch}${field ? `, field '${field}'` : ""}: ${e.message}`, { ...e.context, batch, ...(field ? { field } : {}) });
}

export function summarise(posteriors: Record<string, Posterior>, which: StreamOptions["summaries"]): Record<string, PosteriorSummary> {
  if (which === "none") return {};
  const names = which === undefined || which === "all" ? Object.keys(posteriors) : which;
  const out: Record<string, PosteriorSummary> = Object.create(null);
  for (const n of names) {
    const p = Object.hasOwn(posteriors, n) ? posteriors[n] : undefined;
    if (!p) throw new VireoError("INVALID_OPTION", `summaries: '${n}' is not a global variable; globals are [${Object.keys(posteriors).join(", ")}].`);
    out[n] = p.summary();
  }
  return out;
}

/**
 * Builds an operator from an engine factory (called once per subscription, so a cold source
 * gets a fresh engine per subscriber) and a step that returns the snapshot's own fields.
 */
export function streamOperator<E, S extends SnapshotBase>(
  makeEngine: () => E,
  step: (engine: E, data: DataBinding, batch: number, skipped: number, summarise: boolean) => S,
  options: StreamOptions,
): OperatorFunction<BatchInput, S> {
  const onInvalid = options.onInvalid ?? "error";
  if (onInvalid !== "error" && onInvalid !== "skip") throw new VireoError("INVALID_OPTION", `onInvalid must be "error" or "skip", got ${String(onInvalid)}.`);
  const every = options.summaryEvery ?? 1;
  const start = options.startAt?.batch ?? 0, startSkipped = options.startAt?.skippedBatches ?? 0;
  if (!(Number.isSafeInteger(start) && start >= 0 && Number.isSafeInteger(startSkipped) && startSkipped >= 0 && startSkipped <= start)) {
    throw new VireoError("INVALID_OPTION", `startAt: expected { batch, skippedBatches } with 0 ≤ skippedBatches ≤ batch (integers), got ${JSON.stringify(options.startAt)}.`);
  }
  const report = (s: SkippedBatch) => {
    const side = options.skipped;
    if (typeof side === "function") side(s);
    else side?.next(s);
  };
  // Built from RxJS's own operators (defer, map, filter) rather than a hand-made Observable:
  // they chain subscribers, so a downstream take(n) stops even a synchronous, endless source.
  return (source) =>
    defer(() => {
      const engine = makeEngine();
      let index = start, skipped = startSkipped, fitted = 0;
      const ids = new RecentIds();
      const fit = map((input: BatchInput): S | typeof SKIP => {
        const batch = index++;
        try {
          const fromSource = isSourceBatch(input);
          if (fromSource && !ids.isNew(input.index)) {
            throw new VireoError(
              "INVALID_BATCH",
              `Batch ${batch}: source batch id ${input.index} was delivered again (a duplicate); it was already fitted, and fitting it twice would count its data twice.`,
              { batch },
            );
          }
          const made = step(engine, fromSource ? sourceBinding(input) : (input as DataBinding), batch, skipped, (batch + 1) % every === 0);
          // A step may hand over its snapshot frozen through already (online() does).
          const snapshot = Object.isFrozen(made) ? made : deepFreeze(made);
          if (fromSource) ids.add(input.index);
          fitted++;
          return snapshot;
        } catch (raw) {
          const e = batchError(raw, batch);
          if (onInvalid === "skip" && e instanceof VireoError && e.code === "INVALID_BATCH") {
            skipped++;
            report({ batch, error: e });
            return SKIP;
          }
          throw e;
        }
      });
      // Under "error" no batch is skipped: the snapshots go straight downstream (no filter hop).
      if (onInvalid === "error") return source.pipe(fit as OperatorFunction<BatchInput, S>);
      const snapshots = source.pipe(fit, filter((s): s is S => s !== SKIP));
      // Skipping must never hide that nothing was fitted at all (every snapshot also counts skips).
      // Checked once the source completes (concat: no extra hop per batch, unlike tap's complete).
      const finished = defer(() => {
        if (fitted === 0 && skipped > startSkipped) {
          throw new VireoError(
            "INVALID_BATCH",
            `The stream completed with every one of its ${skipped - startSkipped} batches skipped as invalid (onInvalid: "skip"), so nothing was fitted. ` +
              `Read the reasons on the 'skipped' side channel, e.g. skipped: (s) => console.warn(s.error.message).`,
            { batch: index - 1 },
          );
        }
        return EMPTY;
      });
      return concat(snapshots, finished);
    });
}

/** How many recent source batch ids are remembered to refuse a duplicate delivery (constant memory). */
export const DUPLICATE_WINDOW = 4096;

/**
 * Source batch ids seen recently. A source batch whose id was already fitted (a retry upstream, a
 * replayed subject) would count its evidence twice; it is refused as INVALID_BATCH instead (and so
 * skipped under onInvalid "skip"). Out-of-order ids are fitted in arrival order: nothing is lost.
 */
class RecentIds {
  private readonly seen = new Set<number>();
  private readonly order = new Float64Array(DUPLICATE_WINDOW);
  private next = 0;

  /** Whether `id` is not among the recently fitted ids. */
  isNew(id: number): boolean {
    return !this.seen.has(id);
  }

  /** Records a fitted id, forgetting the oldest beyond the window. */
  add(id: number): void {
    if (this.seen.has(id)) return;
    if (this.seen.size >= DUPLICATE_WINDOW) this.seen.delete(this.order[this.next % DUPLICATE_WINDOW]!);
    this.order[this.next++ % DUPLICATE_WINDOW] = id;
    this.seen.add(id);
  }
}

/** Marks a skipped batch between map and filter. */
const SKIP = Symbol("skipped batch");
