/**
 * The fit loop: repeated engine steps until the windowed relative change of the noisy ELBO falls
 * below tolerance or a step budget runs out. Skipped steps are counted and the first few kept.
 */
import { VireoError, ConvergenceMonitor, type ConvergenceOptions } from "@vireo/core";
import type { Batch, Bbvi, BbviState, StepReport } from "./engine.js";
import { checkFitBbviOptions } from "../engine/options.js";

export interface FitOptions<D> {
  /** Step budget (default 10 000). */
  readonly maxIterations?: number;
  /** Windowed-ELBO convergence (default window 100, tol 1e-4, patience 2); false runs all maxIterations. */
  readonly convergence?: ConvergenceOptions | false;
  /** The batch of each step (default: none, i.e. the factors' own data at scale 1). */
  readonly batches?: (step: number) => Batch<D> | undefined;
  /**
   * Polyak–Ruppert averaging: from this step count on, iterates are averaged and the average is
   * written back into state.params at the end. Averaging cancels the step-to-step jitter of a
   * stochastic optimiser, which a decaying learning rate alone removes only slowly.
   */
  readonly averageFrom?: number;
  /** Called after every step. */
  readonly onStep?: (report: StepReport) => void;
}

export interface FitResult {
  readonly steps: number;
  readonly converged: boolean;
  /** Mean ELBO estimate of the last complete window (or of the last step without convergence checks). */
  readonly elbo: number;
  readonly skipped: number;
  /** The first (up to 10) skipped steps, with where the non-finite gradient was. */
  readonly skipReports: readonly StepReport[];
  /** Iterates averaged into the final parameters (0 without averaging). */
  readonly averaged: number;
}

export function fitBbvi<D>(engine: Bbvi<D>, state: BbviState, options: FitOptions<D> = {}): FitResult {
  checkFitBbviOptions(options);
  const maxIterations = options.maxIterations ?? 10_000;
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new VireoError("INVALID_OPTION", `fitBbvi: 'maxIterations' must be a positive integer, got ${maxIterations}.`, { parameter: "maxIterations" });
  }
  const monitor = options.convergence === false ? null : new ConvergenceMonitor(options.convergence ?? {});
  const skipReports: StepReport[] = [];
  const averageFrom = options.averageFrom ?? Infinity;
  if (!(averageFrom >= 0)) {
    throw new VireoError("INVALID_OPTION", `fitBbvi: 'averageFrom' must be a step count ≥ 0, got ${averageFrom}.`, { parameter: "averageFrom" });
  }
  const avg = Number.isFinite(averageFrom) ? new Float64Array(state.params.length) : null;
  let skipped = 0, last = NaN, steps = 0, averaged = 0, finite = 0;
  for (; steps < maxIterations; ) {
    const report = engine.step(state, options.batches?.(state.step));
    steps++;
    if (avg !== null && steps > averageFrom && report.applied) {
      averaged++;
      const p = state.params, w = 1 / averaged;
      for (let i = 0; i < p.length; i++) avg[i] += w * (p[i]! - avg[i]!);
    }
    last = report.elbo;
    if (Number.isFinite(report.elbo)) finite++;
    if (!report.applied) {
      skipped++;
      if (skipReports.length < 10) skipReports.push(report);
    }
    options.onStep?.(report);
    if (monitor !== null && report.applied && monitor.push(report.elbo)) break;
  }
  if (skipped === steps || finite === 0) {
    // Not one step was applied: returning the initial q as a result would be a silent wrong answer.
    const s = skipReports[0]?.skip;
    throw new VireoError(
      "NUMERICAL_FAILURE",
      `fitBbvi: ${skipped === steps ? `all ${steps} steps were skipped because the gradient was never finite` : `the ELBO estimate was not finite at any of the ${steps} steps`}` +
        `${s ? ` (first at latent '${s.variable}', element ${s.element}: ${s.value})` : ""}; the ELBO estimate was ${last}. ` +
        `Check the log density for NaN (e.g. log of a negative number, data outside the support) and the initial q.`,
      s ? { variable: s.variable } : {},
    );
  }
  if (avg !== null && averaged > 0) state.params.set(avg);
  const converged = monitor?.converged ?? false;
  const elbo = monitor !== null && Number.isFinite(monitor.lastMean) ? monitor.lastMean : last;
  return { steps, converged, elbo, skipped, skipReports, averaged };
}
