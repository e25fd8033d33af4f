/**
 * GP classification of breast-cancer biopsies (UCI Wisconsin diagnostic, 569 cases, 30 features):
 * a sparse variational GP with an ARD squared-exponential kernel and a Bernoulli-logit likelihood,
 * trained by svi() over a stream of minibatches (natural-gradient steps on q(u) with N/|B| scaling,
 * Adam on the kernel's 31 hyperparameters). Reports held-out accuracy, log loss and a calibration
 * table, and draws the reliability diagram.
 * Run: npx -y pnpm@10.34.9 example gp-classification
 */
import { fileURLToPath } from "node:url";
import { lastValueFrom, tap } from "rxjs";
import { Generator, squaredExponential, sparseGp, adam } from "@vireo/core";
import { bernoulliLogitLikelihood } from "@vireo/nodes";
import { fromArrays, svi } from "@vireo/runtime";
import { calibration } from "@vireo/plot";
import { readNumericCsv } from "./lib/csv.js";
import { writePictures } from "./pictures/folder.js";

const { header, rows } = readNumericCsv(fileURLToPath(new URL("../data/breast_cancer.csv", import.meta.url)));
const D = header.length - 1;
// Seeded 70/30 split, features standardised with the training rows' means and sds.
const rng = new Generator(42), order = rows.map((_, i) => i);
for (let i = order.length - 1; i > 0; i--) {
  const j = rng.integer(i + 1);
  [order[i], order[j]] = [order[j]!, order[i]!];
}
const nTrain = Math.round(0.7 * rows.length), trainIdx = order.slice(0, nTrain), testIdx = order.slice(nTrain);
const mean = new Float64Array(D), sd = new Float64Array(D);
for (const i of trainIdx) for (let c = 0; c < D; c++) mean[c] += rows[i]![c]! / nTrain;
for (const i of trainIdx) for (let c = 0; c < D; c++) sd[c] += (rows[i]![c]! - mean[c]!) ** 2 / nTrain;
for (let c = 0; c < D; c++) sd[c] = Math.sqrt(sd[c]!);
const features = (idx: number[]) => idx.map((i) => Array.from({ length: D }, (_, c) => (rows[i]![c]! - mean[c]!) / sd[c]!));
const labels = (idx: number[]) => idx.map((i) => rows[i]![D]!);
const xTrain = features(trainIdx), yTrain = labels(trainIdx), xTest = features(testIdx), yTest = labels(testIdx);

// 40 inducing inputs: training cases picked at random.
const M = 40, Z = trainIdx.slice(0, M).map((_, k) => xTrain[k]!);
const model = sparseGp({
  kernel: squaredExponential({ dim: D, variance: 2, lengthscale: new Array(D).fill(Math.sqrt(D)) }),
  likelihood: bernoulliLogitLikelihood(), inducing: Z, jitter: 1e-6,
});

const EPOCHS = 40, BATCH = 50;
let last = 0;
await lastValueFrom(
  fromArrays({ x: xTrain, y: yTrain }, { batchSize: BATCH, shuffle: true, seed: 7, epochs: EPOCHS }).pipe(
    svi(model, { totalRows: nTrain, tau: 1, kappa: 0.6, optimizer: adam({ lr: 0.02 }), warmup: 20, summaries: "none" }),
    tap((s) => {
      const epoch = Math.floor((s.step * BATCH) / nTrain);
      if (epoch % 10 === 0 && epoch !== last) {
        last = epoch;
        console.log(`epoch ${epoch}: ELBO estimate ${s.elbo.toFixed(1)}, ρ ${s.rho.toFixed(3)}, kernel variance ${s.hyperparameters["kernel.variance"]!.toFixed(2)}`);
      }
    }),
  ),
);

const p = model.predict(xTest).targetMean;
let correct = 0, logLoss = 0;
const bins = Array.from({ length: 5 }, () => ({ n: 0, p: 0, y: 0 }));
for (let i = 0; i < p.length; i++) {
  const y = yTest[i]!, pi = Math.min(1 - 1e-12, Math.max(1e-12, p[i]!));
  if ((pi > 0.5 ? 1 : 0) === y) correct++;
  logLoss -= (y * Math.log(pi) + (1 - y) * Math.log(1 - pi)) / p.length;
  const b = bins[Math.min(4, Math.floor(pi * 5))]!;
  b.n++;
  b.p += pi;
  b.y += y;
}
console.log(`held-out (${p.length} cases): accuracy ${((100 * correct) / p.length).toFixed(1)}%, log loss ${logLoss.toFixed(3)} (a constant base-rate guess scores ${baseRateLoss().toFixed(3)})`);
console.log("calibration  bin       cases  mean p  observed");
for (const [k, b] of bins.entries()) {
  if (b.n > 0) console.log(`             ${(k / 5).toFixed(1)}–${((k + 1) / 5).toFixed(1)}  ${String(b.n).padStart(5)}  ${(b.p / b.n).toFixed(3)}   ${(b.y / b.n).toFixed(3)}`);
}
const used = bins.filter((b) => b.n > 0);
await writePictures("gp-classification", {
  reliability: calibration(
    [{ label: "sparse GP (logit)", expected: used.map((b) => b.p / b.n), observed: used.map((b) => b.y / b.n), standardError: used.map((b) => Math.sqrt(Math.max((b.y / b.n) * (1 - b.y / b.n), 1e-4) / b.n)) }],
    { title: "Breast cancer: held-out reliability of a sparse GP classifier", xTitle: "predicted probability of malignancy", yTitle: "observed frequency" },
  ),
});

function baseRateLoss(): number {
  const r = yTrain.reduce((s, v) => s + v, 0) / yTrain.length;
  return -yTest.reduce((s, y) => s + y * Math.log(r) + (1 - y) * Math.log(1 - r), 0) / yTest.length;
}
