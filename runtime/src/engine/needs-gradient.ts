/** Which random variables the gradient machinery fits (a cheap check the conjugate core makes too). */
import { isDensityNode } from "@vireo/nodes";
import type { Model, VariableSpec } from "../model/spec.js";

/** Whether a random variable must be fitted by gradients: declared so, or touched by a density node. */
export function needsGradient(model: Model, v: VariableSpec): boolean {
  if (v.kind !== "random") return false;
  if (v.gradient) return true;
  return model.factors.some((f) => isDensityNode(f.type) && Object.values(f.edges).some((b) => b.variable === v.name));
}
