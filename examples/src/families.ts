/**
 * Choosing a variational family, in pictures: the same model graph fitted with a mean-field
 * Gaussian, a full-rank Gaussian, a normalising flow and a mixture of Gaussians as q.
 *
 * - The banana posterior θ ~ N(0, I₂), y = 1 ~ N(θ₁ + θ₂², 1): Gaussians cannot bend, a flow can.
 * - A bimodal posterior θ ~ N(½, 2²), y = 4 ~ N(|θ|, 1): one Gaussian covers one mode, a
 *   2-component mixture both.
 *
 * Each fit reports its ELBO (± Monte Carlo SE) against the log evidence from grid quadrature, and
 * the PSIS k̂ of its q (k̂ > 0.7: do not trust q). Pictures go to examples/pictures/families/.
 */
import {
  MvNormal, Normal, ad, adam, exponentialDecay, LOG_2PI, meanFieldGaussian, fullRankGaussian, flowQ, repeat, affineCoupling, mixtureGaussian,
  type VariationalChoice,
} from "@vireo/core";
import { MvNormalNode, NormalNode, densityNode } from "@vireo/nodes";
import { ModelBuilder, caviProgress, GradientPosterior, type CaviResult } from "@vireo/runtime";
import { samplesOverDensity, posteriorDensities } from "@vireo/plot";
import { caviWithBar } from "./lib/progress.js";
import { writePictures } from "./pictures/folder.js";

// ---- The banana: a conjugate N(0, I) prior node and a density node for y ~ N(θ₁ + θ₂², 1). ----
const banana = densityNode("Banana", { edges: { theta: "MvNormal", y: "input" } }, ({ theta, y }) => {
  const r = ad.sub(ad.sub(y!, ad.slice(theta!, 0, 1)), ad.square(ad.slice(theta!, 1, 1)));
  return ad.shift(ad.scale(ad.sum(ad.square(r)), -0.5), -0.5 * LOG_2PI);
});

function bananaModel(q: VariationalChoice) {
  const m = new ModelBuilder();
  const theta = m.random("theta", MvNormal(2), { q });
  m.factor(MvNormalNode, { out: theta, mean: new Float64Array(2), precision: new Float64Array([1, 0, 0, 1]) });
  m.factor(banana, { theta, y: m.input("y", { plate: m.plate("obs") }) });
  return m.build();
}

const bananaLogJoint = (a: number, b: number) => -0.5 * (1 - a - b * b) ** 2 - 0.5 * (a * a + b * b) - 1.5 * LOG_2PI;

// ---- The bimodal posterior. ----
const absNormal = densityNode("AbsNormal", { edges: { theta: "Normal", y: "input" } }, ({ theta, y }) => {
  const r = ad.sub(y!, ad.sqrt(ad.square(theta!)));
  return ad.shift(ad.scale(ad.sum(ad.square(r)), -0.5), -0.5 * LOG_2PI);
});

function bimodalModel(q: VariationalChoice) {
  const m = new ModelBuilder();
  const theta = m.random("theta", Normal, { q });
  m.factor(NormalNode, { out: theta, mean: 0.5, precision: 0.25 });
  m.factor(absNormal, { theta, y: m.input("y", { plate: m.plate("obs") }) });
  return m.build();
}

const bimodalLogJoint = (t: number) => -0.5 * (4 - Math.abs(t)) ** 2 - 0.5 * ((t - 0.5) / 2) ** 2 - LOG_2PI - Math.log(2);

/** log ∫ exp(f) by the midpoint rule on a grid of cells (values in log space). */
function logIntegral(values: readonly number[], cell: number): number {
  const m = Math.max(...values);
  return m + Math.log(values.reduce((s, v) => s + Math.exp(v - m), 0) * cell);
}

async function fit(label: string, model: ReturnType<typeof bananaModel>, steps: number, lr: number, samples: number): Promise<CaviResult> {
  const options = {
    data: { y: [label.startsWith("bimodal") ? 4 : 1] }, maxIterations: steps,
    gradient: { samples, optimizer: adam({ lr }), schedule: exponentialDecay(lr, 0.05, steps), convergence: false as const, averageFrom: steps / 2, elboSamples: 2000 },
  };
  return caviWithBar(label.padEnd(28), caviProgress(model, options), 1, steps);
}

function report(label: string, r: CaviResult, logEvidence: number): void {
  const k = r.psis ? `k̂ ${r.psis.khat.toFixed(2)}${r.psis.reliable ? "" : " (do not trust q)"}` : "";
  console.log(`  ${label.padEnd(28)} ELBO ${r.elboEstimate.toFixed(3)} ± ${r.elboStandardError.toFixed(3)}   gap to log p(y) ${(logEvidence - r.elboEstimate).toFixed(3)}   ${k}`);
}

// Grid answers.
const n = 241, lo = -4, hi = 4, h = (hi - lo) / (n - 1);
const gx = Array.from({ length: n }, (_, i) => lo + i * h);
const bananaValues: number[] = [];
for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) bananaValues.push(bananaLogJoint(gx[i]!, gx[j]!));
const bananaEvidence = logIntegral(bananaValues, h * h);
const tx = Array.from({ length: 1601 }, (_, i) => -10 + i * 0.0125);
const bimodalEvidence = logIntegral(tx.map(bimodalLogJoint), 0.0125);

console.log(`Banana posterior (log p(y) = ${bananaEvidence.toFixed(3)} by quadrature)`);
const bananaFits: [string, VariationalChoice, number, number, number][] = [
  ["mean-field Gaussian", meanFieldGaussian(), 2000, 0.02, 8],
  ["full-rank Gaussian", fullRankGaussian(), 2000, 0.02, 8],
  ["flow (affine coupling ×6)", flowQ(repeat(6, affineCoupling({ hidden: 8 }))), 2000, 0.02, 6],
  ["mixture of 3 Gaussians", mixtureGaussian({ components: 3, means: [0, -1.2, 0, 0, 0, 1.2] }), 2000, 0.02, 4],
];
const panels: { label: string; draws: Float64Array }[] = [];
const bananaResults: [string, CaviResult][] = [];
for (const [label, q, steps, lr, samples] of bananaFits) bananaResults.push([label, await fit(label, bananaModel(q), steps, lr, samples)]);
for (const [label, r] of bananaResults) {
  report(label, r, bananaEvidence);
  panels.push({ label: `${label} (gap ${(bananaEvidence - r.elboEstimate).toFixed(2)})`, draws: (r.posteriors.theta as GradientPosterior).samples(1500, 1) });
}

console.log(`\nBimodal posterior (log p(y) = ${bimodalEvidence.toFixed(3)} by quadrature)`);
const single = await fit("bimodal: one Gaussian", bimodalModel(meanFieldGaussian({ mean: [2], sd: 0.5 })), 1500, 0.05, 8);
const mixture = await fit("bimodal: mixture of 2", bimodalModel(mixtureGaussian({ components: 2, means: [-1, 1] })), 1500, 0.05, 8);
report("one Gaussian", single, bimodalEvidence);
report("mixture of 2 Gaussians", mixture, bimodalEvidence);

/** q's density of θ on the grid, exactly from its own log density (identity bijector). */
function qDensity(r: CaviResult, x: readonly number[]): number[] {
  const p = r.posteriors.theta as GradientPosterior, z = new Float64Array(1);
  return x.map((v) => ((z[0] = v), Math.exp(p.q.logDensity(p.lambda, z))));
}
const px = tx.filter((_, i) => i % 4 === 0 && Math.abs(tx[i]!) <= 8);
await writePictures("families", {
  "banana-families": samplesOverDensity({ x: gx, y: gx, density: bananaValues.map((v) => Math.exp(v)) }, panels, {
    title: "The banana posterior (blue) and 1500 draws of each q (red)", size: 200, columns: 4,
  }),
  "bimodal-families": posteriorDensities([
    { label: "posterior (grid)", x: px, density: px.map((t) => Math.exp(bimodalLogJoint(t) - bimodalEvidence)) },
    { label: "one Gaussian q", x: px, density: qDensity(single, px) },
    { label: "mixture of 2 Gaussians q", x: px, density: qDensity(mixture, px) },
  ], { title: "A bimodal posterior: one Gaussian q covers one mode, a mixture both", xTitle: "θ", layout: "panels" }),
});
