/**
 * The streaming tests' smallest conjugate model: μ ~ N(0, 1/priorPrecision), y_n ~ N(μ, 1/noisePrecision)
 * over a plate "rows" (the posterior of μ after y is N(λΣy/(κ + λn), 1/(κ + λn)), κ the prior's
 * and λ the noise's precision).
 */
import { Normal } from "@vireo/core";
import { NormalNode } from "@vireo/nodes";
import { ModelBuilder } from "@vireo/runtime";

export function normalMeanModel(priorPrecision = 0.01, noisePrecision = 4) {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: mu, mean: 0, precision: priorPrecision });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: noisePrecision });
  return m.build();
}
