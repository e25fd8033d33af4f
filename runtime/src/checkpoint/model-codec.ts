/**
 * Model specs as plain data, and back. Families travel as keys ("MvNormal(3)") and node types as
 * names ("StudentTLinear", "Mixture(MvNormal)"); decoding resolves both through a Registry and
 * replays a ModelBuilder, so a decoded model is validated exactly like one built in code.
 * Deterministic variables hold JavaScript functions, which no file can carry: a model with one
 * is refused at encode time (compute the values into an input variable instead).
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
    if (v.gradient) {
      throw new VireoError(
        "INVALID_CHECKPOINT",
        `Cannot checkpoint this model yet: '${name}' is fitted by gradients (its q and optimiser state are not part of the checkpoint format). Checkpoint models whose variables are all closed-form.`,
        { variable: name },
      );
    }
    return { name, kind: v.kind, family: v.family?.key ?? null, plate: v.plate, valueSize: v.valueSize, factorisation: v.factorisation, value: v.value ? v.value.slice() : null };
  });
  const density = model.factors.find((f) => (f.type as { density?: unknown }).density !== undefined);
  if (density) {
    throw new VireoError("INVALID_CHECKPOINT", `Cannot checkpoint this model yet: factor '${density.name}' is a density node (a function, which cannot be saved).`, { node: density.name });
  }
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
    const at = `${path}.variables[${i}]`, r = record(x, at, ["name", "kind", "family", "plate", "valueSize", "factorisation", "value"]);
    const value = r("value");
    return {
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
