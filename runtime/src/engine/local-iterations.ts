/**
 * Inner iterations over the plate-local variables (θ_d and z_n of LDA), with the globals held
 * fixed: SVI's local step, and CAVI's local block within a sweep. Every update is a coordinate
 * step, so the ELBO never decreases. Iterating the locals of each sweep to convergence is what
 * Hoffman, Blei & Bach's online LDA and scikit-learn's batch LDA do (their E-step); one update per
 * sweep leaves the globals chasing half-fitted locals.
 *
 * Stopping rule: the mean absolute change of the locals' natural parameters, the last local
 * excepted: it is a function of the others and the globals, so it stops changing when they do
 * (for LDA: the mean change of the document Dirichlets' γ, scikit-learn's mean_change_tol). A
 * single local needs one update. Locals shaped like LDA's (θ_d, z_n) iterate document by document
 * instead (engine/document-block.ts): each document until its own parameters stop changing. A gradient-fitted local has no natural parameters in the state:
 * its expected statistics are watched instead.
 */
import type { Generator } from "@vireo/core";
import { initialiseSome, type CompiledState, type VariableState } from "./state.js";
import { updateVariable } from "./update.js";
import { documentBlockPlan, runDocumentBlock, type DocumentBlockPlan } from "./document-block.js";
import type { ThreadPool } from "./threads.js";

export interface LocalIterationOptions {
  /** Most iterations (≥ 1). */
  readonly maxIterations: number;
  /** Stop when the mean absolute change of the watched natural parameters falls below this. */
  readonly tolerance: number;
  /** Locals that persist between runs (CAVI) also try a fresh start per document (engine/document-block.ts). */
  readonly restart?: boolean;
  /** Threads that share the documents of LDA-shaped locals (engine/threads.ts); null or absent: this thread. */
  readonly pool?: ThreadPool | null;
}

export class LocalIterations {
  readonly locals: readonly VariableState[];
  /** Copies of the natural parameters of every local but the last, before an iteration. */
  private readonly before: Float64Array[];
  /** Document-local iterations, when the locals have that shape (engine/document-block.ts). */
  private readonly block: DocumentBlockPlan | null;

  /** A start put off by deferStart, made before the plain sweeps need it (null: none). */
  private pendingStart: (() => void) | null = null;

  constructor(locals: readonly VariableState[], readonly options: LocalIterationOptions) {
    this.locals = locals;
    this.block = documentBlockPlan(locals, options.pool ?? null);
    this.before = locals.slice(0, -1).map((v) => new Float64Array(watched(v).length));
  }

  /**
   * For a batch whose next use is run(): the name of the local the document block writes whole
   * without reading it (the topic assignments z: every row's q comes from θ and the topics), whose
   * start is then made by run() only if the block does not run; null when there is none. The
   * start (from the priors or the family's default, no draws) must not depend on the generator.
   */
  deferStart(state: CompiledState, rng: Generator): string | null {
    const b = this.block?.b;
    if (b === undefined) return null;
    this.pendingStart = () => initialiseSome(state, new Set([b.name]), rng, false);
    return b.name;
  }

  /**
   * Iterates the locals until they stop changing (or the limit); returns the iterations made and
   * the last local's log-normaliser from the last one (when `wantLogNormaliser`).
   */
  run(wantLogNormaliser: boolean): { sweeps: number; logNormaliser: number } {
    const locals = this.locals, before = this.before, last = locals[locals.length - 1];
    if (last === undefined) return { sweeps: 0, logNormaliser: 0 };
    if (this.block !== null) {
      const done = runDocumentBlock(this.block, this.options.maxIterations, this.options.tolerance, wantLogNormaliser, this.options.restart === true);
      if (done !== null) {
        this.pendingStart = null;
        return done;
      }
    }
    if (this.pendingStart !== null) {
      this.pendingStart();
      this.pendingStart = null;
    }
    let logNormaliser = 0;
    for (let sweep = 1; sweep <= this.options.maxIterations; sweep++) {
      for (let i = 0; i < before.length; i++) before[i]!.set(watched(locals[i]!));
      for (const v of locals) logNormaliser = updateVariable(v, wantLogNormaliser && v === last);
      if (locals.length === 1) return { sweeps: 1, logNormaliser };
      let change = 0, n = 0;
      for (let i = 0; i < before.length; i++) {
        const b = before[i]!, now = watched(locals[i]!);
        for (let j = 0; j < b.length; j++) change += Math.abs(now[j]! - b[j]!);
        n += b.length;
      }
      if (change / Math.max(1, n) < this.options.tolerance) return { sweeps: sweep, logNormaliser };
    }
    return { sweeps: this.options.maxIterations, logNormaliser };
  }
}

/** What the stopping rule compares: η, or E[T] for a gradient-fitted variable. */
function watched(v: VariableState): Float64Array {
  return v.gradient !== null ? v.stats : v.eta;
}
