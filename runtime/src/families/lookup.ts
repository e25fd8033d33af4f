/**
 * The family of a constant written inline on a factor's edge (e.g. `precision: 2` on a Gamma
 * edge, a 3×3 matrix on a Wishart edge). The edge's family decides, through
 * ExponentialFamily.constantFamily / FamilyConstructor.constantFamily: the runtime knows no
 * family by name. The family comes from the node's own edge declaration, else the builder's
 * registry, else the families @vireo/core ships.
 */
import { VireoError, builtinFamilies, type ExponentialFamily, type FamilyRef } from "@vireo/core";
import type { EdgeSpec } from "@vireo/nodes";

/** Where families are looked up by name (a Registry satisfies it). */
export interface FamilySource {
  familyRef?(name: string): FamilyRef | undefined;
}

export function familyForValue(spec: EdgeSpec, valueLength: number, where: string, source: FamilySource | null = null): ExponentialFamily | null {
  if (spec.family === "input") return null;
  // An edge with alternatives ("Gamma|Wishart") takes the first family that can hold the value.
  const names = spec.family.split("|");
  let firstError: unknown = null;
  for (const [i, name] of names.entries()) {
    const ref = spec.families?.[i] ?? source?.familyRef?.(name) ?? (Object.hasOwn(builtinFamilies, name) ? builtinFamilies[name] : undefined);
    if (ref === undefined || typeof ref.constantFamily !== "function") {
      firstError ??= new VireoError("INVALID_MODEL", `${where}: cannot write a constant inline for a ${name} edge (the family is not known here); declare it with model.constant(name, value, family), or pass the family itself in the node's edge declaration.`);
      continue;
    }
    try {
      return ref.constantFamily(valueLength, where);
    } catch (e) {
      firstError ??= e;
    }
  }
  throw firstError;
}
