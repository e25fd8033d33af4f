/**
 * A streaming Gaussian mixture: with forgetting it tracks a drifting component mean; without
 * forgetting, on stationary data, it converges to the batch CAVI answer.
 */
import test from "ava";
import { Generator, sampleStandardNormal, sampleCategorical } from "@vireo/core";
import { OnlineEngine, cavi } from "@vireo/runtime";
import { gaussianMixture } from "../../../examples/src/gaussian-mixture.js";

const K = 2, d = 2;
const gmm = () => gaussianMixture(K, d, { alpha: 1, meanPrecision: 0.01, df: d + 1, scale: 1 });

/** A batch of n points: component 0 at `c0`, component 1 at (−5, −5), weights 0.5/0.5, unit variance. */
function batch(rng: Generator, n: number, c0: readonly [number, number]): Float64Array {
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = sampleCategorical(rng, [0.5, 0.5]) === 0 ? c0 : [-5, -5];
    x[i * 2] = c[0]! + sampleStandardNormal(rng);
    x[i * 2 + 1] = c[1]! + sampleStandardNormal(rng);
  }
  return x;
}

/** Fitted mean of the component nearest to `target`. */
function nearestMean(mu: Float64Array, target: readonly [number, number]): [number, number] {
  let best: [number, number] = [NaN, NaN], bestD = Infinity;
  for (let k = 0; k < K; k++) {
    const m: [number, number] = [mu[k * 2]!, mu[k * 2 + 1]!];
    const dist = Math.hypot(m[0] - target[0], m[1] - target[1]);
    if (dist < bestD) [best, bestD] = [m, dist];
  }
  return best;
}

test("with forgetting the stream tracks a drifting mean; without, it lags behind", (t) => {
  const model = gmm();
  const tracking = new OnlineEngine(model, { forgetting: 0.5, seed: 1 });
  const anchored = new OnlineEngine(model, { forgetting: 1, seed: 1 });
  const rng = new Generator(12);
  let centre: [number, number] = [5, 5];
  for (let b = 0; b < 60; b++) {
    centre = [5 + 0.1 * b, 5 - 0.05 * b]; // drifts to (10.9, 2.05)
    const x = batch(rng, 200, centre);
    tracking.step({ x });
    anchored.step({ x });
  }
  const tracked = nearestMean(tracking.posteriors().mu!.mean(), centre);
  const lagging = nearestMean(anchored.posteriors().mu!.mean(), centre);
  const errTracked = Math.hypot(tracked[0] - centre[0], tracked[1] - centre[1]);
  const errLagging = Math.hypot(lagging[0] - centre[0], lagging[1] - centre[1]);
  t.log(`final centre (${centre.map((c) => c.toFixed(2))}): forgetting error ${errTracked.toFixed(3)}, no forgetting ${errLagging.toFixed(3)}`);
  t.true(errTracked < 0.35, `with forgetting the estimate is ${errTracked} away`);
  t.true(errLagging > 2, `without forgetting the estimate averages the path (${errLagging} away)`);
});

test("without forgetting, a stationary stream converges to the batch CAVI answer", (t) => {
  const model = gmm();
  const rng = new Generator(5);
  const batches = Array.from({ length: 30 }, () => batch(rng, 100, [4, 4]));
  const engine = new OnlineEngine(model, { seed: 2 });
  for (const x of batches) engine.step({ x });
  const all = new Float64Array(batches.length * 100 * d);
  batches.forEach((x, i) => all.set(x, i * x.length));
  const full = cavi(model, { data: { x: all }, seed: 2, restarts: 5 });
  t.log(`batch CAVI ELBO ${full.elbo[full.elbo.length - 1]} after ${full.iterations} sweeps`);
  for (const target of [[4, 4], [-5, -5]] as const) {
    const a = nearestMean(engine.posteriors().mu!.mean(), target), b = nearestMean(full.posteriors.mu!.mean(), target);
    t.true(Math.hypot(a[0] - b[0], a[1] - b[1]) < 0.02, `component at ${target}: streamed (${a}) vs batch (${b})`);
  }
  const wa = Array.from(engine.posteriors().pi!.mean()).sort(), wb = Array.from(full.posteriors.pi!.mean()).sort();
  t.true(Math.abs(wa[0]! - wb[0]!) < 0.01);
  // The streamed precision matrices agree with the batch ones too (mean of the Wishart).
  const La = engine.posteriors().Lambda!.mean(), Lb = full.posteriors.Lambda!.mean();
  const diag = (L: Float64Array) => [L[0]!, L[3]!, L[4]!, L[7]!].sort();
  diag(La).forEach((v, i) => t.true(Math.abs(v - diag(Lb)[i]!) / diag(Lb)[i]! < 0.05, `precision ${v} vs ${diag(Lb)[i]}`));
});
