/**
 * The streaming fast path of online updating: equal-shaped Float64Array batches are bound in place
 * (engine/bind-fast.ts), a single closed-form global is updated once per batch, and the ELBO and the
 * snapshot summaries can be thinned (elboEvery, summaryEvery). Each must give the exact answers of
 * the general path, and bad data on the fast path must fail exactly as on the general one.
 */
import test from "ava";
import { from, lastValueFrom, toArray } from "rxjs";
import { Normal, Gamma, VireoError, Generator, sampleStandardNormal } from "@vireo/core";
import { NormalNode, GammaNode } from "@vireo/nodes";
import { ModelBuilder, OnlineEngine, online, cavi, type SkippedBatch } from "@vireo/runtime";
import { normalMeanModel } from "../normal-mean.js";

/** μ ~ N(0, 1/0.01), y_n ~ N(μ, 1/4): the posterior of μ after data y is N(4Σy/(0.01 + 4n), 1/(0.01 + 4n)). */
const normalMean = () => normalMeanModel();

/** μ and τ both unknown (mean-field): several sweeps per batch, so the ELBO drives the stopping rule. */
function normalGamma() {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal), tau = m.random("tau", Gamma);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
  m.factor(GammaNode, { out: tau, shape: 1, rate: 1 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: tau });
  return m.build();
}

const rng = new Generator(5);
const data = Float64Array.from({ length: 60 }, () => 1.5 + 0.7 * sampleStandardNormal(rng));
/** Batches of 3 rows as Float64Arrays (the fast path after the first batch). */
const batches = Array.from({ length: 20 }, (_, b) => ({ y: data.slice(3 * b, 3 * b + 3) }));

function exactMu(y: Float64Array): { mean: number; variance: number } {
  let s = 0;
  for (const v of y) s += v;
  return { mean: (4 * s) / (0.01 + 4 * y.length), variance: 1 / (0.01 + 4 * y.length) };
}

test("fast path: the posterior is the exact conjugate one and the batch ELBOs add up to the log evidence", (t) => {
  const engine = new OnlineEngine(normalMean());
  let evidence = 0;
  const rows: unknown[] = [];
  for (const b of batches) {
    const r = engine.step(b);
    t.is(r.sweeps, 1, "one closed-form global: one update per batch");
    evidence += r.elbo;
    rows.push(r.rows);
  }
  // The general path makes a new rows record per binding; the in-place binding shares one.
  t.true(rows.every((r) => r === rows[0]), "batches after the first were bound in place");
  t.deepEqual({ ...(rows[0] as object) }, { rows: 3 });
  const post = engine.posteriors().mu!.params() as { mean: number; variance: number }, exact = exactMu(data);
  t.true(Math.abs(post.mean - exact.mean) < 1e-12);
  t.true(Math.abs(post.variance - exact.variance) < 1e-15);
  const batch = cavi(normalMean(), { data: { y: data } });
  const logZ = batch.elbo[batch.elbo.length - 1]!;
  t.true(Math.abs(evidence - logZ) <= 1e-9 * Math.abs(logZ), `Σ batch ELBOs ${evidence} vs log evidence ${logZ}`);
});

test("fast path: a batch of another size recompiles and stays exact; the fast path resumes after it", (t) => {
  const engine = new OnlineEngine(normalMean());
  const parts = [data.slice(0, 3), data.slice(3, 6), data.slice(6, 13), data.slice(13, 20), data.slice(20, 23), data.slice(23, 60)];
  for (const y of parts) engine.step({ y });
  const post = engine.posteriors().mu!.params() as { mean: number }, exact = exactMu(data);
  t.true(Math.abs(post.mean - exact.mean) < 1e-12);
});

test("fast path: elboEvery k evaluates the ELBO on every k-th batch with the same numbers, NaN between", (t) => {
  const every = new OnlineEngine(normalMean()), third = new OnlineEngine(normalMean(), { elboEvery: 3 }), never = new OnlineEngine(normalMean(), { elboEvery: 0 });
  batches.forEach((b, i) => {
    const a = every.step(b), c = third.step(b), n = never.step(b);
    if ((i + 1) % 3 === 0) t.is(c.elbo, a.elbo, `batch ${i}`);
    else t.true(Number.isNaN(c.elbo) && c.trace.length === 0, `batch ${i} not evaluated`);
    t.true(Number.isNaN(n.elbo));
  });
  t.deepEqual(third.posteriors().mu!.natural, every.posteriors().mu!.natural);
});

test("elboEvery 0 still evaluates the ELBO where several sweeps need it for their stopping rule", (t) => {
  const reference = new OnlineEngine(normalGamma()), thin = new OnlineEngine(normalGamma(), { elboEvery: 0 });
  for (const b of batches) {
    const a = reference.step(b), c = thin.step(b);
    t.true(c.sweeps > 1 && Number.isFinite(c.elbo));
    t.is(c.elbo, a.elbo);
  }
});

test("fast path: a non-finite row is INVALID_BATCH naming batch, field and row, and the last good posterior is kept", async (t) => {
  const engine = new OnlineEngine(normalMean());
  const bad = Float64Array.of(1, 2, Number.POSITIVE_INFINITY);
  const err = await t.throwsAsync(lastValueFrom(from([...batches.slice(0, 4), { y: bad }, batches[4]!]).pipe(online(engine))), { instanceOf: VireoError });
  t.is(err?.code, "INVALID_BATCH");
  t.is(err?.context.batch, 4);
  t.is(err?.context.field, "y");
  t.is(err?.context.row, 2);
  t.regex(err!.message, /^Batch 4, field 'y': Data 'y': row 2 is Infinity/);
  t.is(engine.steps, 4);
  const post = engine.posteriors().mu!.params() as { mean: number }, exact = exactMu(data.slice(0, 12));
  t.true(Math.abs(post.mean - exact.mean) < 1e-12, "posterior of batches 0–3");
});

test("fast path: under 'skip' bad batches (bad value, unknown field, wrong width) are reported and the answer leaves them out", async (t) => {
  const skipped: SkippedBatch[] = [];
  const stream: unknown[] = [batches[0], batches[1], { y: Float64Array.of(1, Number.NaN, 3) }, { y: batches[2]!.y, z: batches[2]!.y }, batches[2], { y: new Float64Array(0) }, batches[3]];
  const snaps = await lastValueFrom(from(stream as { y: Float64Array }[]).pipe(online(normalMean(), { onInvalid: "skip", skipped: (s) => skipped.push(s) }), toArray()));
  t.deepEqual(snaps.map((s) => s.batch), [0, 1, 4, 6]);
  t.deepEqual(skipped.map((s) => s.batch), [2, 3, 5]);
  t.regex(skipped[0]!.error.message, /Batch 2, field 'y': Data 'y': row 1 is NaN/);
  t.regex(skipped[1]!.error.message, /Batch 3, field 'z': Data given for unknown variable 'z'/);
  t.regex(skipped[2]!.error.message, /Batch 5.*no rows/);
  const exact = exactMu(data.slice(0, 12));
  t.true(Math.abs(snaps[3]!.posteriors.mu!.mean[0]! - exact.mean) < 1e-12);
});

test("summaryEvery k: posterior summaries in every k-th snapshot (by batch position), an empty frozen record between", async (t) => {
  const snaps = await lastValueFrom(from(batches.slice(0, 7)).pipe(online(normalMean(), { summaryEvery: 3 }), toArray()));
  t.deepEqual(snaps.map((s) => Object.keys(s.posteriors).length), [0, 0, 1, 0, 0, 1, 0]);
  t.true(snaps.every((s) => Object.isFrozen(s) && Object.isFrozen(s.posteriors)));
  const exact = exactMu(data.slice(0, 18));
  t.true(Math.abs(snaps[5]!.posteriors.mu!.mean[0]! - exact.mean) < 1e-12);
  t.true(Object.isFrozen(snaps[5]!.posteriors.mu!.mean));
});

test("elboEvery and summaryEvery are validated", (t) => {
  for (const [options, pattern] of [
    [{ elboEvery: -1 }, /option 'elboEvery' must be an integer ≥ 0/],
    [{ elboEvery: 1.5 }, /option 'elboEvery'/],
    [{ summaryEvery: 0 }, /option 'summaryEvery' must be a positive integer/],
  ] as const) {
    const err = t.throws(() => online(normalMean(), options as object), { instanceOf: VireoError });
    t.is(err?.code, "INVALID_OPTION");
    t.regex(err!.message, pattern);
  }
  const err = t.throws(() => new OnlineEngine(normalMean(), { elboEvery: "2" as unknown as number }), { instanceOf: VireoError });
  t.regex(err!.message, /elboEvery/);
});
