/**
 * The Student-t pack: robust regression as a Gamma scale mixture of Normals. `studentTScale`
 * declares the per-row scales λ_n ~ Gamma(ν/2, ν/2) that StudentTLinear's `scale` edge takes.
 */
import { Gamma, VireoError } from "@vireo/core";
import { GammaNode } from "@vireo/nodes";
import type { ModelBuilder, Pack, PlateRef, VariableRef } from "@vireo/runtime";
import { StudentTLinearNode } from "./student-t-linear.js";

export const studentTPack: Pack = Object.freeze({ name: "student-t", nodes: [StudentTLinearNode] });

/**
 * Declares `name` as a latent Gamma scale per row of `plate` with prior Gamma(ν/2, ν/2), so the
 * marginal noise is Student-t with ν = `dof` degrees of freedom (smaller ν: heavier tails).
 */
export function studentTScale(m: ModelBuilder, name: string, options: { plate: PlateRef | string; dof: number }): VariableRef {
  const { dof } = options;
  if (!(typeof dof === "number" && Number.isFinite(dof) && dof > 0)) {
    throw new VireoError("INVALID_PARAMETER", `studentTScale('${name}'): dof (ν) must be a finite number > 0, got ${String(dof)}.`, { parameter: "dof" });
  }
  const scale = m.random(name, Gamma, { plate: options.plate });
  m.factor(GammaNode, { out: scale, shape: dof / 2, rate: dof / 2 }, { name: `${name}_prior` });
  return scale;
}
