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
import { updateVariable, sumMessages } from "../engine/update.js";
import { elbo as fullElbo } from "../engine/elbo.js";
import { monteCarloElbo } from "../engine/mc-elbo.js";
import { needsGradient } from "../engine/gradient.js";
import { isDensityNode } from "@vireo/nodes";
import type { CompiledState, VariableState } from "../engine/state.js";
import type { Posterior } from "../engine/posterior.js";
import { MinibatchRunner, type LocalStepOptions } from "./minibatch-runner.js";
import { restoreRunner } from "./svi-engine.js";
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
}

export interface OnlineStepReport {
  readonly step: number;
  /** Rows in this batch (of each data plate). */
  readonly rows: Readonly<Record<string, number>>;
  /**
   * ELBO of this batch given the posterior so far: a lower bound on log p(batch | earlier
   * batches), exact (the log predictive) for conjugate models.
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

export class OnlineEngine {
  readonly runner: MinibatchRunner;
  readonly forgetting: number;
  /** Most CAVI sweeps per batch. */
  readonly maxIterations: number;
  /** Relative ELBO change that ends a batch's sweeps. */
  readonly tolerance: number;
  /** A per global: the discounted sum of earlier batches' messages. */
  private readonly evidence: Map<string, Float64Array>;
  private t = 0;

  constructor(model: Model, options: OnlineOptions = {}) {
    checkOnlineOptions(model, options, true);
    this.forgetting = options.forgetting ?? 1;
    this.maxIterations = options.maxIterations ?? 200;
    this.tolerance = options.tolerance ?? 1e-10;
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
    const bound = this.runner.bind(batch);
    const saved = this.runner.started ? this.runner.saveGlobals() : null;
    try {
      const state = this.runner.prepare(bound);
      const globals = this.runner.globalStates(state);
      const updateGlobals = () => {
        for (const g of globals) updateVariable(g, false, { extra: this.evidence.get(g.name)! });
      };
      const first = this.t === 0;
      const trace: number[] = [];
      for (let sweep = 0; sweep < this.maxIterations; sweep++) {
        // First batch: globals first, from the random local start (CAVI order, breaks symmetry);
        // later batches: locals first, from the posterior so far.
        if (first) {
          updateGlobals();
          this.runner.localStep(state, false);
        } else {
          this.runner.localStep(state, false);
          updateGlobals();
        }
        const value = this.batchElbo(state, globals);
        const prev = trace[trace.length - 1];
        trace.push(value);
        // With gradient-fitted variables the ELBO is noisy: the batch runs all its sweeps.
        if (!state.stochastic && prev !== undefined && Math.abs(value - prev) <= this.tolerance * Math.abs(value)) break;
      }
      // Fold this batch's evidence into A, discounting what came before.
      for (const g of globals) {
        const a = this.evidence.get(g.name)!, msg = new Float64Array(a.length);
        sumMessages(g, msg, undefined, (f) => this.runner.isDataFactor(f));
        for (let i = 0; i < a.length; i++) a[i] = this.forgetting * (a[i]! + msg[i]!);
      }
      this.t++;
      return { step: this.t, rows: { ...bound.plateSizes }, elbo: trace[trace.length - 1]!, sweeps: trace.length, trace };
    } catch (e) {
      if (saved) this.runner.restoreGlobals(saved);
      throw e;
    }
  }

  /**
   * The batch ELBO with the earlier evidence A acting as part of each global's prior:
   * full ELBO of the batch state + Σ_g [Aᵀ E[T_g] − A(η_prior + A) + A(η_prior)], where η_prior is
   * the sum of the global's messages from factors outside the data plates.
   */
  private batchElbo(state: CompiledState, globals: readonly VariableState[]): number {
    let value = state.stochastic ? monteCarloElbo(state).value : fullElbo(state);
    for (const g of globals) {
      const a = this.evidence.get(g.name)!, fam = g.family!, size = fam.size;
      const prior = new Float64Array(a.length), pa = new Float64Array(size);
      sumMessages(g, prior, undefined, (f) => !this.runner.isDataFactor(f));
      for (let i = 0; i < g.count; i++) {
        const o = i * size, p = prior.subarray(o, o + size), ai = a.subarray(o, o + size);
        let dot = 0;
        for (let j = 0; j < size; j++) dot += ai[j]! * g.stats[o + j]!;
        for (let j = 0; j < size; j++) pa[j] = p[j]! + ai[j]!;
        value += dot - fam.logPartition(pa) + fam.logPartition(p);
      }
    }
    return value;
  }

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
  }
}
