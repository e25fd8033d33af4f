/**
 * The families Vireo ships, by name: what an edge that names a family ("Gamma", "MvNormal")
 * resolves to when no registry says otherwise. Dimensioned families are constructors.
 */
import type { FamilyRef } from "./family.js";
import { Normal } from "./normal.js";
import { Gamma } from "./gamma.js";
import { Beta } from "./beta.js";
import { Bernoulli } from "./bernoulli.js";
import { Poisson } from "./poisson.js";
import { Categorical } from "./categorical.js";
import { Dirichlet } from "./dirichlet.js";
import { MvNormal } from "./mvnormal.js";
import { Wishart } from "./wishart.js";

export const builtinFamilies: Readonly<Record<string, FamilyRef>> = Object.freeze({
  Normal, Gamma, Beta, Bernoulli, Poisson, Categorical, Dirichlet, MvNormal, Wishart,
});
