/**
 * Closed-form coordinate ascent (variational message passing): sweeps the schedule, updating each
 * random variable from its neighbours' messages, and evaluates the exact ELBO after each sweep.
 * The ELBO never decreases under CAVI; when it does (beyond round-off) the sweep is replayed
 * from a snapshot with the ELBO checked after every update, and a diagnostic names the update
 * that lowered it.
 */
import { VireoError, Generator } from "@vireo/core";
import { markChanged } from "@vireo/nodes";
import type { Model } from "../model/spec.js";
import { bindData, type DataBinding } from "./bind.js";
import { compile, initialise, type CompiledState, type VariableState } from "./state.js";
import { computeSchedule, scheduleFromNames } from "./schedule.js";
import { updateVariable } from "./update.js";
import { elbo, collapsePlan, type Collapsed } from "./elbo.js";
import { Posterior } from "./posterior.js";
import { seedMixtureComponents } from "./seed-components.js";
import { checkCaviOptions } from "./options.js";
import { posteriorRecord } from "./posterior-record.js";

export interface CaviOptions {
  /** Data by variable name (observed and input variables). */
  readonly data: DataBinding;
  /** Sweep limit (default 500). */
  readonly maxIterations?: number;
  /** Stop when |ΔELBO| ≤ tolerance · |ELBO| (default 1e-10). */
  readonly tolerance?: number;
  /** Seed of the generator used for the random start (default 0). */
  readonly seed?: number;
  /** Independent random starts; the run with the highest final ELBO is returned (default 1). */
  readonly restarts?: number;
  /** Starting natural parameters for some variables (size, or count × size). */
  readonly init?: Readonly<Record<string, Float64Array>>;
  /**
   * How mixtures start: "seeded" puts component means at distinct random data rows, "random"
   * starts from random soft responsibilities only, "alternate" (default) uses seeded starts on
   * even restarts and random ones on odd restarts, so restarts explore both.
   */
  readonly mixtureStart?: "seeded" | "random" | "alternate";
  /** Update order by variable name (default: computed from the graph). */
  readonly schedule?: readonly string[];
  /** Called after each sweep with its index and ELBO. */
  readonly onSweep?: (sweep: number, elbo: number) => void;
}

/** An ELBO decrease, with the update that caused it. */
export interface ElboDecrease {
  readonly kind: "elbo-decrease";
  readonly sweep: number;
  readonly decrease: number;
  /** The variable whose update lowered the ELBO, and the factors whose messages it used. */
  readonly variable: string;
  readonly factors: readonly string[];
  readonly message: string;
}

export interface CaviResult {
  readonly posteriors: Readonly<Record<string, Posterior>>;
  /** ELBO after each sweep. */
  readonly elbo: readonly number[];
  readonly iterations: number;
  readonly converged: boolean;
  readonly schedule: readonly string[];
  readonly diagnostics: readonly ElboDecrease[];
  readonly seed: number;
}

/** Relative size of an ELBO drop that counts as round-off, not a decrease. */
const ROUND_OFF = 1e-9;

/** A CAVI run over compiled state: usable step by step (SVI and streaming build on it). */
export class CaviEngine {
  readonly state: CompiledState;
  readonly schedule: readonly VariableState[];
  private readonly collapsed: Collapsed | null;

  constructor(state: CompiledState, schedule?: readonly string[]) {
    this.state = state;
    this.schedule = schedule ? scheduleFromNames(state, schedule) : computeSchedule(state);
    this.collapsed = collapsePlan(this.schedule[this.schedule.length - 1]);
  }

  /** One sweep over the schedule; returns the ELBO after it. */
  sweep(): number {
    let logNormaliser = 0;
    for (const v of this.schedule) logNormaliser = updateVariable(v, v === this.collapsed?.variable);
    return elbo(this.state, this.collapsed, logNormaliser);
  }

  /** The ELBO of the current state, every term evaluated. */
  elbo(): number {
    return elbo(this.state);
  }

  /** Copies of every random variable's natural parameters. */
  snapshot(): Float64Array[] {
    return this.state.random.map((v) => v.eta.slice());
  }

  /** Restores natural parameters from snapshot() and recomputes the statistics. */
  restore(snap: readonly Float64Array[]): void {
    this.state.random.forEach((v, i) => {
      v.eta.set(snap[i]!);
      v.family!.expectedStatsRows(v.eta, v.stats, v.count);
      markChanged(v.stats);
    });
  }

  /** Replays one sweep checking the full ELBO after every update; names the first that lowered it. */
  findDecrease(sweep: number): ElboDecrease | null {
    let before = this.elbo();
    for (const v of this.schedule) {
      updateVariable(v);
      const after = this.elbo();
      if (after < before - ROUND_OFF * Math.max(1, Math.abs(before))) {
        const factors = v.neighbours.map((n) => n.factor.name);
        return {
          kind: "elbo-decrease", sweep, decrease: before - after, variable: v.name, factors,
          message: `Sweep ${sweep}: the update of '${v.name}' lowered the ELBO by ${(before - after).toExponential(3)}. ` +
            `Its messages came from [${factors.join(", ")}]; one of those nodes' message rules disagrees with its energy ` +
            `(run verifyNode on it).`,
        };
      }
      before = after;
    }
    return null;
  }

  /** Posterior of every random variable. */
  posteriors(): Record<string, Posterior> {
    return posteriorRecord(this.state.random.map((v) => new Posterior(v.name, v.family!, v.count, v.eta)));
  }
}

function runOnce(model: Model, options: CaviOptions, seed: number, seeded: boolean): CaviResult {
  const maxIterations = options.maxIterations ?? 500;
  const tolerance = options.tolerance ?? 1e-10;
  const state = compile(model, bindData(model, options.data));
  const rng = new Generator(seed);
  initialise(state, rng, options.init);
  // Mixtures start from data-seeded component means; their selectors take one update from them.
  if (seeded) for (const z of seedMixtureComponents(state, rng, new Set(Object.keys(options.init ?? {})))) updateVariable(z);
  const engine = new CaviEngine(state, options.schedule);
  const trace: number[] = [];
  const diagnostics: ElboDecrease[] = [];
  let converged = false;
  for (let it = 0; it < maxIterations; it++) {
    const snap = engine.snapshot();
    const value = engine.sweep();
    const prev = trace[trace.length - 1];
    if (prev !== undefined && value < prev - ROUND_OFF * Math.max(1, Math.abs(prev))) {
      const after = engine.snapshot();
      engine.restore(snap);
      const found = engine.findDecrease(it);
      engine.restore(after);
      diagnostics.push(found ?? {
        kind: "elbo-decrease", sweep: it, decrease: prev - value, variable: "", factors: [],
        message: `Sweep ${it}: the ELBO fell by ${(prev - value).toExponential(3)}, but no single update lowered it on replay.`,
      });
    }
    trace.push(value);
    options.onSweep?.(it, value);
    if (!Number.isFinite(value)) {
      throw new VireoError("NUMERICAL_FAILURE", `CAVI sweep ${it}: the ELBO is ${value}. Check the data scale and the priors.`);
    }
    if (prev !== undefined && Math.abs(value - prev) <= tolerance * Math.abs(value)) {
      converged = true;
      break;
    }
  }
  return {
    posteriors: engine.posteriors(), elbo: trace, iterations: trace.length, converged,
    schedule: engine.schedule.map((v) => v.name), diagnostics, seed,
  };
}

/** Runs CAVI to convergence (or the iteration limit) and returns posteriors and the ELBO trace. */
export function cavi(model: Model, options: CaviOptions): CaviResult {
  checkCaviOptions(model, options);
  const restarts = options.restarts ?? 1;
  if (!(Number.isInteger(restarts) && restarts >= 1)) {
    throw new VireoError("INVALID_OPTION", `cavi: restarts must be a positive integer, got ${restarts}.`);
  }
  const seed = options.seed ?? 0;
  let best: CaviResult | null = null;
  for (let r = 0; r < restarts; r++) {
    const start = options.mixtureStart ?? "alternate";
    const res = runOnce(model, options, seed + r, start === "seeded" || (start === "alternate" && r % 2 === 0));
    if (best === null || res.elbo[res.elbo.length - 1]! > best.elbo[best.elbo.length - 1]!) best = res;
  }
  return best!;
}
