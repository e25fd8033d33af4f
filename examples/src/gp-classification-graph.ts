/**
 * GP classification of breast-cancer biopsies as a ModelBuilder model, with the kernel's
 * hyperparameters learnt inside the graph (the graph variant of `example gp-classification`):
 *
 *   variance, lengthscale ~ Gamma priors, fitted as point masses (MAP) by gradients on the tape;
 *   v ~ N(0, I), whitened values at 40 inducing inputs, with a full-rank Gaussian q;
 *   y_n | v, θ ~ Bernoulli(σ(f(x_n))), f(x_n) | v from the GP conditional (svgpNode, Gauss–Hermite).
 *
 * Trained by svi() over a stream of minibatches (N/|B| scaling), then — with the learnt kernel —
 * refitted as a closed-form q(u) by cavi on GpPrior + GpLikelihood nodes (CVI messages). Reports
 * held-out accuracy, log loss and a calibration table of both.
 * Run: npx -y pnpm@10.34.9 example gp-classification-graph
 */
import { fileURLToPath } from "node:url";
import { lastValueFrom, tap } from "rxjs";
import { Generator, squaredExponential, Gamma, MvNormal, Bernoulli, pointMass, fullRankGaussian, adam, exponentialDecay, sparseGp } from "@vireo/core";
import { GammaNode, MvNormalNode, svgpNode, gpPriorNode, gpLikelihoodNode, bernoulliLogitLikelihood } from "@vireo/nodes";
import { ModelBuilder, SviEngine, cavi, fromArrays, svi, type GradientPosterior } from "@vireo/runtime";
import { readNumericCsv } from "./lib/csv.js";

const { header, rows } = readNumericCsv(fileURLToPath(new URL("../data/breast_cancer.csv", import.meta.url)));
const D = header.length - 1;
// Seeded 70/30 split, features standardised with the training rows' means and sds (as gp-classification).
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

const M = 40, Z = xTrain.slice(0, M);
const gp = svgpNode({
  kernel: squaredExponential({ dim: D, variance: 2, lengthscale: Math.sqrt(D) }),
  likelihood: bernoulliLogitLikelihood(), inducing: Z, jitter: 1e-6,
  hyperparameters: { variance: "variance", lengthscale: "lengthscale" },
});
const m = new ModelBuilder(), cases = m.plate("cases");
const variance = m.random("variance", Gamma, { q: pointMass({ value: [Math.log(2)] }) });
m.factor(GammaNode, { out: variance, shape: 2, rate: 0.5 }, { name: "variancePrior" });
const lengthscale = m.random("lengthscale", Gamma, { q: pointMass({ value: [Math.log(Math.sqrt(D))] }) });
m.factor(GammaNode, { out: lengthscale, shape: 2, rate: 2 / Math.sqrt(D) }, { name: "lengthscalePrior" });
const v = m.random("v", MvNormal(M), { q: fullRankGaussian({ sd: 0.3 }) });
m.factor(MvNormalNode, { out: v, mean: new Float64Array(M), precision: Float64Array.from({ length: M * M }, (_, i) => (i % (M + 1) === 0 ? 1 : 0)) }, { name: "whitenedPrior" });
m.factor(gp, { variance, lengthscale, v, x: m.input("x", { plate: cases, size: D }), y: m.observed("y", Bernoulli, { plate: cases }) }, { name: "gp" });
const model = m.build();

const EPOCHS = 30, BATCH = 50;
const engine = new SviEngine(model, { totalRows: nTrain, seed: 3, gradient: { samples: 4, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.1, EPOCHS * Math.ceil(nTrain / BATCH)) } });
let last = 0;
await lastValueFrom(
  fromArrays({ x: xTrain, y: yTrain }, { batchSize: BATCH, shuffle: true, seed: 7, epochs: EPOCHS }).pipe(
    svi(engine),
    tap((s) => {
      const epoch = Math.floor((s.step * BATCH) / nTrain);
      if (epoch % 10 === 0 && epoch !== last) {
        last = epoch;
        console.log(`epoch ${epoch}: ELBO estimate ${s.elbo.toFixed(1)}, variance ${s.posteriors.variance!.mean[0]!.toFixed(3)}, lengthscale ${s.posteriors.lengthscale!.mean[0]!.toFixed(3)}`);
      }
    }),
  ),
);
const post = engine.posteriors();
const learnt = { variance: post.variance!.mean()[0]!, lengthscale: post.lengthscale!.mean()[0]! };
console.log(`learnt in the graph: kernel variance ${learnt.variance.toFixed(3)}, lengthscale ${learnt.lengthscale.toFixed(3)}`);
report("graph SVGP (svi, learnt θ)", gp.predict(xTest, { hyperparameters: learnt, v: post.v as GradientPosterior }).targetMean);

// The learnt kernel in a closed-form graph: q(u) by CVI messages under cavi.
const kernel = () => squaredExponential({ dim: D, variance: learnt.variance, lengthscale: learnt.lengthscale });
const m2 = new ModelBuilder(), cases2 = m2.plate("cases");
const u = m2.random("u", MvNormal(M));
m2.factor(gpPriorNode({ kernel: kernel(), inducing: Z, jitter: 1e-6 }), { out: u }, { name: "prior" });
m2.factor(gpLikelihoodNode({ kernel: kernel(), inducing: Z, jitter: 1e-6, likelihood: bernoulliLogitLikelihood() }), { out: m2.observed("y", Bernoulli, { plate: cases2 }), u, x: m2.input("x", { plate: cases2, size: D }) }, { name: "likelihood" });
const fit = cavi(m2.build(), { data: { x: Float64Array.from(xTrain.flat()), y: Float64Array.from(yTrain) }, maxIterations: 200 });
const qu = fit.posteriors.u!.as(MvNormal(M)).params();
const closed = sparseGp({ kernel: kernel(), likelihood: bernoulliLogitLikelihood(), inducing: Z, whiten: false, jitter: 1e-6 });
closed.setQMoments(qu.mean, qu.covariance);
console.log(`cavi on GpPrior + GpLikelihood: ${fit.iterations} sweeps, ELBO ${fit.elbo.at(-1)!.toFixed(2)}`);
report("closed-form q(u) (cavi, CVI)", closed.predict(xTest).targetMean);

function report(label: string, p: Float64Array): void {
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
  console.log(`${label} — held-out (${p.length} cases): accuracy ${((100 * correct) / p.length).toFixed(1)}%, log loss ${logLoss.toFixed(3)} (base rate ${baseRateLoss().toFixed(3)})`);
  console.log("  calibration  bin       cases  mean p  observed");
  for (const [k, b] of bins.entries()) {
    if (b.n > 0) console.log(`               ${(k / 5).toFixed(1)}–${((k + 1) / 5).toFixed(1)}  ${String(b.n).padStart(5)}  ${(b.p / b.n).toFixed(3)}   ${(b.y / b.n).toFixed(3)}`);
  }
}

function baseRateLoss(): number {
  const r = yTrain.reduce((s, y) => s + y, 0) / yTrain.length;
  return -yTest.reduce((s, y) => s + y * Math.log(r) + (1 - y) * Math.log(1 - r), 0) / yTest.length;
}
