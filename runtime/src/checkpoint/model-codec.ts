/**
 * Model specs as plain data, and back. Families travel as keys ("MvNormal(3)") and node types as
 * names ("StudentTLinear", "Mixture(MvNormal)"); decoding resolves both through a Registry and
 * replays a ModelBuilder, so a decoded model is validated exactly like one built in code.
 * Deterministic variables hold JavaScript functions, which no file can carry: a model with one
 * is refused at encode time (compute the values into an input variable instead). Density factors
 * and gradient-fitted variables (q, bijector) are functions too, but a checkpoint of them is still
 * useful: their names travel with the spec, and decoding takes the live model from the caller
 * (`decodeCheckpoint(bytes, registry, { model })`) and checks that its spec is the stored one.
 */
import { VireoError } from "@vireo/core";
import { ModelBuilder, IndexedRef, type EdgeValue } from "../model/builder.js";
import type { Model, VariableKind, Factorisation } from "../model/spec.js";
import type { Registry } from "../registry/registry.js";
import { invalid, record, str, strOrNull, int, oneOf, array, f64, isMap, keysOf } from "./schema.js";

export interface PlateData { readonly name: string; readonly size: number | null; readonly multiplicity: string | null }
export interface VariableData {
  readonly name: string;
  readonly kind: Exclude<VariableKind, "deterministic">;
  readonly family: string | null;
  readonly plate: string | null;
  readonly valueSize: number;
  readonly factorisation: Factorisation;
  readonly value: Float64Array | null;
  /** Gradient-fitted variables only: the names of q and of the bijector, and the estimator. */
  readonly gradient?: { readonly q: string; readonly bijector: string; readonly estimator: string };
}
export interface FactorData {
  readonly name: string;
  readonly type: string;
  readonly edges: Readonly<Record<string, { readonly variable: string; readonly index: string | null }>>;
  readonly componentEdges: readonly string[];
}
export interface ModelData {
  readonly plates: readonly PlateData[];
  readonly variables: readonly VariableData[];
  readonly factors: readonly FactorData[];
}

const NAME = /^[A-Za-z_][\w.\-\[\]]*$/;
const TYPE = /^(?:[A-Za-z_]\w*|Mixture\([A-Za-z_]\w*\))$/;
const EDGE = /^[A-Za-z_]\w*$/;
const KINDS = ["random", "observed", "constant", "input"] as const;
const MAX_SIZE = 2 ** 31 - 1;

/** The model as plain data (typed arrays copied). Throws INVALID_CHECKPOINT for deterministic variables. */
export function modelToData(model: Model): ModelData {
  const variables: VariableData[] = model.order.map((name) => {
    const v = model.variables[name]!;
    if (v.kind === "deterministic") {
      throw new VireoError(
        "INVALID_CHECKPOINT",
        `Cannot checkpoint this model: '${name}' is a deterministic variable, whose compute function cannot be saved. ` +
          `Compute its values before inference and bind them to an input variable (model.input('${name}', …)) instead.`,
        { variable: name },
      );
    }
    const data = { name, kind: v.kind, family: v.family?.key ?? null, plate: v.plate, valueSize: v.valueSize, factorisation: v.factorisation, value: v.value ? v.value.slice() : null };
    if (!v.gradient) return data;
    const g = v.gradient;
    return { ...data, gradient: { q: g.q.name, bijector: (g.bijector ?? v.family!.supportBijector)?.name ?? "none", estimator: g.estimator } };
  });
  return {
    plates: Object.values(model.plates).map((p) => ({ name: p.name, size: p.size, multiplicity: p.multiplicity ?? null })),
    variables,
    factors: model.factors.map((f) => {
      const edges: Record<string, { variable: string; index: string | null }> = {};
      for (const e of f.type.edges) edges[e.name] = { variable: f.edges[e.name]!.variable, index: f.edges[e.name]!.index };
      return { name: f.name, type: f.type.name, edges, componentEdges: f.componentEdges.slice() };
    }),
  };
}

/** Checks the shape of decoded model data (types, names, lengths) without touching the registry. */
export function readModelData(v: unknown, path: string): ModelData {
  const m = record(v, path, ["plates", "variables", "factors"]);
  const plates = array(m("plates"), `${path}.plates`).map((p, i) => {
    const at = `${path}.plates[${i}]`, r = record(p, at, ["name", "size", "multiplicity"]);
    const size = r("size");
    return { name: str(r("name"), `${at}.name`, NAME), size: size === null ? null : int(size, `${at}.size`, 1, MAX_SIZE), multiplicity: strOrNull(r("multiplicity"), `${at}.multiplicity`, NAME) };
  });
  const variables = array(m("variables"), `${path}.variables`).map((x, i) => {
    const at = `${path}.variables[${i}]`, r = record(x, at, ["name", "kind", "family", "plate", "valueSize", "factorisation", "value"], ["gradient"]);
    const value = r("value"), gradient = r("gradient");
    const g = gradient === undefined ? undefined : record(gradient, `${at}.gradient`, ["q", "bijector", "estimator"]);
    return {
      ...(g === undefined ? {} : { gradient: { q: str(g("q"), `${at}.gradient.q`), bijector: str(g("bijector"), `${at}.gradient.bijector`), estimator: str(g("estimator"), `${at}.gradient.estimator`) } }),
      name: str(r("name"), `${at}.name`, NAME),
      kind: oneOf(r("kind"), `${at}.kind`, KINDS),
      family: strOrNull(r("family"), `${at}.family`),
      plate: strOrNull(r("plate"), `${at}.plate`, NAME),
      valueSize: int(r("valueSize"), `${at}.valueSize`, 1, MAX_SIZE),
      factorisation: oneOf(r("factorisation"), `${at}.factorisation`, ["joint", "mean-field"] as const),
      value: value === null ? null : f64(value, `${at}.value`),
    };
  });
  const factors = array(m("factors"), `${path}.factors`).map((x, i) => {
    const at = `${path}.factors[${i}]`, r = record(x, at, ["name", "type", "edges", "componentEdges"]);
    const rawEdges = r("edges");
    if (!isMap(rawEdges)) throw invalid(`${at}.edges`, "expected a map of edge name → { variable, index }.");
    const edges: Record<string, { variable: string; index: string | null }> = {};
    for (const e of keysOf(rawEdges, `${at}.edges`)) {
      const ea = `${at}.edges.${e}`;
      str(e, ea, EDGE);
      const b = record(rawEdges[e], ea, ["variable", "index"]);
      edges[e] = { variable: str(b("variable"), `${ea}.variable`, NAME), index: strOrNull(b("index"), `${ea}.index`, NAME) };
    }
    const componentEdges = array(r("componentEdges"), `${at}.componentEdges`).map((c, j) => str(c, `${at}.componentEdges[${j}]`, EDGE));
    return { name: str(r("name"), `${at}.name`, NAME), type: str(r("type"), `${at}.type`, TYPE), edges, componentEdges };
  });
  return { plates, variables, factors };
}

/** Equal model data: same keys and values, typed arrays bit for bit. */
function sameData(a: unknown, b: unknown): boolean {
  if (a instanceof Float64Array || b instanceof Float64Array) {
    if (!(a instanceof Float64Array && b instanceof Float64Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameData(x, b[i]));
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined), kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return Object.is(a, b);
}

/**
 * The caller's model for stored model data that names functions (density factors, gradient-fitted
 * variables): its spec must be the stored one exactly, else INVALID_CHECKPOINT.
 */
export function modelMatchingData(data: ModelData, model: Model, path: string): Model {
  let live: ModelData;
  try {
    live = modelToData(model);
  } catch (e) {
    throw invalid(path, `the model given to decode with cannot be checkpointed: ${(e as Error).message}`);
  }
  for (const key of ["plates", "variables", "factors"] as const) {
    const a = data[key] as readonly { name: string }[], b = live[key] as readonly { name: string }[];
    if (a.length !== b.length) throw invalid(`${path}.${key}`, `the checkpoint's model has ${a.length} ${key}, the model given has ${b.length}; decode with the model the checkpoint was made from.`);
    a.forEach((x, i) => {
      if (!sameData(x, b[i])) throw invalid(`${path}.${key}[${i}]`, `the checkpoint's '${x.name}' differs from the given model's '${b[i]!.name}'; decode with the model the checkpoint was made from.`);
    });
  }
  return model;
}

/** Wraps a build error so it says where in the checkpoint the model stopped making sense. */
function rebuildError(e: unknown, path: string): VireoError {
  const what = e instanceof VireoError ? `${e.code}: ${e.message}` : String(e);
  return invalid(path, `the model does not rebuild with this registry — ${what}`);
}

/**
 * Rebuilds the model by replaying a ModelBuilder through `registry`. `maxFamilySize` bounds the
 * natural-parameter length of any family a key may ask for (no allocation beyond the input).
 */
export function modelFromData(data: ModelData, registry: Registry, path: string, maxFamilySize: number): Model {
  const fitted = data.variables.findIndex((v) => v.gradient !== undefined);
  if (fitted >= 0) {
    throw invalid(`${path}.variables[${fitted}].gradient`, `'${data.variables[fitted]!.name}' is fitted by gradients (q ${data.variables[fitted]!.gradient!.q}), which a registry cannot rebuild from names; decode with the live model: decodeCheckpoint(bytes, registry, { model }).`);
  }
  const m = new ModelBuilder({ registry });
  const family = (key: string | null, at: string) => {
    if (key === null) return null;
    try {
      const f = registry.family(key);
      if (f.size > maxFamilySize) throw invalid(at, `family ${key} has ${f.size} natural parameters, more than the checkpoint's size justifies.`);
      return f;
    } catch (e) {
      throw e instanceof VireoError && e.code === "INVALID_CHECKPOINT" ? e : rebuildError(e, at);
    }
  };
  data.plates.forEach((p, i) => {
    try {
      m.plate(p.name, { ...(p.size !== null ? { size: p.size } : {}), ...(p.multiplicity !== null ? { multiplicity: p.multiplicity } : {}) });
    } catch (e) {
      throw rebuildError(e, `${path}.plates[${i}]`);
    }
  });
  data.variables.forEach((v, i) => {
    const at = `${path}.variables[${i}]`, fam = family(v.family, `${at}.family`);
    const options = { ...(v.plate !== null ? { plate: v.plate } : {}), factorisation: v.factorisation };
    if ((v.kind === "random" || v.kind === "observed") && fam === null) throw invalid(at, `a ${v.kind} variable needs a family.`);
    if (v.kind === "input" && fam !== null) throw invalid(at, "an input variable has no family.");
    if ((v.kind === "constant") !== (v.value !== null)) throw invalid(`${at}.value`, "constants, and only constants, carry a value.");
    if (v.kind === "constant" && v.plate !== null) throw invalid(`${at}.plate`, "constants live outside plates.");
    const expectedSize = fam ? fam.valueSize : v.kind === "constant" ? v.value!.length : v.valueSize;
    if (v.valueSize !== expectedSize) throw invalid(`${at}.valueSize`, `expected ${expectedSize}, got ${v.valueSize}.`);
    try {
      if (v.kind === "random") m.random(v.name, fam!, options);
      else if (v.kind === "observed") m.observed(v.name, fam!, options);
      else if (v.kind === "input") m.input(v.name, { ...options, size: v.valueSize });
      else m.constant(v.name, v.value!, fam);
    } catch (e) {
      throw rebuildError(e, at);
    }
  });
  data.factors.forEach((f, i) => {
    const at = `${path}.factors[${i}]`;
    const edges: Record<string, EdgeValue> = {};
    for (const [e, b] of Object.entries(f.edges)) edges[e] = b.index === null ? b.variable : new IndexedRef(b.variable, b.index);
    const mixture = /^Mixture\((\w+)\)$/.exec(f.type);
    try {
      if (mixture) {
        m.mixture(mixture[1]!, edges as Record<string, EdgeValue> & { selector: EdgeValue }, { name: f.name });
      } else {
        if (f.componentEdges.length > 0) throw invalid(`${at}.componentEdges`, `only mixtures have component edges, but '${f.type}' is not one.`);
        m.factor(f.type, edges, { name: f.name });
      }
    } catch (e) {
      throw e instanceof VireoError && e.code === "INVALID_CHECKPOINT" ? e : rebuildError(e, at);
    }
  });
  let model: Model;
  try {
    model = m.build();
  } catch (e) {
    throw rebuildError(e, path);
  }
  // A mixture's component edges are inferred from the plates on replay; they must match.
  model.factors.forEach((f, i) => {
    const want = data.factors[i]!.componentEdges;
    if (f.componentEdges.length !== want.length || f.componentEdges.some((c, j) => c !== want[j])) {
      throw invalid(`${path}.factors[${i}].componentEdges`, `stored [${want.join(", ")}] but the model implies [${f.componentEdges.join(", ")}].`);
    }
  });
  return model;
}
