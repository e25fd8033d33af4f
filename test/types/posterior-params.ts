/**
 * Type test (checked by `tsc -p tsconfig.json`, part of `pnpm test`): a posterior typed by its
 * family gives its standard parameters without a cast; the wrong shape does not compile.
 */
import { Normal, Gamma, MvNormal, Generator } from "@vireo/core";
import { NormalNode, GammaNode } from "@vireo/nodes";
import { ModelBuilder, cavi, type Posterior } from "@vireo/runtime";

const m = new ModelBuilder();
const rows = m.plate("rows");
const mu = m.random("mu", Normal);
const tau = m.random("tau", Gamma);
m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
m.factor(GammaNode, { out: tau, shape: 1, rate: 1 });
const y = m.observed("y", Normal, { plate: rows });
m.factor(NormalNode, { out: y, mean: mu, precision: tau });
const result = cavi(m.build(), { data: { y: [4.9, 5.3, 6.1, 5.0] } });

const mean: number = result.posteriors.mu!.as(Normal).params().mean;
const variance: number = result.posteriors.mu!.as(Normal).params().variance;
const shape: number = result.posteriors.tau!.as(Gamma).params().shape;
const draw: number = result.posteriors.tau!.as(Gamma).sample(new Generator(1));
const typed: Posterior<typeof Normal> = result.posteriors.mu!.as(Normal);
const vector: Float64Array = ({} as Posterior<ReturnType<typeof MvNormal>>).params().mean;
// @ts-expect-error a Normal posterior has no `shape`
void result.posteriors.mu!.as(Normal).params().shape;
// @ts-expect-error untyped, params() is unknown: say which family with .as(Family)
void result.posteriors.mu!.params().mean;
export const used = [mean, variance, shape, draw, typed, vector];
