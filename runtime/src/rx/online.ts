/**
 * `batches$.pipe(online(model, options))`: streaming Bayesian updating for unbounded streams; the
 * posterior after each batch is the prior for the next (with optional forgetting). One immutable
 * snapshot per batch. Cold/hot semantics, backpressure and unsubscription as for `svi`.
 * A snapshot's `elbo` and `posteriors` are computed when first read (from copies taken at its
 * batch: the same numbers whenever they are read), so a stream whose snapshots are mostly not
 * read does not pay for them.
 */
import type { OperatorFunction } from "rxjs";
import type { Model } from "../model/spec.js";
import { OnlineEngine, type OnlineOptions } from "../svi/online-engine.js";
import { streamOperator, NO_SUMMARIES, type BatchInput, type SnapshotBase, type StreamOptions } from "./stream-step.js";
import { checkOnlineOptions, checkStreamOptions } from "../engine/options.js";
import { SummaryCapture, DeferredSummaries as DeferredType, type Deferred } from "../svi/online-capture.js";
import type { PosteriorSummary } from "../engine/posterior.js";

export interface OnlineSnapshot extends SnapshotBase {
  /** Rows of each data plate in this batch. */
  readonly rows: Readonly<Record<string, number>>;
  readonly sweeps: number;
}

export function online(model: Model | OnlineEngine, options: OnlineOptions & StreamOptions = {}): OperatorFunction<BatchInput, OnlineSnapshot> {
  if (model instanceof OnlineEngine) checkStreamOptions("online", options);
  else checkOnlineOptions(model, options, true);
  const summaries = options.summaries;
  // The summary copy plan of each subscription's engine (a cold source gets one engine per
  // subscriber); the last one looked up is kept at hand.
  const plans = new WeakMap<OnlineEngine, SummaryCapture | null>();
  let lastEngine: OnlineEngine | null = null, lastPlan: SummaryCapture | null = null;
  return streamOperator(
    () => (model instanceof OnlineEngine ? model : new OnlineEngine(model, options)),
    (engine, data, batch, skippedBatches, withSummaries) => {
      const elbo = engine.stepDeferringElbo(data);
      let posteriors: Readonly<Record<string, PosteriorSummary>> | Deferred<Readonly<Record<string, PosteriorSummary>>> = NO_SUMMARIES;
      if (summaries !== "none" && withSummaries) {
        // Closed-form globals: η copied now, summaries built on first read; others at once.
        if (engine !== lastEngine) {
          let plan = plans.get(engine);
          if (plan === undefined) plans.set(engine, (plan = SummaryCapture.plan(engine.runner, summaries)));
          lastEngine = engine;
          lastPlan = plan;
        }
        const capture = lastPlan;
        posteriors = capture !== null ? capture.capture() : engine.runner.frozenSummaries(summaries);
      }
      return new LazyOnlineSnapshot(engine.steps, batch, skippedBatches, elbo, engine.takeDeferredElbo(), engine.lastRows, engine.lastSweeps, posteriors);
    },
    options,
  );
}

/**
 * An online() snapshot whose ELBO and posterior summaries are computed on first read (from copies
 * taken at its batch, so reading late gives the same numbers), then kept. Frozen; `elbo` and
 * `posteriors` are getters, and toJSON() lists every field for JSON.stringify.
 */
class LazyOnlineSnapshot implements OnlineSnapshot {
  readonly step: number;
  readonly batch: number;
  readonly skippedBatches: number;
  readonly rows: Readonly<Record<string, number>>;
  readonly sweeps: number;
  // Set once here: the deferred values keep what they computed (no write to a frozen object).
  readonly #elbo: number;
  readonly #elboLater: Deferred<number> | null;
  readonly #posteriors: Readonly<Record<string, PosteriorSummary>> | null;
  readonly #posteriorsLater: Deferred<Readonly<Record<string, PosteriorSummary>>> | null;

  constructor(
    step: number, batch: number, skippedBatches: number, elbo: number, elboLater: Deferred<number> | null,
    rows: Readonly<Record<string, number>>, sweeps: number,
    posteriors: Readonly<Record<string, PosteriorSummary>> | Deferred<Readonly<Record<string, PosteriorSummary>>>,
  ) {
    this.step = step;
    this.batch = batch;
    this.skippedBatches = skippedBatches;
    this.rows = rows;
    this.sweeps = sweeps;
    this.#elbo = elbo;
    this.#elboLater = elboLater;
    const later = posteriors instanceof DeferredType;
    this.#posteriors = later ? null : (posteriors as Readonly<Record<string, PosteriorSummary>>);
    this.#posteriorsLater = later ? (posteriors as Deferred<Readonly<Record<string, PosteriorSummary>>>) : null;
    Object.freeze(this);
  }

  get elbo(): number {
    return this.#elboLater === null ? this.#elbo : this.#elboLater.value();
  }

  get posteriors(): Readonly<Record<string, PosteriorSummary>> {
    return this.#posteriorsLater === null ? this.#posteriors! : this.#posteriorsLater.value();
  }

  toJSON(): Omit<OnlineSnapshot, never> {
    return { step: this.step, batch: this.batch, skippedBatches: this.skippedBatches, elbo: this.elbo, rows: this.rows, sweeps: this.sweeps, posteriors: this.posteriors };
  }
}
