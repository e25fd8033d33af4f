/**
 * The one-call forms m.latent / m.observe build the same model as random/observed + factor: a
 * Normal–Gamma model in four lines (BayesPy's count), with an identical fit.
 */
import test from "ava";
import { Normal, Gamma, VireoError } from "@vireo/core";
import { NormalNode, GammaNode } from "@vireo/nodes";
import { ModelBuilder, cavi, describeModel } from "@vireo/runtime";

test("Normal–Gamma in four lines equals the long form, fit for fit", (t) => {
  const m = new ModelBuilder();
  const mu = m.latent("mu", Normal, NormalNode, { mean: 0, precision: 0.01 });
  const tau = m.latent("tau", Gamma, GammaNode, { shape: 1, rate: 1 });
  m.observe("y", Normal, NormalNode, { mean: mu, precision: tau }, { plate: m.plate("rows") });

  const l = new ModelBuilder();
  const rows = l.plate("rows");
  const mu2 = l.random("mu", Normal);
  l.factor(NormalNode, { out: mu2, mean: 0, precision: 0.01 });
  const tau2 = l.random("tau", Gamma);
  l.factor(GammaNode, { out: tau2, shape: 1, rate: 1 });
  const y2 = l.observed("y", Normal, { plate: rows });
  l.factor(NormalNode, { out: y2, mean: mu2, precision: tau2 });

  const [short, long] = [m.build(), l.build()];
  t.is(describeModel(short), describeModel(long));
  const data = { y: [4.9, 5.3, 6.1, 5.0] };
  t.deepEqual(cavi(short, { data }).elbo, cavi(long, { data }).elbo);
});

test("binding the output edge by hand is refused, naming the edge", (t) => {
  const m = new ModelBuilder();
  const mu = m.random("other", Normal);
  const e = t.throws(() => m.latent("mu", Normal, NormalNode, { out: mu, mean: 0, precision: 1 }), { instanceOf: VireoError });
  t.regex(e.message, /the 'out' edge is 'mu' itself; give only the other edges \(mean, precision\)/);
});
