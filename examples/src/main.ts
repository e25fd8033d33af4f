/**
 * The main job: fits a Bayesian Gaussian mixture to the Old Faithful eruptions by CAVI and prints
 * the clusters found, their weights and the ELBO trace. Starts with K = 6 components and a sparse
 * Dirichlet prior (α₀ = 0.01): components the data does not need are switched off, so the model
 * chooses how many clusters there are. Then compares K = 2..5 by their ELBO.
 *
 * Run: npx -y pnpm@10.34.9 start
 */
import { fileURLToPath } from "node:url";
import { cavi, caviProgress } from "@vireo/runtime";
import { readNumericCsv } from "./lib/csv.js";
import { gaussianMixture } from "./gaussian-mixture.js";
import { writePictures } from "./pictures/folder.js";
import { mixtureCharts } from "./pictures/mixture.js";
import { caviWithBar } from "./lib/progress.js";

const path = fileURLToPath(new URL("../data/faithful.csv", import.meta.url));
const { header, rows } = readNumericCsv(path);
const N = rows.length, d = 2;

// Standardise each column so one prior fits both (minutes of eruption vs minutes of waiting).
const mean = [0, 1].map((j) => rows.reduce((s, r) => s + r[j]!, 0) / N);
const sd = [0, 1].map((j) => Math.sqrt(rows.reduce((s, r) => s + (r[j]! - mean[j]!) ** 2, 0) / N));
const x = new Float64Array(N * d);
rows.forEach((r, n) => { for (let j = 0; j < d; j++) x[n * d + j] = (r[j]! - mean[j]!) / sd[j]!; });

const K = 6;
const started = performance.now();
const result = await caviWithBar("CAVI", caviProgress(gaussianMixture(K, d, { alpha: 0.01, meanPrecision: 0.1, df: d + 1, scale: 1 }), {
  data: { x }, seed: 1, restarts: 5, tolerance: 1e-10, maxIterations: 1000,
}), 5, 1000);
const ms = performance.now() - started;

console.log(`Old Faithful: ${N} eruptions (${header.join(", ")}), Gaussian mixture with K = ${K}, α₀ = 0.01`);
console.log(`CAVI: ${result.iterations} sweeps, converged: ${result.converged}, ${ms.toFixed(0)} ms (5 random starts), ELBO decreases: ${result.diagnostics.length}`);

const weights = result.posteriors.pi!.mean();
const mu = result.posteriors.mu!.mean();
const Lambda = result.posteriors.Lambda!;
console.log("\nClusters found (weight > 1%), in original units:");
console.log("  weight   eruptions  waiting    sd(eruptions)  sd(waiting)  correlation");
for (let k = 0; k < K; k++) {
  if (weights[k]! < 0.01) continue;
  // E[Λ]⁻¹ as the cluster covariance, in original units.
  const L = Lambda.mean().subarray(k * 4, k * 4 + 4);
  const det = L[0]! * L[3]! - L[1]! * L[2]!;
  const c = [L[3]! / det, -L[1]! / det, L[0]! / det];
  const s0 = Math.sqrt(c[0]!) * sd[0]!, s1 = Math.sqrt(c[2]!) * sd[1]!;
  console.log(
    `  ${(100 * weights[k]!).toFixed(1).padStart(5)}%  ${(mu[k * 2]! * sd[0]! + mean[0]!).toFixed(2).padStart(9)}  ${(mu[k * 2 + 1]! * sd[1]! + mean[1]!).toFixed(1).padStart(7)}` +
      `    ${s0.toFixed(2).padStart(13)}  ${s1.toFixed(1).padStart(11)}  ${(c[1]! / Math.sqrt(c[0]! * c[2]!)).toFixed(2).padStart(11)}`,
  );
}
const tr = result.elbo;
const shown = [0, 1, 2, 3, 4, 9, 19, 49, 99, tr.length - 1].filter((i, j, a) => i < tr.length && a.indexOf(i) === j);
console.log("\nELBO trace (sweep: ELBO), never decreasing:");
console.log("  " + shown.map((i) => `${i + 1}: ${tr[i]!.toFixed(4)}`).join("   "));

console.log("\nModel comparison by ELBO (K components, α₀ = 1, standardised data):");
for (let k = 2; k <= 5; k++) {
  const r = cavi(gaussianMixture(k, d, { alpha: 1, meanPrecision: 0.1, df: d + 1, scale: 1 }), { data: { x }, seed: 1, restarts: 5, maxIterations: 1000 });
  console.log(`  K = ${k}: ELBO ${r.elbo[r.elbo.length - 1]!.toFixed(3)}`);
}

await writePictures("main", mixtureCharts(result, x, mean, sd, ["eruptions (minutes)", "waiting (minutes)"]));
