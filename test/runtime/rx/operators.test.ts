/** The streaming operators: stack safety, unsubscription, both fault modes, snapshots. */
import test from "ava";
import { Observable, range, map, take, Subject, from, toArray, lastValueFrom } from "rxjs";
import { VireoError } from "@vireo/core";
import { online, svi, OnlineEngine, type SkippedBatch } from "@vireo/runtime";
import { normalMeanModel } from "../normal-mean.js";

const normalMean = () => normalMeanModel();

test("10^6 one-row batches from a synchronous source: no stack overflow, exact answer", async (t) => {
  const N = 1_000_000;
  const engine = new OnlineEngine(normalMean());
  let count = 0, sum = 0;
  const y = new Float64Array(1);
  await lastValueFrom(
    range(0, N).pipe(
      map((i) => {
        y[0] = Math.sin(i);
        sum += y[0]!;
        return { y };
      }),
      online(engine, { summaries: "none" }),
      map(() => count++),
    ),
  );
  t.is(count, N);
  const post = engine.posteriors().mu!.params() as { mean: number; variance: number };
  t.true(Math.abs(post.mean - (4 * sum) / (0.01 + 4 * N)) < 1e-9);
  t.true(Math.abs(1 / post.variance - (0.01 + 4 * N)) < 1e-6);
});

test("snapshots are frozen plain objects with the posterior summaries", async (t) => {
  const snaps = await lastValueFrom(from([{ y: [1, 2] }, { y: [3] }]).pipe(online(normalMean()), toArray()));
  t.is(snaps.length, 2);
  const s = snaps[1]!;
  t.true(Object.isFrozen(s) && Object.isFrozen(s.posteriors) && Object.isFrozen(s.posteriors.mu!.mean));
  t.is(s.step, 2);
  t.is(s.batch, 1);
  t.is(s.posteriors.mu!.family, "Normal");
  t.true(Math.abs(s.posteriors.mu!.mean[0]! - (4 * 6) / (0.01 + 12)) < 1e-12);
  t.throws(() => { (s as { step: number }).step = 5; });
});

test("unsubscribing stops the work", (t) => {
  const engine = new OnlineEngine(normalMean());
  const source = new Subject<{ y: number[] }>();
  const seen: number[] = [];
  const sub = source.pipe(online(engine, { summaries: "none" })).subscribe((s) => seen.push(s.step));
  source.next({ y: [1] });
  source.next({ y: [2] });
  sub.unsubscribe();
  source.next({ y: [3] });
  source.next({ y: [4] });
  t.deepEqual(seen, [1, 2]);
  t.is(engine.steps, 2, "no batch was fitted after unsubscribing");
  t.false(source.observed);
});

test("a synchronous infinite source is abandoned after take(n)", async (t) => {
  let produced = 0;
  const endless = new Observable<{ y: number[] }>((sub) => {
    while (!sub.closed) {
      produced++;
      sub.next({ y: [produced % 7] });
    }
  });
  const last = await lastValueFrom(endless.pipe(online(normalMean(), { summaries: "none" }), take(1000)));
  t.is(last.step, 1000);
  t.is(produced, 1000);
});

test("fault mode 'error': the batch index and field are named, the last good posterior is kept", async (t) => {
  const engine = new OnlineEngine(normalMean());
  const batches = [{ y: [1, 2] }, { y: [3] }, { y: [4, Number.NaN] }, { y: [5] }];
  const err = await t.throwsAsync(lastValueFrom(from(batches).pipe(online(engine))), { instanceOf: VireoError });
  t.is(err?.code, "INVALID_BATCH");
  t.is(err?.context.batch, 2);
  t.is(err?.context.field, "y");
  t.regex(err!.message, /^Batch 2, field 'y': Data 'y': row 1 is NaN/);
  t.is(engine.steps, 2);
  const post = engine.posteriors().mu!.params() as { mean: number };
  t.true(Math.abs(post.mean - (4 * 6) / (0.01 + 12)) < 1e-12, "posterior of batches 0–1");
});

test("fault mode 'skip': bad batches are reported on the side channel and the stream goes on", async (t) => {
  const skipped: SkippedBatch[] = [];
  const batches: unknown[] = [{ y: [1] }, { y: [[1, 2]] }, { z: [3] }, { y: [2] }, {}];
  const snaps = await lastValueFrom(
    from(batches as { y: number[] }[]).pipe(online(normalMean(), { onInvalid: "skip", skipped: (s) => skipped.push(s) }), toArray()),
  );
  t.deepEqual(snaps.map((s) => s.batch), [0, 3]);
  t.deepEqual(snaps.map((s) => s.skippedBatches), [0, 2]);
  t.deepEqual(skipped.map((s) => s.batch), [1, 2, 4]);
  t.true(skipped.every((s) => s.error.code === "INVALID_BATCH"));
  t.regex(skipped[0]!.error.message, /Batch 1, field 'y': Data 'y': expected 1 value per row, got 2/);
  t.regex(skipped[1]!.error.message, /Batch 2, field 'z': Data given for unknown variable 'z'/);
  t.regex(skipped[2]!.error.message, /Batch 4, field 'y': Observed variable 'y' has no data/);
  const post = snaps[1]!.posteriors.mu!;
  t.true(Math.abs(post.mean[0]! - (4 * 3) / (0.01 + 8)) < 1e-12);
});

test("svi needs the data size and names the option", (t) => {
  const err = t.throws(() => from([{ y: [1] }]).pipe(svi(normalMean())), { instanceOf: VireoError });
  t.is(err?.code, "INVALID_OPTION");
  t.regex(err!.message, /give 'totalRows'/);
});
