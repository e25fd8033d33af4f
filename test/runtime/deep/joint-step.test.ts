/**
 * The joint gradient step (engine/joint-step.ts): one tape for a group of gradient-fitted
 * variables sharing density factors. With SGD at learning rate 1 a step moves λ by exactly its
 * gradient estimate, so the tests read gradients off λ.
 * - At equal draws, the joint step's gradient of each member equals that member's own blanket
 *   step's gradient (each shared factor counted once, each member's own terms once).
 * - The KL weight β: the amortised latent's gradient is that of
 *   log p(x | z) + β (log p(z) + H[q]) at the step's noise, checked by central differences of a
 *   hand-written objective (the encoder's numeric mean and variance, a hand-written Gaussian
 *   likelihood, prior and entropy); β = 1 is the plain ELBO (the first test).
 * The linear-Gaussian VAE still reaches PPCA within 5 SE through the joint step:
 * vae-graph.test.ts runs through it (groups with an amortised latent step jointly by default).
 */
import test from "ava";
import { Generator, sampleStandardNormal, mlp, sgd, ad, MvNormal, Bernoulli, meanFieldGaussian } from "@vireo/core";
import { densityNode, MvNormalNode } from "@vireo/nodes";
import { ModelBuilder, vaeModel, compile, bindData, initialise, attachGenerator, jointSteps, type CompiledState, type GradientVariable } from "@vireo/runtime";

const N = 6, D = 3, K = 2;

function data(seed: number): Float64Array {
  const rng = new Generator(seed);
  return Float64Array.from({ length: N * D }, () => sampleStandardNormal(rng));
}

function member(state: CompiledState, name: string): GradientVariable {
  return state.variables.get(name)!.gradient!;
}

function compiled(options: Parameters<typeof vaeModel>[0], gradient: Record<string, unknown>, X: Float64Array): CompiledState {
  const model = vaeModel(options);
  const state = compile(model, bindData(model, { x: X }), new Map(), { samples: 1, optimizer: sgd({ lr: 1 }), ...gradient });
  initialise(state, new Generator(1));
  return state;
}

/** λ moved by one step of every member (SGD, lr 1: the gradient estimate). */
function moved(state: CompiledState, names: readonly string[], before: readonly Float64Array[]): Float64Array[] {
  return names.map((n, i) => {
    const l = member(state, n).fit.lambda, b = before[i]!;
    return l.map((x, j) => x - b[j]!);
  });
}

function close(t: import("ava").ExecutionContext, a: Float64Array, b: Float64Array, what: string, tol: number): void {
  let worst = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  t.true(worst <= tol * Math.max(1, scale), `${what}: largest difference ${worst} (scale ${scale})`);
}

for (const weights of ["pointMass", "gaussian"] as const) {
  test(`joint step (decoder weights ${weights}): each member's gradient equals its own blanket step's at the same draws`, (t) => {
    const X = data(3);
    const state = compiled({ inputs: D, encoder: mlp([D, 4, 2 * K], { activation: "tanh" }), decoder: mlp([K, 3, D], { activation: "tanh" }), likelihood: "gaussian", decoderWeights: weights, weightInitSd: 0.3 }, {}, X);
    const names = ["z", "decoderWeights", "logNoise"];
    const joint = jointSteps(state);
    t.is(joint.length, 1, "one group: z, the decoder's weights and the noise");
    t.deepEqual(joint[0]!.members.map((m) => m.variable.name), names);
    const start = names.map((n) => member(state, n).fit.lambda.slice());
    attachGenerator(state, new Generator(7));
    member(state, "z").step(undefined, 1, undefined);
    const jointMove = moved(state, names, start);
    const jointDraws = names.map((n) => member(state, n).draws[0]!.slice());
    // The same step variable by variable on its own blanket, from the same λ and the same noise.
    names.forEach((n, i) => member(state, n).fit.lambda.set(start[i]!));
    for (const n of names) member(state, n).joint = null;
    const rng = new Generator(7);
    attachGenerator(state, rng);
    member(state, "z").step(undefined, 1, undefined);
    close(t, member(state, "z").draws[0]!, jointDraws[0]!, "z's draw", 1e-12);
    // The joint step drew z's noise, then the weights' (a mean-field Gaussian draws P numbers; a point mass none).
    member(state, "decoderWeights").step(undefined, 1, undefined);
    close(t, member(state, "decoderWeights").draws[0]!, jointDraws[1]!, "the weights' draw", 1e-12);
    member(state, "logNoise").step(undefined, 1, undefined);
    const own = moved(state, names, start);
    names.forEach((n, i) => close(t, jointMove[i]!, own[i]!, `∇ of '${n}'`, 1e-9));
    t.true(jointMove.every((g) => g.some((x) => x !== 0)), "every member moved");
  });
}

test("KL weight β: the encoder's gradient is that of log p(x|z) + β (log p(z) + H[q]) (central differences of a hand-written objective)", (t) => {
  const X = data(5), noise = 0.7, beta = 0.3;
  const options = { inputs: D, encoder: mlp([D, 2 * K]), decoder: mlp([K, D]), likelihood: "gaussian" as const, noise };
  const calls: number[] = [];
  const state = compiled(options, { klWeight: (step: number) => (calls.push(step), beta) }, X);
  const z = member(state, "z"), w = member(state, "decoderWeights");
  const lambda0 = z.fit.lambda.slice(), W = w.fit.lambda.slice();
  attachGenerator(state, new Generator(11));
  z.step(undefined, 1, undefined);
  const grad = z.fit.lambda.map((x, j) => x - lambda0[j]!);
  t.deepEqual(calls, [0], "β is read once per step, at the encoder's step count");
  // The step's noise: z's N × K standard normals come first from the generator.
  const g = new Generator(11), eps = Float64Array.from({ length: N * K }, () => sampleStandardNormal(g));
  const q = z.fit.q, mean = new Float64Array(N * K), variance = new Float64Array(N * K);
  const objective = (lambda: Float64Array): number => {
    q.mean(lambda, mean);
    q.variance!(lambda, variance);
    let total = 0;
    for (let i = 0; i < N; i++) {
      const zi = Array.from({ length: K }, (_, k) => mean[i * K + k]! + Math.sqrt(variance[i * K + k]!) * eps[i * K + k]!);
      // Linear decoder: W is K × D row-major, then the bias.
      for (let a = 0; a < D; a++) {
        let m = W[K * D + a]!;
        for (let k = 0; k < K; k++) m += zi[k]! * W[k * D + a]!;
        total += -0.5 * Math.log(2 * Math.PI * noise) - (X[i * D + a]! - m) ** 2 / (2 * noise);
      }
      for (let k = 0; k < K; k++) total += beta * (-0.5 * zi[k]! ** 2 + 0.5 * Math.log(2 * Math.PI * Math.E * variance[i * K + k]!));
    }
    return total;
  };
  const h = 1e-6;
  for (let j = 0; j < lambda0.length; j++) {
    const up = lambda0.slice(), down = lambda0.slice();
    up[j] += h;
    down[j] -= h;
    const fd = (objective(up) - objective(down)) / (2 * h);
    t.true(Math.abs(fd - grad[j]!) < 1e-5 * Math.max(1, Math.abs(fd)), `coordinate ${j}: step ${grad[j]} vs central difference ${fd}`);
  }
  // The reported ELBO terms stay unweighted: the entropy is H[q] itself.
  q.variance!(lambda0, variance);
  let entropy = 0;
  for (let i = 0; i < N * K; i++) entropy += 0.5 * Math.log(2 * Math.PI * Math.E * variance[i]!);
  t.true(Math.abs(z.entropy - entropy) < 1e-9 * Math.abs(entropy), `entropy ${z.entropy} vs ${entropy}`);
});

test("joint: false keeps a VAE's per-variable steps", (t) => {
  const X = data(6), options = { inputs: D, encoder: mlp([D, 2 * K]), decoder: mlp([K, D]), likelihood: "gaussian" as const };
  t.is(jointSteps(compiled(options, { joint: false }, X)).length, 0);
  t.is(member(compiled(options, { joint: false }, X), "z").joint, null);
});

/** Two weight blocks of one logistic regression: y ~ Bernoulli(σ(x₁w₁ + x₂w₂)), w_j ~ N(0, I) conjugate priors, mean-field Gaussian q. */
const twoBlocks = densityNode("TwoBlockLogistic", { edges: { w1: "MvNormal", w2: "MvNormal", x1: "input", x2: "input", y: "Bernoulli" } }, ({ w1, w2, x1, x2, y }) => {
  const eta = ad.add(ad.matmul(x1!, w1!), ad.matmul(ad.reshape(x2!, [x2!.size, 1]), w2!));
  return ad.sum(ad.sub(ad.mul(y!, eta), ad.softplus(eta)));
});

test("joint: true groups gradient-fitted globals without an amortised latent; each block's gradient equals its blanket step's (conjugate priors included)", (t) => {
  const m = new ModelBuilder(), rows = m.plate("rows");
  const w1 = m.random("w1", MvNormal(2), { q: meanFieldGaussian() }), w2 = m.random("w2", MvNormal(1), { q: meanFieldGaussian() });
  m.factor(MvNormalNode, { out: w1, mean: new Float64Array(2), precision: Float64Array.from([1, 0, 0, 1]) }, { name: "prior1" });
  m.factor(MvNormalNode, { out: w2, mean: new Float64Array(1), precision: Float64Array.from([1]) }, { name: "prior2" });
  m.factor(twoBlocks, { w1, w2, x1: m.input("x1", { plate: rows, size: 2 }), x2: m.input("x2", { plate: rows, size: 1 }), y: m.observed("y", Bernoulli, { plate: rows }) }, { name: "likelihood" });
  const model = m.build(), rng = new Generator(9), R = 20;
  const binding = {
    x1: Float64Array.from({ length: 2 * R }, () => sampleStandardNormal(rng)), x2: Float64Array.from({ length: R }, () => sampleStandardNormal(rng)),
    y: Float64Array.from({ length: R }, () => (rng.uniform() < 0.5 ? 1 : 0)),
  };
  const make = (joint: "auto" | boolean) => {
    const state = compile(model, bindData(model, binding), new Map(), { samples: 1, optimizer: sgd({ lr: 1 }), joint });
    initialise(state, new Generator(1));
    return state;
  };
  t.is(jointSteps(make("auto")).length, 0, "no amortised latent: per-variable steps by default");
  const state = make(true), names = ["w1", "w2"];
  t.is(jointSteps(state).length, 1);
  const start = names.map((n) => member(state, n).fit.lambda.slice());
  attachGenerator(state, new Generator(4));
  member(state, "w1").step(undefined, 1, undefined);
  member(state, "w2").step(undefined, 1, undefined);
  const jointMove = moved(state, names, start);
  t.true(jointMove.every((g) => g.some((x) => x !== 0)), "one step moved both (the second update is a no-op of the same round)");
  names.forEach((n, i) => member(state, n).fit.lambda.set(start[i]!));
  for (const n of names) member(state, n).joint = null;
  const g = new Generator(4);
  attachGenerator(state, g);
  member(state, "w1").step(undefined, 1, undefined);
  member(state, "w2").step(undefined, 1, undefined);
  const own = moved(state, names, start);
  names.forEach((n, i) => close(t, jointMove[i]!, own[i]!, `∇ of '${n}'`, 1e-9));
});
