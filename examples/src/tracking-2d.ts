/**
 * Tracking an object in 2-D from a simulated live stream: a constant-velocity LGSSM (state x, y,
 * vx, vy; noisy position fixes) filtered online by the `kalmanFilter` operator, with a fixed-lag
 * smoother and the sensor's noise precision learnt on the fly. A few fixes arrive corrupted (NaN)
 * and are skipped and reported instead of stopping the track.
 *   cd examples && npx tsx src/tracking-2d.ts
 */
import { Subject, interval, map, take, bufferCount } from "rxjs";
import { Generator, sampleStandardNormal } from "@vireo/core";
import { kalmanFilter, type SkippedObservation } from "@vireo/runtime";
import { writePictures } from "./pictures/folder.js";
import { trackCharts, type TrackPoint } from "./pictures/tracks.js";

const dt = 0.1, q = 0.5, sensorSd = 0.8, steps = 2000;
const rng = new Generator(2024);
let truth = [0, 0, 1, 0.5];

/** One step of the true motion (a turning target) and a noisy position fix, sometimes corrupted. */
function nextFix(i: number): { truth: number[]; fix: number[] } {
  const turn = 0.02 * Math.sin(i / 150);
  const [x, y, vx, vy] = truth as [number, number, number, number];
  const nvx = vx * Math.cos(turn) - vy * Math.sin(turn) + Math.sqrt(q * dt) * 0.3 * sampleStandardNormal(rng);
  const nvy = vx * Math.sin(turn) + vy * Math.cos(turn) + Math.sqrt(q * dt) * 0.3 * sampleStandardNormal(rng);
  truth = [x + dt * nvx, y + dt * nvy, nvx, nvy];
  const fix = [truth[0]! + sensorSd * sampleStandardNormal(rng), truth[1]! + sensorSd * sampleStandardNormal(rng)];
  if (i % 397 === 396) fix[1] = NaN; // a dropped reading
  return { truth: truth.slice(), fix };
}

const a = (q * dt ** 3) / 3, b = (q * dt ** 2) / 2, c = q * dt;
const model = {
  transition: [1, 0, dt, 0, 0, 1, 0, dt, 0, 0, 1, 0, 0, 0, 0, 1],
  observation: [1, 0, 0, 0, 0, 1, 0, 0],
  initialMean: [0, 0, 0, 0],
  initialCovariance: [10, 0, 0, 0, 0, 10, 0, 0, 0, 0, 10, 0, 0, 0, 0, 10],
  transitionNoise: { covariance: [a, 0, b, 0, 0, a, 0, b, b, 0, c, 0, 0, b, 0, c] },
  // The sensor's precision is unknown: a vague Gamma prior, learnt online.
  observationNoise: { gamma: { shape: 1, rate: 1 } },
};

const truths: number[][] = [];
const fixes: number[][] = [];
/** The first 300 filtered steps, for the picture. */
const trackPoints: TrackPoint[] = [];
const skipped = new Subject<SkippedObservation>();
skipped.subscribe((r) => console.log(`  skipped fix ${r.index}: ${r.field} (${r.message.split(", field ")[1]?.split(".")[0]})`));

let se = 0, n = 0, seSmooth = 0, nSmooth = 0;
// A live source: one fix per millisecond tick, delivered in batches of 10 fixes.
interval(1)
  .pipe(
    take(steps),
    map((i) => {
      const { truth: tr, fix } = nextFix(i);
      truths.push(tr);
      fixes.push(fix);
      return fix;
    }),
    bufferCount(10),
    kalmanFilter(model, { lag: 20, forgetting: 0.999, onInvalid: "skip", skipped }),
  )
  .subscribe({
    next: (s) => {
      const tr = truths[s.step]!;
      if (s.step < 300) trackPoints.push({ step: s.step, mean: s.mean, covariance: s.covariance, truth: tr, fix: fixes[s.step]! });
      se += (s.mean[0]! - tr[0]!) ** 2 + (s.mean[1]! - tr[1]!) ** 2;
      n++;
      if (s.smoothed) {
        const ts = truths[s.smoothed.step]!;
        seSmooth += (s.smoothed.mean[0]! - ts[0]!) ** 2 + (s.smoothed.mean[1]! - ts[1]!) ** 2;
        nSmooth++;
      }
      if ((s.step + 1) % 500 === 0) {
        const prec = s.observationPrecision;
        const sd = prec?.kind === "Gamma" ? 1 / Math.sqrt(prec.mean) : NaN;
        console.log(`step ${s.step + 1}: position (${s.mean[0]!.toFixed(2)}, ${s.mean[1]!.toFixed(2)}), truth (${tr[0]!.toFixed(2)}, ${tr[1]!.toFixed(2)}), learnt sensor sd ${sd.toFixed(3)} (true ${sensorSd})`);
      }
    },
    complete: () => {
      console.log(`per-axis position RMSE: filtered ${Math.sqrt(se / n / 2).toFixed(3)}, fixed-lag (20 steps) smoothed ${Math.sqrt(seSmooth / nSmooth / 2).toFixed(3)}, raw fixes ${sensorSd}`);
      writePictures("tracking", trackCharts(trackPoints, 4)).catch((e: unknown) => {
        console.error(e);
        process.exitCode = 1;
      });
    },
  });
