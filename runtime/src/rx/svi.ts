/**
 * `batches$.pipe(svi(model, options))`: stochastic variational inference over a stream of
 * minibatches, one immutable snapshot per batch.
 *
 * Cold: given a model, each subscription builds its own engine and starts from the prior. Given
 * an SviEngine, every subscription steps that one engine (hot state you can also read directly,
 * e.g. `engine.posteriors()` after an error). Backpressure: each batch is fitted synchronously
 * inside the source's emission, so a fast synchronous source is naturally paced by the fitting;
 * for an asynchronous producer that can outrun it, buffer or drop upstream (bufferCount,
 * sampleTime, …). Unsubscribing unsubscribes from the source: no further batch is processed.
 */
import type { OperatorFunction } from "rxjs";
import { VireoError } from "@vireo/core";
import type { Model } from "../model/spec.js";
import { SviEngine, type SviOptions } from "../svi/svi-engine.js";
import { streamOperator, summarise, NO_SUMMARIES, type BatchInput, type SnapshotBase, type StreamOptions } from "./stream-step.js";
import { checkStreamOptions, checkSviOptions } from "../engine/options.js";

export interface SviSnapshot extends SnapshotBase {
  readonly rho: number;
  /** Rows of the subsampled plate in this batch. */
  readonly rows: number;
  readonly localSweeps: number;
}

/** Steps an existing engine (its own options apply; only the stream options are read). */
export function svi(engine: SviEngine, options?: StreamOptions): OperatorFunction<BatchInput, SviSnapshot>;
export function svi(model: Model | SviEngine, options?: SviOptions & StreamOptions): OperatorFunction<BatchInput, SviSnapshot>;
export function svi(model: Model | SviEngine, options: Partial<SviOptions> & StreamOptions = {}): OperatorFunction<BatchInput, SviSnapshot> {
  if (model instanceof SviEngine) checkStreamOptions("svi", options);
  else checkSviOptions(model, options, true);
  const make = (): SviEngine => {
    if (model instanceof SviEngine) return model;
    if (options.size === undefined) throw new VireoError("INVALID_OPTION", "svi: give 'size', the number of rows of the subsampled plate in the whole data set (N in the N/|B| scaling).");
    return new SviEngine(model, options as SviOptions);
  };
  return streamOperator(
    make,
    (engine, data, batch, skippedBatches, withSummaries) => {
      const r = engine.step(data);
      return {
        step: r.step, batch, skippedBatches, elbo: r.elbo, rho: r.rho, rows: r.rows, localSweeps: r.localSweeps,
        posteriors: withSummaries ? summarise(engine.posteriors(), options.summaries) : NO_SUMMARIES,
      };
    },
    options,
  );
}
