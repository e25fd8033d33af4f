/**
 * A black-box VI model: latent variables, each with a variational family (and optionally a
 * transform to its constrained support), and factors, each touching some variables and computing
 * its log-density either on the autodiff tape or as a plain number.
 *
 * Sugar over the model graph: `bbviModel` validates the spec and builds a ModelBuilder model in
 * which each latent is a gradient-fitted random variable `{ q: family, bijector: transform }` and
 * each factor a density node on the latents it lists (per-batch data reach it as `draw.data`).
 * The graph's Markov blankets (for each variable, the factors that touch it) drive the
 * Rao–Blackwellization of the score-function estimator; `createBbvi` runs the graph's joint
 * gradient (engine/joint-gradient.ts).
 */
import { VireoError, MvNormal, identityTransform, type Tape, type TNode, type Transform, type VariationalFamily } from "@vireo/core";
import { densityNode } from "@vireo/nodes";
import { ModelBuilder, type BuiltModel, type VariableRef } from "../model/builder.js";
import type { EstimatorChoice, TapeValues, NumericValues } from "../engine/estimator.js";
export type { EstimatorChoice, TapeValues, NumericValues } from "../engine/estimator.js";

export interface BbviLatentSpec {
  readonly name: string;
  readonly family: VariationalFamily;
  /** Map from the family's unconstrained draw to the model's variable (default identity). */
  readonly transform?: Transform;
  readonly estimator?: EstimatorChoice;
}


export interface BbviFactorSpec<D = unknown> {
  readonly name: string;
  /** Names of the latent variables the factor touches (its edges). */
  readonly vars: readonly string[];
  /** log f on the tape, from the variables' constrained values (draw `sample` of the step); must return a scalar node. */
  readonly logDensity?: (x: TapeValues, tape: Tape, data: D | undefined, sample: number) => TNode;
  /** log f as a number; enough when none of the factor's variables is reparameterised. */
  readonly logDensityValue?: (x: NumericValues, data: D | undefined, sample: number) => number;
  /** True when the factor sums over the data rows of a batch: scaled by N/|B| under minibatching. */
  readonly minibatch?: boolean;
}

export interface BbviModelSpec<D = unknown> {
  readonly latents: readonly BbviLatentSpec[];
  readonly factors: readonly BbviFactorSpec<D>[];
}

export interface BbviLatent {
  readonly name: string;
  readonly family: VariationalFamily;
  readonly transform: Transform;
  readonly estimator: EstimatorChoice;
  /** Offset of the variable's λ in the flat parameter vector. */
  readonly offset: number;
  /** Length of the constrained value x. */
  readonly valueSize: number;
  /** Indices of the factors in the variable's Markov blanket. */
  readonly blanket: readonly number[];
}

export interface BbviFactor<D> extends BbviFactorSpec<D> {
  /** Indices of the latents the factor touches. */
  readonly varIndex: readonly number[];
}

export interface BbviModel<D = unknown> {
  readonly latents: readonly BbviLatent[];
  readonly factors: readonly BbviFactor<D>[];
  /** Length of the flat parameter vector (all λ, in latent order). */
  readonly nParams: number;
  /** Latent index by name. */
  indexOf(name: string): number;
  /** The same model as a graph (one gradient-fitted variable per latent, one density node per factor). */
  readonly graph: BuiltModel;
}

function checkName(name: unknown, what: string, seen: Set<string>): string {
  if (typeof name !== "string" || name.length === 0) {
    throw new VireoError("INVALID_MODEL", `bbviModel: every ${what} needs a non-empty string name, got ${JSON.stringify(name)}.`);
  }
  if (!/^[A-Za-z_][\w.\-\[\]]*$/.test(name)) {
    // The names become the graph's variable and factor names (one namespace, identifier-like).
    throw new VireoError("INVALID_MODEL", `bbviModel: ${what} name ${JSON.stringify(name)} is not a graph name; use letters, digits, '_', '.', '-' (starting with a letter or '_').`, what === "latent" ? { variable: name } : { node: name });
  }
  if (seen.has(name)) {
    throw new VireoError("DUPLICATE_NAME", `bbviModel: ${what} name '${name}' is used twice; give each ${what} a unique name.`, what === "latent" ? { variable: name } : { node: name });
  }
  seen.add(name);
  return name;
}

/** Validates a model spec and computes its parameter layout and Markov blankets. */
export function bbviModel<D = unknown>(spec: BbviModelSpec<D>): BbviModel<D> {
  if (!spec || !Array.isArray(spec.latents) || !Array.isArray(spec.factors)) {
    throw new VireoError("INVALID_MODEL", "bbviModel: expected { latents: BbviLatentSpec[], factors: BbviFactorSpec[] }.");
  }
  if (spec.latents.length === 0) throw new VireoError("INVALID_MODEL", "bbviModel: the model has no latent variables; add at least one { name, family }.");
  const names = new Set<string>();
  const index = new Map<string, number>();
  let offset = 0;
  const blankets: number[][] = [];
  const latents = spec.latents.map((l, i) => {
    const name = checkName(l?.name, "latent", names);
    const family = l.family;
    if (!family || typeof family.prepare !== "function" || !(family.nParams > 0)) {
      throw new VireoError("INVALID_MODEL", `bbviModel: latent '${name}' needs a variational family (e.g. meanFieldGaussian(d), fullRankGaussian(d), bernoulliQ(), categoricalQ(K)).`, { variable: name });
    }
    const transform = l.transform ?? identityTransform;
    if (family.discrete && transform !== identityTransform) {
      throw new VireoError("INVALID_MODEL", `bbviModel: latent '${name}' is discrete (${family.name}); transforms apply to continuous families only. Remove its transform.`, { variable: name });
    }
    const estimator = l.estimator ?? "auto";
    if (estimator !== "auto" && estimator !== "reparam" && estimator !== "score") {
      throw new VireoError("INVALID_OPTION", `bbviModel: latent '${name}' has estimator '${String(estimator)}'; use 'auto', 'reparam' or 'score'.`, { variable: name });
    }
    index.set(name, i);
    blankets.push([]);
    const out = { name, family, transform, estimator, offset, valueSize: transform.outputSize(family.dim), blanket: blankets[i]! };
    offset += family.nParams;
    return out;
  });
  // Latents and factors share the graph's namespace: a factor may not reuse a latent's name.
  const factorNames = new Set<string>();
  const factors = spec.factors.map((f, fi) => {
    const name = checkName(f?.name, "factor", factorNames);
    if (index.has(name)) {
      throw new VireoError("DUPLICATE_NAME", `bbviModel: factor '${name}' has the name of a latent; latents and factors share one namespace (the model graph's), so rename the factor (e.g. '${name}_prior').`, { node: name, variable: name });
    }
    if (!Array.isArray(f.vars) || f.vars.length === 0) {
      throw new VireoError("INVALID_MODEL", `bbviModel: factor '${name}' must list the latent variables it touches in 'vars'.`, { node: name });
    }
    if (typeof f.logDensity !== "function" && typeof f.logDensityValue !== "function") {
      throw new VireoError("INVALID_MODEL", `bbviModel: factor '${name}' needs logDensity (on the tape) or logDensityValue (plain numbers).`, { node: name });
    }
    const varIndex = f.vars.map((v: string) => {
      const i = index.get(v);
      if (i === undefined) {
        throw new VireoError("UNKNOWN_NAME", `bbviModel: factor '${name}' touches '${v}', which is not a latent; latents are: ${[...index.keys()].join(", ")}.`, { node: name, variable: v });
      }
      if (!blankets[i]!.includes(fi)) blankets[i]!.push(fi);
      return i;
    });
    return { ...f, name, varIndex };
  });
  for (const l of latents) {
    if (l.blanket.length === 0) {
      throw new VireoError("INVALID_MODEL", `bbviModel: latent '${l.name}' is touched by no factor, so its posterior is improper; add a prior factor listing it in 'vars'.`, { variable: l.name });
    }
  }
  return {
    latents,
    factors,
    graph: graphOf(latents, factors),
    nParams: offset,
    indexOf(name: string): number {
      const i = index.get(name);
      if (i === undefined) throw new VireoError("UNKNOWN_NAME", `BBVI model: no latent named '${name}'; latents are: ${[...index.keys()].join(", ")}.`, { variable: name });
      return i;
    },
  };
}

/**
 * The graph of a validated spec. A latent's graph family only holds its valueSize numbers
 * (MvNormal(d) over R^d: no conjugate node touches it, so its statistics are never read); where
 * it lives is what q and the transform say, and its prior is one of the factors.
 */
function graphOf<D>(latents: readonly BbviLatent[], factors: readonly BbviFactor<D>[]): BuiltModel {
  const m = new ModelBuilder();
  const refs = new Map<string, VariableRef>();
  for (const l of latents) {
    refs.set(l.name, m.random(l.name, MvNormal(l.valueSize), { q: l.family, bijector: l.transform, estimator: l.estimator }));
  }
  for (const f of factors) {
    const edges: Record<string, string> = {}, bound: Record<string, VariableRef> = {};
    for (const v of f.vars) {
      edges[v] = "MvNormal";
      bound[v] = refs.get(v)!;
    }
    const tape = f.logDensity, value = f.logDensityValue;
    const node = densityNode(f.name, {
      edges,
      minibatch: f.minibatch === true,
      ...(value ? { logDensityValue: (x: Readonly<Record<string, Float64Array>>, _ctx: unknown, draw: { sample: number; data: unknown }) => value(x, draw.data as D | undefined, draw.sample) } : {}),
    }, tape ? (x, t, _ctx, draw) => scalarOnTape(f.name, tape(x, t, draw.data as D | undefined, draw.sample), t) : undefined);
    m.factor(node, bound, { name: f.name });
  }
  return m.build();
}

/** A factor's log f must be one number on the tape it was given (a bbvi factor has no rows). */
function scalarOnTape(name: string, node: TNode, tape: Tape): TNode {
  if (!node || node.tape !== tape || node.size !== 1) {
    throw new VireoError(
      "INVALID_MODEL",
      `BBVI: factor '${name}'.logDensity must return a scalar node built on the tape it was given` +
        (node && node.tape === tape ? `, got shape [${node.shape.join(", ")}]; reduce it with ad.sum.` : "."),
      { node: name },
    );
  }
  return node;
}
