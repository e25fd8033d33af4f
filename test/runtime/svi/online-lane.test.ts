/**
 * The per-batch lane of online updating (OnlineEngine.stepInPlace, the single-global plan, the
 * frozen summaries and the Normal plate sums): each must give what the general path gives, and a
 * failed update must leave the engine exactly as it was.
 */
import test from "ava";
import { from, lastValueFrom, toArray } from "rxjs";
import { Normal, Gamma, Poisson, VireoError, Generator, sampleStandardNormal } from "@vireo/core";
import { NormalNode, GammaNode, PoissonNode } from "@vireo/nodes";
import { ModelBuilder, OnlineEngine, online } from "@vireo/runtime";
import { normalMeanModel } from "../normal-mean.js";

/** μ ~ N(0, 1/0.01), y_n ~ N(μ, 1/4). */
const normalMean = () => normalMeanModel();

/** Two independent conjugate globals in two plates: μ (Normal data) and λ (Poisson counts). */
function twoGlobals() {
  const m = new ModelBuilder();
  const rows = m.plate("rows"), counts = m.plate("counts");
  const mu = m.random("mu", Normal), rate = m.random("rate", Gamma);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
  m.factor(GammaNode, { out: rate, shape: 2, rate: 1 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: 4 });
  m.factor(PoissonNode, { out: m.observed("k", Poisson, { plate: counts }), rate });
  return m.build();
}

const rng = new Generator(11);
/** 13 rows per batch: the plate sums' four-row loop and its tail both run. */
const batches = Array.from({ length: 12 }, () => ({ y: Float64Array.from({ length: 13 }, () => 0.5 + 0.8 * sampleStandardNormal(rng)) }));

test("stepInPlace gives step()'s numbers; lastRows and lastSweeps describe the batch", (t) => {
  const a = new OnlineEngine(normalMean()), b = new OnlineEngine(normalMean(), { elboEvery: 2 });
  const c = new OnlineEngine(normalMean(), { elboEvery: 2 });
  for (const [i, batch] of batches.entries()) {
    const r = b.step(batch), elbo = c.stepInPlace(batch);
    a.step(batch);
    t.is(Object.is(elbo, r.elbo), true, `batch ${i}: ${elbo} vs ${r.elbo}`);
    t.is(c.steps, r.step);
    t.is(c.lastSweeps, 1);
    t.deepEqual({ ...c.lastRows }, { rows: 13 });
    t.deepEqual(r.trace, Number.isNaN(r.elbo) ? [] : [r.elbo]);
  }
  t.deepEqual(Array.from(c.runner.globals.get("mu")!.eta), Array.from(b.runner.globals.get("mu")!.eta));
  t.deepEqual(Array.from(c.progress().evidence.mu!), Array.from(a.progress().evidence.mu!));
});

test("the exact conjugate posterior through 13-row batches (Normal plate sums, four rows at a time)", (t) => {
  const engine = new OnlineEngine(normalMean());
  let s = 0, n = 0;
  for (const b of batches) {
    engine.step(b);
    for (const v of b.y) s += v;
    n += b.y.length;
  }
  const p = engine.posteriors().mu!.params() as { mean: number; variance: number };
  t.true(Math.abs(p.mean - (4 * s) / (0.01 + 4 * n)) < 1e-12);
  t.true(Math.abs(p.variance - 1 / (0.01 + 4 * n)) < 1e-15);
});

test("an update that overflows is refused with NUMERICAL_FAILURE and leaves η, statistics, evidence and step count as they were", (t) => {
  const engine = new OnlineEngine(normalMean());
  for (const b of batches.slice(0, 3)) engine.step(b);
  const before = { eta: Array.from(engine.runner.globals.get("mu")!.eta), stats: Array.from(engine.runner.globals.get("mu")!.stats), evidence: Array.from(engine.progress().evidence.mu!) };
  // Finite data (it passes the checks) whose message overflows: τ·y = 4 × 1.7e308.
  const big = { y: Float64Array.from({ length: 13 }, () => 1.7e308) };
  const err = t.throws(() => engine.stepInPlace(big), { instanceOf: VireoError });
  t.is(err?.code, "NUMERICAL_FAILURE");
  t.regex(err!.message, /'mu'/);
  t.is(engine.steps, 3);
  t.deepEqual(Array.from(engine.runner.globals.get("mu")!.eta), before.eta);
  t.deepEqual(Array.from(engine.runner.globals.get("mu")!.stats), before.stats);
  t.deepEqual(Array.from(engine.progress().evidence.mu!), before.evidence);
  // The stream goes on from the last good posterior, as if the bad batch had never come.
  const reference = new OnlineEngine(normalMean());
  for (const b of batches.slice(0, 4)) reference.step(b);
  engine.step(batches[3]!);
  t.deepEqual(Array.from(engine.runner.globals.get("mu")!.eta), Array.from(reference.runner.globals.get("mu")!.eta));
});

test("snapshot summaries (built frozen) equal the engine's summaries, for all globals and for a chosen list", async (t) => {
  const data = Array.from({ length: 4 }, (_, i) => ({ y: Float64Array.of(i, 2 * i + 1), k: Float64Array.of(i, 3, 1) }));
  const reference = new OnlineEngine(twoGlobals());
  const all = await lastValueFrom(from(data).pipe(online(twoGlobals()), toArray()));
  const some = await lastValueFrom(from(data).pipe(online(twoGlobals(), { summaries: ["rate"] }), toArray()));
  for (const [i, b] of data.entries()) {
    reference.step(b);
    const expected = reference.runner.summaries("all");
    t.deepEqual(all[i]!.posteriors, expected);
    t.deepEqual(Object.keys(some[i]!.posteriors), ["rate"]);
    t.deepEqual(some[i]!.posteriors.rate, expected.rate);
    for (const s of [all[i]!, some[i]!]) {
      t.true(Object.isFrozen(s) && Object.isFrozen(s.posteriors));
      for (const p of Object.values(s.posteriors)) t.true(Object.isFrozen(p) && Object.isFrozen(p.mean) && Object.isFrozen(p.variance));
    }
  }
  const err = await t.throwsAsync(lastValueFrom(from(data).pipe(online(twoGlobals(), { summaries: ["nope"] }))), { instanceOf: VireoError });
  t.regex(err!.message, /'nope' is not a global variable/);
});
