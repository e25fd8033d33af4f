/**
 * Stochastic variational inference (Hoffman, Blei, Wang & Paisley 2013). For each minibatch of a
 * data set of N rows: fit the local variables to the batch in closed form, then move every global
 * variable's natural parameters a step along the natural gradient,
 *   λ ← (1 − ρ_t) λ + ρ_t (η_prior + (N/|B|) Σ_batch messages),   ρ_t = (t + τ)^(−κ),
 * where t = 1, 2, … counts steps. With τ = 0 the first step has ρ = 1. On the first batch the
 * locals keep their random start (as in CAVI's first sweep), which breaks the symmetry between
 * mixture components.
 */
import { VireoError, Generator, psis, type GeneratorState } from "@vireo/core";
import type { Model } from "../model/spec.js";
import type { DataBinding } from "../engine/bind.js";
import { updateVariable } from "../engine/update.js";
import { collapsePlan } from "../engine/elbo.js";
import { monteCarloElbo, freshLogRatios } from "../engine/mc-elbo.js";
import { gradientVariables } from "../engine/gradient.js";
import { startJointRound } from "../engine/joint-step.js";
import type { CompiledState, FactorState } from "../engine/state.js";
import type { Posterior } from "../engine/posterior.js";
import { MinibatchRunner, type LocalStepOptions } from "./minibatch-runner.js";
import { checkSviOptions } from "../engine/options.js";
import { createThreadPool, type ThreadPool } from "../engine/threads.js";

export interface SviOptions extends LocalStepOptions {
  /** N: the number of rows of `plate` in the whole data set (the N in the N/|B| scaling). */
  readonly totalRows: number;
  /** The plate the minibatches subsample (default: the model's only data plate). */
  readonly plate?: string;
  /** Delay τ ≥ 0 of the step-size schedule (default 1). */
  readonly tau?: number;
  /** Forgetting rate κ ∈ (0.5, 1] of the step-size schedule (default 0.7). */
  readonly kappa?: number;
  /** Seed for the locals' random starts (default 0). */
  readonly seed?: number;
  /**
   * PSIS check of the gradient-fitted q on the batch's N/|B|-scaled target (the full posterior when
   * a batch holds every row; with small batches a narrower, shifted one, so k̂ grows with N/|B|:
   * check a final q on the whole data with cavi's result.psis), every `every` steps
   * from `draws` fresh joint draws (default { every: 25, draws: 400 } when a variable is fitted
   * by gradients; false: never). Reported by the step and carried by every later snapshot.
   */
  readonly psis?: { readonly every?: number; readonly draws?: number } | false;
  /**
   * Evaluate the batch ELBO estimate on every k-th step (default 1: every step; 0: never). Other
   * steps report NaN and skip its cost (for LDA, the topics' entropy and prior: K·V log-gammas
   * and digammas per step).
   */
  readonly elboEvery?: number;
  /**
   * Threads for the local step (Node only; default 1): LDA's document-local iterations are split
   * in pieces of documents over this many threads (worker_threads over SharedArrayBuffer), with
   * results bit-identical to one thread. close() ends the workers.
   */
  readonly threads?: number;
  /**
   * How the globals start (default "prior"). "prior": at their priors, and the first batch's
   * locals take a random start (per-row selectors drawn at random) and no local step, which
   * breaks the symmetry between components. "random": every closed-form Dirichlet global (LDA's
   * topics) starts at α ~ Gamma(100, 1/100) per entry, a data-independent draw as scikit-learn's
   * online LDA starts λ; the locals start from their priors and every step, the first included,
   * fits them to the batch (no random start per row). Other globals start at their priors.
   */
  readonly globalStart?: "prior" | "random";
}

/** The latest PSIS check of an SVI run: k̂ above the threshold means "do not trust q". */
export interface SviPsis {
  /** The step whose q was checked. */
  readonly step: number;
  readonly khat: number;
  readonly threshold: number;
  readonly reliable: boolean;
  readonly warning?: string;
}

export interface SviStepReport {
  /** Steps taken so far (this one included). */
  readonly step: number;
  readonly rho: number;
  /** Rows of the subsampled plate in this batch. */
  readonly rows: number;
  /** Unbiased-in-expectation estimate of the full-data ELBO from this batch (before the global step); NaN on steps not evaluated (SviOptions.elboEvery). */
  readonly elbo: number;
  readonly localSweeps: number;
  /** The latest PSIS check of the gradient-fitted q (null without gradient-fitted variables or with psis: false). */
  readonly psis: SviPsis | null;
}

/** The part of an SVI run that a checkpoint must hold besides the globals. */
export interface SviProgress {
  readonly kind: "svi";
  readonly t: number;
  readonly totalRows: number;
  readonly plate: string;
  readonly tau: number;
  readonly kappa: number;
  /** The latest PSIS check, which later snapshots carry until the next one. */
  readonly psis?: SviPsis | null;
}

export function dataPlateOf(model: Model, plate: string | undefined, what: string): string {
  const dataPlates = Object.values(model.plates).filter((p) => p.size === null).map((p) => p.name);
  if (plate !== undefined) {
    if (!dataPlates.includes(plate)) {
      throw new VireoError("INVALID_OPTION", `${what}: plate '${plate}' is not a data plate of the model; data plates are [${dataPlates.join(", ")}].`);
    }
    return plate;
  }
  if (dataPlates.length !== 1) {
    throw new VireoError("INVALID_OPTION", `${what}: the model has data plates [${dataPlates.join(", ")}]; say which one the minibatches subsample with the 'plate' option.`);
  }
  return dataPlates[0]!;
}

export class SviEngine {
  readonly runner: MinibatchRunner;
  readonly plate: string;
  readonly totalRows: number;
  readonly tau: number;
  readonly kappa: number;
  private t = 0;
  private readonly psisEvery: number;
  private readonly psisDraws: number;
  private lastPsis: SviPsis | null = null;
  private readonly elboEvery: number;
  private readonly pool: ThreadPool | null;
  /** SviOptions.globalStart "random": the first step fits the locals too. */
  private readonly randomStart: boolean;

  constructor(model: Model, options: SviOptions) {
    checkSviOptions(model, options, true);
    this.plate = dataPlateOf(model, options.plate, "svi");
    this.totalRows = options.totalRows;
    this.tau = options.tau ?? 1;
    this.kappa = options.kappa ?? 0.7;
    if (!(Number.isFinite(this.totalRows) && this.totalRows >= 1)) throw new VireoError("INVALID_OPTION", `svi: 'totalRows' (N, the rows of plate '${this.plate}' in the whole data set) must be ≥ 1, got ${options.totalRows}.`);
    if (!(this.kappa > 0.5 && this.kappa <= 1)) throw new VireoError("INVALID_OPTION", `svi: kappa must be in (0.5, 1], got ${this.kappa}.`);
    if (!(this.tau >= 0 && Number.isFinite(this.tau))) throw new VireoError("INVALID_OPTION", `svi: tau must be ≥ 0, got ${this.tau}.`);
    this.elboEvery = options.elboEvery ?? 1;
    const threads = options.threads ?? 1;
    this.pool = threads > 1 ? createThreadPool(threads) : null;
    this.randomStart = options.globalStart === "random";
    this.runner = new MinibatchRunner(model, options.seed ?? 0, options, { pool: this.pool, randomGlobals: this.randomStart });
    const p = options.psis === false ? null : options.psis ?? {};
    this.psisEvery = p === null ? 0 : p.every ?? 25;
    this.psisDraws = p === null ? 0 : p.draws ?? 400;
    if (p !== null && !(Number.isInteger(this.psisEvery) && this.psisEvery >= 1 && Number.isInteger(this.psisDraws) && this.psisDraws >= 100)) {
      throw new VireoError("INVALID_OPTION", `svi: psis must be false or { every: integer ≥ 1, draws: integer ≥ 100 }, got ${JSON.stringify(options.psis)}.`, { parameter: "psis" });
    }
  }

  /**
   * Changes N, the rows of the plate in the whole data set, for the next steps (the vae() kit sets
   * it to the rows its `fit` is given, or to a lone batch's rows).
   */
  setTotalRows(totalRows: number): void {
    if (!(Number.isFinite(totalRows) && totalRows >= 1)) throw new VireoError("INVALID_OPTION", `svi: 'totalRows' (N, the rows of plate '${this.plate}' in the whole data set) must be ≥ 1, got ${totalRows}.`);
    (this as { totalRows: number }).totalRows = totalRows;
  }

  /** ρ_t for step t (1-based). */
  rho(t: number): number {
    return Math.pow(t + this.tau, -this.kappa);
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.t;
  }

  /**
   * One SVI step on a batch. Bad data throws (naming variable and row) before anything changes;
   * a numerical failure restores the globals, so the last good posterior is never lost.
   */
  step(batch: DataBinding): SviStepReport {
    const bound = this.runner.bind(batch);
    const saved = this.runner.started ? this.runner.saveGlobals() : null;
    try {
      // A local step follows unless this is the first step from a non-random start.
      const state = this.runner.prepare(bound, undefined, !(this.t === 0 && !this.randomStart));
      const rows = bound.plateSizes[this.plate]!;
      if (rows > this.totalRows) {
        throw new VireoError("INVALID_BATCH", `svi: the batch has ${rows} rows of plate '${this.plate}', more than the whole data set's totalRows N = ${this.totalRows}; the N/|B| scaling would shrink the evidence. Fix 'totalRows' or the batch.`, { variable: this.plate });
      }
      const scale = this.totalRows / rows;
      const first = this.t === 0, t = this.t + 1, rho = this.rho(t);
      const wantElbo = this.elboEvery > 0 && t % this.elboEvery === 0;
      startJointRound(state, scale);
      const local = first && !this.randomStart ? { sweeps: 0, logNormaliser: 0 } : this.runner.localStep(state, wantElbo);
      const estimate = wantElbo ? this.batchElbo(state, scale, first ? null : local.logNormaliser) : NaN;
      const isData = (f: FactorState) => this.runner.isDataFactor(f);
      // Closed-form globals take a natural-gradient step of size ρ; gradient-fitted ones an optimiser step on the scaled batch ELBO.
      for (const g of this.runner.globalStates(state)) updateVariable(g, false, { scale: (f) => (isData(f) ? scale : 1), step: rho, dataScale: scale });
      this.t = t;
      if (this.psisEvery > 0 && state.stochastic && (t === 1 || t % this.psisEvery === 0)) this.lastPsis = this.checkQ(state, scale, t);
      return { step: t, rho, rows, elbo: estimate, localSweeps: local.sweeps, psis: this.lastPsis };
    } catch (e) {
      if (saved) this.runner.restoreGlobals(saved);
      throw e;
    }
  }

  /**
   * k̂ of the gradient-fitted q (after this step's update) against the batch's scaled target, from
   * a generator of its own (seeded by the step) so the run's own draws are unchanged. Point
   * masses have no density to weight against: null.
   */
  private checkQ(state: CompiledState, scale: number, step: number): SviPsis | null {
    const grads = gradientVariables(state);
    if (grads.some((g) => g.fit.q.degenerate === true)) return null;
    const { logRatios } = freshLogRatios(state, this.psisDraws, new Generator(0x9515 + step), {
      factor: (f) => (this.runner.isDataFactor(f) ? scale : 1),
      variable: (v) => (this.runner.globals.has(v.name) ? 1 : scale),
    });
    const p = psis(logRatios);
    const names = grads.map((g) => `'${g.variable.name}'`).join(", ");
    return {
      step, khat: p.khat, threshold: p.threshold, reliable: p.reliable,
      ...(p.reliable ? {} : { warning: `PSIS k̂ = ${p.khat.toFixed(2)} > ${p.threshold.toFixed(2)} at step ${step}: q of ${names} is too far from its target to trust; choose a richer family.` }),
    };
  }

  /**
   * ELBO estimate: global terms once, batch terms (data factors and local entropies) times N/|B|.
   * With `logNormaliser` from the last local update, the collapsed form saves two plate passes.
   */
  private batchElbo(state: CompiledState, scale: number, logNormaliser: number | null): number {
    if (state.stochastic) {
      return monteCarloElbo(state, {
        factor: (f) => (this.runner.isDataFactor(f) ? scale : 1),
        variable: (v) => (this.runner.globals.has(v.name) ? 1 : scale),
      }).value;
    }
    const locals = this.runner.localStates(state);
    const collapsed = logNormaliser === null ? null : collapsePlan(locals[locals.length - 1]);
    let global = 0, batch = collapsed ? logNormaliser! : 0;
    for (const f of state.factors) {
      if (collapsed?.factors.has(f)) continue;
      const v = f.spec.type.logFactor(f.ctx);
      if (this.runner.isDataFactor(f)) batch += v;
      else global += v;
    }
    for (const v of state.random) {
      if (v === collapsed?.variable) continue;
      const h = v.family!.entropyRows(v.eta, v.count, v.weights);
      if (this.runner.globals.has(v.name)) global += h;
      else batch += h;
    }
    return global + scale * batch;
  }

  /** Posteriors of the global variables. */
  posteriors(): Record<string, Posterior> {
    return this.runner.posteriors();
  }

  /** Ends the worker threads of `threads` > 1 (idempotent; they never keep a process alive). */
  close(): void {
    this.pool?.close();
  }

  /** The step counter and schedule, for checkpoints. */
  progress(): SviProgress {
    return { kind: "svi", t: this.t, totalRows: this.totalRows, plate: this.plate, tau: this.tau, kappa: this.kappa, psis: this.lastPsis };
  }

  /** Restores globals, step counter and generator (from a checkpoint). */
  restore(globals: Readonly<Record<string, Float64Array>>, progress: SviProgress, generator: GeneratorState): void {
    if (progress.totalRows !== this.totalRows || progress.plate !== this.plate || progress.tau !== this.tau || progress.kappa !== this.kappa) {
      throw new VireoError("INVALID_CHECKPOINT", `svi: the checkpoint was made with totalRows ${progress.totalRows}, plate '${progress.plate}', tau ${progress.tau}, kappa ${progress.kappa}; this engine has ${this.totalRows}, '${this.plate}', ${this.tau}, ${this.kappa}.`);
    }
    restoreRunner(this.runner, globals, generator);
    this.t = progress.t;
    this.lastPsis = progress.psis ?? null;
  }
}

/** Restores a runner's globals and generator, checking names and lengths first. */
export function restoreRunner(runner: MinibatchRunner, globals: Readonly<Record<string, Float64Array>>, generator: GeneratorState): void {
  const gradient = new Set(runner.gradientGlobals);
  for (const [n, g] of runner.globals) {
    if (gradient.has(n)) continue;
    const eta = globals[n];
    if (!(eta instanceof Float64Array) || eta.length !== g.eta.length) {
      throw new VireoError("INVALID_CHECKPOINT", `Checkpoint: global '${n}' needs ${g.eta.length} natural parameters, got ${eta instanceof Float64Array ? eta.length : typeof eta}.`, { variable: n });
    }
  }
  runner.rng.setState(generator);
  runner.restoreGlobals(new Map(Object.entries(globals).filter(([n]) => runner.globals.has(n))));
  runner.markStarted();
}
