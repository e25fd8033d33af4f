/**
 * What the browser page computes, kept free of the DOM and of Node so the page and the Node test
 * run the very same code: a Gaussian mixture fitted by CAVI to Old Faithful (CSV text parsed by
 * the runtime's fromCsvText), and an online mixture over a seeded synthetic stream.
 */
import { Observable, from, lastValueFrom, toArray } from "rxjs";
import { Generator, sampleStandardNormal } from "@vireo/core";
import { cavi, fromCsvText, online, type Minibatch } from "@vireo/runtime";
import { gaussianMixture } from "../src/gaussian-mixture.js";

export interface Cluster {
  /** Posterior mean weight E[π_k]. */
  readonly weight: number;
  /** Posterior mean of the component mean, in original units. */
  readonly mean: readonly [number, number];
  /** E[Λ_k]⁻¹ in original units, row-major 2×2. */
  readonly covariance: readonly [number, number, number, number];
}

export interface FaithfulFit {
  readonly rows: number;
  /** Data in original units, row-major N×2 (for drawing). */
  readonly points: readonly number[];
  readonly sweeps: number;
  readonly elbo: readonly number[];
  /** Components with weight above 1%, heaviest first. */
  readonly clusters: readonly Cluster[];
}

export interface StreamStep {
  readonly step: number;
  readonly elbo: number;
  /** Posterior means of the two component means, row-major 2×2. */
  readonly mu: readonly number[];
}

/** Synchronously collects a synchronous source (fromCsvText emits every batch on subscribe). */
function collect(source: Observable<Minibatch>): Minibatch[] {
  const out: Minibatch[] = [];
  let failure: unknown = null;
  source.subscribe({ next: (b) => out.push(b), error: (e: unknown) => (failure = e) });
  if (failure !== null) throw failure;
  return out;
}

/** Fits K = 6 components with a sparse Dirichlet prior to the standardised eruptions data. */
export function fitFaithful(csvText: string): FaithfulFit {
  const batches = collect(fromCsvText(csvText, { batchSize: 1024, columns: { x: ["eruptions", "waiting"] } }));
  const N = batches.reduce((s, b) => s + b.rows, 0), d = 2;
  const raw = new Float64Array(N * d);
  let o = 0;
  for (const b of batches) {
    raw.set(b.data.x!, o);
    o += b.rows * d;
  }
  const mean = [0, 1].map((j) => { let s = 0; for (let n = 0; n < N; n++) s += raw[n * d + j]!; return s / N; });
  const sd = [0, 1].map((j) => { let s = 0; for (let n = 0; n < N; n++) s += (raw[n * d + j]! - mean[j]!) ** 2; return Math.sqrt(s / N); });
  const x = new Float64Array(N * d);
  for (let n = 0; n < N; n++) for (let j = 0; j < d; j++) x[n * d + j] = (raw[n * d + j]! - mean[j]!) / sd[j]!;

  const K = 6;
  const result = cavi(gaussianMixture(K, d, { alpha: 0.01, meanPrecision: 0.1, df: d + 1, scale: 1 }), {
    data: { x }, seed: 1, restarts: 5, tolerance: 1e-10, maxIterations: 1000,
  });
  const weights = result.posteriors.pi!.mean();
  const mu = result.posteriors.mu!.mean();
  const Lambda = result.posteriors.Lambda!.mean();
  const clusters: Cluster[] = [];
  for (let k = 0; k < K; k++) {
    if (weights[k]! < 0.01) continue;
    const L = Lambda.subarray(k * 4, k * 4 + 4);
    const det = L[0]! * L[3]! - L[1]! * L[2]!;
    const [s0, s1] = [sd[0]!, sd[1]!];
    clusters.push({
      weight: weights[k]!,
      mean: [mu[k * 2]! * s0 + mean[0]!, mu[k * 2 + 1]! * s1 + mean[1]!],
      covariance: [(L[3]! / det) * s0 * s0, (-L[1]! / det) * s0 * s1, (-L[2]! / det) * s0 * s1, (L[0]! / det) * s1 * s1],
    });
  }
  clusters.sort((a, b) => b.weight - a.weight);
  return { rows: N, points: Array.from(raw), sweeps: result.iterations, elbo: result.elbo, clusters };
}

/** 30 batches of 200 points from a fixed cluster at (−4, −4) and one drifting from (4, 4). */
export function streamBatches(seed = 2026, batches = 30, rows = 200): { x: Float64Array }[] {
  const rng = new Generator(seed);
  const out: { x: Float64Array }[] = [];
  for (let b = 0; b < batches; b++) {
    const x = new Float64Array(rows * 2);
    for (let i = 0; i < rows; i++) {
      const drifting = rng.uniform() < 0.5;
      x[2 * i] = (drifting ? 4 + 0.1 * b : -4) + sampleStandardNormal(rng);
      x[2 * i + 1] = (drifting ? 4 - 0.1 * b : -4) + sampleStandardNormal(rng);
    }
    out.push({ x });
  }
  return out;
}

/** The online mixture (forgetting 0.7) over streamBatches(): one entry per snapshot. */
export async function runStream(batches = streamBatches()): Promise<StreamStep[]> {
  const model = gaussianMixture(2, 2, { alpha: 1, meanPrecision: 0.01, df: 3, scale: 1 });
  const snaps = await lastValueFrom(from(batches).pipe(online(model, { forgetting: 0.7, seed: 1, summaries: ["mu"] }), toArray()));
  return snaps.map((s) => ({ step: s.step, elbo: s.elbo, mu: s.posteriors.mu!.mean }));
}
