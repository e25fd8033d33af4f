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
import { VireoError, SparseGp } from "@vireo/core";
import type { Model } from "../model/spec.js";
import { SviEngine, type SviOptions, type SviPsis } from "../svi/svi-engine.js";
import { streamOperator, summarise, NO_SUMMARIES, type BatchInput, type SnapshotBase, type StreamOptions } from "./stream-step.js";
import { checkStreamOptions, checkSviOptions } from "../engine/options.js";
import { SvgpEngine, checkSvgpOptions, type SvgpOptions } from "../gp/svgp-engine.js";
import { Vae } from "../deep/vae.js";
import { vaeStream } from "./vae-stream.js";

export interface SviSnapshot extends SnapshotBase {
  readonly rho: number;
  /** Rows of the subsampled plate in this batch. */
  readonly rows: number;
  readonly localSweeps: number;
  /** The latest PSIS check of the gradient-fitted q (k̂ > 0.7: do not trust q), or null. */
  readonly psis: SviPsis | null;
}

/** A sparse variational GP's snapshot: q(u) as posterior "u", the hyperparameters, the jitter. */
export interface SvgpSnapshot extends SnapshotBase {
  readonly rho: number;
  readonly rows: number;
  /** Jitter added to K_ZZ's diagonal in this step. */
  readonly jitter: number;
  /** Kernel and likelihood hyperparameters after the step ("kernel.variance", "likelihood.noiseVariance", …). */
  readonly hyperparameters: Readonly<Record<string, number>>;
}

/** Steps an existing engine (its own options apply; only the stream options are read). */
export function svi(engine: SviEngine, options?: StreamOptions): OperatorFunction<BatchInput, SviSnapshot>;
/** SVGP over minibatches: natural-gradient steps on q(u), Adam on the hyperparameters (see SvgpEngine). */
export function svi(model: SparseGp | SvgpEngine, options: SvgpOptions & StreamOptions): OperatorFunction<BatchInput, SvgpSnapshot>;
export function svi(engine: SvgpEngine, options?: StreamOptions): OperatorFunction<BatchInput, SvgpSnapshot>;
/** Steps a variational autoencoder: one optimiser step of its bound per minibatch (see rx/vae-stream.ts). */
export function svi(vae: Vae, options?: StreamOptions): OperatorFunction<BatchInput, SviSnapshot>;
export function svi(model: Model | SviEngine, options?: SviOptions & StreamOptions): OperatorFunction<BatchInput, SviSnapshot>;
export function svi(model: Model | SviEngine | SparseGp | SvgpEngine | Vae, options: (Partial<SviOptions> | Partial<SvgpOptions>) & StreamOptions = {}): OperatorFunction<BatchInput, SviSnapshot> | OperatorFunction<BatchInput, SvgpSnapshot> {
  if (model instanceof SparseGp || model instanceof SvgpEngine) return sviGp(model, options as Partial<SvgpOptions> & StreamOptions);
  if (model instanceof Vae) {
    checkStreamOptions("svi", options);
    return vaeStream(model, options);
  }
  if (model instanceof SviEngine) checkStreamOptions("svi", options);
  else checkSviOptions(model, options, true);
  const make = (): SviEngine => {
    if (model instanceof SviEngine) return model;
    if ((options as Partial<SviOptions>).totalRows === undefined) throw new VireoError("INVALID_OPTION", "svi: give 'totalRows', the number of rows of the subsampled plate in the whole data set (N in the N/|B| scaling).");
    return new SviEngine(model, options as SviOptions);
  };
  return streamOperator(
    make,
    (engine, data, batch, skippedBatches, withSummaries) => {
      const r = engine.step(data);
      return {
        step: r.step, batch, skippedBatches, elbo: r.elbo, rho: r.rho, rows: r.rows, localSweeps: r.localSweeps, psis: r.psis,
        posteriors: withSummaries ? summarise(engine.posteriors(), options.summaries) : NO_SUMMARIES,
      };
    },
    options,
  );
}

function sviGp(model: SparseGp | SvgpEngine, options: Partial<SvgpOptions> & StreamOptions): OperatorFunction<BatchInput, SvgpSnapshot> {
  if (model instanceof SvgpEngine) checkStreamOptions("svi", options);
  // The SparseGp holds q(u) and the hyperparameters and is fitted in place; each subscription gets
  // its own engine (step count ρ_t and optimiser state) over it. Options are checked now.
  else checkSvgpOptions(options as SvgpOptions);
  const make = (): SvgpEngine => (model instanceof SvgpEngine ? model : new SvgpEngine(model, options as SvgpOptions));
  return streamOperator(
    make,
    (engine, data, batch, skippedBatches) => {
      const r = engine.stepBatch(data);
      return {
        step: r.step, batch, skippedBatches, elbo: r.elbo, rho: r.rho, rows: r.rows, jitter: r.jitter,
        hyperparameters: engine.hyperparameters(),
        posteriors: summarise(engine.posteriors(), options.summaries),
      };
    },
    options,
  );
}
