/**
 * The reliability catalogue: one row per kind of bad input across the public API. Each row runs
 * one call that must fail with a VireoError of a given code whose message names the culprit (the
 * variable, node, edge, batch, row, field or option), never another exception, a silent wrong
 * answer or a hang. Rows that return an Observable are subscribed to and must error.
 */
import { Observable, lastValueFrom } from "rxjs";
import { Normal, Gamma, Beta, Bernoulli, Poisson, Categorical, Dirichlet, MvNormal, type VireoErrorCode } from "@vireo/core";
import { NormalNode, GammaNode, BetaNode, BernoulliNode, PoissonNode, CategoricalNode, DirichletNode, MvNormalNode, GaussianLinearNode } from "@vireo/nodes";
import { ModelBuilder, type Model, type DataBinding } from "@vireo/runtime";

export interface Row {
  /** Area and kind, e.g. "data/null in a scalar column". */
  readonly id: string;
  /** The call under test: throws, returns a rejecting promise, or returns an Observable that errors. */
  readonly run: () => unknown;
  readonly code: VireoErrorCode;
  /** Every one of these must appear in the message (the culprit and what to do). */
  readonly names: readonly (string | RegExp)[];
}

/** Runs a row's call to its first error (awaiting promises and subscribing to observables). */
export async function failureOf(run: () => unknown): Promise<unknown> {
  try {
    const out = run();
    if (out instanceof Observable) await lastValueFrom(out, { defaultValue: undefined });
    else if (out instanceof Promise) await out;
  } catch (e) {
    return e;
  }
  return undefined;
}

/** The conjugate Normal model of the README: mu ~ N(0, 0.01⁻¹), tau ~ Gamma(1, 1), y ~ N(mu, tau). */
export function normalModel(names: { mu?: string; tau?: string; y?: string; rows?: string } = {}): Model {
  const m = new ModelBuilder();
  const rows = m.plate(names.rows ?? "rows");
  const mu = m.random(names.mu ?? "mu", Normal);
  const tau = m.random(names.tau ?? "tau", Gamma);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
  m.factor(GammaNode, { out: tau, shape: 1, rate: 1 });
  m.factor(NormalNode, { out: m.observed(names.y ?? "y", Normal, { plate: rows }), mean: mu, precision: tau });
  return m.build();
}

/** Known precision: mu ~ N(0, 1), y ~ N(mu, 1) (one global, exact posterior). */
export function normalMeanModel(): Model {
  const m = new ModelBuilder();
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 1 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: m.plate("rows") }), mean: mu, precision: 1 });
  return m.build();
}

/** A model per observed family, with good data and the one data variable and its width. */
export interface DataCase {
  readonly name: string;
  readonly model: () => Model;
  readonly data: DataBinding;
  readonly variable: string;
  readonly width: number;
}

export const dataCases: readonly DataCase[] = [
  { name: "Normal", model: () => normalModel(), data: { y: [1, 2, 3] }, variable: "y", width: 1 },
  {
    name: "Bernoulli",
    model: () => {
      const m = new ModelBuilder();
      const p = m.random("p", Beta);
      m.factor(BetaNode, { out: p, a: 1, b: 1 });
      m.factor(BernoulliNode, { out: m.observed("flips", Bernoulli, { plate: m.plate("rows") }), p });
      return m.build();
    },
    data: { flips: [1, 0, 1] }, variable: "flips", width: 1,
  },
  {
    name: "Poisson",
    model: () => {
      const m = new ModelBuilder();
      const rate = m.random("rate", Gamma);
      m.factor(GammaNode, { out: rate, shape: 1, rate: 1 });
      m.factor(PoissonNode, { out: m.observed("counts", Poisson, { plate: m.plate("rows") }), rate });
      return m.build();
    },
    data: { counts: [3, 0, 5] }, variable: "counts", width: 1,
  },
  {
    name: "Categorical",
    model: () => {
      const m = new ModelBuilder();
      const p = m.random("p", Dirichlet(3));
      m.factor(DirichletNode, { out: p, alpha: [1, 1, 1] });
      m.factor(CategoricalNode, { out: m.observed("label", Categorical(3), { plate: m.plate("rows") }), p });
      return m.build();
    },
    data: { label: [0, 2, 1] }, variable: "label", width: 1,
  },
  {
    name: "MvNormal(2)",
    model: () => {
      const m = new ModelBuilder();
      const mu = m.random("centre", MvNormal(2));
      m.factor(MvNormalNode, { out: mu, mean: [0, 0], precision: [1, 0, 0, 1] });
      m.factor(MvNormalNode, { out: m.observed("points", MvNormal(2), { plate: m.plate("rows") }), mean: mu, precision: [1, 0, 0, 1] });
      return m.build();
    },
    data: { points: [[1, 2], [3, 4], [5, 6]] }, variable: "points", width: 2,
  },
  {
    name: "regression input",
    model: () => {
      const m = new ModelBuilder();
      const rows = m.plate("rows");
      const w = m.random("w", MvNormal(2));
      m.factor(MvNormalNode, { out: w, mean: [0, 0], precision: [1, 0, 0, 1] });
      m.factor(GaussianLinearNode, { out: m.observed("target", Normal, { plate: rows }), w, x: m.input("covariates", { plate: rows, size: 2 }), precision: 1 });
      return m.build();
    },
    data: { target: [1, 2, 3], covariates: [[1, 0], [1, 1], [1, 2]] }, variable: "covariates", width: 2,
  },
];

/** `good` with row 1 of `variable` replaced by `cell` (the whole row for vector variables). */
export function withBadCell(c: DataCase, cell: unknown): DataBinding {
  const rows = (c.data[c.variable] as readonly unknown[]).map((r) => (Array.isArray(r) ? r.slice() : r));
  if (c.width === 1) rows[1] = cell;
  else (rows[1] as unknown[])[1] = cell;
  return { ...c.data, [c.variable]: rows } as unknown as DataBinding;
}
