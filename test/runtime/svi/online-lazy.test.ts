/**
 * online() snapshots compute their ELBO and posterior summaries on first read, from copies taken
 * at their batch. Read late (after the stream has moved on, in any order, twice), they must equal
 * exactly what OnlineEngine.step() reports eagerly at that batch, on the fast path, across shape
 * changes, with forgetting, with input columns, and for batches too large to copy (evaluated at once);
 * read as they arrive (evaluated on the engine's live state), they must equal them too.
 */
import test from "ava";
import { from, lastValueFrom, toArray, map } from "rxjs";
import { Normal, Beta, Bernoulli, MvNormal, Categorical, Dirichlet, Generator, sampleStandardNormal, sampleCategorical } from "@vireo/core";
import { BetaNode, BernoulliNode, MvNormalNode, GaussianLinearNode, CategoricalNode, DirichletNode } from "@vireo/nodes";
import { ModelBuilder, OnlineEngine, online, type Model, type DataBinding, type PosteriorSummary } from "@vireo/runtime";
import { normalMeanModel } from "../normal-mean.js";

const rng = new Generator(123);

interface Case {
  readonly title: string;
  readonly model: () => Model;
  readonly rows: number;
  readonly slice: (from: number, to: number) => DataBinding;
}

const cases: Case[] = [];
{
  const y = Float64Array.from({ length: 6000 }, () => 2 + sampleStandardNormal(rng));
  const model = () => normalMeanModel(0.1, 1.5);
  cases.push({ title: "Normal mean", model, rows: y.length, slice: (a, b) => ({ y: y.slice(a, b) }) });
}
{
  const x = Float64Array.from({ length: 200 }, () => (rng.uniform() < 0.3 ? 1 : 0));
  const model = () => {
    const m = new ModelBuilder();
    const rows = m.plate("rows");
    const p = m.random("p", Beta);
    m.factor(BetaNode, { out: p, a: 2, b: 2 });
    m.factor(BernoulliNode, { out: m.observed("x", Bernoulli, { plate: rows }), p });
    return m.build();
  };
  cases.push({ title: "Beta–Bernoulli", model, rows: x.length, slice: (a, b) => ({ x: x.slice(a, b) }) });
}
{
  const x = Float64Array.from({ length: 150 }, () => sampleCategorical(rng, [0.5, 0.3, 0.2]));
  const model = () => {
    const m = new ModelBuilder();
    const rows = m.plate("rows");
    const pi = m.random("pi", Dirichlet(3));
    m.factor(DirichletNode, { out: pi, alpha: [1, 1, 1] });
    m.factor(CategoricalNode, { out: m.observed("x", Categorical(3), { plate: rows }), p: pi });
    return m.build();
  };
  cases.push({ title: "Dirichlet–Categorical", model, rows: x.length, slice: (a, b) => ({ x: x.slice(a, b) }) });
}
{
  const N = 120, D = 3, X = new Float64Array(N * D), y = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    X[n * D] = 1;
    X[n * D + 1] = sampleStandardNormal(rng);
    X[n * D + 2] = 0.8 * X[n * D + 1]! + 0.6 * sampleStandardNormal(rng);
    y[n] = 1 + 2 * X[n * D + 1]! - X[n * D + 2]! + 0.3 * sampleStandardNormal(rng);
  }
  const model = () => {
    const m = new ModelBuilder();
    const rows = m.plate("rows");
    const w = m.random("w", MvNormal(D));
    m.factor(MvNormalNode, { out: w, mean: [0, 0, 0], precision: [0.1, 0, 0, 0, 0.1, 0, 0, 0, 0.1] });
    m.factor(GaussianLinearNode, { out: m.observed("y", Normal, { plate: rows }), w, x: m.input("x", { plate: rows, size: D }), precision: 10 });
    return m.build();
  };
  cases.push({ title: "linear regression (input column, joint q(w))", model, rows: N, slice: (a, b) => ({ y: y.slice(a, b), x: X.slice(a * D, b * D) }) });
}

/** Batches of 1 (the fast path), then of 3, a run of 2s, one of 5000 rows where there are that many (too large to copy), then 1s again. */
function cuts(n: number): number[] {
  const sizes = [1, 1, 1, 1, 3, 3, 3, 2, 2, 1, 5000, 1, 1, 7, 1];
  const out = [0];
  for (const s of sizes) if (out[out.length - 1]! + s <= n) out.push(out[out.length - 1]! + s);
  return out;
}

for (const c of cases) {
  for (const forgetting of [1, 0.9]) {
    test(`lazy snapshots equal eager step reports bit for bit: ${c.title}, forgetting ${forgetting}`, async (t) => {
      const cut = cuts(c.rows), batches: DataBinding[] = [];
      for (let i = 0; i + 1 < cut.length; i++) batches.push(c.slice(cut[i]!, cut[i + 1]!));
      // The eager reference: step() evaluates the ELBO at the batch; summaries copied out then.
      const reference = new OnlineEngine(c.model(), { forgetting });
      const eager = batches.map((b) => {
        const r = reference.step(b);
        const summaries: Record<string, PosteriorSummary> = {};
        for (const [n, p] of Object.entries(reference.posteriors())) summaries[n] = p.summary();
        return { elbo: r.elbo, sweeps: r.sweeps, summaries };
      });
      const snaps = await lastValueFrom(from(batches).pipe(online(c.model(), { forgetting }), toArray()));
      t.is(snaps.length, batches.length);
      // Read as each snapshot arrives (the engine has not moved on: evaluated on its live state).
      const onArrival = await lastValueFrom(from(batches).pipe(online(c.model(), { forgetting }), map((s) => [s.elbo, s.posteriors] as const), toArray()));
      onArrival.forEach(([elbo, posteriors], i) => {
        t.is(elbo, eager[i]!.elbo, `ELBO of batch ${i} read on arrival`);
        t.deepEqual(posteriors, eager[i]!.summaries);
      });
      // Read last batch first: every snapshot is read after the engine has moved past it.
      for (let i = snaps.length - 1; i >= 0; i--) {
        const s = snaps[i]!, e = eager[i]!;
        t.true(Number.isFinite(e.elbo));
        t.is(s.elbo, e.elbo, `ELBO of batch ${i}`);
        t.is(s.elbo, e.elbo, `ELBO of batch ${i}, read again`);
        t.is(s.sweeps, e.sweeps);
        t.deepEqual(s.posteriors, e.summaries, `summaries of batch ${i}`);
        t.is(s.posteriors, s.posteriors, "one record, kept");
        t.true(Object.isFrozen(s) && Object.isFrozen(s.posteriors));
        for (const p of Object.values(s.posteriors)) t.true(Object.isFrozen(p) && Object.isFrozen(p.mean) && Object.isFrozen(p.variance));
      }
    });
  }
}

test("a lazy snapshot lists every field in JSON and refuses writes", async (t) => {
  const c = cases[0]!;
  const snaps = await lastValueFrom(from([c.slice(0, 1), c.slice(1, 2)]).pipe(online(c.model()), toArray()));
  const json = JSON.parse(JSON.stringify(snaps[0])) as Record<string, unknown>;
  t.deepEqual(Object.keys(json).sort(), ["batch", "elbo", "posteriors", "rows", "skippedBatches", "step", "sweeps"]);
  t.is(json.elbo, snaps[0]!.elbo);
  t.deepEqual(json.posteriors, JSON.parse(JSON.stringify(snaps[0]!.posteriors)));
  t.throws(() => {
    (snaps[0] as unknown as { step: number }).step = 5;
  }, { instanceOf: TypeError });
  t.throws(() => {
    (snaps[0] as unknown as { elbo: number }).elbo = 5;
  }, { instanceOf: TypeError });
});

test("elboEvery and summaryEvery thin lazy snapshots as they did eager ones; bad batches under 'skip' leave earlier snapshots intact", async (t) => {
  const c = cases[0]!;
  const batches: unknown[] = [c.slice(0, 1), c.slice(1, 2), { y: Float64Array.of(NaN) }, c.slice(2, 3), c.slice(3, 4), c.slice(4, 5)];
  const reference = new OnlineEngine(c.model(), { elboEvery: 2 });
  const eager = batches.filter((_, i) => i !== 2).map((b) => reference.step(b as DataBinding).elbo);
  const snaps = await lastValueFrom(from(batches as DataBinding[]).pipe(online(c.model(), { elboEvery: 2, summaryEvery: 2, onInvalid: "skip" }), toArray()));
  t.deepEqual(snaps.map((s) => s.batch), [0, 1, 3, 4, 5]);
  t.deepEqual(snaps.map((s) => s.skippedBatches), [0, 0, 1, 1, 1]);
  for (let i = snaps.length - 1; i >= 0; i--) {
    if (Number.isNaN(eager[i]!)) t.true(Number.isNaN(snaps[i]!.elbo), `batch ${i} not evaluated`);
    else t.is(snaps[i]!.elbo, eager[i]!, `batch ${i}`);
  }
  // Summaries by batch position: batches 1, 3 and 5.
  t.deepEqual(snaps.map((s) => Object.keys(s.posteriors).length), [0, 1, 1, 0, 1]);
});
