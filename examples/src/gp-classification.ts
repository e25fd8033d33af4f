/**
 * GP classification of breast-cancer biopsies (UCI Wisconsin diagnostic, 569 cases, 30 features):
 * a sparse variational GP with an ARD squared-exponential kernel and a Bernoulli-logit likelihood,
 * trained by svi() over a stream of minibatches (natural-gradient steps on q(u) with N/|B| scaling,
 * Adam on the kernel's 31 hyperparameters). Reports held-out accuracy, log loss and a calibration
 * table, and draws the reliability diagram.
 * Run: npx -y pnpm@10.34.9 example gp-classification
 */
import { lastValueFrom, tap } from "rxjs";
import { squaredExponential, sparseGp, adam } from "@vireo/core";
import { bernoulliLogitLikelihood } from "@vireo/nodes";
import { fromArrays, svi } from "@vireo/runtime";
import { calibration } from "@vireo/plot";
import { breastCancerSplit } from "./lib/breast-cancer-split.js";
import { printClassifierReport } from "./lib/classifier-report.js";
import { writePictures } from "./pictures/folder.js";

// Seeded 70/30 split, features standardised with the training rows' means and sds.
const { D, xTrain, yTrain, xTest, yTest } = breastCancerSplit(), nTrain = xTrain.length;

// 40 inducing inputs: training cases picked at random.
const M = 40, Z = xTrain.slice(0, M);
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

const table = printClassifierReport("", model.predict(xTest).targetMean, yTest, yTrain);
const used = table.bins.filter((b) => b.rows > 0);
await writePictures("gp-classification", {
  reliability: calibration(
    [{ label: "sparse GP (logit)", expected: used.map((b) => b.confidence), observed: used.map((b) => b.frequency), standardError: used.map((b) => Math.sqrt(Math.max(b.frequency * (1 - b.frequency), 1e-4) / b.rows)) }],
    { title: "Breast cancer: held-out reliability of a sparse GP classifier", xTitle: "predicted probability of malignancy", yTitle: "observed frequency" },
  ),
});
