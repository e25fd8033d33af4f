/**
 * MAP networks in the graph: point-mass layers on the dense-network node's moment edges (a moment
 * of a point mass is its value with zero variance, so the node runs the network's plain forward
 * map), and the moment group's joint step with the noise precision riding on the likelihood.
 *
 * Exact: one plain gradient step (sgd) of point-mass layers is λ + η ∇ log p(y, w) of the
 * hand-written log joint (an MLP with relu, Gaussian likelihood of known noise, Normal prior),
 * differentiated by central differences; the graph's MAP classifier fitted by cavi is the kit's
 * MAP network (fitBnn with weights "point", SviEngine over the same graph) step for step at equal
 * seeds (same initial weights, same Adam, full batches: no noise anywhere); gradient.klWeight β scales the layers' prior terms (KL
 * warm-up), checked the same way. With one draw per step (gradient.samples: 1) the Bayesian graph
 * network learns a noisy sine on SviEngine.
 */
import test from "ava";
import { Generator, sampleStandardNormal, sgd, adam, LOG_2PI } from "@vireo/core";
import { cavi, bnn, bnnModel, standardiseBnnData, bnnFitFromGraph, fitBnn, predictBnn, SviEngine } from "@vireo/runtime";

const relu = (a: number) => (a > 0 ? a : 0);

/** log p(y, w) of a D → H (relu) → 1 network, layers [W; b] row-major, y ~ N(f, sd²), w ~ N(0, s²). */
function logJoint(w0: Float64Array, w1: Float64Array, x: Float64Array, y: Float64Array, D: number, H: number, sd: number, priorSd: number): number {
  let total = 0;
  for (let n = 0; n < y.length; n++) {
    let f = w1[H]!;
    for (let j = 0; j < H; j++) {
      let a = w0[D * H + j]!;
      for (let k = 0; k < D; k++) a += x[n * D + k]! * w0[k * H + j]!;
      f += relu(a) * w1[j]!;
    }
    total += -0.5 * LOG_2PI - Math.log(sd) - (0.5 * (y[n]! - f) ** 2) / (sd * sd);
  }
  for (const w of [w0, w1]) for (const v of w) total += -0.5 * Math.log(2 * Math.PI * priorSd * priorSd) - (0.5 * v * v) / (priorSd * priorSd);
  return total;
}

test("point-mass layers on moment edges: one sgd step is λ + η ∇ log p(y, w) of the hand-written MAP objective (central differences)", (t) => {
  const D = 2, H = 3, N = 7, sd = 0.5, priorSd = 1.3, lr = 1e-3;
  const rng = new Generator(11);
  const x = Float64Array.from({ length: N * D }, () => sampleStandardNormal(rng));
  const y = Float64Array.from({ length: N }, () => sampleStandardNormal(rng));
  const w0 = Float64Array.from({ length: (D + 1) * H }, () => 0.8 * sampleStandardNormal(rng));
  const w1 = Float64Array.from({ length: H + 1 }, () => 0.8 * sampleStandardNormal(rng));
  const net = bnn({ inputs: D, hidden: [H], activation: "relu", likelihood: "gaussian", weights: "point", priorSd });
  const graph = bnnModel(net, { noise: sd });
  const fit = cavi(graph.model, {
    data: { x, y }, seed: 1, maxIterations: 1, init: { layer0: w0, layer1: w1 },
    gradient: { samples: 1, optimizer: sgd({ lr }), convergence: false, elboSamples: 2 },
  });
  const step0 = fit.posteriors.layer0!.mean(), step1 = fit.posteriors.layer1!.mean();
  const h = 1e-6;
  let worst = 0;
  for (const [w, stepped, name] of [[w0, step0, "layer0"], [w1, step1, "layer1"]] as const) {
    for (let i = 0; i < w.length; i++) {
      const plus = w.slice(), minus = w.slice();
      plus[i] += h;
      minus[i] -= h;
      const lp = name === "layer0" ? logJoint(plus, w1, x, y, D, H, sd, priorSd) : logJoint(w0, plus, x, y, D, H, sd, priorSd);
      const lm = name === "layer0" ? logJoint(minus, w1, x, y, D, H, sd, priorSd) : logJoint(w0, minus, x, y, D, H, sd, priorSd);
      const grad = (lp - lm) / (2 * h), moved = (stepped[i]! - w[i]!) / lr;
      worst = Math.max(worst, Math.abs(moved - grad) / (1 + Math.abs(grad)));
      t.true(Math.abs(moved - grad) < 1e-6 * (1 + Math.abs(grad)), `${name}[${i}]: step / η ${moved} vs ∂ log p / ∂w ${grad}`);
    }
  }
  t.log(`largest relative gap between the step and the hand gradient: ${worst.toExponential(2)}`);
  // The objective the graph reports for a point mass is the log joint (no entropy).
  t.true(Number.isFinite(fit.elboEstimate));
});

/** Two interleaved noisy half-moons in 2-D, labels 0/1. */
function moons(N: number, seed: number) {
  const rng = new Generator(seed), x: number[][] = [], y: number[] = [];
  for (let n = 0; n < N; n++) {
    const c = n % 2, a = Math.PI * rng.uniform();
    x.push(c === 0 ? [Math.cos(a) + 0.1 * sampleStandardNormal(rng), Math.sin(a) + 0.1 * sampleStandardNormal(rng)] : [1 - Math.cos(a) + 0.1 * sampleStandardNormal(rng), 0.5 - Math.sin(a) + 0.1 * sampleStandardNormal(rng)]);
    y.push(c);
  }
  return { x, y };
}

test("the graph's MAP classifier under cavi is the kit's (fitBnn: SviEngine over the same graph) step for step (equal seeds, full batches, Adam)", (t) => {
  const N = 60, steps = 150, lr = 0.02;
  const data = moons(N, 4);
  const net = bnn({ inputs: 2, hidden: [8], activation: "tanh", likelihood: "bernoulli", weights: "point", priorSd: 2 });
  const kit = fitBnn(net, data, { epochs: steps, batchSize: N, seed: 3, optimizer: adam({ lr }) });
  const graph = bnnModel(net, { seed: 3 }), std = standardiseBnnData(net, data);
  const fit = cavi(graph.model, { data: std.binding, seed: 5, maxIterations: steps, gradient: { samples: 1, optimizer: adam({ lr }), convergence: false, elboSamples: 2 } });
  const onGraph = bnnFitFromGraph(graph, fit.posteriors, std.scales);
  t.is(onGraph.params.length, kit.params.length);
  let worst = 0;
  for (let i = 0; i < kit.params.length; i++) worst = Math.max(worst, Math.abs(onGraph.params[i]! - kit.params[i]!) / (1 + Math.abs(kit.params[i]!)));
  t.log(`largest relative difference of ${kit.params.length} parameters after ${steps} steps: ${worst.toExponential(2)}`);
  // Only the order of the rows in the full-batch sums differs (the kit shuffles): rounding, not arithmetic.
  t.is(kit.steps, steps);
  t.true(worst < 1e-8, `graph MAP vs kit MAP parameters differ by ${worst}`);
  const acc = (fitted: typeof kit) => {
    const p = predictBnn(fitted, data.x, { draws: 1, seed: 1 }).mean();
    return p.reduce((s, v, n) => s + ((v > 0.5 ? 1 : 0) === data.y[n] ? 1 : 0), 0) / N;
  };
  t.true(acc(onGraph) > 0.9, `training accuracy ${acc(onGraph)}`);
});

test("one draw per step: the Bayesian graph network fits a noisy sine on SviEngine", (t) => {
  const rng = new Generator(8), N = 200, B = 50;
  const x = Array.from({ length: N }, () => [-1 + 2 * rng.uniform()]);
  const y = x.map(([v]) => Math.sin(3 * v!) + 0.1 * sampleStandardNormal(rng));
  const net = bnn({ inputs: 1, hidden: [20], likelihood: "gaussian" });
  const graph = bnnModel(net, { seed: 2 }), std = standardiseBnnData(net, { x, y });
  const engine = new SviEngine(graph.model, { totalRows: N, psis: false, seed: 1, gradient: { samples: 1, optimizer: adam({ lr: 0.02 }) } });
  let last = 0;
  for (let s = 0; s < 1500; s++) {
    const b = s % (N / B);
    last = engine.step({ x: std.binding.x.subarray(b * B, (b + 1) * B), y: std.binding.y.subarray(b * B, (b + 1) * B) }).elbo;
  }
  t.true(Number.isFinite(last));
  const fitted = bnnFitFromGraph(graph, engine.posteriors(), std.scales);
  const pred = predictBnn(fitted, x, { draws: 200, seed: 3 });
  let sse = 0;
  const mean = pred.mean();
  for (let n = 0; n < N; n++) sse += (mean[n]! - y[n]!) ** 2;
  const rmse = Math.sqrt(sse / N);
  t.log(`training RMSE ${rmse.toFixed(3)} (noise sd 0.1), learnt noise sd ${pred.noiseSd.toFixed(3)}`);
  t.true(rmse < 0.2, `RMSE ${rmse}`);
  t.true(Math.abs(pred.noiseSd - 0.1) < 0.08, `noise sd ${pred.noiseSd}`);
});

test("klWeight β on moment-fitted layers (KL warm-up): one sgd step is λ + η ∇[log p(y | w) + β log p(w)] (central differences)", (t) => {
  const D = 2, H = 3, N = 6, sd = 0.7, priorSd = 0.9, lr = 1e-3, beta = 0.3;
  const rng = new Generator(12);
  const x = Float64Array.from({ length: N * D }, () => sampleStandardNormal(rng));
  const y = Float64Array.from({ length: N }, () => sampleStandardNormal(rng));
  const w0 = Float64Array.from({ length: (D + 1) * H }, () => sampleStandardNormal(rng));
  const w1 = Float64Array.from({ length: H + 1 }, () => sampleStandardNormal(rng));
  const graph = bnnModel(bnn({ inputs: D, hidden: [H], likelihood: "gaussian", weights: "point", priorSd }), { noise: sd });
  // β as a schedule of the layer's step count (0 at the first step), as a warm-up would give it.
  const fit = cavi(graph.model, {
    data: { x, y }, seed: 1, maxIterations: 1, init: { layer0: w0, layer1: w1 },
    gradient: { samples: 1, optimizer: sgd({ lr }), convergence: false, elboSamples: 2, klWeight: (step) => (step === 0 ? beta : 1) },
  });
  // log p(y | w) + β log p(w) = β log p(y, w) + (1 − β) log p(y | w), and log p(y | w) is (up to a
  // constant, which no gradient sees) the joint under a prior so wide its gradient vanishes.
  const objective = (a: Float64Array, b: Float64Array) => beta * logJoint(a, b, x, y, D, H, sd, priorSd) + (1 - beta) * logJoint(a, b, x, y, D, H, sd, 1e8);
  const stepped = [fit.posteriors.layer0!.mean(), fit.posteriors.layer1!.mean()];
  const h = 1e-6;
  [w0, w1].forEach((w, l) => {
    for (let i = 0; i < w.length; i++) {
      const plus = w.slice(), minus = w.slice();
      plus[i] += h;
      minus[i] -= h;
      const grad = l === 0 ? (objective(plus, w1) - objective(minus, w1)) / (2 * h) : (objective(w0, plus) - objective(w0, minus)) / (2 * h);
      const moved = (stepped[l]![i]! - w[i]!) / lr;
      t.true(Math.abs(moved - grad) < 1e-5 * (1 + Math.abs(grad)), `layer${l}[${i}]: step / η ${moved} vs ∂/∂w ${grad}`);
    }
  });
});
