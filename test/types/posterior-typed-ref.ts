/**
 * Type test (checked by `tsc -p tsconfig.json`): `result.posterior(ref)` is typed by the family the
 * reference was declared with, so `params().mean` needs neither `.as(Family)` nor a cast.
 */
import { Normal, Gamma, MvNormal } from "@vireo/core";
import { NormalNode, GammaNode, MvNormalNode } from "@vireo/nodes";
import { ModelBuilder, cavi } from "@vireo/runtime";

const m = new ModelBuilder();
const mu = m.random("mu", Normal);
const tau = m.latent("tau", Gamma, GammaNode, { shape: 1, rate: 1 });
const w = m.random("w", MvNormal(2));
m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
m.factor(MvNormalNode, { out: w, mean: new Float64Array(2), precision: new Float64Array([1, 0, 0, 1]) });
m.factor(NormalNode, { out: m.observed("y", Normal, { plate: m.plate("rows") }), mean: mu, precision: tau });
const result = cavi(m.build(), { data: { y: [4.9, 5.3, 6.1, 5.0] } });

const mean: number = result.posterior(mu).params().mean;
const shape: number = result.posterior(tau).params().shape;
const vector: Float64Array = result.posterior(w).params().mean;
// @ts-expect-error a Normal posterior has no `shape`
void result.posterior(mu).params().shape;
// @ts-expect-error a name gives the untyped posterior: params() is unknown
void result.posterior("mu").params().mean;
export const used = [mean, shape, vector];
