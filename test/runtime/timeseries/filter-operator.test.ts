import test from "ava";
import { Subject, from, range, map, toArray, lastValueFrom, tap } from "rxjs";
import { kalmanFilterSeries as kalmanKernel, kalmanPredict, kalmanUpdate, KalmanWorkspace, rtsSmoother, allocateKalmanBuffers, allocateSmootherBuffers, isVireoError } from "@vireo/core";
import { kalmanFilter, resolveLgssm, type FilterSnapshot, type SkippedObservation } from "@vireo/runtime";
import { cvSpec, simulateCv } from "./models.js";

const R = [0.25, 0, 0, 0.25];
const rows = (y: Float64Array) => Array.from({ length: y.length / 2 }, (_, s) => [y[2 * s]!, y[2 * s + 1]!]);
const close = (a: ArrayLike<number>, b: ArrayLike<number>, off = 0) => Array.from(a).every((v, i) => Math.abs(v - b[off + i]!) < 1e-10 * (1 + Math.abs(v)));

test("each observation emits a frozen snapshot whose filtered state equals the batch Kalman filter", async (t) => {
  const T = 200, { y } = simulateCv(1, T, 0.1, R), spec = cvSpec(0.1, { covariance: R });
  const snaps = await lastValueFrom(from(rows(y)).pipe(kalmanFilter(spec), toArray()));
  const chain = resolveLgssm(spec).chain, buf = allocateKalmanBuffers(T, 4);
  kalmanKernel(chain, y, T, buf);
  t.is(snaps.length, T);
  t.true(Object.isFrozen(snaps[0]) && Object.isFrozen(snaps[0]!.mean));
  for (let s = 0; s < T; s++) {
    t.is(snaps[s]!.step, s);
    t.true(close(snaps[s]!.mean, buf.filteredMean, s * 4) && close(snaps[s]!.covariance, buf.filteredCov, s * 16), `step ${s}`);
    t.is(snaps[s]!.smoothed, null);
  }
});

test("fixed-lag estimates equal the RTS smoother run on the observations seen so far", async (t) => {
  const T = 60, lag = 7, { y } = simulateCv(2, T, 0.1, R), spec = cvSpec(0.1, { covariance: R });
  const snaps = await lastValueFrom(from(rows(y)).pipe(kalmanFilter(spec, { lag }), toArray()));
  const chain = resolveLgssm(spec).chain;
  t.is(snaps[lag - 1]!.smoothed, null);
  for (const s of [lag, 20, 41, T - 1]) {
    const n = s + 1, f = allocateKalmanBuffers(n, 4), sm = allocateSmootherBuffers(n, 4);
    kalmanKernel(chain, y, n, f);
    rtsSmoother(chain, n, f, sm);
    const got = snaps[s]!.smoothed!;
    t.is(got.step, s - lag);
    t.true(close(got.mean, sm.smoothedMean, (s - lag) * 4) && close(got.covariance, sm.smoothedCov, (s - lag) * 16), `step ${s}`);
  }
});

test("batches emit once each and give the same state as single observations", async (t) => {
  const { y } = simulateCv(3, 100, 0.1, R), spec = cvSpec(0.1, { covariance: R }), all = rows(y);
  const batches = [all.slice(0, 30), all.slice(30, 31), all.slice(31)];
  const snaps = await lastValueFrom(from(batches).pipe(kalmanFilter(spec), toArray()));
  const single = await lastValueFrom(from(all).pipe(kalmanFilter(spec)));
  t.deepEqual(snaps.map((s) => s.step), [29, 30, 99]);
  t.deepEqual(snaps[2]!.mean, single.mean);
});

for (const lag of [0, 5]) {
  test(`online learning of the observation-noise precision is within 10% after 10,000 steps (lag ${lag})`, async (t) => {
    const lambda = 4, { y } = simulateCv(4, 10_000, 0.05, [1 / lambda, 0, 0, 1 / lambda]);
    const last = await lastValueFrom(from(rows(y)).pipe(kalmanFilter(cvSpec(0.05, { gamma: { shape: 1, rate: 1 } }), { lag })));
    const q = last.observationPrecision!;
    t.is(q.kind, "Gamma");
    const mean = q.kind === "Gamma" ? q.mean : NaN;
    t.true(Math.abs(mean - lambda) / lambda < 0.1, `E[λ] = ${mean}, true ${lambda}`);
  });
}

test("forgetting tracks a change of the noise level", async (t) => {
  const a = simulateCv(5, 3000, 0.05, [1, 0, 0, 1]).y, b = simulateCv(6, 3000, 0.05, [0.04, 0, 0, 0.04]).y;
  // Restart the second segment where the first ended so only the noise level changes.
  const shift = [a[a.length - 2]! - b[0]!, a[a.length - 1]! - b[1]!];
  const ys = [...rows(a), ...rows(b).map(([u, v]) => [u! + shift[0]!, v! + shift[1]!])];
  const spec = cvSpec(0.05, { gamma: { shape: 1, rate: 1 } });
  const fast = await lastValueFrom(from(ys).pipe(kalmanFilter(spec, { forgetting: 0.99 })));
  const slow = await lastValueFrom(from(ys).pipe(kalmanFilter(spec)));
  const m = (s: FilterSnapshot) => (s.observationPrecision?.kind === "Gamma" ? s.observationPrecision.mean : NaN);
  t.true(Math.abs(m(fast) - 25) / 25 < 0.3, `with forgetting E[λ] = ${m(fast)} (now 25)`);
  t.true(m(slow) < 10, `without forgetting E[λ] = ${m(slow)} still averages both regimes`);
});

test("a bad observation errors the stream naming its index, batch, row and field", async (t) => {
  const spec = cvSpec(0.1, { covariance: R });
  const e1 = await t.throwsAsync(lastValueFrom(from([[1, 2], [3, 4], [[5, 6], [7, NaN]]]).pipe(kalmanFilter(spec))));
  t.true(isVireoError(e1, "INVALID_BATCH") && /observation 3 \(batch 2, row 1\), field y\[1\] is NaN/.test(e1.message), e1?.message);
  t.deepEqual([(e1 as any).context.batch, (e1 as any).context.row, (e1 as any).context.field], [2, 1, "y[1]"]);
  const e2 = await t.throwsAsync(lastValueFrom(from([[1, 2], [3, 4, 5]]).pipe(kalmanFilter(spec))));
  t.true(isVireoError(e2, "INVALID_BATCH") && /observation 1 .*field y has length 3; expected p = 2/.test(e2.message), e2?.message);
  const e3 = await t.throwsAsync(lastValueFrom(from([[1, 2]]).pipe(kalmanFilter({ ...spec, transitionNoise: { gamma: { shape: 1, rate: 1 } } }))));
  t.true(isVireoError(e3, "INVALID_MODEL") && /transitionNoise/.test(e3.message), e3?.message);
  t.throws(() => kalmanFilter(spec, { onInvalid: "drop" as "skip" }), { message: /onInvalid/ });
});

test("with onInvalid: 'skip' bad observations become missing steps, are reported, and never touch the state", async (t) => {
  const { y } = simulateCv(7, 50, 0.1, R), spec = cvSpec(0.1, { covariance: R }), good = rows(y);
  const withBad: number[][] = [...good.slice(0, 20), [NaN, 1], [1], ...good.slice(20)];
  const side = new Subject<SkippedObservation>(), reports: SkippedObservation[] = [];
  side.subscribe((r) => reports.push(r));
  const snaps = await lastValueFrom(from(withBad).pipe(kalmanFilter(spec, { onInvalid: "skip", skipped: side }), toArray()));
  t.is(snaps.length, 52);
  t.deepEqual(reports.map((r) => [r.index, r.batch, r.field]), [[20, 20, "y[0]"], [21, 21, "y"]]);
  // Reference: filter the first 20, predict through the two missing steps, then update with good[20].
  const chain = resolveLgssm(spec).chain, f = allocateKalmanBuffers(20, 4), ws = new KalmanWorkspace(4, 2);
  kalmanKernel(chain, y, 20, f, ws);
  let m = f.filteredMean.slice(76), P = f.filteredCov.slice(304);
  for (const s of [20, 21]) {
    const m2 = new Float64Array(4), P2 = new Float64Array(16);
    kalmanPredict(chain, m, 0, P, 0, m2, 0, P2, 0, ws);
    [m, P] = [m2, P2];
    t.true(close(snaps[s]!.mean, m) && close(snaps[s]!.covariance, P), `missing step ${s} is a pure prediction`);
    t.is(snaps[s]!.step, s);
  }
  const mp = new Float64Array(4), Pp = new Float64Array(16), mf = new Float64Array(4), Pf = new Float64Array(16);
  kalmanPredict(chain, m, 0, P, 0, mp, 0, Pp, 0, ws);
  kalmanUpdate(chain, y, 40, mp, 0, Pp, 0, mf, 0, Pf, 0, ws);
  t.true(close(snaps[22]!.mean, mf) && close(snaps[22]!.covariance, Pf));
  t.is(snaps[51]!.skipped, 2);
  t.true(snaps.every((s) => s.mean.every(Number.isFinite)));
});

test("10^6 observations from a synchronous source run in constant memory without stack growth", async (t) => {
  const v8 = await import("node:v8"), vm = await import("node:vm");
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  const N = 1_000_000, { y } = simulateCv(8, 10_000, 0.05, R), ys = rows(y);
  const heap: number[] = [];
  let count = 0;
  const last = await lastValueFrom(
    range(0, N).pipe(
      map((i) => ys[i % ys.length]!),
      kalmanFilter(cvSpec(0.05, { gamma: { shape: 1, rate: 1 } }), { lag: 3 }),
      tap(() => {
        count++;
        if (count === 100_000 || count === N) {
          gc();
          heap.push(process.memoryUsage().heapUsed);
        }
      }),
    ),
  );
  t.is(count, N);
  t.is(last.step, N - 1);
  const growth = heap[1]! - heap[0]!;
  t.true(growth < 4 * 2 ** 20, `heap grew by ${(growth / 2 ** 20).toFixed(2)} MB from 10^5 to 10^6 observations`);
});
