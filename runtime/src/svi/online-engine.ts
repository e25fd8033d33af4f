/**
 * Online (streaming) variational Bayes for unbounded streams (Broderick et al. 2013): the
 * posterior after each batch is the prior for the next. Each global keeps the summed evidence
 * of earlier batches, A (natural parameters); a batch is fitted by CAVI with that evidence added
 * to the global's prior, then A ← γ (A + this batch's evidence). γ = 1 (no forgetting) makes the
 * result exact for conjugate models, whatever the partition into batches; γ < 1 discounts old
 * batches geometrically so that a drifting process can be tracked.
 */
import { VireoError, type GeneratorState } from "@vireo/core";
import type { Model } from "../model/spec.js";
import type { DataBinding } from "../engine/bind.js";
import { updateVariable, completeUpdate, type UpdateOptions } from "../engine/update.js";
import { elbo as fullElbo } from "../engine/elbo.js";
import { monteCarloElbo } from "../engine/mc-elbo.js";
import { needsGradient } from "../engine/gradient.js";
import { isDensityNode, type MessageRule, type NodeContext } from "@vireo/nodes";
import type { CompiledState, VariableState, Neighbour } from "../engine/state.js";
import type { Posterior } from "../engine/posterior.js";
import { MinibatchRunner, type LocalStepOptions } from "./minibatch-runner.js";
import { restoreRunner } from "./svi-engine.js";
import type { Deferred } from "./online-capture.js";
import type { BoundData } from "../engine/bind.js";
import { checkOnlineOptions } from "../engine/options.js";

export interface OnlineOptions extends LocalStepOptions {
  /** γ ∈ (0, 1]: weight kept by earlier batches' evidence at each new batch (default 1: none forgotten). */
  readonly forgetting?: number;
  /** Most CAVI sweeps per batch (default 200). */
  readonly maxIterations?: number;
  /** Stop a batch's sweeps when the relative ELBO change is below this (default 1e-10). */
  readonly tolerance?: number;
  /** Seed for the locals' random starts (default 0). */
  readonly seed?: number;
  /**
   * Evaluate the batch ELBO on every k-th batch (default 1: every batch; 0: never). Other batches
   * report NaN, which saves one evaluation per batch where a single closed-form update fits the
   * batch; batches that need several sweeps evaluate it for their stopping rule and report it.
   */
  readonly elboEvery?: number;
}

export interface OnlineStepReport {
  readonly step: number;
  /** Rows in this batch (of each data plate). */
  readonly rows: Readonly<Record<string, number>>;
  /**
   * ELBO of this batch given the posterior so far: a lower bound on log p(batch | earlier
   * batches), exact (the log predictive) for conjugate models. NaN on a batch where it was
   * not evaluated (see OnlineOptions.elboEvery).
   */
  readonly elbo: number;
  readonly sweeps: number;
  /** ELBO after each sweep of this batch (never decreasing). */
  readonly trace: readonly number[];
}

export interface OnlineProgress {
  readonly kind: "online";
  readonly t: number;
  readonly forgetting: number;
  /** Accumulated evidence per global variable. */
  readonly evidence: Readonly<Record<string, Float64Array>>;
}

/** How one global is updated in a compiled state: its factors split into priors and this batch's data. */
interface GlobalPlan {
  readonly v: VariableState;
  /** A: the discounted evidence of earlier batches (the engine's own buffer). */
  readonly evidence: Float64Array;
  /** Factors outside the data plates, and those inside (this batch's evidence). */
  readonly priorNeighbours: readonly Neighbour[];
  readonly dataNeighbours: readonly Neighbour[];
  /** Whether the prior messages are fixed (every other edge of those factors known): summed once. */
  readonly priorConstant: boolean;
  readonly closedForm: boolean;
  /** Σ prior messages, and A(η_prior) per instance when fixed. */
  readonly prior: Float64Array;
  readonly priorLogPartition: Float64Array;
  /** Σ this batch's messages at the latest update. */
  readonly data: Float64Array;
  /** Scratch: η_prior + A of one instance. */
  readonly pa: Float64Array;
  /** Update options of a gradient-fitted global. */
  readonly options: UpdateOptions;
  /** The data neighbours' message rules and their contexts, in arrays (the per-batch loop). */
  readonly dataRules: readonly MessageRule[];
  readonly dataContexts: readonly NodeContext[];
  /** η before this batch, restored if the update fails. */
  readonly saved: Float64Array;
}

interface BatchPlan {
  readonly state: CompiledState;
  readonly globals: readonly GlobalPlan[];
  readonly locals: number;
  /** One closed-form, undamped global on its factors once each and no locals: one update is exact. */
  readonly single: boolean;
  /** The bound data's fields and their sizes, for copies kept by a deferred ELBO (made on first use). */
  capture: { readonly names: readonly string[]; readonly lengths: readonly number[]; readonly size: number; data: BoundData | null; arrays: Float64Array[] } | null;
}

/**
 * Most numbers a batch's deferred ELBO copies (η, earlier evidence, bound data); a larger batch
 * evaluates its ELBO at once (the evaluation is then cheap beside the batch, while a copy and its
 * garbage per batch are not, and a kept snapshot does not hold a copy of the batch).
 */
const MAX_DEFERRED_COPY = 64;

/** The trace of a batch whose ELBO was not evaluated (shared). */
const NO_TRACE: number[] = Object.freeze([]) as unknown as number[];

/** out ← Σ of the neighbours' messages. */
function sumInto(neighbours: readonly Neighbour[], out: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = 0;
  for (const nb of neighbours) nb.rule(nb.factor.ctx, out);
}

export class OnlineEngine {
  readonly runner: MinibatchRunner;
  readonly forgetting: number;
  /** Most CAVI sweeps per batch. */
  readonly maxIterations: number;
  /** Relative ELBO change that ends a batch's sweeps. */
  readonly tolerance: number;
  /** The batch ELBO is evaluated on every k-th batch (0: only where the stopping rule needs it). */
  readonly elboEvery: number;
  /** A per global: the discounted sum of earlier batches' messages. */
  private readonly evidence: Map<string, Float64Array>;
  private t = 0;

  constructor(model: Model, options: OnlineOptions = {}) {
    checkOnlineOptions(model, options, true);
    this.forgetting = options.forgetting ?? 1;
    this.maxIterations = options.maxIterations ?? 200;
    this.tolerance = options.tolerance ?? 1e-10;
    this.elboEvery = options.elboEvery ?? 1;
    if (!(this.forgetting > 0 && this.forgetting <= 1)) throw new VireoError("INVALID_OPTION", `online: forgetting must be in (0, 1], got ${this.forgetting}.`);
    if (!(Number.isInteger(this.maxIterations) && this.maxIterations >= 1)) throw new VireoError("INVALID_OPTION", `online: maxIterations must be a positive integer, got ${this.maxIterations}.`);
    this.runner = new MinibatchRunner(model, options.seed ?? 0, options);
    // A global's earlier evidence is kept as natural parameters: a density factor's is not one.
    for (const n of this.runner.globalNames) {
      const v = model.variables[n]!;
      if (!needsGradient(model, v)) continue;
      const f = model.factors.find((f) => isDensityNode(f.type) && f.plate !== null && model.plates[f.plate]!.size === null && Object.values(f.edges).some((b) => b.variable === n));
      if (f) {
        throw new VireoError(
          "INVALID_MODEL",
          `online: gradient-fitted global '${n}' is touched by density factor '${f.name}' in a data plate; online updating keeps earlier batches' evidence as natural parameters, which a density factor does not give. Use svi() for this model, or connect '${n}' to the data through conjugate nodes.`,
          { variable: n, node: f.name },
        );
      }
    }
    this.evidence = new Map([...this.runner.globals].map(([n, g]) => [n, new Float64Array(g.eta.length)]));
  }

  get steps(): number {
    return this.t;
  }

  /** Fits one batch; bad data throws before anything changes, a failure mid-fit restores the state. */
  step(batch: DataBinding): OnlineStepReport {
    const elbo = this.stepInPlace(batch);
    const trace = this.trace ?? (Number.isNaN(elbo) ? NO_TRACE : [elbo]);
    return { step: this.t, rows: this.rowsOfLast, elbo, sweeps: this.sweepsOfLast, trace };
  }

  /**
   * step() without its report record (what the online() operator calls: it builds its own
   * snapshot): returns the batch ELBO (NaN where not evaluated); `lastRows` and `lastSweeps`
   * describe the batch. Nothing is allocated on the path of a single closed-form global.
   */
  stepInPlace(batch: DataBinding): number {
    return this.stepWith(batch, false);
  }

  /**
   * stepInPlace() that may defer the batch ELBO (what the online() operator calls): on a batch
   * fitted by a single closed-form update whose ELBO is due, it copies what the ELBO depends on
   * (the global's η and earlier evidence, the bound data: a few numbers for a small batch) and
   * returns NaN; takeDeferredElbo() then hands over the ELBO, computed from those copies when
   * first read, equal to the one stepInPlace() would have returned.
   */
  stepDeferringElbo(batch: DataBinding): number {
    return this.stepWith(batch, true);
  }

  /** The deferred ELBO of the latest batch (null where it was computed or not due); cleared by the call. */
  takeDeferredElbo(): Deferred<number> | null {
    const d = this.deferred;
    this.deferred = null;
    return d;
  }
  private deferred: Deferred<number> | null = null;

  private stepWith(batch: DataBinding, defer: boolean): number {
    this.deferred = null;
    this.generation++;
    const runner = this.runner;
    if (!runner.started) return this.generalStep(runner.prepare(runner.bind(batch)), null);
    // Validates (and, for a plain batch of the last shape, binds in place) before any change.
    const state = runner.prepareBatch(batch);
    const plan = this.planFor(state);
    return plan.single ? this.singleStep(state, plan, plan.globals[0]!, defer) : this.generalStep(state, runner.saveGlobalsInPlace());
  }

  /** Rows of each data plate in the latest batch (a frozen record shared while the shape lasts). */
  get lastRows(): Readonly<Record<string, number>> {
    return this.rowsOfLast;
  }

  /** CAVI sweeps of the latest batch. */
  get lastSweeps(): number {
    return this.sweepsOfLast;
  }

  private rowsOfLast: Readonly<Record<string, number>> = Object.freeze({});
  private sweepsOfLast = 0;
  /** The latest batch's ELBO trace; null when it is [elbo] (or empty where not evaluated), made only if asked. */
  private trace: number[] | null = null;

  /**
   * One closed-form global and no locals: a single update is the batch's exact optimum. A fixed
   * plan (made once per compiled state): its own copy of η to restore, the data factors' rules in
   * arrays, the prior's messages summed once, and A folded from this update's data messages.
   */
  private singleStep(state: CompiledState, plan: BatchPlan, g: GlobalPlan, defer: boolean): number {
    const v = g.v, eta = v.eta, saved = g.saved;
    for (let i = 0; i < eta.length; i++) saved[i] = eta[i]!;
    try {
      this.updateClosedForm(g);
      const wantElbo = this.elboEvery > 0 && (this.t + 1) % this.elboEvery === 0;
      let value = NaN;
      if (wantElbo) {
        const copy = defer ? this.copyForElbo(state, plan, g) : null;
        if (copy !== null) this.deferred = new DeferredElbo(this, this.generation, plan, plan.capture!.names, plan.capture!.lengths, state.data.plateSizes, g.v.name, g.v.eta.length, copy);
        else value = this.batchElbo(state, plan);
      }
      const a = g.evidence, msg = g.data, gamma = this.forgetting;
      for (let i = 0; i < a.length; i++) a[i] = gamma * (a[i]! + msg[i]!);
      this.t++;
      this.sweepsOfLast = 1;
      this.trace = null;
      this.rowsOfLast = this.runner.rows(state);
      return value;
    } catch (e) {
      for (let i = 0; i < eta.length; i++) eta[i] = saved[i]!;
      v.family!.expectedStatsRows(eta, v.stats, v.count);
      v.changes.markChanged(v.stats);
      throw e;
    }
  }

  /** CAVI sweeps over a batch's locals and globals until the batch ELBO settles. */
  private generalStep(s: CompiledState, saved: ReadonlyMap<string, Float64Array> | null): number {
    try {
      const plan = this.planFor(s);
      const first = this.t === 0, wantElbo = this.elboEvery > 0 && (this.t + 1) % this.elboEvery === 0;
      let value = NaN, sweeps = 0, trace: number[];
      if (plan.single) {
        // One closed-form global and no locals: one update is the batch's exact optimum.
        this.updateGlobals(plan);
        sweeps = 1;
        if (wantElbo) value = this.batchElbo(s, plan);
        trace = wantElbo ? [value] : NO_TRACE;
      } else {
        trace = [];
        for (let sweep = 0; sweep < this.maxIterations; sweep++) {
          // First batch: globals first, from the random local start (CAVI order, breaks symmetry);
          // later batches: locals first, from the posterior so far.
          if (first) {
            this.updateGlobals(plan);
            this.runner.localStep(s, false);
          } else {
            this.runner.localStep(s, false);
            this.updateGlobals(plan);
          }
          const prev = value;
          value = this.batchElbo(s, plan);
          trace.push(value);
          sweeps++;
          // With gradient-fitted variables the ELBO is noisy: the batch runs all its sweeps.
          if (!s.stochastic && sweep > 0 && Math.abs(value - prev) <= this.tolerance * Math.abs(value)) break;
        }
      }
      // Fold this batch's evidence into A, discounting what came before.
      const fresh = plan.globals.length === 1 && plan.globals[0]!.closedForm && (plan.locals === 0 || !first);
      for (const g of plan.globals) {
        if (!fresh) sumInto(g.dataNeighbours, g.data);
        const a = g.evidence, msg = g.data, gamma = this.forgetting;
        for (let i = 0; i < a.length; i++) a[i] = gamma * (a[i]! + msg[i]!);
      }
      this.t++;
      this.sweepsOfLast = sweeps;
      this.trace = trace;
      this.rowsOfLast = this.runner.rows(s);
      return value;
    } catch (e) {
      if (saved) this.runner.restoreGlobals(saved);
      throw e;
    }
  }

  /** Every global's update, with the earlier evidence A added to its messages. */
  private updateGlobals(plan: BatchPlan): void {
    for (const g of plan.globals) {
      if (g.closedForm) this.updateClosedForm(g);
      else updateVariable(g.v, false, g.options);
    }
  }

  /** η = Σ prior messages + Σ this batch's messages + A; the batch's part is kept (g.data) for the fold. */
  private updateClosedForm(g: GlobalPlan): void {
    const v = g.v, step = v.damping, previous = step < 1 ? v.scratch.previous : null;
    if (previous !== null) previous.set(v.eta);
    if (!g.priorConstant) sumInto(g.priorNeighbours, g.prior);
    const data = g.data, rules = g.dataRules, contexts = g.dataContexts;
    for (let i = 0; i < data.length; i++) data[i] = 0;
    for (let k = 0; k < rules.length; k++) rules[k]!(contexts[k]!, data);
    const eta = v.eta, prior = g.prior, a = g.evidence;
    for (let i = 0; i < eta.length; i++) eta[i] = prior[i]! + data[i]! + a[i]!;
    completeUpdate(v, false, previous, step);
  }

  /**
   * The batch ELBO with the earlier evidence A acting as part of each global's prior:
   * full ELBO of the batch state + Σ_g [Aᵀ E[T_g] − A(η_prior + A) + A(η_prior)], where η_prior is
   * the sum of the global's messages from factors outside the data plates.
   */
  private batchElbo(state: CompiledState, plan: BatchPlan): number {
    let value = state.stochastic ? monteCarloElbo(state).value : fullElbo(state);
    for (const g of plan.globals) {
      const v = g.v, a = g.evidence, fam = v.family!, size = fam.size, pa = g.pa, prior = g.prior;
      if (!g.priorConstant || !g.closedForm) sumInto(g.priorNeighbours, prior);
      for (let i = 0; i < v.count; i++) {
        const o = i * size, p = v.count === 1 ? prior : prior.subarray(o, o + size);
        let dot = 0;
        for (let j = 0; j < size; j++) dot += a[o + j]! * v.stats[o + j]!;
        for (let j = 0; j < size; j++) pa[j] = prior[o + j]! + a[o + j]!;
        const priorA = g.priorConstant && g.closedForm ? g.priorLogPartition[i]! : fam.logPartition(p);
        value += dot - fam.logPartition(pa) + priorA;
      }
    }
    return value;
  }

  /**
   * [η, A, bound data…] of a one-update batch, copied for its deferred ELBO (before A takes in
   * this batch); null when the copy would be large (the ELBO is then evaluated at once).
   */
  private copyForElbo(state: CompiledState, plan: BatchPlan, g: GlobalPlan): Float64Array | null {
    let capture = plan.capture;
    if (capture === null) {
      const names = Object.keys(state.data.values), lengths = names.map((n) => state.data.values[n]!.length);
      capture = plan.capture = { names, lengths, size: 2 * g.v.eta.length + lengths.reduce((s, n) => s + n, 0), data: null, arrays: [] };
    }
    if (capture.size > MAX_DEFERRED_COPY) return null;
    // The bound arrays, looked up again only when the binding record changes (the in-place
    // binding of a stream of equal-shaped batches keeps one).
    if (capture.data !== state.data) {
      capture.arrays = capture.names.map((name) => state.data.values[name]!);
      capture.data = state.data;
    }
    const copy = new Float64Array(capture.size), eta = g.v.eta, a = g.evidence, n = eta.length;
    for (let i = 0; i < n; i++) copy[i] = eta[i]!;
    for (let i = 0; i < n; i++) copy[n + i] = a[i]!;
    let o = 2 * n;
    const arrays = capture.arrays;
    for (let f = 0; f < arrays.length; f++) {
      const x = arrays[f]!;
      for (let i = 0; i < x.length; i++) copy[o + i] = x[i]!;
      o += x.length;
    }
    return copy;
  }

  /**
   * The ELBO of an earlier one-update batch from its copies: its data bound into a state of the
   * engine's own evaluator (a second runner, so the live state is left alone), the global's η and
   * earlier evidence restored, and the same batchElbo as at the batch itself.
   */
  evaluateCopied(generation: number, livePlan: BatchPlan, names: readonly string[], lengths: readonly number[], plateSizes: Readonly<Record<string, number>>, global: string, n: number, copy: Float64Array): number {
    if (generation === this.generation && this.plan === livePlan) {
      // Nothing has happened since that batch (the usual case: a snapshot read as it arrives): the
      // live state still holds its data, η and statistics; only A has taken in the batch since.
      // The ELBO is evaluated there with A as it was before the batch, then A is put back.
      const a = livePlan.globals[0]!.evidence;
      let k = this.keptEvidence;
      if (k === null || k.length !== n) k = this.keptEvidence = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        k[i] = a[i]!;
        a[i] = copy[n + i]!;
      }
      try {
        return this.batchElbo(livePlan.state, livePlan);
      } finally {
        for (let i = 0; i < n; i++) a[i] = k[i]!;
      }
    }
    const runner = (this.evaluator ??= new MinibatchRunner(this.runner.model, 0, {}));
    const values: Record<string, Float64Array> = Object.create(null);
    let o = 2 * n;
    for (let f = 0; f < names.length; f++) {
      // Own copies: a compiled state may keep the arrays it is given as its buffers.
      values[names[f]!] = copy.slice(o, o + lengths[f]!);
      o += lengths[f]!;
    }
    const bound: BoundData = { plateSizes, values };
    const state = runner.prepare(bound);
    runner.restoreGlobals(new Map([[global, copy.subarray(0, n)]]));
    const evidence = (this.evaluatorEvidence ??= new Map([...this.evidence].map(([k, a]) => [k, new Float64Array(a.length)])));
    evidence.get(global)!.set(copy.subarray(n, 2 * n));
    if (this.evaluatorPlan === null || this.evaluatorPlan.state !== state) this.evaluatorPlan = this.makePlan(state, runner, evidence);
    return this.batchElbo(state, this.evaluatorPlan);
  }
  private evaluator: MinibatchRunner | null = null;
  /** Counts steps and restores: a deferred ELBO of the current generation may use the live state. */
  private generation = 0;
  private keptEvidence: Float64Array | null = null;
  private evaluatorEvidence: Map<string, Float64Array> | null = null;
  private evaluatorPlan: BatchPlan | null = null;

  /** The plan of a compiled state's globals (made once per state: states are reused across batches). */
  private planFor(state: CompiledState): BatchPlan {
    if (this.plan !== null && this.plan.state === state) return this.plan;
    return (this.plan = this.makePlan(state, this.runner, this.evidence));
  }

  private makePlan(state: CompiledState, runner: MinibatchRunner, evidenceOf: ReadonlyMap<string, Float64Array>): BatchPlan {
    const globals = runner.globalStates(state).map((v): GlobalPlan => {
      const priorNeighbours = v.neighbours.filter((nb) => !runner.isDataFactor(nb.factor));
      const dataNeighbours = v.neighbours.filter((nb) => runner.isDataFactor(nb.factor));
      // A prior message is fixed when everything else on its factor is known (and v sits on it once).
      const priorConstant = priorNeighbours.every((nb) => {
        const edges = nb.factor.spec.type.edges;
        return edges.every((e) => e.name === nb.edge || (nb.factor.ctx.edges[e.name]!.known && nb.factor.spec.edges[e.name]!.variable !== v.name));
      });
      const evidence = evidenceOf.get(v.name)!, size = v.family!.size;
      const prior = new Float64Array(v.eta.length), priorLogPartition = new Float64Array(v.count);
      const closedForm = v.gradient === null;
      if (priorConstant) {
        sumInto(priorNeighbours, prior);
        for (let i = 0; i < v.count; i++) priorLogPartition[i] = v.family!.logPartition(prior.subarray(i * size, (i + 1) * size));
      }
      return {
        v, evidence, priorNeighbours, dataNeighbours, priorConstant, closedForm, prior, priorLogPartition,
        data: new Float64Array(v.eta.length), pa: new Float64Array(size), options: { extra: evidence },
        dataRules: dataNeighbours.map((nb) => nb.rule), dataContexts: dataNeighbours.map((nb) => nb.factor.ctx), saved: new Float64Array(v.eta.length),
      };
    });
    const locals = runner.localStates(state).length;
    const g = globals[0];
    const single = locals === 0 && globals.length === 1 && g!.closedForm && g!.v.damping === 1 && !state.stochastic &&
      g!.v.neighbours.every((nb) => Object.values(nb.factor.spec.edges).filter((b) => b.variable === g!.v.name).length === 1);
    return { state, globals, locals, single, capture: null };
  }
  private plan: BatchPlan | null = null;

  posteriors(): Record<string, Posterior> {
    return this.runner.posteriors();
  }

  progress(): OnlineProgress {
    return { kind: "online", t: this.t, forgetting: this.forgetting, evidence: Object.fromEntries([...this.evidence].map(([n, a]) => [n, a.slice()])) };
  }

  restore(globals: Readonly<Record<string, Float64Array>>, progress: OnlineProgress, generator: GeneratorState): void {
    if (progress.forgetting !== this.forgetting) {
      throw new VireoError("INVALID_CHECKPOINT", `online: the checkpoint was made with forgetting ${progress.forgetting}, this engine has ${this.forgetting}.`);
    }
    for (const [n, a] of this.evidence) {
      const e = progress.evidence[n];
      if (!(e instanceof Float64Array) || e.length !== a.length) throw new VireoError("INVALID_CHECKPOINT", `online: evidence for '${n}' needs ${a.length} numbers.`, { variable: n });
    }
    restoreRunner(this.runner, globals, generator);
    for (const [n, a] of this.evidence) a.set(progress.evidence[n]!);
    this.t = progress.t;
    this.generation++;
  }
}

/** A one-update batch's ELBO, computed from its copies on first read (OnlineEngine.stepDeferringElbo). */
class DeferredElbo implements Deferred<number> {
  private computed: number | null = null;

  constructor(
    private readonly engine: OnlineEngine,
    private readonly generation: number,
    private readonly plan: BatchPlan,
    private readonly names: readonly string[],
    private readonly lengths: readonly number[],
    private readonly plateSizes: Readonly<Record<string, number>>,
    private readonly global: string,
    private readonly n: number,
    private readonly copy: Float64Array,
  ) {}

  value(): number {
    return (this.computed ??= this.engine.evaluateCopied(this.generation, this.plan, this.names, this.lengths, this.plateSizes, this.global, this.n, this.copy));
  }
}
