/**
 * The worker and coordinator halves of SVI and online steps (runtime/src/svi/distributed-steps.ts),
 * in one process: with no staleness they take exactly the engines' own steps; a stale online fit of
 * a conjugate model, re-based on newer evidence, gives the fresh answer up to rounding; a
 * coordinator refuses a contribution that would make a global improper and keeps its state.
 */
import test from "ava";
import { Normal, Categorical, Dirichlet, Generator, sampleStandardNormal, sampleCategorical } from "@vireo/core";
import { NormalNode, CategoricalNode, DirichletNode } from "@vireo/nodes";
import { ModelBuilder, SviEngine, OnlineEngine, sviBatchTarget, sviApplyTarget, onlineFitBatch, onlineApplyFit } from "@vireo/runtime";

function model() {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 0.1 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: 1.5 });
  const pi = m.random("pi", Dirichlet(3));
  m.factor(DirichletNode, { out: pi, alpha: [1, 1, 1] });
  m.factor(CategoricalNode, { out: m.observed("x", Categorical(3), { plate: rows }), p: pi });
  return m.build();
}

const rng = new Generator(3);
const batches = Array.from({ length: 8 }, (_, b) => {
  const n = 4 + (b % 3);
  return { y: Float64Array.from({ length: n }, () => 2 + sampleStandardNormal(rng)), x: Float64Array.from({ length: n }, () => sampleCategorical(rng, [0.2, 0.5, 0.3])) };
});
const etas = (e: SviEngine | OnlineEngine) => Object.fromEntries(Object.entries(e.posteriors()).map(([n, p]) => [n, Array.from(p.natural)]));

test("SVI: batch target then Hoffman's step equals SviEngine.step bit for bit", (t) => {
  const opts = { totalRows: 200, tau: 2, kappa: 0.75 };
  const single = new SviEngine(model(), opts), coordinator = new SviEngine(model(), opts), worker = new SviEngine(model(), opts);
  for (const b of batches) {
    single.step(b);
    const globals = coordinator.steps === 0 ? null : Object.fromEntries([...coordinator.runner.globals].map(([n, g]) => [n, g.eta.slice()]));
    const c = sviBatchTarget(worker, b, globals, 0);
    t.is(c.start === null, globals !== null);
    const r = sviApplyTarget(coordinator, c.target, c.start);
    t.is(r.step, single.steps);
    t.is(r.rho, single.rho(single.steps));
    t.deepEqual(etas(coordinator), etas(single));
  }
});

test("SVI: the coordinator refuses an improper result and keeps its globals", (t) => {
  const coordinator = new SviEngine(model(), { totalRows: 100 }), worker = new SviEngine(model(), { totalRows: 100 });
  const c = sviBatchTarget(worker, batches[0]!, null, 0);
  sviApplyTarget(coordinator, c.target, c.start);
  const before = etas(coordinator);
  const bad = { ...c.target, mu: Float64Array.of(0, 1e9) }; // a huge positive second natural parameter: the blend has a negative precision
  const e = t.throws(() => sviApplyTarget(coordinator, bad, null));
  t.is((e as { code?: string }).code, "NUMERICAL_FAILURE");
  t.regex(e!.message, /'mu'.*not applied/);
  t.deepEqual(etas(coordinator), before);
  t.is(coordinator.steps, 1);
});

test("online: fresh fits equal OnlineEngine.step bit for bit; stale fits are re-based exactly up to rounding", (t) => {
  const single = new OnlineEngine(model()), fresh = new OnlineEngine(model()), stale = new OnlineEngine(model()), scratch = new OnlineEngine(model());
  const stateOf = (e: OnlineEngine) => (e.steps === 0 ? null : { t: e.steps, globals: Object.fromEntries([...e.runner.globals].map(([n, g]) => [n, g.eta.slice()])), evidence: e.progress().evidence });
  let lagging = stateOf(stale);
  batches.forEach((b, i) => {
    single.step(b);
    t.true(onlineApplyFit(fresh, onlineFitBatch(scratch, b, stateOf(fresh), 0, {})).fresh);
    t.deepEqual(etas(fresh), etas(single));
    t.deepEqual(Object.values(fresh.progress().evidence).map((a) => Array.from(a)), Object.values(single.progress().evidence).map((a) => Array.from(a)));
    // Every other batch is fitted against the state two batches back.
    const from = i % 2 === 1 ? lagging : stateOf(stale);
    lagging = stateOf(stale);
    onlineApplyFit(stale, onlineFitBatch(scratch, b, from, 0, {}));
  });
  const [a, b] = [etas(stale), etas(single)];
  for (const n of Object.keys(b)) a[n]!.forEach((x, i) => t.true(Math.abs(x - b[n]![i]!) <= 1e-12 * Math.max(1, Math.abs(b[n]![i]!)), `${n}[${i}]: ${x} vs ${b[n]![i]}`));
  t.is(stale.steps, batches.length);
});
