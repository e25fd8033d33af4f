/**
 * The update schedule, computed from the graph: variables outside data plates (globals and
 * per-component parameters) first, in declaration order, then the plate-local latent variables.
 * Starting with the globals lets the random starting responsibilities of a mixture break the
 * symmetry between components; ending with the locals makes the collapsed ELBO available.
 */
import { VireoError } from "@vireo/core";
import type { CompiledState, VariableState } from "./state.js";

export function computeSchedule(state: CompiledState): VariableState[] {
  const isLocal = (v: VariableState) => v.spec.plate !== null && state.model.plates[v.spec.plate]!.size === null;
  // Gaussians fitted by natural-gradient steps (svgpNode's q(v)) lead the globals: each sweep sets
  // them to their optimum given the rest first, so the hyperparameters' gradient steps that follow
  // are taken at the optimal q (the collapsed bound's gradient, by the envelope theorem).
  const natural = (v: VariableState) => v.gradient?.natural != null;
  const globals = state.random.filter((v) => !isLocal(v));
  return [...globals.filter(natural), ...globals.filter((v) => !natural(v)), ...state.random.filter(isLocal)];
}

/** A user-given schedule: every random variable exactly once, by name. */
export function scheduleFromNames(state: CompiledState, names: readonly string[]): VariableState[] {
  const byName = new Map(state.random.map((v) => [v.name, v]));
  const seen = new Set<string>();
  const out: VariableState[] = [];
  for (const n of names) {
    const v = byName.get(n);
    if (!v) throw new VireoError("INVALID_OPTION", `schedule: '${n}' is not a random variable; random variables are [${[...byName.keys()].join(", ")}].`, { variable: n });
    if (seen.has(n)) throw new VireoError("INVALID_OPTION", `schedule: '${n}' appears twice; list each random variable once.`, { variable: n });
    seen.add(n);
    out.push(v);
  }
  const missing = [...byName.keys()].filter((n) => !seen.has(n));
  if (missing.length > 0) throw new VireoError("INVALID_OPTION", `schedule: missing random variables [${missing.join(", ")}]; list each once.`);
  return out;
}
