/**
 * A readable description of a built model: its plates, variables (kind, family, plate,
 * factorisation) and factors (node type and which variable each edge reads), as text. What
 * `console.log(describeModel(model))` prints; the same facts as data with `modelOutline(model)`.
 */
import type { Model } from "./spec.js";

export interface ModelOutline {
  readonly plates: readonly { readonly name: string; readonly size: number | "data" }[];
  readonly variables: readonly {
    readonly name: string;
    readonly kind: string;
    readonly family: string | null;
    readonly plate: string | null;
    readonly factorisation: string | null;
    /** How a gradient-fitted variable is fitted: its q (and bijector, when not the family's own); null for closed form. */
    readonly q: string | null;
  }[];
  readonly factors: readonly {
    readonly name: string;
    readonly node: string;
    readonly plate: string | null;
    readonly edges: Readonly<Record<string, string>>;
    readonly mixture: boolean;
  }[];
}

/** The model's structure as plain data. */
export function modelOutline(model: Model): ModelOutline {
  return {
    plates: Object.values(model.plates).map((p) => ({ name: p.name, size: p.size ?? "data" })),
    variables: model.order.map((name) => {
      const v = model.variables[name]!;
      const vector = v.family !== null && v.valueSize > 1 && v.kind === "random";
      const g = v.gradient ?? null;
      const q = g === null ? null : `${(g.q as { name?: string }).name ?? "q"}${g.bijector !== null ? ` through ${g.bijector.name}` : ""}`;
      return { name, kind: v.kind, family: v.family?.key ?? null, plate: v.plate, factorisation: vector ? v.factorisation : null, q };
    }),
    factors: model.factors.map((f) => ({
      name: f.name,
      node: f.type.name,
      plate: f.plate,
      mixture: f.componentEdges.length > 0,
      edges: Object.fromEntries(Object.entries(f.edges).map(([edge, b]) => [edge, b.index === null ? b.variable : `${b.variable}[${b.index}]`])),
    })),
  };
}

/** The model as indented text: plates, then variables, then factors. */
export function describeModel(model: Model): string {
  const o = modelOutline(model);
  // Constants are shown where they are used, by value.
  const shown = (name: string): string => {
    const v = model.variables[name];
    if (v?.kind !== "constant" || v.value === null) return name;
    return v.value.length === 1 ? String(v.value[0]) : v.value.length <= 4 ? `[${Array.from(v.value).join(", ")}]` : `constant[${v.value.length}]`;
  };
  const variables = o.variables.filter((v) => v.kind !== "constant");
  const lines: string[] = [];
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  lines.push(`Model: ${plural(variables.length, "variable")}, ${plural(o.factors.length, "factor")}, ${plural(o.plates.length, "plate")}`);
  if (o.plates.length > 0) {
    lines.push("  plates:");
    for (const p of o.plates) lines.push(`    ${p.name} (size ${p.size === "data" ? "from the data" : p.size})`);
  }
  lines.push("  variables:");
  const width = Math.max(...variables.map((v) => v.name.length), 4);
  for (const v of variables) {
    const where = v.plate ? ` over ${v.plate}` : "";
    const fam = v.family ? ` ~ q ${v.family}` : "";
    const fact = v.factorisation ? `, ${v.factorisation}` : "";
    const fit = v.q ? `, fitted by gradients with q = ${v.q}` : "";
    lines.push(`    ${v.name.padEnd(width)}  ${v.kind}${v.kind === "random" ? fam : v.family ? ` ${v.family}` : ""}${where}${fact}${fit}`);
  }
  lines.push("  factors:");
  for (const f of o.factors) {
    const edges = Object.entries(f.edges).map(([e, v]) => `${e}=${shown(v)}`).join(", ");
    lines.push(`    ${f.name}: ${f.node}${f.mixture ? " (mixture)" : ""}(${edges})${f.plate ? ` over ${f.plate}` : ""}`);
  }
  return lines.join("\n");
}
