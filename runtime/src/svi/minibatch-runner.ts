/**
 * What SVI and online updating share: a model split into global variables (outside the data
 * plates: they persist from batch to batch) and local ones (in data plates: fresh for every
 * batch), the binding of each minibatch (recompiling only when its shape changes), and the
 * local step that fits the locals to the batch with the globals held fixed.
 */
import { VireoError, Generator, DirichletFamily, sampleGamma, type GeneratorState } from "@vireo/core";
import { ChangeTracker } from "@vireo/nodes";
import type { Model } from "../model/spec.js";
import { bindData, type DataBinding, type BoundData } from "../engine/bind.js";
import { initialise, initialiseSome, rebind, sameShape, type CompiledState, type VariableState, type FactorState } from "../engine/state.js";
import { computeSchedule } from "../engine/schedule.js";
import { LocalIterations } from "../engine/local-iterations.js";
import { Posterior, summaryOf, type PosteriorSummary } from "../engine/posterior.js";
import { GradientPosterior } from "../engine/gradient-posterior.js";
import { compile } from "../engine/all-capabilities.js";
import { attachGenerator, needsGradient, resolveFit, type GradientFit, type GradientOptions } from "../engine/gradient.js";
import { posteriorRecord } from "../engine/posterior-record.js";
import { FastBinder } from "../engine/bind-fast.js";
import type { ThreadPool } from "../engine/threads.js";
import type { AmortisedFits } from "../engine/amortised.js";
import { isAmortisedSpec } from "../model/amortised-check.js";

export interface LocalStepOptions {
  /** Most local sweeps per batch (default 100). */
  readonly localIterations?: number;
  /**
   * Stop the local sweeps when the mean absolute change of the locals' natural parameters (the
   * last local excepted: it follows from the others) falls below this (default 1e-5). For LDA
   * that is the mean change of the documents' Dirichlet parameters γ, like scikit-learn's
   * mean_change_tol (1e-3 there).
   */
  readonly localTolerance?: number;
  /** Gradient-fitted variables: draws per step, optimiser (one optimiser step per batch for a global). */
  readonly gradient?: GradientOptions;
}

/** What the runner needs besides LocalStepOptions. */
export interface RunnerExtras {
  /** Threads that share the local step's documents (engine/threads.ts); null: this thread. */
  readonly pool?: ThreadPool | null;
  /**
   * Start every closed-form Dirichlet global from a data-independent random draw, α ~ Gamma(100,
   * 1/100) per entry (scikit-learn's online LDA start of its topics λ), instead of its prior; the
   * locals then start from their priors (no random start per row). SviOptions.globalStart.
   */
  readonly randomGlobals?: boolean;
}

/** A state's schedule split into globals and locals. */
interface Split {
  readonly globals: VariableState[];
  readonly locals: VariableState[];
}

export class MinibatchRunner {
  readonly model: Model;
  /** Random variables outside data plates, in schedule order. */
  readonly globalNames: readonly string[];
  /** Random variables inside data plates, in schedule order. */
  readonly localNames: readonly string[];
  /** The global variables' natural parameters and statistics, shared by every batch's state. */
  readonly globals: Map<string, { eta: Float64Array; stats: Float64Array; gradient: GradientFit | null }>;
  readonly rng: Generator;
  /** One change tracker for every batch's state: they share the globals' buffers. */
  private readonly changes = new ChangeTracker();
  private state: CompiledState | null = null;
  /** Encoders of amortised locals: plate-local q whose weights persist from batch to batch. */
  readonly amortisedFits: AmortisedFits = new Map();
  private readonly gradientOptions: GradientOptions;
  private initialised = false;
  /** Most local sweeps per batch. */
  readonly localIterations: number;
  /** Tolerance of the local sweeps (mean absolute change of the locals' natural parameters, the last excepted). */
  readonly localTolerance: number;
  /** Threads of the local step (null: this thread). */
  readonly pool: ThreadPool | null;
  /** Dirichlet globals start from a random draw (RunnerExtras.randomGlobals). */
  readonly randomGlobals: boolean;

  constructor(model: Model, seed: number, options: LocalStepOptions = {}, extras: RunnerExtras = {}) {
    this.model = model;
    this.pool = extras.pool ?? null;
    this.randomGlobals = extras.randomGlobals ?? false;
    const isData = (plate: string | null) => plate !== null && model.plates[plate]!.size === null;
    const random = model.order.filter((n) => model.variables[n]!.kind === "random");
    this.globalNames = random.filter((n) => !isData(model.variables[n]!.plate));
    this.localNames = random.filter((n) => isData(model.variables[n]!.plate));
    this.globals = new Map();
    for (const n of this.globalNames) {
      const v = model.variables[n]!;
      const count = v.plate === null ? 1 : model.plates[v.plate]!.size!;
      const size = v.family!.size;
      this.globals.set(n, { eta: new Float64Array(count * size), stats: new Float64Array(count * size), gradient: null });
    }
    this.rng = new Generator(seed);
    this.gradientOptions = options.gradient ?? {};
    this.localIterations = options.localIterations ?? 100;
    this.localTolerance = options.localTolerance ?? 1e-5;
    this.localSet = new Set(this.localNames);
    this.binder = new FastBinder(model);
    this.saved = new Map([...this.globals].map(([n, g]) => [n, new Float64Array(g.eta.length)]));
    this.savedList = [...this.globals].map(([n, g]) => ({ global: g, buffer: this.saved.get(n)! }));
    if (!(Number.isInteger(this.localIterations) && this.localIterations >= 1)) {
      throw new VireoError("INVALID_OPTION", `localIterations must be a positive integer, got ${this.localIterations}.`);
    }
  }

  /** Validates a batch against the model without touching any state (throws on bad data). */
  bind(batch: DataBinding): BoundData {
    return bindData(this.model, batch);
  }

  /**
   * bind() then prepare(), with a fast path for a stream of equal-shaped batches: once started,
   * a plain batch of the last state's shape is checked and copied straight into that state
   * (engine/bind-fast.ts), with the same errors for bad data and nothing allocated.
   */
  prepareBatch(batch: DataBinding, rng: Generator = this.rng): CompiledState {
    const state = this.state;
    if (state !== null && this.initialised && this.binder.bindInto(state, batch)) {
      this.startBatch(state, rng);
      return state;
    }
    return this.prepare(this.bind(batch), rng);
  }
  private readonly binder: FastBinder;

  /** Rows of every plate in the batch `state` holds (a frozen record, shared while the shape lasts). */
  rows(state: CompiledState): Readonly<Record<string, number>> {
    if (this.rowsOf !== state) {
      this.rowsRecord = Object.freeze({ ...state.data.plateSizes });
      this.rowsOf = state;
    }
    return this.rowsRecord;
  }
  private rowsOf: CompiledState | null = null;
  private rowsRecord: Readonly<Record<string, number>> = Object.freeze({});

  /** The compiled state of the latest batch (null before the first). */
  get current(): CompiledState | null {
    return this.state;
  }

  /**
   * Makes the state for a bound batch: reuses the last compiled state when the shapes match,
   * starts the locals afresh, and on the very first batch also starts the globals. With
   * `localStepFollows` (the caller runs localStep on the state next, before anything else reads
   * it), a local that LDA's document block overwrites whole is started only if that block does
   * not run (its start takes no draws, so the numbers are the same either way).
   */
  prepare(bound: BoundData, rng: Generator = this.rng, localStepFollows = false): CompiledState {
    if (this.state !== null && sameShape(this.state, bound)) rebind(this.state, bound);
    else {
      const key = shapeKey(bound), kept = this.compiled.get(key);
      if (kept !== undefined && sameShape(kept, bound)) {
        rebind(kept, bound);
        this.state = kept;
      } else {
        this.state = compile(this.model, bound, this.globals, this.gradientOptions, this.changes, undefined, this.amortisedFits);
        this.keep(key, this.state);
      }
    }
    this.rowsOf = null;
    this.startBatch(this.state, rng, localStepFollows);
    return this.state;
  }

  /**
   * Keeps a compiled state for later batches of the same plate sizes (minibatches of documents
   * differ in their token rows, and an epoch repeats them): up to KEPT_STATES of them holding up
   * to KEPT_ROWS plate rows in all, the oldest dropped first. States with gradient-fitted
   * variables are not kept (their fits carry draws and optimiser bindings made for one state at
   * a time).
   */
  private keep(key: string, state: CompiledState): void {
    if (state.stochastic) return;
    const rows = rowsOf(state);
    if (rows > KEPT_ROWS) return;
    for (const [oldest, s] of this.compiled) {
      if (this.compiled.size < KEPT_STATES && this.keptRows + rows <= KEPT_ROWS) break;
      this.compiled.delete(oldest);
      this.keptRows -= rowsOf(s);
    }
    this.compiled.set(key, state);
    this.keptRows += rows;
  }
  /** Compiled states by plate sizes (insertion order: the oldest first), and their plate rows in all. */
  private readonly compiled = new Map<string, CompiledState>();
  private keptRows = 0;

  /** Starts a batch in a bound state: the globals on the very first batch, else the locals afresh. */
  private startBatch(state: CompiledState, rng: Generator, localStepFollows = false): void {
    if (state.stochastic) attachGenerator(state, rng);
    if (!this.initialised) {
      if (this.randomGlobals) {
        // The Dirichlet globals' start from their priors (no draws) would be overwritten at once.
        const drawn = randomDirichletGlobals(state, this.globals);
        initialiseSome(state, new Set(state.random.filter((v) => !drawn.has(v)).map((v) => v.name)), rng, false);
        randomDirichletStart(drawn, rng);
      } else initialise(state, rng);
      this.initialised = true;
    } else {
      const deferred = localStepFollows && !state.stochastic ? this.localIterationsOf(state).deferStart(state, rng) : null;
      if (deferred !== null) initialiseSome(state, new Set(this.localNames.filter((n) => n !== deferred)), rng, false);
      else if (this.localNames.length > 0) initialiseSome(state, this.localSet, rng, false);
      // Gradient-fitted globals draw afresh from their persisting q at every batch, whether or not
      // the compiled state is reused: a run then depends only on λ, the optimiser state and the
      // generator, which is what a checkpoint holds.
      if (state.stochastic) for (const v of state.random) if (v.gradient !== null && this.globals.has(v.name)) v.gradient.redraw();
    }
    // A new compiled state of a gradient-fitted global draws from its persisting q before any use.
    if (state.stochastic) for (const v of state.random) if (v.gradient !== null && !v.gradient.drawn) v.gradient.redraw();
  }
  private readonly localSet: ReadonlySet<string>;

  /**
   * Fits the locals of a batch with the globals held fixed and returns their posteriors: the
   * per-row posteriors of new data (e.g. topic proportions of unseen documents). Uses its own
   * generator, so evaluating does not change the training stream.
   */
  fitLocals(batch: DataBinding, seed = 0): Record<string, Posterior> {
    if (!this.initialised) throw new VireoError("INVALID_STATE", "fitLocals: the globals have not been fitted yet; step the engine on some data first.");
    const state = this.prepare(this.bind(batch), new Generator(seed));
    // An amortised local's q on new rows is its encoder's output: no step (that would train the encoder on them).
    const free = this.localStates(state).filter((v) => v.gradient === null || v.gradient.fit.q.amortised !== true);
    if (free.length === this.localStates(state).length) this.localStep(state, false);
    else if (free.length > 0) new LocalIterations(free, { maxIterations: this.localIterations, tolerance: this.localTolerance }).run(false);
    const out = posteriorRecord(this.localStates(state).map((v) =>
      v.gradient !== null ? new GradientPosterior(v.name, v.family!, v.count, v.gradient.fit) : new Posterior(v.name, v.family!, v.count, v.eta)));
    return out;
  }

  /** Global variables' states, in schedule order. */
  globalStates(state: CompiledState): readonly VariableState[] {
    return this.split(state).globals;
  }

  /** Local variables' states, in schedule order. */
  localStates(state: CompiledState): readonly VariableState[] {
    return this.split(state).locals;
  }

  /** The schedule of a compiled state split into globals and locals, once per state (states are reused across batches). */
  private split(state: CompiledState): Split {
    let s = this.schedules.get(state);
    if (!s) {
      const order = computeSchedule(state);
      const locals = order.filter((v) => !this.globals.has(v.name));
      s = { globals: order.filter((v) => this.globals.has(v.name)), locals };
      this.schedules.set(state, s);
    }
    return s;
  }
  private readonly schedules = new WeakMap<CompiledState, Split>();

  /** Whether a factor lives in a data plate (its messages to globals carry the batch's evidence). */
  isDataFactor(f: FactorState): boolean {
    return f.spec.plate !== null && this.model.plates[f.spec.plate]!.size === null;
  }

  /**
   * Fits the locals to the batch with the globals fixed: sweeps over the locals until they stop
   * changing (engine/local-iterations.ts). A single local variable needs one update (it depends
   * on globals and data only). Returns the number of sweeps and the last local's log-normaliser.
   */
  localStep(state: CompiledState, wantLogNormaliser: boolean): { sweeps: number; logNormaliser: number } {
    return this.localIterationsOf(state).run(wantLogNormaliser);
  }
  private localIterationsOf(state: CompiledState): LocalIterations {
    let it = this.iterations.get(state);
    if (!it) {
      it = new LocalIterations(this.localStates(state), { maxIterations: this.localIterations, tolerance: this.localTolerance, pool: this.pool });
      this.iterations.set(state, it);
    }
    return it;
  }
  private readonly iterations = new WeakMap<CompiledState, LocalIterations>();

  /** Posteriors of the global variables (copies). */
  posteriors(): Record<string, Posterior> {
    return posteriorRecord(this.globalNames.map((n) => {
      const v = this.model.variables[n]!, g = this.globals.get(n)!, count = g.eta.length / v.family!.size;
      return g.gradient !== null ? new GradientPosterior(n, v.family!, count, g.gradient) : new Posterior(n, v.family!, count, g.eta);
    }));
  }

  /**
   * Summaries (means, variances) of the named globals, or of all: what a stream snapshot carries,
   * read off the globals' buffers without making Posterior objects for closed-form globals.
   */
  summaries(which: readonly string[] | "all" | undefined): Record<string, PosteriorSummary> {
    const names = which === undefined || which === "all" ? this.globalNames : which;
    // A plain record (quick to make and freeze) unless a name would reach its prototype.
    const out: Record<string, PosteriorSummary> = names.includes("__proto__") ? Object.create(null) : {};
    for (const n of names) {
      const g = this.globals.get(n);
      if (g === undefined) throw new VireoError("INVALID_OPTION", `summaries: '${n}' is not a global variable; globals are [${this.globalNames.join(", ")}].`);
      const fam = this.model.variables[n]!.family!, count = g.eta.length / fam.size;
      out[n] = g.gradient !== null || fam.coupledRows ? this.posteriors()[n]!.summary() : summaryOf(n, fam, count, g.eta);
    }
    return out;
  }

  /**
   * summaries(), frozen through (the record, each summary and its arrays): what a stream snapshot
   * carries. The globals to summarise are looked up once per `which`; a scalar closed-form global
   * (one instance, a one-number mean) takes a short path.
   */
  frozenSummaries(which: readonly string[] | "all" | undefined): Readonly<Record<string, PosteriorSummary>> {
    let plan = this.summaryPlan;
    if (plan === null || plan.which !== which) plan = this.summaryPlan = this.planSummaries(which);
    if (plan.entries === null) return deepFreezeSummaries(this.summaries(which));
    const out: Record<string, PosteriorSummary> = {};
    for (const e of plan.entries) {
      let s: PosteriorSummary;
      if (e.scalar) {
        const m = e.family.mean(e.eta) as number, v = e.family.variance(e.eta) as number;
        s = { variable: e.name, family: e.family.key, count: 1, mean: Object.freeze([m]), variance: Object.freeze([v]) };
      } else {
        s = e.gradient !== null || e.family.coupledRows ? this.posteriors()[e.name]!.summary() : summaryOf(e.name, e.family, e.eta.length / e.family.size, e.eta);
        Object.freeze(s.mean);
        Object.freeze(s.variance);
      }
      out[e.name] = Object.freeze(s);
    }
    return Object.freeze(out);
  }

  /** Which globals frozenSummaries() reads, resolved once; entries null where summaries() must decide (unknown names, '__proto__'). */
  private planSummaries(which: readonly string[] | "all" | undefined): SummaryPlan {
    const names = which === undefined || which === "all" ? this.globalNames : which;
    if (names.includes("__proto__") || names.some((n) => !this.globals.has(n))) return { which, entries: null };
    return {
      which,
      entries: names.map((name) => {
        const g = this.globals.get(name)!, family = this.model.variables[name]!.family!;
        const scalar = !needsGradient(this.model, this.model.variables[name]!) && !family.coupledRows && g.eta.length === family.size &&
          typeof family.mean(family.startingPoint()) === "number" && typeof family.variance(family.startingPoint()) === "number";
        return { name, family, eta: g.eta, get gradient() { return g.gradient; }, scalar };
      }),
    };
  }
  private summaryPlan: SummaryPlan | null = null;

  /** Copies of the globals' natural parameters, or λ of gradient-fitted ones and of amortised encoders (to restore after a failed step). */
  saveGlobals(): Map<string, Float64Array> {
    const out = new Map([...this.globals].map(([n, g]) => [n, g.gradient !== null ? g.gradient.lambda.slice() : g.eta.slice()]));
    for (const [n, fit] of this.amortisedFits) out.set(n, fit.lambda.slice());
    return out;
  }

  /**
   * saveGlobals() into buffers the runner keeps (no allocation per batch); valid until the next
   * call. For the closed-form globals of a streaming step; gradient-fitted ones get fresh copies.
   */
  saveGlobalsInPlace(): ReadonlyMap<string, Float64Array> {
    const list = this.savedList;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (s.global.gradient !== null) return this.saveGlobals();
      s.buffer.set(s.global.eta);
    }
    return this.saved;
  }
  private readonly saved: Map<string, Float64Array>;
  private readonly savedList: { readonly global: { readonly eta: Float64Array; readonly gradient: GradientFit | null }; readonly buffer: Float64Array }[];

  /** Restores globals saved by saveGlobals() and recomputes their statistics. */
  restoreGlobals(saved: ReadonlyMap<string, Float64Array>): void {
    for (const [n, eta] of saved) {
      const encoder = this.amortisedFits.get(n);
      if (encoder !== undefined) {
        encoder.lambda.set(eta);
        continue;
      }
      const g = this.globals.get(n)!, fam = this.model.variables[n]!.family!;
      if (g.gradient !== null) {
        g.gradient.lambda.set(eta);
        continue;
      }
      g.eta.set(eta);
      fam.expectedStatsRows(g.eta, g.stats, g.eta.length / fam.size);
      this.changes.markChanged(g.stats);
    }
  }

  /**
   * The GradientFit of a gradient-fitted global (λ, optimiser state), made before the first batch
   * when needed (to restore it from a checkpoint); null for a closed-form global.
   */
  gradientFit(name: string): GradientFit | null {
    if (this.amortisedNames.includes(name)) {
      // An amortised local's encoder persists like a global's fit (made unbound; a compiled state binds it).
      let fit = this.amortisedFits.get(name);
      if (fit === undefined) this.amortisedFits.set(name, (fit = resolveFit(this.model.variables[name]!, 1, this.gradientOptions)));
      return fit;
    }
    const g = this.globals.get(name), v = this.model.variables[name];
    if (g === undefined || v === undefined || !needsGradient(this.model, v)) return null;
    if (g.gradient === null) g.gradient = resolveFit(v, g.eta.length / v.family!.size, this.gradientOptions);
    return g.gradient;
  }

  /**
   * Names of the fits that persist from batch to batch (what a checkpoint carries): the
   * gradient-fitted globals, in schedule order, then the amortised locals (their encoders).
   */
  get gradientGlobals(): readonly string[] {
    return [...this.globalNames.filter((n) => needsGradient(this.model, this.model.variables[n]!)), ...this.amortisedNames];
  }

  /** Plate-local variables with an amortised q (their encoder weights persist across batches). */
  get amortisedNames(): readonly string[] {
    return this.localNames.filter((n) => isAmortisedSpec(this.model.variables[n]!));
  }

  /** Whether the globals have been started (after the first batch or a restore). */
  get started(): boolean {
    return this.initialised;
  }

  /** Marks the globals as started (after restoring them from a checkpoint). */
  markStarted(): void {
    this.initialised = true;
  }

  generatorState(): GeneratorState {
    return this.rng.getState();
  }
}

/** Most compiled states a runner keeps for batches of other shapes, and most plate rows in all (MinibatchRunner.keep). */
const KEPT_STATES = 32;
const KEPT_ROWS = 1 << 22;

/** Rows of a compiled state's data plates, in all. */
function rowsOf(state: CompiledState): number {
  let rows = 0;
  for (const p of Object.values(state.model.plates)) if (p.size === null) rows += state.data.plateSizes[p.name] ?? 0;
  return rows;
}

/** The plate sizes of a bound batch as a key. */
function shapeKey(bound: BoundData): string {
  let key = "";
  for (const [p, n] of Object.entries(bound.plateSizes)) key += p + "=" + n + ";";
  return key;
}

/** The closed-form Dirichlet globals, which randomDirichletStart starts (in the state's order). */
function randomDirichletGlobals(state: CompiledState, globals: MinibatchRunner["globals"]): Set<VariableState> {
  return new Set(state.random.filter((v) => v.gradient === null && globals.has(v.name) && v.family instanceof DirichletFamily));
}

/**
 * α ~ Gamma(100, 1/100) per entry (mean 1, sd 0.1) for every closed-form Dirichlet global: topics
 * that differ from the start, whatever the prior, as scikit-learn starts online LDA's λ.
 */
function randomDirichletStart(drawn: ReadonlySet<VariableState>, rng: Generator): void {
  for (const v of drawn) {
    if (!(v.family instanceof DirichletFamily)) continue;
    for (let i = 0; i < v.eta.length; i++) v.eta[i] = sampleGamma(rng, 100, 100) - 1;
    v.family.expectedStatsRows(v.eta, v.stats, v.count);
    v.changes.markChanged(v.stats);
  }
}

interface SummaryPlan {
  readonly which: readonly string[] | "all" | undefined;
  readonly entries: readonly { readonly name: string; readonly family: NonNullable<Model["variables"][string]["family"]>; readonly eta: Float64Array; readonly gradient: GradientFit | null; readonly scalar: boolean }[] | null;
}

/** A summaries record frozen through. */
function deepFreezeSummaries(out: Record<string, PosteriorSummary>): Readonly<Record<string, PosteriorSummary>> {
  for (const k of Object.keys(out)) {
    const s = out[k]!;
    Object.freeze(s.mean);
    Object.freeze(s.variance);
    Object.freeze(s);
  }
  return Object.freeze(out);
}
