/**
 * Build-time validation of a model's graph: names, families on edges, plates, deterministic
 * dependencies. Every error names the factor, edge or variable and says how to fix it.
 */
import { VireoError } from "@vireo/core";
import { familyFits, isDensityNode, type EdgeInfo } from "@vireo/nodes";
import type { Model, FactorSpec, VariableSpec } from "./spec.js";
import { ruleStub } from "../registry/stub.js";

const KNOWN_KINDS = new Set(["observed", "constant", "input", "deterministic"]);

export function isKnown(v: VariableSpec): boolean {
  return KNOWN_KINDS.has(v.kind);
}

function describe(v: VariableSpec): string {
  return `'${v.name}' (${v.kind}${v.family ? ` ${v.family.key}` : ""}${v.plate ? ` in plate '${v.plate}'` : ""})`;
}

/**
 * Validates `model` without changing it and returns the plate each factor lives in (inferred
 * from its edges), for the builder to record in the frozen model.
 */
export function validateModel(model: Model): ReadonlyMap<FactorSpec, string | null> {
  const factorPlates = new Map<FactorSpec, string | null>();
  const vars = model.variables;
  const known = Object.keys(vars);
  const lookup = (name: string, where: string, ctx: { node?: string; edge?: string; variable?: string }): VariableSpec => {
    const v = vars[name];
    if (!v) {
      throw new VireoError("UNKNOWN_NAME", `${where}: unknown variable '${name}'; declared variables are [${known.join(", ")}].`, ctx);
    }
    return v;
  };

  for (const p of Object.values(model.plates)) {
    if (p.multiplicity === null) continue;
    const c = model.variables[p.multiplicity];
    if (!c || c.kind !== "input" || c.plate !== p.name || c.valueSize !== 1) {
      throw new VireoError(
        "INVALID_MODEL",
        `Plate '${p.name}': multiplicity '${p.multiplicity}' must be an input column of that plate with one value per row; declare it with model.input('${p.multiplicity}', { plate: '${p.name}' }).`,
      );
    }
  }

  const connected = new Set<string>();
  for (const f of model.factors) {
    const info: Record<string, EdgeInfo> = {};
    for (const spec of f.type.edges) {
      const b = f.edges[spec.name]!;
      const where = `Factor '${f.name}' (${f.type.name}), edge '${spec.name}'`;
      const v = lookup(b.variable, where, { node: f.name, edge: spec.name });
      connected.add(v.name);
      if (spec.family === "input") {
        if (!isKnown(v)) {
          throw new VireoError("INVALID_MODEL", `${where} takes known values (data or constants), but ${describe(v)} is random.`, { node: f.name, edge: spec.name, variable: v.name });
        }
      } else if (!v.family || !familyFits(spec.family, v.family.name)) {
        throw new VireoError(
          "INVALID_MODEL",
          `${where} expects a ${spec.family} variable, but ${describe(v)} ${v.family ? `is ${v.family.key}` : "has no family"}. ` +
            `Connect a ${spec.family} variable or constant to '${spec.name}'.`,
          { node: f.name, edge: spec.name, variable: v.name },
        );
      }
      if (b.index !== null) {
        const idx = lookup(b.index, `${where}, index`, { node: f.name, edge: spec.name });
        if (!isKnown(idx) || idx.valueSize !== 1) {
          throw new VireoError("INVALID_MODEL", `${where}: index '${idx.name}' must be a known column with one integer per row (an input or observed variable).`, { node: f.name, edge: spec.name, variable: idx.name });
        }
      }
      // A density node has no messages: its random variables are fitted by gradients.
      if (!isKnown(v) && !f.type.messages[spec.name] && !isDensityNode(f.type)) throw missingRule(f, spec.name, v);
      info[spec.name] = { family: v.family, known: isKnown(v), valueSize: v.valueSize };
    }
    factorPlates.set(f, inferPlate(model, f));
    f.type.check?.(info, f.name);
  }

  for (const v of Object.values(vars)) {
    if ((v.kind === "random" || v.kind === "observed") && !connected.has(v.name)) {
      throw new VireoError("INVALID_MODEL", `Variable ${describe(v)} is not connected to any factor; connect it or remove it.`, { variable: v.name });
    }
    if (v.kind === "constant" && v.value!.length % v.valueSize !== 0) {
      throw new VireoError("INVALID_DATA", `Constant ${describe(v)} has ${v.value!.length} values, not a multiple of ${v.valueSize}.`, { variable: v.name });
    }
    if (v.kind === "constant" && v.family) {
      v.family.checkSupport(v.value!, v.value!.length / v.valueSize, `Constant ${describe(v)} = [${Array.from(v.value!).join(", ")}] is outside the support of ${v.family.key}`, v.name);
    }
    if (v.kind === "deterministic") checkDeterministic(model, v);
  }
  return factorPlates;
}

/**
 * A random variable on an edge that has no message rule: the error prints a ready-to-fill stub
 * of the missing rule and lists the rules the node type does have.
 */
function missingRule(f: FactorSpec, edge: string, v: VariableSpec): VireoError {
  const have = Object.keys(f.type.messages);
  const spec = f.type.edges.find((e) => e.name === edge)!;
  const stub = ruleStub({ node: f.type, edge, familyKey: v.family?.key ?? null, size: v.family?.size ?? null });
  return new VireoError(
    "MISSING_RULE",
    `Factor '${f.name}' (${f.type.name}): '${v.name}' is random, but ${f.type.name} has no message rule for edge '${edge}'` +
      `${spec.knownOnly ? " (the edge takes observed or constant values only)" : ""}. ` +
      `Observe '${v.name}' or bind a constant, or give the node the rule. Possible fix, define:\n${stub}\n` +
      `Rules that exist for ${f.type.name}: [${have.join(", ")}].`,
    { node: f.name, edge, variable: v.name },
  );
}

/** A factor lives in the one plate its (non-component, non-indexed) variables share, if any. */
function inferPlate(model: Model, f: FactorSpec): string | null {
  const plates = new Set<string>();
  for (const [edge, b] of Object.entries(f.edges)) {
    const v = model.variables[b.variable]!;
    const whole = f.type.edges.find((e) => e.name === edge)?.allInstances === true;
    if (whole || f.componentEdges.includes(edge) || b.index !== null || v.plate === null) continue;
    plates.add(v.plate);
  }
  if (plates.size > 1) {
    throw new VireoError(
      "INVALID_MODEL",
      `Factor '${f.name}' (${f.type.name}) connects variables in different plates [${[...plates].join(", ")}]. ` +
        `A factor lives in one plate; read a variable of another plate through an index column (variable.at(index)).`,
      { node: f.name },
    );
  }
  const plate = plates.size === 1 ? [...plates][0]! : null;
  for (const [edge, b] of Object.entries(f.edges)) {
    if (b.index === null) continue;
    const idx = model.variables[b.index]!;
    if (plate === null || idx.plate !== plate) {
      throw new VireoError(
        "INVALID_MODEL",
        `Factor '${f.name}', edge '${edge}': index '${idx.name}' must be a column of the factor's plate ('${plate ?? "none"}').`,
        { node: f.name, edge },
      );
    }
  }
  return plate;
}

function checkDeterministic(model: Model, start: VariableSpec): void {
  const visiting: string[] = [];
  const visit = (v: VariableSpec): void => {
    if (v.kind !== "deterministic") return;
    const at = visiting.indexOf(v.name);
    if (at >= 0) {
      throw new VireoError(
        "INVALID_MODEL",
        `Deterministic variables form a cycle: ${[...visiting.slice(at), v.name].join(" → ")}. A deterministic value must not depend on itself.`,
        { variable: v.name },
      );
    }
    visiting.push(v.name);
    for (const dep of v.deterministic!.from) {
      const d = model.variables[dep];
      if (!d) {
        throw new VireoError("UNKNOWN_NAME", `Deterministic '${v.name}': unknown input '${dep}'; declared variables are [${Object.keys(model.variables).join(", ")}].`, { variable: v.name });
      }
      if (!isKnown(d)) {
        throw new VireoError("INVALID_MODEL", `Deterministic '${v.name}' depends on ${describe(d)}, which is random; deterministic values may only transform data and constants.`, { variable: v.name });
      }
      if (d.plate !== null && d.plate !== v.plate) {
        throw new VireoError("INVALID_MODEL", `Deterministic '${v.name}' (plate '${v.plate ?? "none"}') reads '${d.name}' from plate '${d.plate}'; inputs must be in the same plate or global.`, { variable: v.name });
      }
      visit(d);
    }
    visiting.pop();
  };
  visit(start);
}
