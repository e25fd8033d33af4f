/**
 * Compiles a model and its bound data into numeric state: one natural-parameter and one
 * statistics buffer per variable (instances back to back), and one reusable NodeContext per
 * factor whose edge views point at those buffers. Updates write into the buffers in place, so
 * contexts stay valid for the life of the state.
 */
import { VireoError, Generator, sampleDirichlet, type ExponentialFamily } from "@vireo/core";
import { knownStats, type NodeContext, type EdgeView, type EdgeLayout, type MessageRule } from "@vireo/nodes";
import type { Model, FactorSpec, VariableSpec } from "../model/spec.js";
import { isKnown } from "../model/validate.js";
import type { BoundData } from "./bind.js";

export interface Neighbour {
  readonly factor: FactorState;
  readonly edge: string;
  /** The factor's message rule for that edge (checked to exist when the model was built). */
  readonly rule: MessageRule;
}

export interface VariableState {
  readonly spec: VariableSpec;
  readonly name: string;
  readonly family: ExponentialFamily | null;
  readonly known: boolean;
  /** Number of instances (rows of its plate, or 1). */
  readonly count: number;
  readonly size: number;
  /** Natural parameters of q, count × size (random variables only). */
  readonly eta: Float64Array;
  /** E_q[T] (random) or T(value) (known), count × size. */
  readonly stats: Float64Array;
  /** Raw values of known variables, count × valueSize. */
  readonly values: Float64Array;
  readonly neighbours: Neighbour[];
}

export interface FactorState {
  readonly spec: FactorSpec;
  readonly name: string;
  readonly ctx: NodeContext;
}

export interface CompiledState {
  readonly model: Model;
  readonly data: BoundData;
  readonly variables: ReadonlyMap<string, VariableState>;
  readonly factors: readonly FactorState[];
  /** Random variables, in declaration order. */
  readonly random: readonly VariableState[];
}

function countOf(v: VariableSpec, data: BoundData): number {
  if (v.kind === "constant") return v.value!.length / v.valueSize;
  return v.plate === null ? 1 : data.plateSizes[v.plate]!;
}

/** Allocates buffers and contexts. Random variables start with zero η; see initialise(). */
export function compile(model: Model, data: BoundData): CompiledState {
  const variables = new Map<string, VariableState>();
  for (const name of model.order) {
    const spec = model.variables[name]!;
    const count = countOf(spec, data);
    const known = isKnown(spec);
    const fam = spec.family;
    const size = fam ? fam.size : spec.valueSize;
    const values = known ? (spec.kind === "constant" ? spec.value! : data.values[name]!) : new Float64Array(0);
    variables.set(name, {
      spec, name, family: fam, known, count, size,
      eta: known ? new Float64Array(0) : new Float64Array(count * size),
      stats: known ? knownStats(fam, values, count) : new Float64Array(count * size),
      values, neighbours: [],
    });
  }
  const factors: FactorState[] = [];
  for (const f of model.factors) {
    const rows = f.plate === null ? 1 : data.plateSizes[f.plate]!;
    const edges: Record<string, EdgeView> = {};
    for (const spec of f.type.edges) {
      const b = f.edges[spec.name]!;
      const v = variables.get(b.variable)!;
      let layout: EdgeLayout = "broadcast";
      let index: Int32Array | null = null;
      if (b.index !== null) {
        layout = "indexed";
        index = Int32Array.from(variables.get(b.index)!.values);
      } else if (!f.componentEdges.includes(spec.name) && v.spec.plate !== null && v.spec.plate === f.plate) {
        layout = "row";
      } else if (!f.componentEdges.includes(spec.name) && v.count !== 1) {
        throw new VireoError("INVALID_MODEL", `Factor '${f.name}', edge '${spec.name}': '${v.name}' has ${v.count} instances but the factor cannot tell which one each row uses; index it with .at(column).`, { node: f.name, edge: spec.name });
      }
      edges[spec.name] = {
        name: spec.name, family: v.family, known: v.known, size: v.size,
        valueSize: v.spec.valueSize, count: v.count, layout, index, stats: v.stats, values: v.values,
      };
    }
    const state: FactorState = { spec: f, name: f.name, ctx: { rows, edges, weights: null, nodeName: f.name } };
    factors.push(state);
    for (const spec of f.type.edges) {
      const v = variables.get(f.edges[spec.name]!.variable)!;
      if (!v.known) v.neighbours.push({ factor: state, edge: spec.name, rule: f.type.messages[spec.name]! });
    }
  }
  const random = [...variables.values()].filter((v) => !v.known);
  return { model, data, variables, factors, random };
}

/** A proper default member of a family, used before any message has arrived. */
function defaultEta(f: ExponentialFamily): Float64Array {
  const d = f.dim;
  const eye = (s: number): Float64Array => {
    const a = new Float64Array(d * d);
    for (let i = 0; i < d; i++) a[i * d + i] = s;
    return a;
  };
  switch (f.name) {
    case "Normal": return f.toNatural({ mean: 0, variance: 1 });
    case "Gamma": return f.toNatural({ shape: 1, rate: 1 });
    case "Beta": return f.toNatural({ alpha: 1, beta: 1 });
    case "Bernoulli": return new Float64Array(1);
    case "Categorical": return new Float64Array(d);
    case "Dirichlet": return new Float64Array(d);
    case "MvNormal": return f.toNatural({ mean: new Float64Array(d), covariance: eye(1) });
    case "Wishart": return f.toNatural({ df: d + 1, scale: eye(1) });
    default: {
      throw new VireoError("INVALID_MODEL", `No default starting point for family ${f.key}; give one with the 'init' option.`);
    }
  }
}

/**
 * Starting point: each random variable takes the product of messages from factors whose other
 * edges are all known (its priors), else a default member. Per-row Categorical variables start
 * at random probabilities drawn from `rng`: identical components would otherwise never separate.
 * `init` overrides any variable with user natural parameters (count × size).
 */
export function initialise(state: CompiledState, rng: Generator, init: Readonly<Record<string, Float64Array>> = {}): void {
  for (const v of state.random) {
    const f = v.family!;
    const given = init[v.name];
    if (given !== undefined) {
      if (!(given instanceof Float64Array) || (given.length !== v.size && given.length !== v.eta.length)) {
        throw new VireoError("INVALID_OPTION", `init.${v.name}: expected a Float64Array of ${v.size} natural parameters (or ${v.eta.length} for all ${v.count} instances).`, { variable: v.name });
      }
      for (let i = 0; i < v.count; i++) v.eta.set(given.length === v.size ? given : given.subarray(i * v.size, (i + 1) * v.size), i * v.size);
      for (let i = 0; i < v.count; i++) f.validate(v.eta.subarray(i * v.size, (i + 1) * v.size), `init.${v.name}[${i}]`);
    } else if (f.name === "Categorical" && v.spec.plate !== null && state.model.plates[v.spec.plate]!.size === null) {
      const p = new Float64Array(f.dim), ones = new Float64Array(f.dim).fill(1);
      for (let i = 0; i < v.count; i++) {
        sampleDirichlet(rng, ones, p);
        for (let k = 0; k < f.dim; k++) v.eta[i * f.dim + k] = Math.log(Math.max(p[k]!, 1e-300));
      }
    } else {
      v.eta.fill(0);
      let fromPriors = false;
      for (const nb of v.neighbours) {
        const others = nb.factor.spec.type.edges.filter((e) => e.name !== nb.edge);
        if (others.every((e) => nb.factor.ctx.edges[e.name]!.known)) {
          nb.rule(nb.factor.ctx, v.eta);
          fromPriors = true;
        }
      }
      if (!fromPriors || !allProper(v)) {
        const d = defaultEta(f);
        for (let i = 0; i < v.count; i++) v.eta.set(d, i * v.size);
      }
    }
    f.expectedStatsRows(v.eta, v.stats, v.count);
  }
}

function allProper(v: VariableState): boolean {
  for (let i = 0; i < v.count; i++) if (!v.family!.isProper(v.eta.subarray(i * v.size, (i + 1) * v.size))) return false;
  return true;
}
