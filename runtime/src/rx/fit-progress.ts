/**
 * Long fits as Observables of progress: `caviProgress(model, options)` and
 * `bbviProgress(engine, state, options)` emit one event per sweep (or step) and finish with the
 * result. Built on the fits' own callbacks (`onSweep`, `onStep`, still called), so the numbers are
 * the ones the plain calls produce. The fit starts on a macrotask after subscribe (a subscriber
 * can set up its display first), runs synchronously, and stops at the next sweep or step when
 * the subscriber unsubscribes. Errors go down the error channel.
 */
import { Observable } from "rxjs";
import type { Model } from "../model/spec.js";
import type { CaviOptions, CaviResult } from "../engine/cavi.js";
import { cavi } from "../engine/all-capabilities.js";
import { fitBbvi, type FitOptions, type FitResult } from "../bbvi/fit.js";
import type { Bbvi, BbviState } from "../bbvi/engine.js";

export interface CaviSweepEvent {
  readonly kind: "sweep";
  /** 0-based restart and the number of restarts. */
  readonly restart: number;
  readonly restarts: number;
  /** 0-based sweep within the restart, and the sweep limit. */
  readonly sweep: number;
  readonly maxIterations: number;
  /** Sweeps done over all restarts so far (for a bar over restarts × maxIterations). */
  readonly done: number;
  readonly elbo: number;
  /** Milliseconds since the fit started. */
  readonly elapsedMs: number;
}

export interface CaviDoneEvent {
  readonly kind: "done";
  readonly result: CaviResult;
  readonly elapsedMs: number;
}

export type CaviProgress = CaviSweepEvent | CaviDoneEvent;

export interface BbviStepEvent {
  readonly kind: "step";
  /** Steps taken in this fit (1-based) and the step budget. */
  readonly step: number;
  readonly maxIterations: number;
  /** The step's noisy ELBO estimate and learning rate; applied is false for a skipped step. */
  readonly elbo: number;
  readonly lr: number;
  readonly applied: boolean;
  readonly elapsedMs: number;
}

export interface BbviDoneEvent {
  readonly kind: "done";
  readonly result: FitResult;
  readonly elapsedMs: number;
}

export type BbviProgress = BbviStepEvent | BbviDoneEvent;

/** Thrown inside a fit's callback to stop it after an unsubscribe; never leaves this file. */
const STOP = Symbol("unsubscribed");

/** Runs `fit` on a macrotask, giving it a `report` that stops the fit once the subscriber is gone. */
function fitObservable<E, R>(fit: (report: (event: E) => void, started: number) => R, done: (result: R, elapsedMs: number) => E): Observable<E> {
  return new Observable<E>((subscriber) => {
    const handle = setTimeout(() => {
      const started = performance.now();
      try {
        const result = fit((event) => {
          if (subscriber.closed) throw STOP;
          subscriber.next(event);
          if (subscriber.closed) throw STOP;
        }, started);
        subscriber.next(done(result, performance.now() - started));
        subscriber.complete();
      } catch (e) {
        if (e !== STOP) subscriber.error(e);
      }
    }, 0);
    return () => clearTimeout(handle);
  });
}

/** `cavi(model, options)` as an Observable: a "sweep" event per sweep of every restart, then "done". */
export function caviProgress(model: Model, options: CaviOptions): Observable<CaviProgress> {
  const restarts = options.restarts ?? 1;
  const maxIterations = options.maxIterations ?? 500;
  return fitObservable<CaviProgress, CaviResult>((report, started) => {
    // Every restart begins at sweep 0; sweeps done in earlier restarts are counted as finished.
    let restart = -1, before = 0, inRestart = 0;
    return cavi(model, {
      ...options,
      onSweep: (sweep, elbo) => {
        if (sweep === 0) {
          restart++;
          before += inRestart;
        }
        inRestart = sweep + 1;
        options.onSweep?.(sweep, elbo);
        report({ kind: "sweep", restart, restarts, sweep, maxIterations, done: before + inRestart, elbo, elapsedMs: performance.now() - started });
      },
    });
  }, (result, elapsedMs) => ({ kind: "done", result, elapsedMs }));
}

/** `fitBbvi(engine, state, options)` as an Observable: a "step" event per step, then "done". */
export function bbviProgress<D>(engine: Bbvi<D>, state: BbviState, options: FitOptions<D> = {}): Observable<BbviProgress> {
  const maxIterations = options.maxIterations ?? 10_000;
  return fitObservable<BbviProgress, FitResult>((report, started) => {
    let step = 0;
    return fitBbvi(engine, state, {
      ...options,
      onStep: (r) => {
        step++;
        options.onStep?.(r);
        report({ kind: "step", step, maxIterations, elbo: r.elbo, lr: r.lr, applied: r.applied, elapsedMs: performance.now() - started });
      },
    });
  }, (result, elapsedMs) => ({ kind: "done", result, elapsedMs }));
}
