/**
 * The joint gradient step (engine/joint-step.ts): one tape for a group of gradient-fitted
 * variables sharing density factors. With SGD at learning rate 1 a step moves λ by exactly its
 * gradient estimate, so the tests read gradients off λ.
 * - At equal draws, the joint step's gradient of each member equals that member's own blanket
 *   step's gradient (each shared factor counted once, each member's own terms once); the
 *   amortised z's prior term is taken in closed form by the joint step (E_q log p(z), as a VAE's
 *   closed-form KL), so z is checked by the next test instead.
 * - The KL weight β: the amortised latent's gradient is that of
 *   log p(x | z_ε) + β (E_q[log p(z)] + H[q]) at the step's noise ε, checked by central
 *   differences of a hand-written objective (the encoder's numeric mean and variance, a
 *   hand-written Gaussian likelihood, the N(0, I) prior's expectation and the entropy), for β = 1
 *   (the ELBO) and β = 0.3.
 * The linear-Gaussian VAE still reaches PPCA within 5 SE through the joint step:
 * vae-graph.test.ts runs through it (groups with an amortised latent step jointly by default).
 */
import test from "ava";
import { Generator, sampleStandardNormal, mlp, sgd, ad, MvNormal, Bernoulli, meanFieldGaussian } from "@vireo/core";
import { densityNode, MvNormalNode } from "@vireo/nodes";
import { ModelBuilder, vae, vaeModel, monteCarloElbo, compile, bindData, initialise, attachGenerator, jointSteps, type CompiledState, type GradientVariable } from "@vireo/runtime";

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
    t.deepEqual(joint[0]!.closedForm, [true, false, false], "z's prior in closed form");
    names.forEach((n, i) => {
      if (n !== "z") close(t, jointMove[i]!, own[i]!, `∇ of '${n}'`, 1e-9);
    });
    t.true(jointMove.every((g) => g.some((x) => x !== 0)), "every member moved");
  });
}

for (const beta of [1, 0.3]) test(`KL weight β = ${beta}: the encoder's gradient is that of log p(x|z) + β (E_q log p(z) + H[q]) (central differences of a hand-written objective)`, (t) => {
  const X = data(5), noise = 0.7;
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
      // E_q[log N(z; 0, I)] = −½ Σ (μ² + σ²) + const, and H[q] = ½ Σ log(2πe σ²).
      for (let k = 0; k < K; k++) total += beta * (-0.5 * (mean[i * K + k]! ** 2 + variance[i * K + k]!) + 0.5 * Math.log(2 * Math.PI * Math.E * variance[i * K + k]!));
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

/**
 * The graph's joint step is the vae() kit's step: at the kit's θ and the kit's noise draws, the
 * graph's ∇λ (sum over rows of log p(x|z) − KL, the prior in closed form) is N × the kit's (the
 * mean over rows), for every network weight and the learnt log-variances. With SGD at rate 1 the
 * moves compare directly.
 */
for (const [likelihood, noise] of [["bernoulli", undefined], ["gaussian", "shared"], ["gaussian", "perDimension"]] as const) {
  test(`the graph's joint step equals the vae() kit's step (${likelihood}${noise ? `, ${noise} noise` : ""})`, (t) => {
    const R = 7, W = 4, L = 2, H = 3, seed = 5, g = new Generator(8);
    const X = Float64Array.from({ length: R * W }, () => (likelihood === "bernoulli" ? (g.uniform() < 0.4 ? 1 : 0) : sampleStandardNormal(g)));
    const kit = vae({ inputs: W, latent: L, hidden: [H], activation: "tanh", likelihood, ...(noise ? { noise } : {}), optimizer: sgd({ lr: 1 }), seed });
    const model = vaeModel({ inputs: W, encoder: kit.q, decoder: kit.decoder, likelihood, ...(noise ? { noise } : {}) });
    const state = compile(model, bindData(model, { x: X }), new Map(), { samples: 1, optimizer: sgd({ lr: 1 }) });
    initialise(state, new Generator(1));
    const names = ["z", "decoderWeights", ...(noise ? ["logNoise"] : [])];
    const offsets = [0, kit.decoderOffset, kit.noiseOffset];
    names.forEach((n, i) => member(state, n).fit.lambda.set(kit.theta.subarray(offsets[i]!, offsets[i]! + member(state, n).fit.lambda.length)));
    // The kit's generator after its initialisers: the same calls on a fresh generator of its seed.
    const rng = new Generator(seed), scratch = new Float64Array(kit.theta.length);
    kit.q.encoder.initialise(rng, scratch, 0);
    kit.decoder.initialise(rng, scratch, kit.decoderOffset);
    attachGenerator(state, rng);
    const theta0 = kit.theta.slice(), start = names.map((n) => member(state, n).fit.lambda.slice());
    kit.step(X);
    member(state, "z").step(undefined, 1, undefined);
    names.forEach((n, i) => {
      const graphMove = member(state, n).fit.lambda.map((x, j) => (x - start[i]![j]!) / R);
      const kitMove = kit.theta.subarray(offsets[i]!, offsets[i]! + graphMove.length).map((x, j) => x - theta0[offsets[i]! + j]!);
      close(t, graphMove, kitMove, `∇ of '${n}' (graph / N vs kit)`, 1e-10);
    });
  });
}

test("deferred redraws: a joint member whose statistics no other update reads draws on demand, with the same draws and the same Monte Carlo ELBO as an eager redraw", (t) => {
  const X = data(12), options = { inputs: D, encoder: mlp([D, 2 * K]), decoder: mlp([K, D]), likelihood: "gaussian" as const, decoderWeights: "gaussian" as const };
  const lazy = compiled(options, { samples: 3 }, X), eager = compiled(options, { samples: 3, joint: false }, X);
  t.false(member(lazy, "z").drawn, "initialise left the joint members undrawn");
  t.true(member(eager, "z").drawn);
  attachGenerator(lazy, new Generator(21));
  attachGenerator(eager, new Generator(21));
  // The eager state drew at initialise with its own generator: draw again from the shared one, in declaration order.
  for (const n of ["z", "decoderWeights", "logNoise"]) member(eager, n).redraw();
  const a = monteCarloElbo(lazy), b = monteCarloElbo(eager);
  t.true(member(lazy, "z").drawn);
  t.is(a.value, b.value);
  t.is(a.standardError, b.standardError);
  for (const n of ["z", "decoderWeights"]) t.deepEqual(Array.from(member(lazy, n).draws[2]!), Array.from(member(eager, n).draws[2]!), n);
});
