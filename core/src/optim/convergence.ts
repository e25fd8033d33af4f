/**
 * Convergence on a noisy objective: single ELBO estimates jitter, so compare the means of two
 * consecutive windows. Converged when |mean_now − mean_prev| / max(|mean_prev|, floor) < tolerance for
 * `patience` consecutive windows. Non-finite values are ignored (a skipped step reports elsewhere).
 */
import { VireoError, fmt } from "../errors.js";
import { requirePositiveOption } from "./optimizer.js";

export interface ConvergenceOptions {
  /** Values per window (default 100). */
  readonly window?: number;
  /** Relative-change tolerance (default 1e-4); `tolerance`, as in every engine's options. */
  readonly tolerance?: number;
  /** Consecutive windows below the tolerance required (default 2). */
  readonly patience?: number;
  /** Denominator floor for objectives near zero (default 1). */
  readonly floor?: number;
}

export class ConvergenceMonitor {
  readonly window: number;
  readonly tolerance: number;
  readonly patience: number;
  readonly floor: number;
  private sum = 0;
  private count = 0;
  private previous = NaN;
  private calm = 0;
  /** Relative change between the last two complete windows (NaN before two windows). */
  lastChange = NaN;
  /** Mean of the last complete window (NaN before one window). */
  lastMean = NaN;
  converged = false;

  constructor(options: ConvergenceOptions = {}) {
    if (Object.hasOwn(options, "tol")) {
      throw new VireoError("INVALID_OPTION", "ConvergenceMonitor: option 'tol' is now called 'tolerance' (the name cavi, online and svi use): pass { tolerance }.", { parameter: "tol" });
    }
    this.window = options.window ?? 100;
    this.tolerance = options.tolerance ?? 1e-4;
    this.patience = options.patience ?? 2;
    this.floor = options.floor ?? 1;
    for (const [k, v] of [["window", this.window], ["patience", this.patience]] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new VireoError("INVALID_OPTION", `ConvergenceMonitor: option '${k}' must be a positive integer, got ${fmt(v)}.`, { parameter: k });
      }
    }
    requirePositiveOption(this.tolerance, "tolerance", "ConvergenceMonitor");
    requirePositiveOption(this.floor, "floor", "ConvergenceMonitor");
  }

  /** Adds one objective value; returns true once converged. */
  push(value: number): boolean {
    if (!Number.isFinite(value)) return this.converged;
    this.sum += value;
    this.count++;
    if (this.count < this.window) return this.converged;
    const m = this.sum / this.count;
    this.sum = 0;
    this.count = 0;
    if (!Number.isNaN(this.previous)) {
      this.lastChange = Math.abs(m - this.previous) / Math.max(Math.abs(this.previous), this.floor);
      this.calm = this.lastChange < this.tolerance ? this.calm + 1 : 0;
      if (this.calm >= this.patience) this.converged = true;
    }
    this.previous = m;
    this.lastMean = m;
    return this.converged;
  }

  /** Forgets all history. */
  reset(): void {
    this.sum = 0;
    this.count = 0;
    this.previous = NaN;
    this.calm = 0;
    this.lastChange = NaN;
    this.lastMean = NaN;
    this.converged = false;
  }
}
