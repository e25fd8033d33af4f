/**
 * An online Gaussian mixture on a live stream: two clusters, one of which drifts. Each minibatch
 * updates the posterior (the posterior so far is the prior for the next batch); with forgetting
 * the model follows the drift, without it the estimate averages the whole path.
 *
 * Run: npx -y pnpm@10.34.9 example online-gmm
 */
import { interval, map, take, lastValueFrom, tap, share, zip } from "rxjs";
import { Generator, sampleStandardNormal } from "@vireo/core";
import { online } from "@vireo/runtime";
import { gaussianMixture } from "./gaussian-mixture.js";
import { elboTrace } from "@vireo/plot";
import { writePictures } from "./pictures/folder.js";

const rng = new Generator(2026);
const BATCHES = 40, ROWS = 250;
const centreAt = (b: number): [number, number] => [4 + 0.15 * b, 4 - 0.1 * b];

/** A simulated sensor: every 5 ms, 250 points from a fixed cluster at (−5, −5) and a drifting one. */
const stream$ = interval(5).pipe(
  take(BATCHES),
  map((b) => {
    const x = new Float64Array(ROWS * 2), c = centreAt(b);
    for (let i = 0; i < ROWS; i++) {
      const drifting = rng.uniform() < 0.5;
      x[2 * i] = (drifting ? c[0] : -5) + sampleStandardNormal(rng);
      x[2 * i + 1] = (drifting ? c[1] : -5) + sampleStandardNormal(rng);
    }
    return { x };
  }),
  share(),
);

const model = gaussianMixture(2, 2, { alpha: 1, meanPrecision: 0.01, df: 3, scale: 1 });
const nearest = (mu: readonly number[], c: [number, number]) => {
  const d = [0, 1].map((k) => Math.hypot(mu[2 * k]! - c[0], mu[2 * k + 1]! - c[1]));
  const k = d[0]! < d[1]! ? 0 : 1;
  return `(${mu[2 * k]!.toFixed(2)}, ${mu[2 * k + 1]!.toFixed(2)})`;
};

const elboWith: number[] = [], elboWithout: number[] = [];
console.log("batch   true drifting centre   with forgetting 0.5     without forgetting");
await lastValueFrom(
  zip(stream$.pipe(online(model, { forgetting: 0.5, seed: 1, summaries: ["mu"] })), stream$.pipe(online(model, { seed: 1, summaries: ["mu"] }))).pipe(
    tap(([withF, without]) => {
      elboWith.push(withF.elbo);
      elboWithout.push(without.elbo);
      const b = withF.batch, c = centreAt(b);
      if (b % 5 === 4) {
        console.log(`${String(b + 1).padStart(5)}   (${c[0].toFixed(2)}, ${c[1].toFixed(2)})${" ".repeat(10)}${nearest(withF.posteriors.mu!.mean, c).padEnd(24)}${nearest(without.posteriors.mu!.mean, c)}`);
      }
    }),
  ),
);

await writePictures("online-gmm", {
  elbo: elboTrace([{ label: "forgetting 0.5", elbo: elboWith }, { label: "no forgetting", elbo: elboWithout }], { title: "Online mixture: ELBO figure per batch", xTitle: "batch" }),
});
