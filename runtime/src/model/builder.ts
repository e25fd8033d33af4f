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
import { describeModel, modelOutline, type ModelOutline } from "./summary.js";
import { VireoError, type AmortisedGaussian, type ExponentialFamily, type Arr, type Transform, type VariationalChoice } from "@vireo/core";
import { Mixture, SELECTOR_EDGE, SELECTOR_FAMILIES, familyFits, type NodeType } from "@vireo/nodes";
import type { Model, PlateSpec, VariableSpec, FactorSpec, EdgeBinding, Factorisation, DeterministicSpec, GradientFitSpec } from "./spec.js";
import type { EstimatorChoice } from "../engine/estimator.js";
import { familyForValue, type FamilySource } from "../families/lookup.js";
import { validateModel } from "./validate.js";
import { checkAmortised, isAmortisedGaussian } from "./amortised-check.js";
import { checkPropriety } from "./propriety.js";
import { MAX_DIMENSION, MAX_PLATE_SIZE } from "../limits.js";

/** Which builder declared each reference, so a reference from another builder is refused, not bound by name. */
const owners = new WeakMap<object, object>();

/** A handle on a declared variable. */
export class VariableRef<F extends ExponentialFamily<any, any> = ExponentialFamily<any, any>> {
  /** Type only (never set): the variable's family, so `result.posterior(ref)` is typed by it. */
  declare readonly family?: F;
  constructor(readonly name: string) {}
  /** This variable seen through an integer index column (per row of the factor's plate). */
  at(index: VariableRef | string): IndexedRef {
    const owner = owners.get(this);
    if (owner !== undefined && index instanceof VariableRef && owners.has(index) && owners.get(index) !== owner) {
      throw new VireoError("INVALID_MODEL", `'${this.name}'.at('${index.name}'): the index variable was declared by another ModelBuilder; use the reference this builder returned.`, { variable: index.name });
    }
    const ref = new IndexedRef(this.name, typeof index === "string" ? index : index.name);
    if (owner !== undefined) owners.set(ref, owner);
    return ref;
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
export type EdgeValue = VariableRef | IndexedRef | string | number | readonly number[] | readonly (readonly number[])[] | Float64Array | Arr;

export interface VariableOptions {
  readonly plate?: PlateRef | string;
  /** For MvNormal variables: q joint over the components (default) or independent components. */
  readonly factorisation?: Factorisation;
}

/** Options of a random variable: where it lives, and optionally a gradient-fitted q. */
export interface RandomOptions extends VariableOptions {
  /**
   * Fit this variable by gradients with this variational family (e.g. fullRankGaussian(),
   * meanFieldGaussian(), lowRankGaussian({ rank })) instead of closed-form messages.
   */
  readonly q?: VariationalChoice | AmortisedGaussian;
  /** Bijector from q's unconstrained draws onto the support (default: the family's own). */
  readonly bijector?: Transform;
  /** Gradient estimator of a gradient-fitted variable (default "auto"). */
  readonly estimator?: EstimatorChoice;
}

/** Checks a gradient-fitted variable's options where they are given. */
function gradientSpec(name: string, family: ExponentialFamily, options: RandomOptions): GradientFitSpec {
  const q = options.q;
  if (q === undefined) {
    throw new VireoError("INVALID_MODEL", `Variable '${name}': 'bijector' and 'estimator' apply to gradient-fitted variables; give the variational family too, e.g. { q: meanFieldGaussian() }.`, { variable: name });
  }
  const isFamily = typeof (q as { prepare?: unknown }).prepare === "function" || (q as { kind?: unknown }).kind === "variational-family-factory" || isAmortisedGaussian(q);
  if (!isFamily) {
    throw new VireoError("INVALID_MODEL", `Variable '${name}': option 'q' must be a variational family such as fullRankGaussian(), meanFieldGaussian() or lowRankGaussian({ rank: 2 }), or amortised(encoder, { from: "x" }) for a plate-local latent.`, { variable: name });
  }
  // A discrete q (categoricalQ, bernoulliQ) draws the values' statistics and needs no bijector (engine/gradient.ts).
  if ((options.bijector ?? family.supportBijector) === null && (q as { discrete?: unknown }).discrete !== true) {
    throw new VireoError(
      "INVALID_MODEL",
      `Variable '${name}' (${family.key}) cannot be fitted by gradients: the family has no support bijector. Give one with the 'bijector' option, a discrete q (categoricalQ(K), bernoulliQ()) for a discrete family, or drop 'q' for a closed-form update.`,
      { variable: name },
    );
  }
  if (options.factorisation === "mean-field") {
    throw new VireoError("INVALID_MODEL", `Variable '${name}': 'factorisation' applies to closed-form MvNormal variables; a gradient-fitted one factorises as its q does (use meanFieldGaussian()).`, { variable: name });
  }
  const estimator = options.estimator ?? "auto";
  if (estimator !== "auto" && estimator !== "reparam" && estimator !== "score") {
    throw new VireoError("INVALID_OPTION", `Variable '${name}': estimator '${String(estimator)}' is not one of 'auto', 'reparam', 'score'.`, { variable: name });
  }
  return { q, bijector: options.bijector ?? null, estimator };
}

function plateName(p: PlateRef | string | undefined): string | null {
  return p === undefined ? null : typeof p === "string" ? p : p.name;
}

/** Flattens a constant (number, array, nested rows, typed array, ndarray) to a Float64Array. */
export function flattenValue(v: number | readonly number[] | Float64Array | Arr | readonly (readonly number[])[], what = "Constant"): Float64Array {
  if (typeof v === "number") return Float64Array.of(v);
  if (v instanceof Float64Array) return v.slice();
  if (ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array)) return Float64Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) {
    const flat = (v as unknown[]).flat(2);
    const bad = flat.findIndex((x) => typeof x !== "number");
    if (bad >= 0) {
      const x = flat[bad];
      throw new VireoError("INVALID_DATA", `${what}: entry ${bad} is ${x === null ? "null" : Array.isArray(x) ? "a nested array deeper than rows × columns" : `${typeof x} ${String(x)}`}; a constant must be numbers.`);
    }
    return Float64Array.from(flat as number[]);
  }
  const a = v as Arr;
  if (a === null || typeof a !== "object" || !Array.isArray(a.shape) || typeof a.get !== "function") {
    throw new VireoError("INVALID_DATA", `${what}: expected a number, an array of numbers, a typed array or an ndarray, got ${a === null ? "null" : typeof a}.`);
  }
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
export interface NodeLookup extends FamilySource {
  node(name: string): NodeType;
  rulesForFamily?(family: string): string[];
}

export class ModelBuilder {
  private readonly registry: NodeLookup | null;

  /** `registry` lets factor() and mixture() take node types by name ("StudentTLinear"). */
  constructor(options: { registry?: NodeLookup } = {}) {
    this.registry = options.registry ?? null;
  }

  // Null-prototype records: names such as 'constructor' or '__proto__' are ordinary names.
  private readonly plates: Record<string, PlateSpec> = Object.create(null);
  private readonly variables: Record<string, VariableSpec> = Object.create(null);
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
    if (size !== undefined && !(Number.isInteger(size) && size >= 1 && size <= MAX_PLATE_SIZE)) {
      throw new VireoError("INVALID_MODEL", `Plate '${name}': size must be a positive integer ≤ ${MAX_PLATE_SIZE}, got ${size}.`, { variable: name });
    }
    this.plates[name] = { name, size: size ?? null, multiplicity };
    return new PlateRef(name, size ?? null);
  }

  /**
   * A latent variable whose posterior q is inferred: in closed form by default, or by gradients
   * with `{ q: fullRankGaussian() }` (any VariationalFamily) through the family's support bijector.
   */
  random<F extends ExponentialFamily<any, any>>(name: string, family: F, options: RandomOptions = {}): VariableRef<F> {
    const ref = this.declare(name, "random", family, options, (family as ExponentialFamily | undefined)?.valueSize ?? 1);
    if (options.q !== undefined || options.bijector !== undefined || options.estimator !== undefined) {
      (this.variables[name] as { gradient?: GradientFitSpec | null }).gradient = gradientSpec(name, family, options);
    }
    return ref as VariableRef<F>;
  }

  /** A variable whose values are bound as data (by name) when inference runs. */
  observed(name: string, family: ExponentialFamily, options: VariableOptions = {}): VariableRef {
    return this.declare(name, "observed", family, options, (family as ExponentialFamily | undefined)?.valueSize ?? 1);
  }

  /** Covariates bound as data: `size` numbers per row, no distribution. */
  input(name: string, options: VariableOptions & { size?: number } = {}): VariableRef {
    return this.declare(name, "input", null, options, options.size ?? 1);
  }

  /**
   * A fixed value. With a family it can connect to that family's edges (stats T(value));
   * without, only to `input` edges. In a plate of known size K (`{ plate }`) it holds K values,
   * one per instance (e.g. known per-component parameters of a mixture or an HMM).
   */
  constant(name: string, value: number | readonly number[] | Float64Array | Arr, family: ExponentialFamily | null = null, options: { readonly plate?: PlateRef | string } = {}): VariableRef {
    this.checkName(name, "variable");
    const v = flattenValue(value, `Constant '${name}'`);
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i])) {
        throw new VireoError("INVALID_DATA", `Constant '${name}': entry ${i} is ${v[i]}; constants must be finite numbers.`, { variable: name });
      }
    }
    let size = 1;
    if (options.plate !== undefined) {
      const plateName = typeof options.plate === "string" ? options.plate : options.plate.name;
      const plateSize = this.plates[plateName]?.size ?? null;
      if (plateSize === null) {
        throw new VireoError("INVALID_MODEL", `Constant '${name}': its plate '${plateName}' must be declared with a known size (model.plate(name, K)); a data plate's rows are data: use model.observed.`, { variable: name });
      }
      size = plateSize;
    }
    const valueSize = family ? family.valueSize : v.length / size;
    if (options.plate !== undefined && (!Number.isInteger(valueSize) || v.length !== size * valueSize)) {
      throw new VireoError("INVALID_DATA", `Constant '${name}': a constant in a plate of ${size} needs ${size} values of ${family ? valueSize : "equal length"} (${family ? size * valueSize : `a multiple of ${size}`} numbers), got ${v.length}.`, { variable: name });
    }
    if (family !== null && v.length > 0 && v.length % family.valueSize === 0) {
      // The family's support check (e.g. a precision matrix that is not positive definite), at
      // declaration, naming the factor and edge of an inline constant.
      const dot = name.lastIndexOf(".");
      const where = dot > 0 ? ` (factor '${name.slice(0, dot)}', edge '${name.slice(dot + 1)}')` : "";
      try {
        family.checkSupport(v, v.length / family.valueSize, `Constant '${name}'${where} is outside the support of ${family.key}`, name);
      } catch (e) {
        if (!(e instanceof VireoError) || dot <= 0) throw e;
        throw new VireoError(e.code, e.message, { ...e.context, node: name.slice(0, dot), edge: name.slice(dot + 1) });
      }
    }
    const ref = this.declare(name, "constant", family, options.plate !== undefined ? { plate: options.plate } : {}, valueSize);
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
    const selector = edges[SELECTOR_EDGE]!;
    const sel = this.bindingName(selector);
    const selVar = sel ? this.variables[sel] : undefined;
    if (!selVar || !selVar.family || !familyFits(SELECTOR_FAMILIES, selVar.family.name)) {
      throw new VireoError("INVALID_MODEL", `Mixture of ${type.name}: '${SELECTOR_EDGE}' must be a declared ${SELECTOR_FAMILIES.split("|").join(" or ")} variable, got ${sel ?? typeof selector}.`, { edge: SELECTOR_EDGE });
    }
    const K = selVar.family.dim;
    const components: string[] = [];
    for (const [edge, v] of Object.entries(edges)) {
      if (edge === SELECTOR_EDGE) continue;
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
  latent<F extends ExponentialFamily<any, any>>(name: string, family: F, type: NodeType | string, edges: Readonly<Record<string, EdgeValue>>, options: RandomOptions = {}): VariableRef<F> {
    return this.withFactor(this.random(name, family, options), type, edges);
  }

  /** The same for an observed variable: `m.observe("y", Normal, NormalNode, { mean: mu, precision: tau }, { plate })`. */
  observe(name: string, family: ExponentialFamily, type: NodeType | string, edges: Readonly<Record<string, EdgeValue>>, options: VariableOptions = {}): VariableRef {
    return this.withFactor(this.observed(name, family, options), type, edges);
  }

  private withFactor<R extends VariableRef<any>>(v: R, type: NodeType | string, edges: Readonly<Record<string, EdgeValue>>): R {
    const node = this.resolve(type);
    const out = node.edges[0]!.name;
    if (Object.hasOwn(edges, out)) {
      throw new VireoError("INVALID_MODEL", `${node.name} for '${v.name}': the '${out}' edge is '${v.name}' itself; give only the other edges (${node.edges.slice(1).map((e) => e.name).join(", ")}).`, { variable: v.name, edge: out });
    }
    this.factor(node, { ...edges, [out]: v });
    return v;
  }

  /** Validates the graph and returns the frozen model (with `model.summary()` to print it). */
  build(): BuiltModel {
    const checked: Model = {
      plates: Object.assign(Object.create(null), this.plates),
      variables: Object.assign(Object.create(null), this.variables),
      factors: this.factors.slice(),
      order: this.order.slice(),
    };
    let factorPlates: ReadonlyMap<FactorSpec, string | null>;
    try {
      factorPlates = validateModel(checked);
      checkPropriety(checked);
      checkAmortised(checked);
    } catch (e) {
      throw this.withRegisteredRules(e, checked);
    }
    const model: Model = { ...checked, factors: checked.factors.map((f) => ({ ...f, plate: factorPlates.get(f) ?? null })) };
    // Freeze topology only: families and node types are shared objects and stay as they are.
    for (const v of Object.values(model.variables)) Object.freeze(v);
    for (const f of model.factors) freeze(f.edges, true);
    // Methods are non-enumerable: the model stays plain data to serialisers and comparisons.
    Object.defineProperty(model, "summary", { value: () => describeModel(model), enumerable: false });
    Object.defineProperty(model, "outline", { value: () => modelOutline(model), enumerable: false });
    return freeze(model, false) as BuiltModel;
  }

  /** A node type given by name is looked up in the registry (UNKNOWN_NAME lists what exists). */
  private resolve(type: NodeType | string): NodeType {
    if (typeof type !== "string") {
      if (type === null || typeof type !== "object" || !Array.isArray((type as NodeType).edges) || typeof (type as NodeType).name !== "string") {
        throw new VireoError("INVALID_NODE", `Expected a node type (e.g. NormalNode) or a registered node name, got ${type === null ? "null" : typeof type}.`);
      }
      return type;
    }
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
    if (v instanceof VariableRef || v instanceof IndexedRef) return this.own(v).name;
    if (typeof v === "string") return v;
    return null;
  }

  /** A reference made by another builder would silently bind by name to this builder's variable. */
  private own<T extends VariableRef | IndexedRef>(ref: T): T {
    const owner = owners.get(ref);
    if (owner !== undefined && owner !== this) {
      throw new VireoError(
        "INVALID_MODEL",
        `Variable reference '${ref.name}' was declared by another ModelBuilder; a reference belongs to the builder that returned it. Declare '${ref.name}' on this builder and use its reference.`,
        { variable: ref.name },
      );
    }
    return ref;
  }

  private declare(name: string, kind: VariableSpec["kind"], family: ExponentialFamily | null, options: VariableOptions, valueSize: number): VariableRef {
    this.checkName(name, "variable");
    if (family !== null && (family === undefined || typeof family !== "object" || typeof family.name !== "string" || typeof family.size !== "number")) {
      throw new VireoError("INVALID_MODEL", `Variable '${name}': the family must be an exponential family (e.g. Normal, MvNormal(3)), got ${family === undefined ? "undefined" : typeof family}.`, { variable: name });
    }
    if (family !== null && family.dim > MAX_DIMENSION) {
      throw new VireoError("INVALID_MODEL", `Variable '${name}': ${family.key} has dimension ${family.dim}, above the limit of ${MAX_DIMENSION}.`, { variable: name });
    }
    const plate = plateName(options.plate);
    if (plate !== null && !this.plates[plate]) {
      throw new VireoError("UNKNOWN_NAME", `Variable '${name}': unknown plate '${plate}'; declared plates are [${Object.keys(this.plates).join(", ")}].`, { variable: name });
    }
    const factorisation = options.factorisation ?? "joint";
    if (factorisation === "mean-field" && family?.hasMeanField !== true) {
      throw new VireoError("INVALID_MODEL", `Variable '${name}': factorisation 'mean-field' splits q into independent components, but ${family ? family.key : "a variable without a family"} has no mean-field form (vector Gaussians have one).`, { variable: name });
    }
    this.variables[name] = { name, kind, family, plate, valueSize, factorisation, value: null, deterministic: null };
    this.order.push(name);
    const ref = new VariableRef(name);
    owners.set(ref, this);
    return ref;
  }

  private checkName(name: string, what: string): void {
    if (typeof name !== "string" || !/^[A-Za-z_][\w.\-\[\]]*$/.test(name)) {
      const shown = typeof name === "string" ? JSON.stringify(name) : typeof name === "number" ? String(name) : `of type ${name === null ? "null" : typeof name}`;
      throw new VireoError("INVALID_MODEL", `Invalid ${what} name ${shown}: use letters, digits, '_', '.', '-'.`);
    }
    if (this.variables[name] !== undefined || this.plates[name] !== undefined || this.factors.some((f) => f.name === name)) {
      const was = this.variables[name] ? `${this.variables[name]!.kind} variable` : this.plates[name] ? "a plate" : "a factor";
      throw new VireoError("DUPLICATE_NAME", `'${name}' is already declared (${was}); each name may be declared once.`, { variable: name });
    }
  }

  private addFactor(type: NodeType, edges: Readonly<Record<string, EdgeValue>>, name: string | undefined, componentEdges: string[]): string {
    const fname = name ?? `${type.name.replace(/[^\w]/g, "")}_${this.factors.length}`;
    if (edges === null || typeof edges !== "object" || Array.isArray(edges)) {
      throw new VireoError("INVALID_MODEL", `Factor '${fname}' (${type.name}): edges must be a record { edge: variable | value }, got ${edges === null ? "null" : Array.isArray(edges) ? "an array" : typeof edges}.`, { node: fname });
    }
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
      if (v instanceof VariableRef || typeof v === "string") bound[spec.name] = { variable: typeof v === "string" ? v : this.own(v).name, index: null };
      else if (v instanceof IndexedRef) bound[spec.name] = { variable: this.own(v).name, index: v.index };
      else {
        const value = flattenValue(v as number | Float64Array | Arr, `Factor '${fname}', edge '${spec.name}'`);
        const cname = `${fname}.${spec.name}`;
        const family = familyForValue(spec, value.length, `Factor '${fname}', edge '${spec.name}'`, this.registry);
        this.constant(cname, value, family);
        bound[spec.name] = { variable: cname, index: null };
      }
    }
    this.factors.push({ name: fname, type, edges: bound, plate: null, componentEdges });
    return fname;
  }
}

/** What ModelBuilder.build() returns: the model, plus ways to print it. */
export interface BuiltModel extends Model {
  /** A readable description: plates, variables (kind, family, plate, factorisation, q), factors and their edges (describeModel). */
  summary(): string;
  /** The same facts as data (modelOutline). */
  outline(): ModelOutline;
}
