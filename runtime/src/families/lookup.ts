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
  const name = spec.family.split("|")[0]!;
  const ref = spec.families?.[0] ?? source?.familyRef?.(name) ?? (Object.hasOwn(builtinFamilies, name) ? builtinFamilies[name] : undefined);
  if (ref === undefined || typeof ref.constantFamily !== "function") {
    throw new VireoError("INVALID_MODEL", `${where}: cannot write a constant inline for a ${name} edge (the family is not known here); declare it with model.constant(name, value, family), or pass the family itself in the node's edge declaration.`);
  }
  return ref.constantFamily(valueLength, where);
}
