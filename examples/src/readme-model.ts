/**
 * README's first model (a Normal mean and Gamma precision for a column of numbers), built with the
 * ModelBuilder of whichever entry imports it (`@vireo/runtime` or `@vireo/runtime/conjugate`), and
 * README's four numbers. Used by the bundle-size apps and the tests of that model.
 */
import { Normal, Gamma } from "@vireo/core";
import { NormalNode, GammaNode } from "@vireo/nodes";
import type { ModelBuilder, BuiltModel } from "@vireo/runtime/conjugate";

export const README_DATA = { y: [4.9, 5.3, 6.1, 5.0] };

export function readmeModel(Builder: typeof ModelBuilder): BuiltModel {
  const m = new Builder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal);
  const tau = m.random("tau", Gamma);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
  m.factor(GammaNode, { out: tau, shape: 1, rate: 1 });
  const y = m.observed("y", Normal, { plate: rows });
  m.factor(NormalNode, { out: y, mean: mu, precision: tau });
  return m.build();
}
