/**
 * Resolves a family from an edge's family name and the length of a value, for constants written
 * inline in a factor (e.g. `precision: 2` on a Gamma edge, a 3×3 matrix on a Wishart edge).
 */
import { Normal, Gamma, Beta, Bernoulli, Poisson, MvNormal, Wishart, Dirichlet, VireoError, type ExponentialFamily } from "@vireo/core";

export function familyForValue(familyName: string, valueLength: number, where: string): ExponentialFamily | null {
  switch (familyName) {
    case "input": return null;
    case "Normal": case "Gamma": case "Beta": case "Bernoulli": case "Poisson": {
      if (valueLength !== 1) break;
      return ({ Normal, Gamma, Beta, Bernoulli, Poisson } as Record<string, ExponentialFamily>)[familyName]!;
    }
    case "MvNormal": return MvNormal(valueLength);
    case "Dirichlet": if (valueLength >= 2) return Dirichlet(valueLength); break;
    case "Wishart": {
      const d = Math.round(Math.sqrt(valueLength));
      if (d * d === valueLength) return Wishart(d);
      break;
    }
    case "Categorical":
      throw new VireoError("INVALID_MODEL", `${where}: a constant category needs its number of categories; declare it with model.constant(name, value, Categorical(K)).`);
    default:
      throw new VireoError("INVALID_MODEL", `${where}: cannot write a constant inline for a ${familyName} edge; declare it with model.constant(name, value, family).`);
  }
  throw new VireoError("INVALID_MODEL", `${where}: a ${familyName} constant cannot have ${valueLength} values.`);
}
