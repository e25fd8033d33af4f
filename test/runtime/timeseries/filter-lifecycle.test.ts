/**
 * The kalmanFilter operator's subscription lifecycle (issue 11): it is built from RxJS operators, so
 * take(n) stops an endless synchronous source after n items, unsubscribing stops the work, and an
 * error (a bad observation) stops the source at that item.
 */
import test from "ava";
import { Observable, Subject, take, toArray, lastValueFrom } from "rxjs";
import { isVireoError } from "@vireo/core";
import { kalmanFilter } from "@vireo/runtime";
import { cvSpec } from "./models.js";

const spec = cvSpec(0.1, { covariance: [0.25, 0, 0, 0.25] });

/** An endless synchronous source that counts what it produced and stops only when its subscriber closes. */
function endless(produced: { n: number }, at: (i: number) => number[] = (i) => [Math.sin(i), Math.cos(i)]): Observable<number[]> {
  return new Observable<number[]>((sub) => {
    for (let i = 0; !sub.closed; i++) {
      produced.n++;
      sub.next(at(i));
      if (i > 1_000_000) throw new Error("the source was never stopped");
    }
  });
}

test("take(3) on an endless synchronous source stops it after exactly 3 items", async (t) => {
  const produced = { n: 0 };
  const snaps = await lastValueFrom(endless(produced).pipe(kalmanFilter(spec), take(3), toArray()));
  t.deepEqual(snaps.map((s) => s.step), [0, 1, 2]);
  t.is(produced.n, 3);
});

test("an error at item 10 stops the source at item 10", async (t) => {
  const produced = { n: 0 };
  const e = await t.throwsAsync(lastValueFrom(endless(produced, (i) => (i === 10 ? [NaN, 0] : [i, -i])).pipe(kalmanFilter(spec))));
  t.true(isVireoError(e, "INVALID_BATCH") && /observation 10 \(batch 10, row 0\)/.test(e.message), e?.message);
  t.is(produced.n, 11);
});

test("unsubscribing stops the work: later items are neither filtered nor emitted", (t) => {
  const src = new Subject<number[]>(), seen: number[] = [];
  const sub = src.pipe(kalmanFilter(spec)).subscribe((s) => seen.push(s.step));
  src.next([1, 2]);
  src.next([2, 3]);
  sub.unsubscribe();
  t.false(src.observed, "the source has no subscriber left");
  src.next([3, 4]);
  t.deepEqual(seen, [0, 1]);
});

test("each subscription gets its own filter: a cold source re-subscribed starts again from the prior", async (t) => {
  const produced = { n: 0 };
  const op = endless(produced).pipe(kalmanFilter(spec), take(5));
  const a = await lastValueFrom(op), b = await lastValueFrom(op);
  t.is(a.step, 4);
  t.deepEqual(b, a);
  t.is(produced.n, 10);
});

test("an invalid model errors on subscription, naming the parameter, and the source is never started", async (t) => {
  const produced = { n: 0 };
  const e = await t.throwsAsync(lastValueFrom(endless(produced).pipe(kalmanFilter({ ...spec, transitionNoise: { gamma: { shape: 1, rate: 1 } } }))));
  t.true(isVireoError(e, "INVALID_MODEL") && /transitionNoise/.test(e.message), e?.message);
  t.is(produced.n, 0);
});
