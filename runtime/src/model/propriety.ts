/**
 * Improper joints the graph can see, refused at build time. A factor's `out` edge names the variable
 * the factor is a distribution over; its other edges are the parents. The joint of the random
 * variables is proper when each of them is grounded: it is the `out` of some factor whose random
 * parents are all grounded themselves. Three ways to fail, each with its own message:
 * - a self-loop: one random variable on two edges of one factor ({ out: mu, mean: mu });
 * - no prior: a random variable that is the `out` of no factor (nothing says where it lives);
 * - a cycle: a ~ N(b, 1), b ~ N(a, 1) with no other prior (the product does not normalise).
 * Factor types without an `out` edge (plugin or density factors that score several variables at
 * once) are trusted to ground every random variable they touch. A point-mass variable
 * (`q: pointMass()`) needs no prior: it is a parameter estimated by maximum likelihood (EM).
 */
import { VireoError } from "@vireo/core";
import type { Model, FactorSpec, VariableSpec } from "./spec.js";

const OUT = "out";

function priorHint(name: string): string {
  return `Give '${name}' a prior factor with it on the 'out' edge, e.g. m.factor(NormalNode, { out: ${name}, mean: 0, precision: 0.01 }).`;
}

/** Whether a variable's q is a point mass (a family instance or the unsized factory). */
function isPointMass(v: VariableSpec): boolean {
  const q = v.gradient?.q as { name?: unknown } | undefined;
  return q !== undefined && typeof q.name === "string" && /^PointMass\b/.test(q.name);
}

export function checkPropriety(model: Model): void {
  const isRandom = (name: string) => model.variables[name]!.kind === "random";
  // Parents of each random variable, per factor that has it on `out`.
  const priors = new Map<string, { factor: FactorSpec; parents: string[] }[]>();
  const trusted = new Set<string>();
  for (const v of Object.values(model.variables)) if (v.kind === "random" && isPointMass(v)) trusted.add(v.name);
  for (const f of model.factors) {
    const seen = new Map<string, string>();
    for (const [edge, b] of Object.entries(f.edges)) {
      if (!isRandom(b.variable) || b.index !== null || f.componentEdges.includes(edge)) continue;
      const allInstances = f.type.edges.find((e) => e.name === edge)?.allInstances === true;
      const prev = seen.get(b.variable);
      if (prev !== undefined && !allInstances) {
        throw new VireoError(
          "INVALID_MODEL",
          `Factor '${f.name}' (${f.type.name}) connects random variable '${b.variable}' to both edge '${prev}' and edge '${edge}': ` +
            `a self-loop, whose joint is improper (the fit would return a meaningless "converged" posterior). ` +
            `Use a separate variable for one of the edges.`,
          { node: f.name, edge, variable: b.variable },
        );
      }
      if (!allInstances) seen.set(b.variable, edge);
    }
    const out = f.edges[OUT];
    if (out === undefined) {
      for (const b of Object.values(f.edges)) if (isRandom(b.variable)) trusted.add(b.variable);
      continue;
    }
    if (!isRandom(out.variable)) continue;
    const parents = Object.entries(f.edges)
      .filter(([e, b]) => e !== OUT && isRandom(b.variable) && b.variable !== out.variable)
      .map(([, b]) => b.variable);
    const list = priors.get(out.variable) ?? [];
    list.push({ factor: f, parents });
    priors.set(out.variable, list);
  }
  const random = model.order.filter(isRandom);
  for (const name of random) {
    if (!priors.has(name) && !trusted.has(name)) {
      const on = model.factors.filter((f) => Object.values(f.edges).some((b) => b.variable === name)).map((f) => `'${f.name}'`);
      throw new VireoError(
        "INVALID_MODEL",
        `Random variable '${name}' has no prior: it is the 'out' of no factor (it appears only as a parameter of [${on.join(", ")}]), so its posterior is improper. ${priorHint(name)}`,
        { variable: name },
      );
    }
  }
  // Grounding: a fixed point over "some prior factor has only grounded random parents".
  const grounded = new Set<string>(trusted);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, list] of priors) {
      if (grounded.has(name)) continue;
      if (list.some((p) => p.parents.every((q) => grounded.has(q)))) {
        grounded.add(name);
        changed = true;
      }
    }
  }
  const ungrounded = random.filter((n) => !grounded.has(n));
  if (ungrounded.length === 0) return;
  // Name one cycle: follow the first ungrounded parent from the first ungrounded variable.
  const path: string[] = [];
  let at = ungrounded[0]!;
  while (!path.includes(at)) {
    path.push(at);
    const next = priors.get(at)?.flatMap((p) => p.parents).find((q) => !grounded.has(q));
    if (next === undefined) break;
    at = next;
  }
  const cycle = path.includes(at) ? [...path.slice(path.indexOf(at)), at] : path;
  throw new VireoError(
    "INVALID_MODEL",
    `Random variables [${ungrounded.join(", ")}] have no proper prior: each one's distribution depends on another of them ` +
      `(${cycle.join(" → ")}) and no factor grounds the cycle, so the joint does not normalise. ${priorHint(ungrounded[0]!)}`,
    { variable: ungrounded[0]! },
  );
}
