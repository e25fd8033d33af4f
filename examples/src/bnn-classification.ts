/**
 * Bayesian neural network classification on the Wisconsin breast-cancer data (569 tumours, 30
 * features of cell nuclei, malignant or benign). Three models from the same library, trained on
 * the same 70% and scored on the held-out 30%:
 *   - a BNN: one hidden layer of 16 ReLU units, mean-field Gaussian weights fitted by the local
 *     reparameterisation trick, Bernoulli-logit likelihood;
 *   - the same network with point-estimate (MAP) weights;
 *   - Bayesian logistic regression, the graph's BernoulliLogitNode with MvNormal weights (cavi).
 * It prints held-out accuracy, predictive log-likelihood per row (± its Monte Carlo standard
 * error), Brier score and expected calibration error, and each model's reliability table.
 *
 *   npx -y pnpm@10.34.9 example bnn-classification
 */
import { fileURLToPath } from "node:url";
import { cosineDecay } from "@vireo/core";
import { bnn, fitBnn, predictBnn, reliabilityTable, type ReliabilityTable } from "@vireo/runtime";
import { readNumericCsv } from "./lib/csv.js";
import { splitRows, bayesLogisticRegression } from "./lib/bnn-baselines.js";

const { header, rows } = readNumericCsv(fileURLToPath(new URL("../data/breast_cancer.csv", import.meta.url)));
const D = header.length - 1;
const { train, test } = splitRows(rows, 0.3, 1);
const xs = (r: number[][]) => r.map((v) => v.slice(0, D)), ys = (r: number[][]) => r.map((v) => v[D]!);
const [xTrain, yTrain, xTest, yTest] = [xs(train), ys(train), xs(test), ys(test)];
console.log(`breast cancer: ${train.length} training rows, ${test.length} held out (${yTest.filter((y) => y === 1).length} malignant), ${D} features\n`);

const BINS = 5;
const tables: [string, ReliabilityTable, string][] = [];
const epochs = 100, batchSize = 100, steps = epochs * Math.ceil(train.length / batchSize);
for (const weights of ["gaussian", "point"] as const) {
  const t0 = performance.now();
  const net = bnn({ inputs: D, hidden: [16], likelihood: "bernoulli", priorSd: 0.5, weights });
  const fit = fitBnn(net, { x: xTrain, y: yTrain }, { epochs, batchSize, seed: 1, schedule: cosineDecay(0.01, steps) });
  const seconds = (performance.now() - t0) / 1000;
  const pred = predictBnn(fit, xTest, { draws: 400, seed: 2 });
  const ll = pred.logLikelihood(yTest);
  const name = weights === "gaussian" ? "BNN (mean-field, local reparam.)" : "same network, MAP weights";
  tables.push([name, reliabilityTable(pred.mean(), yTest, BINS), `${ll.mean.toFixed(4)} ± ${ll.standardError.toFixed(4)}  (${steps} steps in ${seconds.toFixed(1)} s)`]);
}
const blr = bayesLogisticRegression(xTrain, yTrain, xTest);
tables.push(["Bayesian logistic regression (graph)", reliabilityTable(blr.mean, yTest, BINS), `${blr.logLikelihood(yTest).toFixed(4)}`]);

console.log(`${"model".padEnd(37)} accuracy   Brier    ECE   log p(y*) per row`);
for (const [name, t, ll] of tables) {
  console.log(`${name.padEnd(37)} ${(100 * t.accuracy).toFixed(1).padStart(6)}%  ${t.brier.toFixed(4)}  ${t.ece.toFixed(3)}  ${ll}`);
}

console.log(`\nreliability: rows, mean predicted P(malignant) and observed frequency per bin of predicted probability`);
console.log(`${"bin".padEnd(11)}${["BNN", "MAP network", "Bayesian logistic"].map((n) => n.padEnd(24)).join("")}`);
for (let b = 0; b < BINS; b++) {
  const bin = tables[0]![1].bins[b]!;
  const cells = tables.map(([, t]) => {
    const c = t.bins[b]!;
    return (c.rows === 0 ? "—" : `${String(c.rows).padStart(3)}: ${c.confidence.toFixed(3)} vs ${c.frequency.toFixed(3)}`).padEnd(24);
  });
  console.log(`${`[${bin.lower.toFixed(1)}, ${bin.upper.toFixed(1)})`.padEnd(11)}${cells.join("")}`);
}
