/**
 * `observations$.pipe(kalmanFilter(model, options))`: online Kalman filtering of a live stream.
 * Each item is one observation (p numbers) or a batch (an array of observations); each item that
 * brings at least one good observation emits one frozen FilterSnapshot. All numeric work is a
 * plain synchronous loop in OnlineKalman (constant memory, no recursion per item), so synchronous
 * sources of millions of items are fine. A bad observation (wrong length, non-finite value) either
 * errors the stream with a VireoError naming its index, batch, row and field (the default), or with
 * onInvalid: "skip" is treated as a missing observation (time advances by one predict step; its
 * values never touch the state) and reported on the `skipped` side channel.
 */
import { defer, map, filter, type OperatorFunction } from "rxjs";
import { freeze } from "immer";
import { VireoError, fmt } from "@vireo/core";
import { OnlineKalman, type OnlineFilterOptions, type FilterSnapshot } from "../timeseries/online-kalman.js";
import type { LgssmSpec } from "../timeseries/lgssm-model.js";

export type Observation = ArrayLike<number>;

/** A report of an observation left out under onInvalid: "skip". */
export interface SkippedObservation {
  /** 0-based index of the observation over the whole stream. */
  readonly index: number;
  /** Index of the stream item (batch) that carried it, and its row in that batch. */
  readonly batch: number;
  readonly row: number;
  readonly field: string;
  readonly message: string;
}

export interface KalmanFilterOptions extends OnlineFilterOptions {
  /** "error" (default): a bad observation errors the stream. "skip": treat it as missing and report it. */
  readonly onInvalid?: "error" | "skip";
  /** Receives a frozen report for every skipped observation (e.g. a Subject). */
  readonly skipped?: { next(report: SkippedObservation): void };
}

/** Why `y` is not a valid observation of dimension p, or null: [field, description]. */
function problem(y: unknown, p: number): [string, string] | null {
  if (y == null || typeof (y as Observation).length !== "number") return ["y", `is ${y === null ? "null" : typeof y}; expected an array of ${p} numbers`];
  const o = y as Observation;
  if (o.length !== p) return ["y", `has length ${o.length}; expected p = ${p} numbers`];
  for (let a = 0; a < p; a++) {
    const v = o[a];
    if (typeof v !== "number" || !Number.isFinite(v)) return [`y[${a}]`, `is ${typeof v === "number" ? fmt(v) : typeof v}; expected a finite number`];
  }
  return null;
}

/** Marks an item that brought no observation to take in (an empty batch), between map and filter. */
const NOTHING = Symbol("no observation");

export function kalmanFilter(model: LgssmSpec, options: KalmanFilterOptions = {}): OperatorFunction<Observation | readonly Observation[], FilterSnapshot> {
  const mode = options.onInvalid ?? "error";
  if (mode !== "error" && mode !== "skip") {
    throw new VireoError("INVALID_OPTION", `kalmanFilter: 'onInvalid' must be "error" or "skip", got ${JSON.stringify(mode)}.`, { parameter: "onInvalid" });
  }
  // Built from RxJS's own operators (defer, map, filter) like streamOperator, never a hand-made
  // Observable: they chain subscribers, so a downstream take(n) or unsubscribe stops even an endless
  // synchronous source, and an error thrown in `map` unsubscribes the source at once.
  return (source) =>
    defer(() => {
      // One engine per subscription: a cold source re-subscribed starts from the prior.
      const engine = new OnlineKalman(model, options);
      const p = engine.p, one: Observation[] = [[]];
      let index = 0, batch = -1, skipped = 0;
      return source.pipe(
        map((item): FilterSnapshot | typeof NOTHING => {
          batch++;
          // A batch is an array whose first entry is itself array-like; anything else is one observation.
          const isBatch = item != null && (item as ArrayLike<unknown>).length > 0 && typeof (item as ArrayLike<unknown>)[0] === "object";
          let rows: ArrayLike<Observation>;
          if (isBatch) rows = item as readonly Observation[];
          else {
            one[0] = item as Observation;
            rows = one;
          }
          let took = false;
          for (let r = 0; r < rows.length; r++, index++) {
            const bad = problem(rows[r], p);
            if (bad !== null) {
              const message = `kalmanFilter: observation ${index} (batch ${batch}, row ${r}), field ${bad[0]} ${bad[1]}. ` +
                `Fix the source, or pass onInvalid: "skip" to leave bad observations out and report them on 'skipped'.`;
              if (mode === "error") throw new VireoError("INVALID_BATCH", message, { batch, row: r, field: bad[0] });
              skipped++;
              options.skipped?.next(freeze({ index, batch, row: r, field: bad[0], message }));
              engine.step(null);
              took = true;
              continue;
            }
            engine.step(rows[r]!);
            took = true;
          }
          return took ? engine.snapshot(skipped) : NOTHING;
        }),
        filter((s): s is FilterSnapshot => s !== NOTHING),
      );
    });
}
