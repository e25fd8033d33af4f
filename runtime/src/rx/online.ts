/**
 * `batches$.pipe(online(model, options))`: streaming Bayesian updating for unbounded streams; the
 * posterior after each batch is the prior for the next (with optional forgetting). One immutable
 * snapshot per batch. Cold/hot semantics, backpressure and unsubscription as for `svi`.
 */
import type { OperatorFunction } from "rxjs";
import type { Model } from "../model/spec.js";
import { OnlineEngine, type OnlineOptions } from "../svi/online-engine.js";
import { streamOperator, NO_SUMMARIES, type BatchInput, type SnapshotBase, type StreamOptions } from "./stream-step.js";
import { checkOnlineOptions, checkStreamOptions } from "../engine/options.js";

export interface OnlineSnapshot extends SnapshotBase {
  /** Rows of each data plate in this batch. */
  readonly rows: Readonly<Record<string, number>>;
  readonly sweeps: number;
}

export function online(model: Model | OnlineEngine, options: OnlineOptions & StreamOptions = {}): OperatorFunction<BatchInput, OnlineSnapshot> {
  if (model instanceof OnlineEngine) checkStreamOptions("online", options);
  else checkOnlineOptions(model, options, true);
  const summaries = options.summaries;
  return streamOperator(
    () => (model instanceof OnlineEngine ? model : new OnlineEngine(model, options)),
    (engine, data, batch, skippedBatches, withSummaries) => {
      const elbo = engine.stepInPlace(data);
      // Made frozen here (summaries included), so the operator's deep freeze has nothing to walk.
      return Object.freeze({
        step: engine.steps, batch, skippedBatches, elbo, rows: engine.lastRows, sweeps: engine.lastSweeps,
        posteriors: summaries === "none" || !withSummaries ? NO_SUMMARIES : engine.runner.frozenSummaries(summaries),
      });
    },
    options,
  );
}
