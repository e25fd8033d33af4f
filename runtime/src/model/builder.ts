/**
 * ModelBuilder: compose a model in code as a graph of variables (random, observed, constant,
 * input, deterministic) and factor nodes, with plates for i.i.d. rows. `build()` validates the
 * graph and returns a frozen Model.
 *
 *   const m = new ModelBuilder();
 *   const rows = m.plate("rows");
 *   const mu = m.random("mu", Normal);
 *   const tau = m.random("tau", Gamma);
 *   m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
 *   m.factor(GammaNode, { out: tau, shape: 1, rate: 1 });
 *   const y = m.observed("y", Normal, { plate: rows });
 *   m.factor(NormalNode, { out: y, mean: mu, precision: tau });
 *   const model = m.build();
 */
import { freeze } from "immer";
import { VireoError, type ExponentialFamily, type Arr } from "@vireo/core";
import { Mixture, type NodeType } from "@vireo/nodes";
import type { Model, PlateSpec, VariableSpec, FactorSpec, EdgeBinding, Factorisation, DeterministicSpec } from "./spec.js";
import { familyForValue } from "../families/lookup.js";
import { validateModel } from "./validate.js";

/** A handle on a declared variable. */
export class VariableRef {
  constructor(readonly name: string) {}
  /** This variable seen through an integer index column (per row of the factor's plate). */
  at(index: VariableRef | string): IndexedRef {
    return new IndexedRef(this.name, typeof index === "string" ? index : index.name);
  }
}

/** A variable read through an index column: row n uses instance index[n]. */
export class IndexedRef {
  constructor(readonly name: string, readonly index: string) {}
}

/** A handle on a declared plate. */
export class PlateRef {
  constructor(readonly name: string, readonly size: number | null) {}
}

/** What an edge may be bound to: a variable, an indexed variable, its name, or a constant value. */
export type EdgeValue = VariableRef | IndexedRef | string | number | readonly number[] | Float64Array | Arr;

export interface VariableOptions {
  readonly plate?: PlateRef | string;
  /** For MvNormal variables: q joint over the components (default) or independent components. */
  readonly factorisation?: Factorisation;
}

function plateName(p: PlateRef | string | undefined): string | null {
  return p === undefined ? null : typeof p === "string" ? p : p.name;
}

/** Flattens a constant (number, array, nested rows, ndarray) to a Float64Array. */
export function flattenValue(v: number | readonly number[] | Float64Array | Arr | readonly (readonly number[])[]): Float64Array {
  if (typeof v === "number") return Float64Array.of(v);
  if (v instanceof Float64Array) return v.slice();
  if (Array.isArray(v)) return Float64Array.from((v as unknown[]).flat(2) as number[]);
  const a = v as Arr;
  const out = new Float64Array(a.size);
  if (a.shape.length === 1) for (let i = 0; i < a.shape[0]!; i++) out[i] = a.get(i);
  else {
    const [r, c] = [a.shape[0]!, a.shape[1]!];
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[i * c + j] = a.get(i, j);
  }
  return out;
}

/**
 * Where a builder looks up node types given by name (a Registry satisfies it). `rulesForFamily`
 * lists "Node.edge" rules for a family, so a missing-rule error can say what exists.
 */
export interface NodeLookup {
  node(name: string): NodeType;
  rulesForFamily?(family: string): string[];
}

export class ModelBuilder {
  private readonly registry: NodeLookup | null;

  /** `registry` lets factor() and mixture() take node types by name ("StudentTLinear"). */
  constructor(options: { registry?: NodeLookup } = {}) {
    this.registry = options.registry ?? null;
  }

  private readonly plates: Record<string, PlateSpec> = {};
  private readonly variables: Record<string, VariableSpec> = {};
  private readonly order: string[] = [];
  private readonly factors: FactorSpec[] = [];

  /**
   * A plate: `size` for a fixed replication (mixture components), omitted when data decides.
   * `multiplicity` names an input column of the plate whose value c_n says row n stands for c_n
   * identical observations (e.g. the count of a word in a document): every factor in the plate
   * and the entropy of every latent in it count that row c_n times.
   */
  plate(name: string, options?: number | { size?: number; multiplicity?: string }): PlateRef {
    this.checkName(name, "plate");
    const size = typeof options === "number" ? options : options?.size;
    const multiplicity = typeof options === "object" ? options.multiplicity ?? null : null;
    if (size !== undefined && !(Number.isInteger(size) && size >= 1)) {
      throw new VireoError("INVALID_MODEL", `Plate '${name}': size must be a positive integer, got ${size}.`);
    }
    this.plates[name] = { name, size: size ?? null, multiplicity };
    return new PlateRef(name, size ?? null);
  }

  /** A latent variable whose posterior q is inferred. */
  random(name: string, family: ExponentialFamily, options: VariableOptions = {}): VariableRef {
    return this.declare(name, "random", family, options, family.valueSize);
  }

  /** A variable whose values are bound as data (by name) when inference runs. */
  observed(name: string, family: ExponentialFamily, options: VariableOptions = {}): VariableRef {
    return this.declare(name, "observed", family, options, family.valueSize);
  }

  /** Covariates bound as data: `size` numbers per row, no distribution. */
  input(name: string, options: VariableOptions & { size?: number } = {}): VariableRef {
    return this.declare(name, "input", null, options, options.size ?? 1);
  }

  /**
   * A fixed value. With a family it can connect to that family's edges (stats T(value));
   * without, only to `input` edges.
   */
  constant(name: string, value: number | readonly number[] | Float64Array | Arr, family: ExponentialFamily | null = null): VariableRef {
    const v = flattenValue(value);
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i])) {
        throw new VireoError("INVALID_DATA", `Constant '${name}': entry ${i} is ${v[i]}; constants must be finite numbers.`, { variable: name });
      }
    }
    const ref = this.declare(name, "constant", family, {}, family ? family.valueSize : v.length);
    (this.variables[name] as { value: Float64Array | null }).value = v;
    return ref;
  }

  /**
   * A deterministic function of known variables (data, constants, inputs, other deterministics),
   * computed when data is bound: e.g. an intercept column or polynomial features.
   */
  deterministic(name: string, options: VariableOptions & { size: number } & DeterministicSpec): VariableRef {
    const ref = this.declare(name, "deterministic", null, options, options.size);
    (this.variables[name] as { deterministic: DeterministicSpec | null }).deterministic = { from: options.from.slice(), compute: options.compute };
    return ref;
  }

  /** Connects a factor node of `type` to variables (or constant values) by edge name. */
  factor(type: NodeType | string, edges: Readonly<Record<string, EdgeValue>>, options: { name?: string } = {}): string {
    return this.addFactor(this.resolve(type), edges, options.name, []);
  }

  /**
   * A mixture factor: `selector` (a Categorical(K) variable per row) picks, for each row, one
   * of K parameter sets of `type`. Edges bound to variables in a plate of size K are the
   * per-component edges; the others are shared by all components.
   */
  mixture(typeOrName: NodeType | string, edges: Readonly<Record<string, EdgeValue>> & { selector: EdgeValue }, options: { name?: string } = {}): string {
    const type = this.resolve(typeOrName);
    const sel = this.bindingName(edges.selector);
    const selVar = sel ? this.variables[sel] : undefined;
    if (!selVar || !selVar.family || !["Categorical", "CategoricalChain"].includes(selVar.family.name)) {
      throw new VireoError("INVALID_MODEL", `Mixture of ${type.name}: 'selector' must be a declared Categorical (or CategoricalChain) variable, got ${sel ?? typeof edges.selector}.`, { edge: "selector" });
    }
    const K = selVar.family.dim;
    const components: string[] = [];
    for (const [edge, v] of Object.entries(edges)) {
      if (edge === "selector") continue;
      const name = this.bindingName(v);
      const spec = name ? this.variables[name] : undefined;
      const plate = spec?.plate ? this.plates[spec.plate] : undefined;
      if (plate && plate.size === K && spec!.plate !== selVar.plate) components.push(edge);
    }
    if (components.length === 0) {
      throw new VireoError(
        "INVALID_MODEL",
        `Mixture of ${type.name}: no edge is bound to a variable in a plate of size K = ${K}; declare the component parameters in a plate of ${K}.`,
      );
    }
    return this.addFactor(Mixture(type, components), edges, options.name, components);
  }

  /**
   * A random variable and the factor that generates it, in one call:
   * `m.latent("mu", Normal, NormalNode, { mean: 0, precision: 0.01 })` declares `mu` and connects
   * NormalNode with its output edge (the node's first edge, `out`) bound to `mu`.
   */
  latent(name: string, family: ExponentialFamily, type: NodeType | string, edges: Readonly<Record<string, EdgeValue>>, options: VariableOptions = {}): VariableRef {
    return this.withFactor(this.random(name, family, options), type, edges);
  }

  /** The same for an observed variable: `m.observe("y", Normal, NormalNode, { mean: mu, precision: tau }, { plate })`. */
  observe(name: string, family: ExponentialFamily, type: NodeType | string, edges: Readonly<Record<string, EdgeValue>>, options: VariableOptions = {}): VariableRef {
    return this.withFactor(this.observed(name, family, options), type, edges);
  }

  private withFactor(v: VariableRef, type: NodeType | string, edges: Readonly<Record<string, EdgeValue>>): VariableRef {
    const node = this.resolve(type);
    const out = node.edges[0]!.name;
    if (Object.hasOwn(edges, out)) {
      throw new VireoError("INVALID_MODEL", `${node.name} for '${v.name}': the '${out}' edge is '${v.name}' itself; give only the other edges (${node.edges.slice(1).map((e) => e.name).join(", ")}).`, { variable: v.name, edge: out });
    }
    this.factor(node, { ...edges, [out]: v });
    return v;
  }

  /** Validates the graph and returns the frozen model. */
  build(): Model {
    const model: Model = {
      plates: { ...this.plates },
      variables: { ...this.variables },
      factors: this.factors.slice(),
      order: this.order.slice(),
    };
    try {
      validateModel(model);
    } catch (e) {
      throw this.withRegisteredRules(e, model);
    }
    // Freeze topology only: families and node types are shared objects and stay as they are.
    for (const v of Object.values(model.variables)) Object.freeze(v);
    for (const f of model.factors) freeze(f.edges, true);
    return freeze(model, false);
  }

  /** A node type given by name is looked up in the registry (UNKNOWN_NAME lists what exists). */
  private resolve(type: NodeType | string): NodeType {
    if (typeof type !== "string") return type;
    if (this.registry === null) {
      throw new VireoError("UNKNOWN_NAME", `Node type '${type}' given by name, but this builder has no registry; use new ModelBuilder({ registry: createRegistry(...packs) }) or pass the node type itself.`, { node: type });
    }
    return this.registry.node(type);
  }

  /** Appends the registry's rules for the variable's family to a MISSING_RULE error. */
  private withRegisteredRules(e: unknown, model: Model): unknown {
    if (!(e instanceof VireoError) || e.code !== "MISSING_RULE" || !this.registry?.rulesForFamily || !e.context.variable) return e;
    const fam = model.variables[e.context.variable]?.family;
    if (!fam) return e;
    const rules = this.registry.rulesForFamily(fam.name);
    return new VireoError(e.code, `${e.message}\nRegistered nodes with a rule for a ${fam.name} edge: [${rules.join(", ")}].`, e.context);
  }

  private bindingName(v: EdgeValue): string | null {
    if (v instanceof VariableRef || v instanceof IndexedRef) return v.name;
    if (typeof v === "string") return v;
    return null;
  }

  private declare(name: string, kind: VariableSpec["kind"], family: ExponentialFamily | null, options: VariableOptions, valueSize: number): VariableRef {
    this.checkName(name, "variable");
    const plate = plateName(options.plate);
    if (plate !== null && !this.plates[plate]) {
      throw new VireoError("UNKNOWN_NAME", `Variable '${name}': unknown plate '${plate}'; declared plates are [${Object.keys(this.plates).join(", ")}].`, { variable: name });
    }
    const factorisation = options.factorisation ?? "joint";
    if (factorisation === "mean-field" && family?.name !== "MvNormal") {
      throw new VireoError("INVALID_MODEL", `Variable '${name}': factorisation 'mean-field' applies to MvNormal variables only (it splits q into independent components).`, { variable: name });
    }
    this.variables[name] = { name, kind, family, plate, valueSize, factorisation, value: null, deterministic: null };
    this.order.push(name);
    return new VariableRef(name);
  }

  private checkName(name: string, what: string): void {
    if (typeof name !== "string" || !/^[A-Za-z_][\w.\-\[\]]*$/.test(name)) {
      throw new VireoError("INVALID_MODEL", `Invalid ${what} name ${JSON.stringify(name)}: use letters, digits, '_', '.', '-'.`);
    }
    if (this.variables[name] || this.plates[name] || this.factors.some((f) => f.name === name)) {
      const was = this.variables[name] ? `${this.variables[name]!.kind} variable` : this.plates[name] ? "a plate" : "a factor";
      throw new VireoError("DUPLICATE_NAME", `'${name}' is already declared (${was}); each name may be declared once.`, { variable: name });
    }
  }

  private addFactor(type: NodeType, edges: Readonly<Record<string, EdgeValue>>, name: string | undefined, componentEdges: string[]): string {
    const fname = name ?? `${type.name.replace(/[^\w]/g, "")}_${this.factors.length}`;
    if (name !== undefined) this.checkName(name, "factor");
    const specs = new Map(type.edges.map((e) => [e.name, e]));
    for (const edge of Object.keys(edges)) {
      if (!specs.has(edge)) {
        throw new VireoError(
          "INVALID_MODEL",
          `Factor '${fname}' (${type.name}): '${edge}' is not an edge of ${type.name}; its edges are [${[...specs.keys()].join(", ")}].`,
          { node: fname, edge },
        );
      }
    }
    const bound: Record<string, EdgeBinding> = {};
    for (const spec of type.edges) {
      const v = edges[spec.name];
      if (v === undefined) {
        throw new VireoError(
          "INVALID_MODEL",
          `Factor '${fname}' (${type.name}): edge '${spec.name}' (${spec.family}${spec.doc ? `, ${spec.doc}` : ""}) is not connected; bind a variable or a constant to it.`,
          { node: fname, edge: spec.name },
        );
      }
      if (v instanceof VariableRef || typeof v === "string") bound[spec.name] = { variable: typeof v === "string" ? v : v.name, index: null };
      else if (v instanceof IndexedRef) bound[spec.name] = { variable: v.name, index: v.index };
      else {
        const value = flattenValue(v as number | Float64Array | Arr);
        const cname = `${fname}.${spec.name}`;
        const family = familyForValue(spec.family, value.length, `Factor '${fname}', edge '${spec.name}'`);
        this.constant(cname, value, family);
        bound[spec.name] = { variable: cname, index: null };
      }
    }
    this.factors.push({ name: fname, type, edges: bound, plate: null, componentEdges });
    return fname;
  }
}
