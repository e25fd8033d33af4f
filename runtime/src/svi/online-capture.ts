/**
 * What a lazy online snapshot keeps of its batch. A snapshot's ELBO and posterior summaries are
 * computed on first read, from copies of the numbers they depend on taken when the batch was
 * fitted (the engine has moved on by then): the globals' natural parameters for the summaries;
 * for the ELBO of a one-update batch, also the global's earlier evidence and the batch's bound
 * data. Copying a handful of numbers costs far less than evaluating an ELBO and building frozen
 * summary records on every batch of a stream nobody reads every snapshot of.
 */
import type { ExponentialFamily } from "@vireo/core";
import type { Model } from "../model/spec.js";
import { summaryOf, type PosteriorSummary } from "../engine/posterior.js";
import { needsGradient } from "../engine/gradient.js";
import type { MinibatchRunner } from "./minibatch-runner.js";

/** A value computed on first request from what was copied at its batch, then kept. */
export interface Deferred<T> {
  value(): T;
}

interface SummaryEntry {
  readonly name: string;
  readonly family: ExponentialFamily;
  /** The global's live natural parameters (copied at capture). */
  readonly eta: Float64Array;
  /** Where its copy starts in a capture. */
  readonly offset: number;
  /** One instance of a family with scalar mean and variance. */
  readonly scalar: boolean;
}

/**
 * Summaries of a fixed list of closed-form globals, copied per batch into one Float64Array and
 * built (frozen through) on first read: the same records MinibatchRunner.frozenSummaries builds.
 */
export class SummaryCapture {
  private readonly entries: readonly SummaryEntry[];
  private readonly total: number;

  private constructor(entries: readonly SummaryEntry[], total: number) {
    this.entries = entries;
    this.total = total;
  }

  /**
   * The capture plan for `which`, or null where summaries must be built eagerly (an unknown name,
   * which the eager path reports; a gradient-fitted global or one with coupled rows, whose
   * summary is not a function of η alone).
   */
  static plan(runner: MinibatchRunner, which: readonly string[] | "all" | undefined): SummaryCapture | null {
    const model: Model = runner.model;
    const names = which === undefined || which === "all" ? runner.globalNames : which;
    if (names.includes("__proto__") || names.some((n) => !runner.globals.has(n))) return null;
    const entries: SummaryEntry[] = [];
    let total = 0;
    for (const name of names) {
      const g = runner.globals.get(name)!, spec = model.variables[name]!, family = spec.family!;
      if (needsGradient(model, spec) || family.coupledRows) return null;
      const scalar = g.eta.length === family.size && typeof family.mean(family.startingPoint()) === "number" && typeof family.variance(family.startingPoint()) === "number";
      entries.push({ name, family, eta: g.eta, offset: total, scalar });
      total += g.eta.length;
    }
    return new SummaryCapture(entries, total);
  }

  /** Copies the globals' natural parameters now; the summaries are built from the copy when first read. */
  capture(): Deferred<Readonly<Record<string, PosteriorSummary>>> {
    const copy = new Float64Array(this.total), entries = this.entries;
    for (let e = 0; e < entries.length; e++) {
      const eta = entries[e]!.eta, o = entries[e]!.offset;
      for (let i = 0; i < eta.length; i++) copy[o + i] = eta[i]!;
    }
    return new DeferredSummaries(entries, copy);
  }
}

export class DeferredSummaries implements Deferred<Readonly<Record<string, PosteriorSummary>>> {
  private built: Readonly<Record<string, PosteriorSummary>> | null = null;

  constructor(private readonly entries: readonly SummaryEntry[], private readonly copy: Float64Array) {}

  value(): Readonly<Record<string, PosteriorSummary>> {
    return (this.built ??= this.build());
  }

  private build(): Readonly<Record<string, PosteriorSummary>> {
    const out: Record<string, PosteriorSummary> = {};
    for (const e of this.entries) {
      // One global: its copy is the whole array (a view costs more than the summary itself).
      const eta = e.eta.length === this.copy.length ? this.copy : this.copy.subarray(e.offset, e.offset + e.eta.length);
      let s: PosteriorSummary;
      if (e.scalar) {
        const m = e.family.mean(eta) as number, v = e.family.variance(eta) as number;
        s = { variable: e.name, family: e.family.key, count: 1, mean: Object.freeze([m]), variance: Object.freeze([v]) };
      } else {
        s = summaryOf(e.name, e.family, e.eta.length / e.family.size, eta);
        Object.freeze(s.mean);
        Object.freeze(s.variance);
      }
      out[e.name] = Object.freeze(s);
    }
    return Object.freeze(out);
  }
}
