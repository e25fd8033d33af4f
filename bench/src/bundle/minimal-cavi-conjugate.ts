/** The minimal CAVI app through the conjugate-only entry (@vireo/runtime/conjugate): README's first model. */
import { Normal, Gamma } from "@vireo/core";
import { NormalNode, GammaNode } from "@vireo/nodes";
import { ModelBuilder, cavi } from "@vireo/runtime/conjugate";

const m = new ModelBuilder();
const rows = m.plate("rows");
const mu = m.random("mu", Normal);
const tau = m.random("tau", Gamma);
m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
m.factor(GammaNode, { out: tau, shape: 1, rate: 1 });
const y = m.observed("y", Normal, { plate: rows });
m.factor(NormalNode, { out: y, mean: mu, precision: tau });
const result = cavi(m.build(), { data: { y: [4.9, 5.3, 6.1, 5.0] } });
console.log(result.posteriors.mu!.params());
