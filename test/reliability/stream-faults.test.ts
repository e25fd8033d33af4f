/**
 * Fault injection for the streaming operators: a source that errors, one that completes, one that
 * keeps emitting after it was unsubscribed, out-of-order and duplicate batch ids, and a slow
 * consumer. The invariants: nothing lost (every good batch is fitted once, in arrival order),
 * nothing processed twice (a duplicate id is refused), the engine keeps the last good posterior,
 * and a foreign error passes through unchanged.
 */
import test from "ava";
import { Observable, Subject, from, lastValueFrom, toArray, take, concatMap, timer, map } from "rxjs";
import { VireoError } from "@vireo/core";
import { online, svi, OnlineEngine, SviEngine, fromArrays, type BatchInput, type Minibatch } from "@vireo/runtime";
import { normalMeanModel } from "./catalogue.js";

/** Exact posterior mean of mu ~ N(0, 1), y ~ N(mu, 1) after `ys`: Σy / (1 + n). */
const exactMean = (ys: readonly number[]) => ys.reduce((s, v) => s + v, 0) / (1 + ys.length);

/** A source batch as the sources build them (id, rows, widths). */
function batch(index: number, y: readonly number[]): Minibatch {
  return Object.freeze({ index, epoch: 0, rows: y.length, data: Object.freeze({ y: Float64Array.from(y) }), widths: Object.freeze({ y: 1 }) });
}

const data = [[1, 2], [3], [4, 5, 6], [-1], [2, 2]];

test("a source that errors mid-stream: the error passes through unchanged, the engine keeps the last good posterior", async (t) => {
  const boom = new Error("disk gone");
  const engine = new OnlineEngine(normalMeanModel());
  const got: number[] = [];
  const source = new Observable<BatchInput>((s) => {
    s.next(batch(0, data[0]!));
    s.next(batch(1, data[1]!));
    s.error(boom);
  });
  const err = await t.throwsAsync(lastValueFrom(source.pipe(online(engine, { onInvalid: "skip" }), map((snap) => got.push(snap.step)))));
  t.is(err, boom);
  t.deepEqual(got, [1, 2]);
  t.is(engine.steps, 2);
  t.true(Math.abs(engine.posteriors().mu!.mean()[0]! - exactMean([...data[0]!, ...data[1]!])) < 1e-12);
});

test("a source that completes: one snapshot per batch, then completion, with the exact posterior", async (t) => {
  const snaps = await lastValueFrom(from(data.map((y, i) => batch(i, y))).pipe(online(normalMeanModel()), toArray()));
  t.deepEqual(snaps.map((s) => s.step), [1, 2, 3, 4, 5]);
  t.true(Math.abs(snaps[4]!.posteriors.mu!.mean[0]! - exactMean(data.flat())) < 1e-12);
});

test("a source that keeps emitting after unsubscribe: nothing after it is processed", async (t) => {
  const engine = new OnlineEngine(normalMeanModel());
  let emitted = 0;
  const rude = new Observable<BatchInput>((s) => {
    // Ignores s.closed on purpose, like a hand-made producer with no teardown.
    for (let i = 0; i < 1000; i++) {
      emitted++;
      s.next(batch(i, [i % 7]));
    }
    s.complete();
  });
  const snaps = await lastValueFrom(rude.pipe(online(engine), take(3), toArray()));
  t.is(snaps.length, 3);
  t.is(engine.steps, 3);
  t.is(emitted, 1000);
  t.true(Math.abs(engine.posteriors().mu!.mean()[0]! - exactMean([0, 1, 2])) < 1e-12);
});

test("take(n) stops an endless synchronous source after n batches (no runaway producer)", async (t) => {
  const engine = new SviEngine(normalMeanModel(), { totalRows: 1000 });
  const snaps = await lastValueFrom(fromArrays({ y: [1, 2, 3, 4] }, { batchSize: 2, epochs: Infinity }).pipe(svi(engine), take(5), toArray()));
  t.is(snaps.length, 5);
  t.is(engine.steps, 5);
});

test("out-of-order batch ids: every batch fitted once, in arrival order (nothing lost)", async (t) => {
  const order = [3, 0, 4, 1, 2];
  const snaps = await lastValueFrom(from(order.map((i) => batch(i, data[i]!))).pipe(online(normalMeanModel()), toArray()));
  t.deepEqual(snaps.map((s) => [s.batch, s.step]), [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5]]);
  // The conjugate online posterior is exact whatever the order.
  t.true(Math.abs(snaps[4]!.posteriors.mu!.mean[0]! - exactMean(data.flat())) < 1e-12);
});

test("a duplicate batch id is refused (error mode) and not fitted twice", async (t) => {
  const engine = new OnlineEngine(normalMeanModel());
  const source = from([batch(0, [1]), batch(1, [2]), batch(1, [2]), batch(2, [3])]);
  const err = await t.throwsAsync(lastValueFrom(source.pipe(online(engine))), { instanceOf: VireoError });
  t.is(err?.code, "INVALID_BATCH");
  t.regex(err!.message, /Batch 2: source batch id 1 was delivered again/);
  t.is(engine.steps, 2);
  t.true(Math.abs(engine.posteriors().mu!.mean()[0]! - exactMean([1, 2])) < 1e-12);
});

test("a duplicate batch id under skip: reported, skipped, counted; the stream goes on and the posterior is exact", async (t) => {
  const skipped: number[] = [];
  const source = from([batch(0, [1]), batch(1, [2]), batch(0, [1]), batch(2, [3]), batch(1, [2])]);
  const snaps = await lastValueFrom(source.pipe(online(normalMeanModel(), { onInvalid: "skip", skipped: (s) => skipped.push(s.batch) }), toArray()));
  t.deepEqual(skipped, [2, 4]);
  t.deepEqual(snaps.map((s) => [s.batch, s.skippedBatches]), [[0, 0], [1, 0], [3, 1]]);
  t.true(Math.abs(snaps[2]!.posteriors.mu!.mean[0]! - exactMean([1, 2, 3])) < 1e-12);
});

test("a malformed batch then its corrected re-delivery under the same id: the corrected one is fitted", async (t) => {
  const bad = Object.freeze({ index: 1, epoch: 0, rows: 1, data: Object.freeze({ y: Float64Array.of(NaN) }), widths: Object.freeze({ y: 1 }) });
  const source = from([batch(0, [1]), bad, batch(1, [2])]);
  const snaps = await lastValueFrom(source.pipe(online(normalMeanModel(), { onInvalid: "skip" }), toArray()));
  t.deepEqual(snaps.map((s) => s.step), [1, 2]);
  t.true(Math.abs(snaps[1]!.posteriors.mu!.mean[0]! - exactMean([1, 2])) < 1e-12);
});

test("a slow consumer behind an asynchronous producer: every snapshot arrives, in order, none fitted twice", async (t) => {
  const source = new Subject<BatchInput>();
  const engine = new OnlineEngine(normalMeanModel());
  const done = lastValueFrom(source.pipe(online(engine), concatMap((s) => timer(2).pipe(map(() => s.step))), toArray()));
  const ys: number[] = [];
  for (let i = 0; i < 20; i++) {
    ys.push(i % 5);
    source.next(batch(i, [i % 5]));
    if (i % 4 === 0) await new Promise((r) => setTimeout(r, 0));
  }
  source.complete();
  t.deepEqual(await done, Array.from({ length: 20 }, (_, i) => i + 1));
  t.is(engine.steps, 20);
  t.true(Math.abs(engine.posteriors().mu!.mean()[0]! - exactMean(ys)) < 1e-12);
});

test("10 000 distinct ids are all fitted: the duplicate window (DUPLICATE_WINDOW ids) forgets old ids, never a good batch", async (t) => {
  const many = Array.from({ length: 10_000 }, (_, i) => batch(i, [1]));
  const snaps = await lastValueFrom(from(many).pipe(online(normalMeanModel(), { summaries: "none" }), toArray()));
  t.is(snaps.length, 10_000);
  t.is(snaps[9_999]!.step, 10_000);
});
