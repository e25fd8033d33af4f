/**
 * Bayesian neural network regression on the diabetes data (Efron et al. 2004: 442 patients, 10
 * baseline variables, disease progression after one year). Four fits from the same library,
 * trained on the same 75% and scored on the held-out 25%:
 *   - a BNN: one hidden layer of 16 tanh units, mean-field Gaussian weights fitted by the local
 *     reparameterisation trick, learnt noise;
 *   - the same network with point-estimate (MAP) weights;
 *   - the same BNN with its layers as graph variables (bnnModel), trained by svi() over a stream;
 *   - Bayesian linear regression, the conjugate graph (GaussianLinearNode) fitted by cavi.
 * It prints held-out RMSE, predictive log-likelihood per row (± its Monte Carlo standard error)
 * and the coverage of the 50/80/95% predictive intervals, then draws a 1-D toy problem's
 * predictive band (examples/pictures/bnn-regression/).
 *
 *   npx -y pnpm@10.34.9 example bnn-regression
 */
import { fileURLToPath } from "node:url";
import { Generator, sampleStandardNormal, cosineDecay, adam } from "@vireo/core";
import { lastValueFrom } from "rxjs";
import { bnn, fitBnn, predictBnn, intervalCoverage, bnnModel, standardiseBnnData, bnnFitFromGraph, svi, SviEngine, fromArrays, type CoverageRow } from "@vireo/runtime";
import type { TopLevelSpec } from "@vireo/plot";
import { readNumericCsv } from "./lib/csv.js";
import { splitRows, bayesLinearRegression } from "./lib/bnn-baselines.js";
import { writePictures } from "./pictures/folder.js";

const { header, rows } = readNumericCsv(fileURLToPath(new URL("../data/diabetes.csv", import.meta.url)));
const D = header.length - 1;
const { train, test } = splitRows(rows, 0.25, 1);
const xs = (r: number[][]) => r.map((v) => v.slice(0, D)), ys = (r: number[][]) => r.map((v) => v[D]!);
const [xTrain, yTrain, xTest, yTest] = [xs(train), ys(train), xs(test), ys(test)];
console.log(`diabetes: ${train.length} training rows, ${test.length} held out, ${D} covariates (${header.slice(0, D).join(", ")})\n`);

const rmse = (mean: ArrayLike<number>) => Math.sqrt(yTest.reduce((a, y, n) => a + (y - mean[n]!) ** 2, 0) / yTest.length);
const coverage = (rowsOf: CoverageRow[]) => rowsOf.map((r) => `${(100 * r.coverage).toFixed(1).padStart(5)}%`).join("  ");

const epochs = 300, batchSize = 64, steps = epochs * Math.ceil(train.length / batchSize);
const results: string[] = [];
for (const weights of ["gaussian", "point"] as const) {
  const t0 = performance.now();
  const net = bnn({ inputs: D, hidden: [16], activation: "tanh", likelihood: "gaussian", priorSd: 0.5, weights });
  const fit = fitBnn(net, { x: xTrain, y: yTrain }, { epochs, batchSize, seed: 1, schedule: cosineDecay(0.01, steps) });
  const seconds = (performance.now() - t0) / 1000;
  const pred = predictBnn(fit, xTest, { draws: 400, seed: 2 });
  const ll = pred.logLikelihood(yTest);
  const name = weights === "gaussian" ? "BNN (mean-field, local reparam.)" : "same network, MAP weights";
  results.push(`${name.padEnd(34)} ${rmse(pred.mean()).toFixed(2).padStart(6)}  ${ll.mean.toFixed(4)} ± ${ll.standardError.toFixed(4)}  ${coverage(intervalCoverage((l) => pred.interval(l), yTest))}  (${steps} steps in ${seconds.toFixed(1)} s, noise sd ${pred.noiseSd.toFixed(1)})`);
}
{
  // The same BNN with its layers as graph variables (bnnModel: the dense-network moment node, a
  // Gamma noise precision), trained by svi() over a stream of shuffled minibatches of the same size.
  const t0 = performance.now();
  const net = bnn({ inputs: D, hidden: [16], activation: "tanh", likelihood: "gaussian", priorSd: 0.5 });
  const graph = bnnModel(net, { seed: 1 }), data = standardiseBnnData(net, { x: xTrain, y: yTrain });
  const xRows = Array.from({ length: data.rows }, (_, n) => Array.from(data.binding.x.subarray(n * D, (n + 1) * D)));
  const engine = new SviEngine(graph.model, { totalRows: data.rows, psis: false, seed: 1, gradient: { samples: 1, optimizer: adam({ lr: 0.01 }), schedule: cosineDecay(0.01, steps) } });
  // One local-noise draw per step, as the kit; no per-batch posterior summaries (nothing reads them here).
  await lastValueFrom(fromArrays({ x: xRows, y: data.binding.y }, { batchSize, shuffle: true, seed: 1, epochs }).pipe(svi(engine, { summaries: "none" })));
  const seconds = (performance.now() - t0) / 1000;
  const pred = predictBnn(bnnFitFromGraph(graph, engine.posteriors(), data.scales), xTest, { draws: 400, seed: 2 });
  const ll = pred.logLikelihood(yTest);
  results.push(`${"same BNN in the graph, svi() stream".padEnd(34)} ${rmse(pred.mean()).toFixed(2).padStart(6)}  ${ll.mean.toFixed(4)} ± ${ll.standardError.toFixed(4)}  ${coverage(intervalCoverage((l) => pred.interval(l), yTest))}  (${engine.steps} steps in ${seconds.toFixed(1)} s, noise sd ${pred.noiseSd.toFixed(1)})`);
}
const blr = bayesLinearRegression(xTrain, yTrain, xTest);
results.push(`${"Bayesian linear regression (graph)".padEnd(34)} ${rmse(blr.mean).toFixed(2).padStart(6)}  ${blr.logLikelihood(yTest).toFixed(4)}           ${coverage(intervalCoverage((l) => blr.interval!(l), yTest))}`);

console.log(`${"model".padEnd(34)} ${"RMSE".padStart(6)}  log p(y*) per row     coverage of 50% / 80% / 95% intervals`);
for (const r of results) console.log(r);
console.log(`(a calibrated model covers 50/80/95% ± ${(100 * Math.sqrt(0.25 / test.length)).toFixed(1)}/${(100 * Math.sqrt(0.16 / test.length)).toFixed(1)}/${(100 * Math.sqrt(0.0475 / test.length)).toFixed(1)} points (binomial sd) of the ${test.length} held-out rows)`);

// A 1-D toy problem: y = sin(3x) + noise on [−1, 1]; the predictive band widens outside the data.
const rng = new Generator(9), N = 100, toySteps = 3000;
const tx = Array.from({ length: N }, () => [-1 + 2 * rng.uniform()]);
const ty = tx.map(([v]) => Math.sin(3 * v!) + 0.1 * sampleStandardNormal(rng));
const toy = fitBnn(bnn({ inputs: 1, hidden: [20], likelihood: "gaussian" }), { x: tx, y: ty }, { epochs: toySteps, batchSize: N, seed: 1, schedule: cosineDecay(0.02, toySteps), klWarmup: toySteps / 2 });
const grid = Array.from({ length: 121 }, (_, i) => [-3 + 0.05 * i]);
const band = predictBnn(toy, grid, { draws: 400, seed: 3 });
const mean = band.mean(), i95 = band.interval(0.95), i50 = band.interval(0.5);
const curve = grid.map(([x], i) => ({ x: x!, mean: mean[i]!, lo95: i95.lower[i]!, hi95: i95.upper[i]!, lo50: i50.lower[i]!, hi50: i50.upper[i]!, truth: Math.sin(3 * x!) }));
const xEnc = { field: "x", type: "quantitative", title: "x", scale: { domain: [-3, 3] } };
const yEnc = (field: string) => ({ field, type: "quantitative", title: "y", scale: { domain: [-6, 6], clamp: true } });
const spec = {
  $schema: "https://vega.github.io/schema/vega-lite/v6.json",
  title: "BNN predictive: mean, 50% and 95% bands; sin(3x) dashed; data dots",
  width: 560, height: 300,
  layer: [
    { data: { values: curve }, mark: { type: "area", opacity: 0.2, color: "#4c78a8", clip: true }, encoding: { x: xEnc, y: yEnc("lo95"), y2: { field: "hi95" } } },
    { data: { values: curve }, mark: { type: "area", opacity: 0.3, color: "#4c78a8", clip: true }, encoding: { x: xEnc, y: yEnc("lo50"), y2: { field: "hi50" } } },
    { data: { values: curve }, mark: { type: "line", color: "#4c78a8", strokeWidth: 2, clip: true }, encoding: { x: xEnc, y: yEnc("mean") } },
    { data: { values: curve }, mark: { type: "line", color: "#222", strokeDash: [5, 3], strokeWidth: 1.2, clip: true }, encoding: { x: xEnc, y: yEnc("truth") } },
    { data: { values: tx.map(([x], n) => ({ x: x!, y: ty[n]! })) }, mark: { type: "circle", color: "#e45756", size: 14, opacity: 0.8 }, encoding: { x: xEnc, y: yEnc("y") } },
  ],
} as unknown as TopLevelSpec;
const width = (i: number) => i95.upper[i]! - i95.lower[i]!;
console.log(`\n1-D toy: 95% interval width ${width(60).toFixed(2)} at x = 0 (in the data), ${width(40).toFixed(2)} at x = −1 and ${width(80).toFixed(2)} at x = 1 (its edges), ${width(0).toFixed(2)} at x = −3 and ${width(120).toFixed(2)} at x = 3`);
await writePictures("bnn-regression", { "toy-band": spec });
