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
import { lastValueFrom, tap } from "rxjs";
import { squaredExponential, Gamma, MvNormal, Bernoulli, pointMass, fullRankGaussian, adam, exponentialDecay, sparseGp } from "@vireo/core";
import { GammaNode, MvNormalNode, svgpNode, gpPriorNode, gpLikelihoodNode, bernoulliLogitLikelihood } from "@vireo/nodes";
import { ModelBuilder, SviEngine, cavi, fromArrays, svi, type GradientPosterior } from "@vireo/runtime";
import { breastCancerSplit } from "./lib/breast-cancer-split.js";
import { printClassifierReport } from "./lib/classifier-report.js";

// Seeded 70/30 split, features standardised with the training rows' means and sds (as gp-classification).
const { D, xTrain, yTrain, xTest, yTest } = breastCancerSplit(), nTrain = xTrain.length;

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
printClassifierReport("graph SVGP (svi, learnt θ) — ", gp.predict(xTest, { hyperparameters: learnt, v: post.v as GradientPosterior }).targetMean, yTest, yTrain);

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
printClassifierReport("closed-form q(u) (cavi, CVI) — ", closed.predict(xTest).targetMean, yTest, yTrain);

