/**
 * Closed-form coordinate ascent (variational message passing): sweeps the schedule, updating each
 * random variable from its neighbours' messages, and evaluates the exact ELBO after each sweep.
 * The ELBO never decreases under CAVI; when it does (beyond round-off) the sweep is replayed
 * from a snapshot with the ELBO checked after every update, and a diagnostic names the update
 * that lowered it.
 */
import { VireoError, Generator, type Bound, type ConvergenceOptions, type ExponentialFamily } from "@vireo/core";
import type { Model } from "../model/spec.js";
import type { VariableRef } from "../model/builder.js";
import { bindData, type DataBinding } from "./bind.js";
import { compile, initialise, type CompiledState, type VariableState } from "./state.js";
import { computeSchedule, scheduleFromNames } from "./schedule.js";
import { updateVariable } from "./update.js";
import { LocalIterations, type LocalIterationOptions } from "./local-iterations.js";
import { elbo, elboTerms, collapsePlan, type Collapsed, type ElboTerms } from "./elbo.js";
import { Posterior } from "./posterior.js";
import type { GradientOptions } from "./gradient.js";
import type { ElboEstimate } from "./mc-elbo.js";
import { seedMixtureComponents, seededSelectors } from "./seed-components.js";
import { checkCaviOptions } from "./options.js";
import { posteriorRecord } from "./posterior-record.js";
import { planRowPass } from "./row-pass.js";
import type { ThreadPool } from "./threads.js";
import type { EngineCapabilities, GradientCapability } from "./capabilities.js";

export interface CaviOptions {
  /** Data by variable name (observed and input variables). */
  readonly data: DataBinding;
  /** Sweep limit (default 500). */
  readonly maxIterations?: number;
  /**
   * Stop when |ΔELBO| ≤ tolerance · |ELBO| (default 1e-10; with `parameterTolerance` set, this
   * rule applies only when `tolerance` is given too, and whichever rule holds first stops).
   */
  readonly tolerance?: number;
  /**
   * Stop when no variable instance's natural parameters moved by more than this fraction of
   * their own size in a sweep: max over instances of ‖Δη‖∞ / ‖η‖∞. The ELBO flattens
   * quadratically near the optimum, so parameters stop short (≈ √tolerance) under the ELBO rule
   * alone; this rule stops on the parameters themselves. Off by default.
   */
  readonly parameterTolerance?: number;
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
  /**
   * Inner iterations of the plate-local variables within each sweep (default 100): where the
   * schedule has two or more of them in a row (LDA's θ_d and z_n), they are iterated with the
   * globals fixed until they stop changing, as scikit-learn's batch LDA does in its E-step; a
   * sweep then moves the globals against converged locals. 1 gives one update per sweep.
   */
  readonly localIterations?: number;
  /**
   * Stop the inner iterations when the mean absolute change of the locals' natural parameters
   * (the last local excepted) falls below this (default 1e-3, scikit-learn's mean_change_tol:
   * the outer sweeps continue, so the inner ones need not be tight).
   */
  readonly localTolerance?: number;
  /** Gradient-fitted variables: draws, optimiser, stopping rule, final ELBO estimate. */
  readonly gradient?: CaviGradientOptions;
  /**
   * Threads for large plates (Node only; default 1): a mixture's fused pass over its rows is
   * split in fixed chunks over this many threads (worker_threads over SharedArrayBuffer), and so
   * are LDA's document-local iterations (pieces of documents), with results bit-identical to one
   * thread. Pays from about 10⁵ rows; the workers end with the run.
   */
  readonly threads?: number;
}

/** How a CAVI run treats gradient-fitted variables (see engine/gradient.ts). */
export interface CaviGradientOptions extends GradientOptions {
  /**
   * Windowed stopping rule on the noisy per-sweep ELBO (Stan ADVI-like: relative change of the
   * mean ELBO between consecutive windows; default window 100, tol 1e-3, patience 2), or false
   * to run all maxIterations sweeps.
   */
  readonly convergence?: ConvergenceOptions | false;
  /** Draws of the fresh ELBO estimate returned at the end (default 500). */
  readonly elboSamples?: number;
  /** Polyak–Ruppert averaging of every q's λ over the sweeps from this one on (default: none). */
  readonly averageFrom?: number;
  /**
   * Fresh joint draws of the gradient-fitted variables behind the returned bound (when it is not
   * the ELBO) and the PSIS check (default 1000; 0 skips both).
   */
  readonly checkDraws?: number;
  /** The bound evaluated at the returned q from those draws (default: the one optimised, `bound`). */
  readonly evaluate?: Bound;
}

/** Which bound a fit optimised, which it evaluated at the returned q, and the estimate. */
export interface BoundReport {
  /** e.g. "ELBO", "IWAE(K=8)", "Rényi(α=0.5, K=8)". */
  readonly optimised: string;
  readonly evaluated: string;
  readonly value: number;
  /** Monte Carlo standard error (0 for an exact fit). */
  readonly standardError: number;
}

/**
 * Pareto-smoothed importance sampling of the gradient-fitted variables' q against the target
 * their Markov blankets define (the model's joint when every random variable is gradient-fitted):
 * k̂ > threshold (0.7 for a thousand draws or more) means "do not trust q".
 */
export interface PsisReport {
  readonly khat: number;
  readonly threshold: number;
  readonly reliable: boolean;
  /** PSIS estimate of log p(y) (exact terms plus the smoothed log mean ratio). */
  readonly logEvidence: number;
  readonly ess: number;
  readonly draws: number;
  /** A sentence for logs when k̂ is above the threshold. */
  readonly warning?: string;
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
  /** Which rule stopped the run: the ELBO change, the parameter change, or the sweep limit. */
  readonly stoppedBy: "elbo" | "parameters" | "max-iterations";
  /** The largest relative parameter change of the last sweep (see CaviOptions.parameterTolerance). */
  readonly parameterChange: number;
  /**
   * The final ELBO term by term: E_q[log f] per factor and H[q] per random variable, by name;
   * `total` is their sum (the last entry of `elbo`, up to round-off). Null for a fit with
   * gradient-fitted variables: its ELBO is a Monte Carlo estimate (elboEstimate ± elboStandardError).
   */
  readonly elboTerms: ElboTerms | null;
  readonly schedule: readonly string[];
  readonly diagnostics: readonly ElboDecrease[];
  readonly seed: number;
  /**
   * The ELBO at the returned posteriors: the last sweep's exact value, or, when some variable is
   * fitted by gradients, a fresh Monte Carlo estimate at the returned q (exact terms + MC terms).
   */
  readonly elboEstimate: number;
  /** Monte Carlo standard error of elboEstimate (0 for an exact fit). */
  readonly elboStandardError: number;
  /** The bound optimised and evaluated (the ELBO unless `gradient.bound` chose IWAE / Rényi). */
  readonly bound?: BoundReport;
  /** The PSIS check of the gradient-fitted q (null for closed-form fits and point masses). */
  readonly psis?: PsisReport | null;
  /**
   * The posterior of a variable, typed by the family its reference was declared with:
   * `result.posterior(mu).params().mean` (no `.as(Normal)`). A name gives the untyped posterior.
   */
  posterior<F extends ExponentialFamily<any, any>>(variable: VariableRef<F>): Posterior<F>;
  posterior(variable: string): Posterior;
}

/** Adds the non-enumerable `posterior` accessor (results stay plain data to JSON and comparisons). */
export function withAccessor(result: Omit<CaviResult, "posterior">): CaviResult {
  Object.defineProperty(result, "posterior", {
    enumerable: false,
    value: (variable: VariableRef | string) => result.posteriors[typeof variable === "string" ? variable : variable.name],
  });
  return result as CaviResult;
}

/** Relative size of an ELBO drop that counts as round-off, not a decrease. */
const ROUND_OFF = 1e-9;

/** A CAVI run over compiled state: usable step by step (SVI and streaming build on it). */
export class CaviEngine {
  readonly state: CompiledState;
  readonly schedule: readonly VariableState[];
  private readonly collapsed: Collapsed | null;
  /** The schedule in steps: single updates, and runs of plate-local variables iterated together (engine/local-iterations.ts). */
  private readonly steps: readonly (VariableState | LocalIterations)[];

  /**
   * `local` sets the inner iterations of runs of plate-local variables (maxIterations, tolerance);
   * `local.pool` runs the fused plate passes on several threads (createThreadPool); compile the state
   * with its allocator (`compile(model, data, undefined, undefined, undefined, pool.allocate)`) so
   * the buffers are shared, and close the pool when done.
   */
  constructor(state: CompiledState, schedule?: readonly string[], local: Partial<LocalIterationOptions> & { readonly pool?: ThreadPool | null } = {}) {
    const pool = local.pool ?? null;
    this.state = state;
    this.schedule = schedule ? scheduleFromNames(state, schedule) : computeSchedule(state);
    this.collapsed = state.stochastic ? null : collapsePlan(this.schedule[this.schedule.length - 1]);
    const maxIterations = local.maxIterations ?? 100, tolerance = local.tolerance ?? 1e-3;
    const isLocal = (v: VariableState) => v.spec.plate !== null && state.model.plates[v.spec.plate]!.size === null;
    // Noisy gradient steps are not iterated within a sweep.
    const iterate = !state.stochastic && maxIterations > 1;
    const steps: (VariableState | LocalIterations)[] = [];
    for (let i = 0; i < this.schedule.length;) {
      let j = i;
      while (iterate && j < this.schedule.length && isLocal(this.schedule[j]!)) j++;
      if (j - i >= 2) {
        steps.push(new LocalIterations(this.schedule.slice(i, j), { maxIterations, tolerance, restart: true, pool }));
        i = j;
      } else steps.push(this.schedule[i++]!);
    }
    this.steps = steps;
    // Mixture selectors whose messages allow it are updated in one fused pass over their plate.
    for (const v of state.random) if (v.rowPass === undefined || pool !== null) v.rowPass = planRowPass(v, pool);
  }

  /**
   * One sweep over the schedule; returns the ELBO after it (with gradient-fitted variables, the
   * Monte Carlo estimate from the sweep's draws).
   */
  sweep(): number {
    let logNormaliser = 0;
    const collapsed = this.collapsed?.variable;
    for (const s of this.steps) {
      if (s instanceof LocalIterations) logNormaliser = s.run(collapsed === s.locals[s.locals.length - 1]).logNormaliser;
      else logNormaliser = updateVariable(s, s === collapsed);
    }
    return this.state.stochastic ? this.gradients.monteCarloElbo(this.state).value : elbo(this.state, this.collapsed, logNormaliser);
  }

  /** The ELBO of the current state, every term evaluated (Monte Carlo terms from the latest draws). */
  elbo(): number {
    return this.state.stochastic ? this.gradients.monteCarloElbo(this.state).value : elbo(this.state);
  }

  /** The ELBO with its standard error: from the latest draws, or from `samples` fresh ones. */
  elboEstimate(samples?: number, rng?: Generator): ElboEstimate {
    if (!this.state.stochastic) {
      return { value: elbo(this.state), standardError: 0 };
    }
    if (samples === undefined || rng === undefined) return this.gradients.monteCarloElbo(this.state);
    return this.gradients.freshElbo(this.state, samples, rng);
  }

  /** The gradient machinery of a state with gradient-fitted variables (compile refuses them without it). */
  private get gradients(): GradientCapability {
    return this.state.capabilities.gradients!;
  }

  /** Copies of every random variable's natural parameters (into `reuse`, an earlier snapshot, when given). */
  snapshot(reuse?: Float64Array[]): Float64Array[] {
    if (reuse === undefined || reuse.length !== this.state.random.length) return this.state.random.map((v) => v.eta.slice());
    this.state.random.forEach((v, i) => reuse[i]!.set(v.eta));
    return reuse;
  }

  /** Restores natural parameters from snapshot() and recomputes the statistics. */
  restore(snap: readonly Float64Array[]): void {
    this.state.random.forEach((v, i) => {
      if (v.gradient !== null) return;
      v.eta.set(snap[i]!);
      v.family!.expectedStatsRows(v.eta, v.stats, v.count);
      this.state.changes.markChanged(v.stats);
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
    return posteriorRecord(this.state.random.map((v) =>
      v.gradient !== null ? this.gradients.posterior(v) : new Posterior(v.name, v.family!, v.count, v.eta)));
  }
}

/**
 * max over instances of ‖η − η_before‖∞ / ‖η‖∞ (0/0 counts as no change): the parameter-change
 * stopping rule, relative per instance so that a variable's scale does not matter.
 */
function maxRelativeChange(engine: CaviEngine, before: readonly Float64Array[]): number {
  let worst = 0;
  engine.state.random.forEach((v, r) => {
    const old = before[r]!, eta = v.eta, k = v.size;
    for (let o = 0; o < eta.length; o += k) {
      let change = 0, size = 0;
      for (let i = o; i < o + k; i++) {
        change = Math.max(change, Math.abs(eta[i]! - old[i]!));
        size = Math.max(size, Math.abs(eta[i]!));
      }
      if (change > 0) worst = Math.max(worst, size > 0 ? change / size : Infinity);
    }
  });
  return worst;
}

function checkTolerance(name: string, value: number | undefined): void {
  if (value !== undefined && !(typeof value === "number" && value >= 0 && Number.isFinite(value))) {
    throw new VireoError("INVALID_OPTION", `cavi: ${name} must be a finite number ≥ 0, got ${String(value)}.`);
  }
}

function runOnce(model: Model, options: CaviOptions, seed: number, seeded: boolean, pool: ThreadPool | null, capabilities: EngineCapabilities): CaviResult {
  const state = compile(model, bindData(model, options.data), undefined, options.gradient, undefined, pool?.allocate, capabilities);
  if (state.stochastic) return capabilities.gradients!.runCavi(state, options, seed, seeded);
  const maxIterations = options.maxIterations ?? 500;
  const tolerance = options.tolerance ?? 1e-10;
  const rng = new Generator(seed);
  // Selectors of seeded mixtures skip their random start: their first update comes from the seeds.
  const userInitialised = new Set(Object.keys(options.init ?? {}));
  initialise(state, rng, options.init, true, seeded ? seededSelectors(state, userInitialised) : new Set());
  const engine = new CaviEngine(state, options.schedule, { maxIterations: options.localIterations, tolerance: options.localTolerance, pool });
  // Mixtures start from data-seeded component means; their selectors take one update from them.
  if (seeded) for (const z of seedMixtureComponents(state, rng, userInitialised)) updateVariable(z);
  const trace: number[] = [];
  const diagnostics: ElboDecrease[] = [];
  let converged = false;
  let stoppedBy: CaviResult["stoppedBy"] = "max-iterations";
  let parameterChange = Infinity;
  // With a parameter rule, the ELBO rule is used only when asked for explicitly.
  const parameterTolerance = options.parameterTolerance;
  const elboRule = parameterTolerance === undefined || options.tolerance !== undefined;
  // Two snapshot buffers, reused in turn (a million-row plate is not reallocated every sweep).
  let snap: Float64Array[] = [], spare: Float64Array[] | undefined;
  for (let it = 0; it < maxIterations; it++) {
    [snap, spare] = [engine.snapshot(spare), snap];
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
    // The parameter change is a pass over every instance: only when it is a stopping rule (else once, at the end).
    parameterChange = parameterTolerance !== undefined ? maxRelativeChange(engine, snap) : NaN;
    if (parameterTolerance !== undefined && it > 0 && parameterChange <= parameterTolerance) {
      converged = true;
      stoppedBy = "parameters";
      break;
    }
    if (elboRule && prev !== undefined && Math.abs(value - prev) <= tolerance * Math.abs(value)) {
      converged = true;
      stoppedBy = "elbo";
      break;
    }
  }
  if (Number.isNaN(parameterChange) && snap.length > 0) parameterChange = maxRelativeChange(engine, snap);
  const stopping = { stoppedBy, parameterChange, elboTerms: elboTerms(state) };
  return withAccessor({
    ...stopping,
    posteriors: engine.posteriors(), elbo: trace, iterations: trace.length, converged,
    schedule: engine.schedule.map((v) => v.name), diagnostics, seed,
    elboEstimate: trace[trace.length - 1] ?? NaN, elboStandardError: 0,
    bound: { optimised: "ELBO", evaluated: "ELBO", value: trace[trace.length - 1] ?? NaN, standardError: 0 }, psis: null,
  });
}

/**
 * Runs CAVI to convergence (or the iteration limit) and returns posteriors and the ELBO trace,
 * with the engine parts `capabilities` provides (`cavi` from '@vireo/runtime' passes all of them).
 */
export function runCavi(model: Model, options: CaviOptions, capabilities: EngineCapabilities): CaviResult {
  checkCaviOptions(model, options);
  const restarts = options.restarts ?? 1;
  if (!(Number.isInteger(restarts) && restarts >= 1)) {
    throw new VireoError("INVALID_OPTION", `cavi: restarts must be a positive integer, got ${restarts}.`);
  }
  checkTolerance("parameterTolerance", options.parameterTolerance);
  const seed = options.seed ?? 0;
  let best: CaviResult | null = null;
  const threads = options.threads ?? 1;
  if (threads > 1 && capabilities.threads === null) {
    throw new VireoError("INVALID_OPTION", `cavi: threads = ${threads} needs worker threads, which the conjugate-only engine (@vireo/runtime/conjugate) leaves out. Import cavi from '@vireo/runtime', or drop the option.`, { parameter: "threads" });
  }
  const pool = threads > 1 ? capabilities.threads!(threads) : null;
  try {
    for (let r = 0; r < restarts; r++) {
      const start = options.mixtureStart ?? "alternate";
      const res = runOnce(model, options, seed + r, start === "seeded" || (start === "alternate" && r % 2 === 0), pool, capabilities);
      if (best === null || res.elboEstimate > best.elboEstimate) best = res;
    }
  } finally {
    pool?.close();
  }
  return best!;
}
