/**
 * A factor's terms as a gradient step reads them: a density factor's log g on the tape (the
 * variable being stepped at its tape value, other gradient-fitted variables at their draws, known
 * edges as whole columns), the sum of a variable's conjugate messages, and the tape shapes of
 * plate columns. Shared by the per-variable step (engine/gradient.ts), the joint step, the moment
 * step and group, the joint gradient and the Monte Carlo ELBO.
 */
import { VireoError, ad, type Tape, type TNode } from "@vireo/core";
import { isDensityNode, isMomentNode, type NodeContext } from "@vireo/nodes";
import { momentDensityOnTape } from "./moment-step.js";
import { pointValue } from "./natural-step.js";
import type { VariableState, FactorState, CompiledState } from "./state.js";
import type { Model } from "../model/spec.js";

/** Whether a factor lives in a data plate (scaled by N/|B| under minibatching). */
export function isDataPlate(model: Model, f: FactorState): boolean {
  return f.spec.plate !== null && model.plates[f.spec.plate]!.size === null;
}

/** out ← Σ over v's conjugate neighbours of scale(f) · message(f → v). */
export function sumConjugate(v: VariableState, out: Float64Array, scale?: (f: FactorState) => number): void {
  out.fill(0);
  const tmp = v.scratch.message;
  for (const nb of v.neighbours) {
    const c = scale ? scale(nb.factor) : 1;
    if (c === 1) nb.rule(nb.factor.ctx, out);
    else {
      tmp.fill(0);
      nb.rule(nb.factor.ctx, tmp);
      for (let i = 0; i < out.length; i++) out[i] = out[i]! + c * tmp[i]!;
    }
  }
}

/** The tape shape of one edge's values: whole plate columns ([rows] or [rows, k]) or one value ([k]). */
export function edgeShape(count: number, valueSize: number): number[] {
  return count === 1 ? [valueSize] : valueSize === 1 ? [count] : [count, valueSize];
}

/**
 * log g of density factor f on `tape` at draw s: `self` (with its tape value `x`) is the variable
 * being stepped; other gradient-fitted variables enter as constants at their draw s; known edges
 * as their whole columns. Returns a scalar (row weights applied when the node returns one value per row).
 * A natural-step Gaussian edge enters as E_q[log f] in closed form when the node offers it, unless
 * `atDraws` (importance ratios need log f at the draw itself).
 */
export function densityOnTape(state: CompiledState, f: FactorState, tape: Tape, s: number, self: VariableState | null, x: TNode | null, atDraws = false): TNode {
  // A node with a moment form is evaluated through it (engine/moment-step.ts), except where the
  // plain density at joint draws is needed (importance ratios).
  if (!atDraws && isMomentNode(f.spec.type)) return momentDensityOnTape(state, f, tape, s, self === null ? null : { variable: self, draw: x! });
  const values: Record<string, TNode> = {};
  for (const [edge, b] of Object.entries(f.spec.edges)) {
    const u = state.variables.get(b.variable)!;
    const shape = edgeShape(u.count, u.spec.valueSize);
    if (u === self) values[edge] = shape.length === 1 ? x! : ad.reshape(x!, shape);
    else if (u.known) values[edge] = tape.constant(u.values, shape);
    else values[edge] = tape.constant(u.gradient!.draws[s % u.gradient!.samples]!, shape);
  }
  const type = f.spec.type;
  if (!isDensityNode(type)) throw new VireoError("INVALID_STATE", `Factor '${f.name}' is not a density node.`, { node: f.name });
  // An edge whose Gaussian q takes natural-gradient steps enters in closed form when the node can (E_q[log f]).
  const natural = type.density.natural, bound = natural?.expectedLogDensity ? f.spec.edges[natural.edge] : undefined;
  const qVar = bound === undefined ? undefined : state.variables.get(bound.variable);
  if (!atDraws && natural !== undefined && qVar !== undefined && qVar !== self && qVar.gradient?.natural) {
    delete values[natural.edge];
    // Other point masses at their current value, as the natural step read them.
    for (const [edge, b] of Object.entries(f.spec.edges)) {
      const u = state.variables.get(b.variable)!, point = u === self || u === qVar ? null : pointValue(u);
      if (point !== null) values[edge] = edgeValue(tape, u, point);
    }
    return reduceDensity(f, natural.expectedLogDensity!(values, qVar.gradient.natural.moments(), tape, f.ctx), tape);
  }
  const fn = type.density.logDensity;
  if (fn === undefined) {
    throw new VireoError("INVALID_MODEL", `Density node '${f.name}' (${type.name}) has only a numeric logDensityValue; a graph sweep evaluates density factors on the tape, so give it a log density on the tape too.`, { node: f.name });
  }
  return reduceDensity(f, fn(values, tape, f.ctx, { sample: s, data: undefined }), tape);
}

/** The tape node of one edge's values: whole plate columns, or one value (see `edgeShape`). */
export function edgeValue(tape: Tape, u: VariableState, values: Float64Array): TNode {
  return tape.constant(values, edgeShape(u.count, u.spec.valueSize));
}

/** A density node's log f as one scalar: row weights applied when it returned one value per row. */
export function reduceDensity(f: FactorState, out: TNode, tape: Tape): TNode {
  const ctx: NodeContext = f.ctx;
  if (!out || out.tape !== tape) {
    throw new VireoError("INVALID_NODE", `Density node '${f.name}' (${f.spec.type.name}): the log density must return a node built on the tape it was given.`, { node: f.name });
  }
  if (out.size === 1) {
    if (ctx.weights !== null) {
      throw new VireoError("INVALID_NODE", `Density node '${f.name}': its plate has row multiplicities, so the log density must return one value per row (shape [${ctx.rows}]), not their sum.`, { node: f.name });
    }
    return out;
  }
  if (out.size !== ctx.rows) {
    throw new VireoError("INVALID_NODE", `Density node '${f.name}' (${f.spec.type.name}): the log density returned shape [${out.shape.join(", ")}]; return a scalar or one value per row ([${ctx.rows}]).`, { node: f.name });
  }
  if (ctx.weights === null) return ad.sum(out);
  const w = ctx.weights;
  if (w.offset !== 0 || w.stride !== 1 || w.data.length !== ctx.rows) {
    throw new VireoError("INVALID_MODEL", `Density node '${f.name}' cannot sit inside a mixture (its rows would need per-component weights).`, { node: f.name });
  }
  return ad.sum(ad.mul(out, tape.constant(w.data)));
}
