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
import { Generator, Tape, sampleStandardNormal, mlp, sgd, ad, MvNormal, Bernoulli, meanFieldGaussian, bernoulliLogitRows, gaussianRows } from "@vireo/core";
import { densityNode, MvNormalNode } from "@vireo/nodes";
import { ModelBuilder, vae, vaeModel, monteCarloElbo, compile, bindData, initialise, attachGenerator, jointSteps, type CompiledState, type GradientVariable, type Vae } from "@vireo/runtime";

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
 * The graph's joint step is the usual VAE step: a hand-written reference on one flat θ =
 * [encoder | decoder | log-variances] (encode the rows, z = μ + σ ⊙ ε, decode, mean over rows of
 * log p(x | z) − KL(q(z | x) ‖ N(0, I)) in closed form, one backward pass) at the same θ and noise
 * gives 1/N of the graph's ∇λ (the graph sums the rows), for every network weight and the learnt
 * log-variances. With SGD at rate 1 the graph's moves are its gradients. (The vae() kit is this
 * graph: vae.model.)
 */
function referenceGradient(kit: Vae, X: Float64Array, rows: number, eps: Float64Array): Float64Array {
  const theta = kit.theta, grad = new Float64Array(theta.length), t = new Tape(), D = kit.inputs, K = kit.latent;
  const th = t.param(theta, undefined, grad), Xn = t.constant(X, [rows, D]);
  const parts = kit.q.encode(th, 0, Xn), z = kit.q.draw(parts, t.constant(eps, [rows, K]));
  const out = kit.decoder.forward(th, z, kit.decoderOffset);
  const ll = kit.likelihood === "bernoulli" ? bernoulliLogitRows(out, Xn) : gaussianRows(out, ad.slice(th, kit.noiseOffset, kit.noiseSize), Xn);
  t.backward(ad.scale(ad.sum(ad.sub(ll, kit.q.klStandardNormalRows(parts))), 1 / rows));
  return grad;
}

for (const [likelihood, noise] of [["bernoulli", undefined], ["gaussian", "shared"], ["gaussian", "perDimension"]] as const) {
  test(`the graph's joint step equals a hand-written VAE step (${likelihood}${noise ? `, ${noise} noise` : ""})`, (t) => {
    const R = 7, W = 4, L = 2, H = 3, g = new Generator(8);
    const X = Float64Array.from({ length: R * W }, () => (likelihood === "bernoulli" ? (g.uniform() < 0.4 ? 1 : 0) : sampleStandardNormal(g)));
    const kit = vae({ inputs: W, latent: L, hidden: [H], activation: "tanh", likelihood, ...(noise ? { noise } : {}), optimizer: sgd({ lr: 1 }), seed: 5 });
    const model = kit.model;
    const state = compile(model, bindData(model, { x: X }), new Map(), { samples: 1, optimizer: sgd({ lr: 1 }) });
    initialise(state, new Generator(1));
    const names = ["z", "decoderWeights", ...(noise ? ["logNoise"] : [])];
    const offsets = [0, kit.decoderOffset, kit.noiseOffset];
    const theta0 = kit.theta;
    names.forEach((n, i) => member(state, n).fit.lambda.set(theta0.subarray(offsets[i]!, offsets[i]! + member(state, n).fit.lambda.length)));
    attachGenerator(state, new Generator(31));
    const start = names.map((n) => member(state, n).fit.lambda.slice());
    member(state, "z").step(undefined, 1, undefined);
    // The step's noise: z's R × L standard normals first (point masses draw none).
    const e = new Generator(31), eps = Float64Array.from({ length: R * L }, () => sampleStandardNormal(e));
    const ref = referenceGradient(kit, X, R, eps);
    names.forEach((n, i) => {
      const graphMove = member(state, n).fit.lambda.map((x, j) => (x - start[i]![j]!) / R);
      close(t, graphMove, ref.subarray(offsets[i]!, offsets[i]! + graphMove.length), `∇ of '${n}' (graph / N vs hand-written)`, 1e-10);
    });
  });
}

/**
 * Gaussian decoder weights, the KL / N convention: the kit's bound per row is the mean over rows
 * of log p(x | z, w) − KL(q(z | x) ‖ N(0, I)) minus KL(q(w) ‖ N(0, s²)) / N; the graph's weight
 * prior is a NormalNode factor whose term enters once per step against the N/|B|-scaled rows, so
 * its objective is N × that. The graph estimates −KL(q(w) ‖ p(w)) as H[q(w)] + log p(w) at the
 * step's weight draw w = m + σ ⊙ ε_w (unbiased; the old kit took it in closed form), so the
 * hand-written objective here does too. At equal θ and noise the graph's ∇λ / N equals the
 * hand-written gradient (batch: N = the rows).
 */
test("Gaussian decoder weights: the graph's objective is N × the per-row bound minus KL(q(w) ‖ p(w)) / N (hand-written gradient)", (t) => {
  const R = 6, W = 3, L = 2, H = 3, s = 0.7, g = new Generator(9);
  const X = Float64Array.from({ length: R * W }, () => sampleStandardNormal(g));
  const kit = vae({ inputs: W, latent: L, hidden: [H], activation: "tanh", likelihood: "gaussian", decoderWeights: "gaussian", weightPriorSd: s, weightInitSd: 0.2, optimizer: sgd({ lr: 1 }), seed: 4 });
  const state = compile(kit.model, bindData(kit.model, { x: X }), new Map(), { samples: 1, optimizer: sgd({ lr: 1 }) });
  initialise(state, new Generator(1));
  const theta = kit.theta, P = kit.decoder.nParams, z = member(state, "z"), w = member(state, "decoderWeights"), n = member(state, "logNoise");
  z.fit.lambda.set(theta.subarray(0, kit.decoderOffset));
  w.fit.lambda.set(theta.subarray(kit.decoderOffset, kit.decoderOffset + P), 0);
  w.fit.lambda.set(theta.subarray(kit.weightLogSdOffset, kit.weightLogSdOffset + P), P);
  n.fit.lambda.set(theta.subarray(kit.noiseOffset, kit.noiseOffset + 1));
  const start = [z, w, n].map((m) => m.fit.lambda.slice());
  attachGenerator(state, new Generator(13));
  z.step(undefined, 1, undefined);
  // The noise as drawn: z's R × L normals, then the weights' P.
  const e = new Generator(13), eps = Float64Array.from({ length: R * L }, () => sampleStandardNormal(e)), epsW = Float64Array.from({ length: P }, () => sampleStandardNormal(e));
  const grad = new Float64Array(theta.length), tp = new Tape(), th = tp.param(theta, undefined, grad), Xn = tp.constant(X, [R, W]);
  const parts = kit.q.encode(th, 0, Xn), zs = kit.q.draw(parts, tp.constant(eps, [R, L]));
  const m = ad.slice(th, kit.decoderOffset, P), rho = ad.slice(th, kit.weightLogSdOffset, P);
  const weights = ad.add(m, ad.mul(ad.exp(rho), tp.constant(epsW)));
  const ll = gaussianRows(kit.decoder.forward(weights, zs, 0), ad.slice(th, kit.noiseOffset, 1), Xn);
  // −KL(q(w) ‖ p(w)) estimated as log N(w; 0, s²) + H[q(w)] = Σ −w²/(2s²) + ρ, up to constants.
  const klW = ad.neg(ad.sum(ad.sub(rho, ad.scale(ad.square(weights), 1 / (2 * s * s)))));
  tp.backward(ad.sub(ad.scale(ad.sum(ad.sub(ll, kit.q.klStandardNormalRows(parts))), 1 / R), ad.scale(klW, 1 / R)));
  const moved = [z, w, n].map((v, i) => v.fit.lambda.map((x, j) => (x - start[i]![j]!) / R));
  close(t, moved[0]!, grad.subarray(0, kit.decoderOffset), "∇ of the encoder", 1e-10);
  close(t, moved[1]!.subarray(0, P), grad.subarray(kit.decoderOffset, kit.decoderOffset + P), "∇ of the weights' means", 1e-10);
  close(t, moved[1]!.subarray(P), grad.subarray(kit.weightLogSdOffset, kit.weightLogSdOffset + P), "∇ of the weights' log sds", 1e-10);
  close(t, moved[2]!, grad.subarray(kit.noiseOffset, kit.noiseOffset + 1), "∇ of the log-variance", 1e-10);
});

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
