/**
 * The main job, for a first-time reader: do Old Faithful's eruptions fall into groups, and how
 * many? Fits Bishop's Bayesian Gaussian mixture (PRML §10.2, normal-wishart-mixture.ts) by CAVI
 * with more clusters than needed and a sparse prior on their weights, prints the clusters found
 * in the data's own units, then compares K = 1..6 clusters by their ELBO under the same priors.
 *
 * Run: npx -y pnpm@10.34.9 start
 */
import { fileURLToPath } from "node:url";
import { cavi, caviProgress, type CaviResult } from "@vireo/runtime";
import type { NormalWishartParams } from "@vireo/core";
import { readNumericCsv } from "./lib/csv.js";
import { normalWishartMixture, type NormalWishartMixturePriors } from "./normal-wishart-mixture.js";
import { writePictures } from "./pictures/folder.js";
import { mixtureCharts } from "./pictures/mixture.js";
import { caviWithBar } from "./lib/progress.js";

// ---------------------------------------------------------------- the data

const path = fileURLToPath(new URL("../data/faithful.csv", import.meta.url));
const { rows } = readNumericCsv(path);
const N = rows.length, d = 2;
// Standardise both columns (minutes of eruption vs minutes of waiting) so one prior fits both.
const centre = [0, 1].map((j) => rows.reduce((s, r) => s + r[j]!, 0) / N);
const spread = [0, 1].map((j) => Math.sqrt(rows.reduce((s, r) => s + (r[j]! - centre[j]!) ** 2, 0) / N));
const x = new Float64Array(N * d);
rows.forEach((r, n) => { for (let j = 0; j < d; j++) x[n * d + j] = (r[j]! - centre[j]!) / spread[j]!; });

console.log(`Data: ${N} eruptions of the Old Faithful geyser (Yellowstone), each with its length and the`);
console.log("waiting time until the next eruption, both in minutes. Do the eruptions fall into groups, and how many?");

// ---------------------------------------------------------------- the model and the fit

const K = 6;
const PRIORS: NormalWishartMixturePriors = { alpha: 0.01, precisionScale: 1, df: d, scale: 1 };
const FIT = { seed: 1, restarts: 5, maxIterations: 2000 } as const;
const fit = (k: number) => cavi(normalWishartMixture(k, d, PRIORS), { data: { x }, ...FIT });

console.log(`\nModel: each eruption belongs to one of K = ${K} clusters, each a 2-D Gaussian with its own mean and`);
console.log(`covariance; cluster weights ~ Dirichlet(α₀ = ${PRIORS.alpha}), which lets the fit leave clusters empty`);
console.log("(Bishop's Bayesian Gaussian mixture, PRML §10.2, fitted by CAVI on the standardised data).");

const started = performance.now();
const result = await caviWithBar("CAVI", caviProgress(normalWishartMixture(K, d, PRIORS), { data: { x }, ...FIT }), FIT.restarts, FIT.maxIterations);
const ms = performance.now() - started;

/** A cluster in minutes: its centre, standard deviations and correlation, from E[μ] and E[Λ]⁻¹. */
function cluster(r: CaviResult, k: number) {
  const p = r.posteriors.theta!.params(k) as NormalWishartParams;
  // E[Λ] = νW, so the typical covariance is (νW)⁻¹ (2×2, inverted by hand), back in minutes.
  const L = p.scale.map((w) => p.df * w), det = L[0]! * L[3]! - L[1]! * L[2]!;
  const c00 = L[3]! / det, c01 = -L[1]! / det, c11 = L[0]! / det;
  return {
    component: k, weight: r.posteriors.pi!.mean()[k]!,
    eruption: p.mean[0]! * spread[0]! + centre[0]!, waiting: p.mean[1]! * spread[1]! + centre[1]!,
    sdEruption: Math.sqrt(c00) * spread[0]!, sdWaiting: Math.sqrt(c11) * spread[1]!, correlation: c01 / Math.sqrt(c00 * c11),
  };
}
const found = Array.from({ length: K }, (_, k) => cluster(result, k)).filter((c) => c.weight >= 0.01).sort((a, b) => a.eruption - b.eruption);
const names = found.length === 2 ? ["short", "long"] : found.map((_, i) => `#${i + 1}`);

console.log(`\nAnswer: ${found.length} clusters.`);
found.forEach((c, i) => {
  console.log(
    `  ${(100 * c.weight).toFixed(0).padStart(3)}% of eruptions are ${names[i]}: ${c.eruption.toFixed(2)} min (sd ${c.sdEruption.toFixed(2)}), ` +
      `followed by a wait of ${c.waiting.toFixed(1)} min (sd ${c.sdWaiting.toFixed(1)}); correlation ${c.correlation.toFixed(2)}`,
  );
});
console.log(`  The other ${K - found.length} clusters were left empty (weight < 1%): the data did not need them.`);
if (found.length === 2) {
  console.log(`  In plain words: a short eruption means the next one comes sooner (about ${found[0]!.waiting.toFixed(0)} min, against ${found[1]!.waiting.toFixed(0)} after a long one).`);
}

const trace = result.elbo;
console.log(
  `\nFit: ${result.converged ? "converged after" : "stopped at the limit of"} ${result.iterations} CAVI sweeps (best of ${FIT.restarts} random starts, ${ms.toFixed(0)} ms); ` +
    `the ELBO rose from ${trace[0]!.toFixed(1)} to ${trace[trace.length - 1]!.toFixed(2)}${result.diagnostics.length === 0 ? " and never decreased" : ` (${result.diagnostics.length} decreases: see result.diagnostics)`}.`,
);
// The ELBO's terms (result.elboTerms): the data term, and the priors plus entropies, which add up
// to −KL(q ‖ prior).
const terms = result.elboTerms!; // exact: every variable of this model is fitted in closed form
const dataFit = terms.factors.likelihood!, kl = dataFit - terms.total;
console.log(
  `  ELBO ${terms.total.toFixed(2)} = data fit E_q[log p(x | z, μ, Λ)] ${dataFit.toFixed(2)} − KL(q ‖ prior) ${kl.toFixed(2)}, ` +
    "the cost of learning the clusters and assignments from the data.",
);

// ---------------------------------------------------------------- how many clusters?

console.log("\nHow many clusters does the data support? The same model and priors, fitted for K = 1..6.");
console.log("The ELBO is a lower bound on log p(data | K): how probable the data are under the model averaged over all");
console.log("its parameter values, so it rewards fit but charges for parameters the data cannot pin down. Higher is better.");
const comparison = Array.from({ length: K }, (_, i) => (i + 1 === K ? result : fit(i + 1)));
const elbos = comparison.map((r) => r.elbo[r.elbo.length - 1]!);
const best = elbos.indexOf(Math.max(...elbos));
comparison.forEach((r, i) => {
  const used = "pi" in r.posteriors ? Array.from(r.posteriors.pi!.mean()).filter((w) => w >= 0.01).length : 1;
  const note = i === best ? "  ← best" : used < i + 1 ? `  (only ${used} of ${i + 1} clusters used)` : "";
  console.log(`  K = ${i + 1}: ELBO ${elbos[i]!.toFixed(2).padStart(8)}${note}`);
});
const worse = (k: number) => (elbos[best]! - elbos[k - 1]!).toFixed(1);
console.log(
  `K = ${best + 1} wins.` +
    (best === 1
      ? ` One Gaussian cannot describe two separate groups (ELBO ${worse(1)} lower); a third cluster finds no` +
        ` eruptions of its own and only adds uncertainty (${worse(3)} lower).`
      : ""),
);

await writePictures("main", mixtureCharts(result, x, centre, spread, found.map((c) => ({
  component: c.component, weight: c.weight, mean: [c.eruption, c.waiting],
  covariance: [c.sdEruption ** 2, c.correlation * c.sdEruption * c.sdWaiting, c.correlation * c.sdEruption * c.sdWaiting, c.sdWaiting ** 2],
})), ["eruptions (minutes)", "waiting (minutes)"]));
