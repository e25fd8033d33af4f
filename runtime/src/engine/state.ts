/**
 * Compiles a model and its bound data into numeric state: one natural-parameter and one
 * statistics buffer per variable (instances back to back), and one reusable NodeContext per
 * factor whose edge views point at those buffers. Updates write into the buffers in place, so
 * contexts stay valid for the life of the state.
 */
import { VireoError, Generator, type ExponentialFamily } from "@vireo/core";
import { knownStats, knownStatsInto, ChangeTracker, NodeScratch, isDensityNode, type NodeContext, type EdgeView, type EdgeLayout, type MessageRule } from "@vireo/nodes";
import type { GradientVariable, GradientFit, GradientOptions, DensityDraws } from "./gradient.js";
import { needsGradient } from "./needs-gradient.js";
import { CONJUGATE_ONLY, type EngineCapabilities } from "./capabilities.js";
import type { Model, FactorSpec, VariableSpec } from "../model/spec.js";
import { isKnown } from "../model/validate.js";
import type { BoundData } from "./bind.js";
import type { RowPass } from "./row-pass.js";
import type { AmortisedFits } from "./amortised.js";

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
  /** Raw values of known variables, count × valueSize (the state's own copy for data). */
  readonly values: Float64Array;
  readonly neighbours: Neighbour[];
  /** Row multiplicities of the variable's plate (see PlateSpec.multiplicity), or null. */
  readonly weights: Float64Array | null;
  /** Smallest damping among its factors' node types (1 when all are conjugate). */
  readonly damping: number;
  /** The state's change tracker: whoever rewrites `stats` or `values` in place marks them. */
  readonly changes: ChangeTracker;
  /** Density factors touching the variable (they are not in `neighbours`: they send no messages). */
  readonly densityFactors: FactorState[];
  /** Set when the variable is fitted by gradients: its q, draws and optimiser (see gradient.ts). */
  readonly gradient: GradientVariable | null;
  /** Scratch buffers of the update (the previous η of a damped step, one message), count × size each. */
  readonly scratch: { readonly previous: Float64Array; readonly message: Float64Array; gathered?: import("./gathered-update.js").GatheredPlan | null };
  /** The fused one-pass update of a mixture's selector (engine/row-pass.ts), set by the engine when it applies. */
  rowPass?: RowPass | null;
}

export interface FactorState {
  readonly spec: FactorSpec;
  readonly name: string;
  readonly ctx: NodeContext;
  /** For density nodes: log g at each draw of the latest evaluation; null for message-passing nodes. */
  readonly density: DensityDraws | null;
}

export interface CompiledState {
  readonly model: Model;
  readonly data: BoundData;
  readonly variables: ReadonlyMap<string, VariableState>;
  readonly factors: readonly FactorState[];
  /** Random variables, in declaration order. */
  readonly random: readonly VariableState[];
  /** Change tracking of this state's buffers, shared by its variables and node contexts. */
  readonly changes: ChangeTracker;
  /** Whether some variable is fitted by gradients (the ELBO is then a Monte Carlo estimate). */
  readonly stochastic: boolean;
  /** The optional engine parts this state was compiled with (engine/capabilities.ts). */
  readonly capabilities: EngineCapabilities;
  /** The Monte Carlo ELBO's plan and buffers (engine/mc-elbo.ts), made on first use. */
  readonly elboPlan?: import("./mc-elbo.js").ElboPlan;
}

/** Scratch buffers of a variable's update, allocated on first use (most updates need neither). */
class UpdateScratch {
  private prev: Float64Array | null = null;
  private msg: Float64Array | null = null;
  constructor(private readonly length: number) {}
  /** The previous η of a damped step. */
  get previous(): Float64Array {
    return (this.prev ??= new Float64Array(this.length));
  }
  /** One factor's message. */
  get message(): Float64Array {
    return (this.msg ??= new Float64Array(this.length));
  }
}

function countOf(v: VariableSpec, data: BoundData): number {
  if (v.kind === "constant") return v.value!.length / v.valueSize;
  return v.plate === null ? 1 : data.plateSizes[v.plate]!;
}

/**
 * Buffers of random variables to share instead of allocating (SVI keeps its globals this way). A
 * gradient-fitted variable shares its GradientFit (λ, optimiser); compile fills `gradient` in on
 * first use.
 */
export type SharedBuffers = ReadonlyMap<string, SharedBuffer>;
export interface SharedBuffer { readonly eta: Float64Array; readonly stats: Float64Array; gradient?: GradientFit | null }

/**
 * Allocates buffers and contexts. Random variables start with zero η (see initialise()) unless
 * their buffers are passed in `shared` (then pass the change tracker of the states they are
 * shared with as `changes`). Data values are copied, so rebind() can refill them. `allocate`
 * makes the natural-parameter and statistics buffers (a ThreadPool's, for shared memory).
 */
export function compile(model: Model, data: BoundData, shared: SharedBuffers = new Map(), gradientOptions: GradientOptions = {}, changes: ChangeTracker = new ChangeTracker(), allocate: (length: number) => Float64Array = (n) => new Float64Array(n), capabilities: EngineCapabilities = CONJUGATE_ONLY, amortisedFits?: AmortisedFits): CompiledState {
  const variables = new Map<string, VariableState>();
  for (const name of model.order) {
    const spec = model.variables[name]!;
    const count = countOf(spec, data);
    const known = isKnown(spec);
    const fam = spec.family;
    const size = fam ? fam.size : spec.valueSize;
    const values = known ? (spec.kind === "constant" ? spec.value! : data.values[name]!.slice()) : new Float64Array(0);
    const own = shared.get(name);
    if (own && (known || own.eta.length !== count * size)) {
      throw new VireoError("INVALID_STATE", `Shared buffers for '${name}' must belong to a random variable with ${count * size} natural parameters.`, { variable: name });
    }
    variables.set(name, {
      spec, name, family: fam, known, count, size,
      eta: known ? new Float64Array(0) : own?.eta ?? allocate(count * size),
      stats: known ? (fam === null ? knownStats(fam, values, count) : knownStatsInto(fam, values, count, allocate(fam.knownStatsLength(count)))) : own?.stats ?? allocate(count * size),
      values, neighbours: [], weights: null, damping: 1, changes, densityFactors: [], gradient: null,
      scratch: new UpdateScratch(known ? 0 : count * size),
    });
  }
  // Row multiplicities: the plate's column, shared by its factors (as row weights) and latents.
  for (const v of variables.values()) {
    const plate = v.spec.plate === null ? null : model.plates[v.spec.plate]!;
    if (plate?.multiplicity && !v.known) (v as { weights: Float64Array | null }).weights = variables.get(plate.multiplicity)!.values;
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
      } else if (spec.allInstances !== true && !f.componentEdges.includes(spec.name) && v.spec.plate !== null && v.spec.plate === f.plate) {
        layout = "row";
      } else if (spec.allInstances !== true && !f.componentEdges.includes(spec.name) && v.count !== 1) {
        throw new VireoError("INVALID_MODEL", `Factor '${f.name}', edge '${spec.name}': '${v.name}' has ${v.count} instances but the factor cannot tell which one each row uses; index it with .at(column).`, { node: f.name, edge: spec.name });
      }
      edges[spec.name] = {
        name: spec.name, family: v.family, known: v.known, size: v.size,
        valueSize: v.spec.valueSize, count: v.count, layout, index, stats: v.stats, values: v.values,
      };
    }
    const multiplicity = f.plate === null ? null : model.plates[f.plate]!.multiplicity;
    const weights = multiplicity ? { data: variables.get(multiplicity)!.values, offset: 0, stride: 1 } : null;
    const density = isDensityNode(f.type);
    const state: FactorState = {
      spec: f, name: f.name, ctx: { rows, edges, weights, nodeName: f.name, changes, scratch: new NodeScratch() },
      density: density ? { values: new Float64Array(gradientOptions.samples ?? 10) } : null,
    };
    factors.push(state);
    for (const spec of f.type.edges) {
      const v = variables.get(f.edges[spec.name]!.variable)!;
      if (v.known) continue;
      if (density) {
        if (f.edges[spec.name]!.index !== null) {
          throw new VireoError("INVALID_MODEL", `Density node '${f.name}', edge '${spec.name}': indexed edges are not supported on density nodes; bind the variable directly.`, { node: f.name, edge: spec.name });
        }
        if (!v.densityFactors.includes(state)) v.densityFactors.push(state);
      } else v.neighbours.push({ factor: state, edge: spec.name, rule: f.type.messages[spec.name]! });
    }
  }
  // Values on known edges are checked here, once per binding, never inside the message loops.
  for (const f of factors) f.spec.type.checkData?.(f.ctx);
  const random = [...variables.values()].filter((v) => !v.known);
  for (const v of random) {
    // Damping applies to approximate messages only: a node's linear edges get exact ones.
    const damping = Math.min(1, ...v.neighbours.map((n) => (n.factor.spec.type.linearEdges?.includes(n.edge) ? 1 : n.factor.spec.type.damping ?? 1)));
    if (!(damping > 0 && damping <= 1)) {
      throw new VireoError("INVALID_NODE", `Variable '${v.name}': a connected node type declares damping ${damping}; damping must be in (0, 1].`, { variable: v.name });
    }
    (v as { damping: number }).damping = damping;
  }
  const state: CompiledState = { model, data, variables, factors, random, changes, stochastic: false, capabilities };
  for (const v of random) {
    if (!needsGradient(model, v.spec)) continue;
    if (v.weights !== null) {
      throw new VireoError("INVALID_MODEL", `Variable '${v.name}' is fitted by gradients inside plate '${v.spec.plate}' with row multiplicities; this is not supported. Expand the counted rows, or fit it in closed form.`, { variable: v.name });
    }
    if (capabilities.gradients === null) {
      throw new VireoError(
        "INVALID_MODEL",
        `Variable '${v.name}' is fitted by gradients (it declares a q or feeds a density node), which the conjugate-only engine (@vireo/runtime/conjugate) leaves out. Import cavi, svi and online from '@vireo/runtime' instead.`,
        { variable: v.name },
      );
    }
    capabilities.gradients.attach(state, v, shared.get(v.name), gradientOptions, amortisedFits);
    (state as { stochastic: boolean }).stochastic = true;
  }
  if (state.stochastic) capabilities.gradients?.planJoint?.(state, gradientOptions);
  return state;
}

/** Whether `data` has the plate sizes `state` was compiled for (so rebind() can reuse it). */
export function sameShape(state: CompiledState, data: BoundData): boolean {
  for (const [p, n] of Object.entries(data.plateSizes)) if (state.data.plateSizes[p] !== n) return false;
  return true;
}

/**
 * Refills a compiled state with new data of the same shape (the next minibatch): data values,
 * their statistics and index columns are overwritten in place, so contexts stay valid.
 */
export function rebind(state: CompiledState, data: BoundData): void {
  if (!sameShape(state, data)) {
    throw new VireoError("INVALID_STATE", "rebind: the new data has different plate sizes; compile a new state for it.");
  }
  for (const v of state.variables.values()) {
    if (!v.known || v.spec.kind === "constant") continue;
    v.values.set(data.values[v.name]!);
    knownStatsInto(v.family, v.values, v.count, v.stats);
    state.changes.markChanged(v.values);
    state.changes.markChanged(v.stats);
  }
  for (const f of state.factors) {
    for (const [edge, b] of Object.entries(f.spec.edges)) {
      if (b.index === null) continue;
      const idx = f.ctx.edges[edge]!.index!, col = state.variables.get(b.index)!.values;
      for (let i = 0; i < idx.length; i++) idx[i] = col[i]!;
    }
  }
  for (const f of state.factors) f.spec.type.checkData?.(f.ctx);
  (state as { data: BoundData }).data = data;
}

/**
 * Starting point: each random variable takes the product of messages from factors whose other
 * edges are all known (its priors), else a default member. Per-row variables of families with a
 * random start (ExponentialFamily.randomStart: Categorical selectors) start there, drawn from
 * `rng`: identical components would otherwise never separate.
 * `init` overrides any variable with user natural parameters (count × size).
 * `noRandomStart`: per-row variables in data plates whose first update comes before anything
 * reads them (the selectors of seeded mixtures, see seed-components.ts): left unset.
 */
export function initialise(state: CompiledState, rng: Generator, init: Readonly<Record<string, Float64Array>> = {}, randomCategorical = true, noRandomStart: ReadonlySet<string> = new Set()): void {
  for (const v of state.random) {
    const f = v.family!;
    const given = Object.hasOwn(init, v.name) ? init[v.name] : undefined;
    if (v.gradient !== null) {
      // q starts from its own init (or the user's λ); the draws give the statistics.
      if (given !== undefined) {
        if (!(given instanceof Float64Array) || given.length !== v.gradient.fit.lambda.length) {
          throw new VireoError("INVALID_OPTION", `init.${v.name}: '${v.name}' is fitted by gradients with ${v.gradient.fit.q.name}; give its λ, a Float64Array of ${v.gradient.fit.lambda.length} numbers.`, { variable: v.name });
        }
        v.gradient.fit.lambda.set(given);
      } else v.gradient.fit.reset();
      v.gradient.rng = rng;
      v.gradient.redraw();
      continue;
    }
    if (given !== undefined) {
      if (!(given instanceof Float64Array) || (given.length !== v.size && given.length !== v.eta.length)) {
        throw new VireoError("INVALID_OPTION", `init.${v.name}: expected a Float64Array of ${v.size} natural parameters (or ${v.eta.length} for all ${v.count} instances).`, { variable: v.name });
      }
      for (let i = 0; i < v.count; i++) v.eta.set(given.length === v.size ? given : given.subarray(i * v.size, (i + 1) * v.size), i * v.size);
      for (let i = 0; i < v.count; i++) f.validate(v.eta.subarray(i * v.size, (i + 1) * v.size), `init.${v.name}[${i}]`);
    } else if (noRandomStart.has(v.name) && v.spec.plate !== null && state.model.plates[v.spec.plate]!.size === null) {
      // A seeded mixture's selector: its first update (from the seeded components) comes before
      // anything reads it, so no start is written (a million rows × K, twice, for nothing).
      continue;
    } else if (randomCategorical && !noRandomStart.has(v.name) && v.spec.plate !== null && state.model.plates[v.spec.plate]!.size === null && f.randomStart(rng, v.eta, v.count)) {
      // The family asked for a random start (per-row selectors: identical ones never separate).
    } else {
      v.eta.fill(0);
      let fromPriors = false;
      for (const nb of v.neighbours) {
        const others = nb.factor.spec.type.edges.filter((e) => e.name !== nb.edge);
        if (others.every((e) => nb.factor.ctx.edges[e.name]!.known)) {
          (nb.factor.spec.type.startMessages?.[nb.edge] ?? nb.rule)(nb.factor.ctx, v.eta);
          fromPriors = true;
        }
      }
      if (fromPriors && v.weights !== null) {
        for (let n = 0; n < v.count; n++) for (let i = 0; i < v.size; i++) v.eta[n * v.size + i] = v.eta[n * v.size + i]! / v.weights[n]!;
      }
      if ((!fromPriors || !allProper(v)) && f.coupledRows) {
        const d = f.startingPoint();
        for (let i = 0; i < v.count; i++) v.eta.set(d, i * v.size);
      } else if (!fromPriors || !allProper(v)) {
        // Every instance at the family's default: its statistics are computed once and copied.
        const d = f.startingPoint(), t = f.expectedStats(d, new Float64Array(v.size));
        fillRows(v.eta, d, v.count);
        fillRows(v.stats, t, v.count);
        v.changes.markChanged(v.stats);
        continue;
      }
    }
    f.expectedStatsRows(v.eta, v.stats, v.count);
    v.changes.markChanged(v.stats);
  }
}

/**
 * (Re)initialises only the named variables, e.g. the plate-local latents of a new minibatch.
 * With `randomCategorical` false, per-row Categoricals start uniform: once the globals differ
 * there is no symmetry left to break, and the first local update starts from them.
 */
export function initialiseSome(state: CompiledState, names: ReadonlySet<string>, rng: Generator, randomCategorical = true): void {
  initialise({ ...state, random: state.random.filter((v) => names.has(v.name)) }, rng, {}, randomCategorical);
}

/** Copies `row` into each of `count` rows of `out`, doubling the filled part each step. */
function fillRows(out: Float64Array, row: Float64Array, count: number): void {
  if (count === 0) return;
  out.set(row, 0);
  const total = count * row.length;
  for (let filled = row.length; filled < total; filled *= 2) out.copyWithin(filled, 0, Math.min(filled, total - filled));
}

function allProper(v: VariableState): boolean {
  for (let i = 0; i < v.count; i++) if (!v.family!.isProper(v.eta.subarray(i * v.size, (i + 1) * v.size))) return false;
  return true;
}
