/**
 * BNN suite: training throughput of a Bayesian neural network (10 → 50 ReLU → 1, Gaussian
 * likelihood with learnt noise, mean-field Gaussian weights, local reparameterisation, minibatches
 * of 100 from N = 1,000, Adam) in steps/s and points/s, in one run against
 *   - the same network with point-estimate (MAP) weights on the same trainer: what being Bayesian
 *     costs (the variance path doubles the matrix products);
 *   - a plain hand-written loop doing the same arithmetic (forward, backward, KL, Adam) for the
 *     Bayesian network: what the tape and the graph cost.
 * The kit's trainer (BnnTrainer / fitBnn) is sugar over the graph: bnnModel (layers as graph
 * variables on the dense-network moment node, a Gamma noise precision) stepped by SviEngine with
 * one local-noise draw per step, the layers and τ as one moment group (one forward pass shared
 * with the batch ELBO, one backward pass). Before timing, the hand loop's gradient is checked
 * against the tape's at the same parameters, batch and noise.
 */
import benny from "benny";
import type { Summary } from "benny/lib/internal/common-types";
import { Generator, Tape, sampleStandardNormal, adam, guardedStep, localReparamDense, weightPriorPenalty, relu, ad, LOG_2PI, type TNode } from "@vireo/core";
import { bnn, BnnTrainer, initialParams } from "@vireo/runtime";
import { describeCase } from "./kernels.js";

const { suite, add, cycle, complete, configure } = benny;

const N = 1000, D = 10, H = 50, B = 100, LR = 0.01, PRIOR_VAR = 1;
const P1 = (D + 1) * H, P2 = H + 1, NPARAMS = 2 * P1 + 2 * P2 + 1;

function data(): { X: Float64Array; y: Float64Array } {
  const rng = new Generator(77);
  const X = new Float64Array(N * D), y = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let f = 0;
    for (let j = 0; j < D; j++) {
      X[n * D + j] = sampleStandardNormal(rng);
      f += Math.sin(X[n * D + j]!) * (j % 3 === 0 ? 1 : -0.5);
    }
    y[n] = f + 0.3 * sampleStandardNormal(rng);
  }
  return { X, y };
}

/**
 * The ELBO estimate of one minibatch and its gradient (ascent direction), by hand: both layers'
 * local-reparameterisation forward and backward passes, the Gaussian likelihood with log σ_y last
 * in the parameters, the closed-form KL. Same parameter layout as the kit.
 */
function makeHand() {
  const m1 = new Float64Array(B * H), s1 = new Float64Array(B * H), h = new Float64Array(B * H), f = new Float64Array(B), s2 = new Float64Array(B);
  const gh = new Float64Array(B * H), gv1 = new Float64Array(B * H), gf = new Float64Array(B), gv2 = new Float64Array(B);
  const var1 = new Float64Array(P1), var2 = new Float64Array(P2);
  return (p: Float64Array, g: Float64Array, X: Float64Array, y: Float64Array, eps1: Float64Array, eps2: Float64Array): number => {
    g.fill(0);
    const o2 = 2 * P1, sIdx = NPARAMS - 1, logS = p[sIdx]!, prec = Math.exp(-2 * logS), scale = N / B;
    for (let i = 0; i < P1; i++) var1[i] = Math.exp(2 * p[P1 + i]!);
    for (let i = 0; i < P2; i++) var2[i] = Math.exp(2 * p[o2 + P2 + i]!);
    // Layer 1: m = Xμ + μ_b, v = X²σ² + σ_b², a = m + √v ε, h = relu(a).
    for (let n = 0; n < B; n++) {
      for (let j = 0; j < H; j++) { m1[n * H + j] = p[D * H + j]!; s1[n * H + j] = var1[D * H + j]!; }
      for (let k = 0; k < D; k++) {
        const x = X[n * D + k]!, x2 = x * x;
        for (let j = 0; j < H; j++) { m1[n * H + j] += x * p[k * H + j]!; s1[n * H + j] += x2 * var1[k * H + j]!; }
      }
      for (let j = 0; j < H; j++) {
        const i = n * H + j, sd = Math.sqrt(s1[i]!);
        s1[i] = sd;
        const a = m1[i]! + sd * eps1[i]!;
        m1[i] = a;
        h[i] = a > 0 ? a : 0;
      }
    }
    // Layer 2 and the likelihood.
    let ll = 0;
    for (let n = 0; n < B; n++) {
      let m = p[o2 + H]!, v = var2[H]!;
      for (let j = 0; j < H; j++) { const hj = h[n * H + j]!; m += hj * p[o2 + j]!; v += hj * hj * var2[j]!; }
      s2[n] = Math.sqrt(v);
      f[n] = m + s2[n]! * eps2[n]!;
      const r = y[n]! - f[n]!;
      ll += -0.5 * LOG_2PI - logS - 0.5 * prec * r * r;
      gf[n] = scale * prec * r;
      g[sIdx] += scale * (prec * r * r - 1);
    }
    // Backward through layer 2.
    for (let n = 0; n < B; n++) {
      gv2[n] = (gf[n]! * eps2[n]!) / (2 * s2[n]!);
      g[o2 + H] += gf[n]!;
      g[o2 + P2 + H] += 2 * var2[H]! * gv2[n]!;
      for (let j = 0; j < H; j++) {
        const i = n * H + j, hj = h[i]!;
        g[o2 + j] += hj * gf[n]!;
        g[o2 + P2 + j] += 2 * var2[j]! * hj * hj * gv2[n]!;
        gh[i] = m1[i]! > 0 ? gf[n]! * p[o2 + j]! + 2 * hj * gv2[n]! * var2[j]! : 0;
        gv1[i] = (gh[i]! * eps1[i]!) / (2 * s1[i]!);
      }
    }
    // Backward through layer 1.
    for (let n = 0; n < B; n++) {
      for (let j = 0; j < H; j++) { g[D * H + j] += gh[n * H + j]!; g[P1 + D * H + j] += 2 * var1[D * H + j]! * gv1[n * H + j]!; }
      for (let k = 0; k < D; k++) {
        const x = X[n * D + k]!, x2 = x * x;
        for (let j = 0; j < H; j++) { g[k * H + j] += x * gh[n * H + j]!; g[P1 + k * H + j] += 2 * var1[k * H + j]! * x2 * gv1[n * H + j]!; }
      }
    }
    // KL(q ‖ N(0, 1)) of both layers.
    let kl = 0;
    for (const [off, P, vr] of [[0, P1, var1], [o2, P2, var2]] as const) {
      for (let i = 0; i < P; i++) {
        const mu = p[off + i]!, rho = p[off + P + i]!;
        kl += 0.5 * ((vr[i]! + mu * mu) / PRIOR_VAR - 1 - 2 * rho + Math.log(PRIOR_VAR));
        g[off + i] -= mu / PRIOR_VAR;
        g[off + P + i] -= vr[i]! / PRIOR_VAR - 1;
      }
    }
    return scale * ll - kl;
  };
}

/** The same objective on the tape (the trainer's expression), for the gradient check. */
function tapeGradient(p: Float64Array, g: Float64Array, X: Float64Array, y: Float64Array, eps1: Float64Array, eps2: Float64Array): number {
  const t = new Tape();
  const l1 = t.param(p.subarray(0, 2 * P1), undefined, g.subarray(0, 2 * P1));
  const l2 = t.param(p.subarray(2 * P1, 2 * P1 + 2 * P2), undefined, g.subarray(2 * P1, 2 * P1 + 2 * P2));
  const s = t.param(p.subarray(NPARAMS - 1), [], g.subarray(NPARAMS - 1));
  const hid: TNode = relu(localReparamDense(t.constant(X.subarray(0, B * D), [B, D]), l1, H, eps1));
  const f = ad.reshape(localReparamDense(hid, l2, 1, eps2), [B]);
  const sq = ad.sum(ad.square(ad.sub(f, t.constant(y.subarray(0, B)))));
  const ll = ad.shift(ad.sub(ad.scale(ad.mul(ad.exp(ad.scale(s, -2)), sq), -0.5), ad.scale(s, B)), -0.5 * B * LOG_2PI);
  const obj = ad.sub(ad.scale(ll, N / B), ad.add(weightPriorPenalty(l1, PRIOR_VAR), weightPriorPenalty(l2, PRIOR_VAR)));
  t.backward(obj);
  return obj.value[0]!;
}

export async function bnnSuite(): Promise<Summary> {
  const { X, y } = data();
  const rows = Array.from({ length: N }, (_, n) => X.subarray(n * D, (n + 1) * D));
  const net = bnn({ inputs: D, hidden: [H], activation: "relu", likelihood: "gaussian", priorSd: Math.sqrt(PRIOR_VAR) });
  const mapNet = bnn({ inputs: D, hidden: [H], activation: "relu", likelihood: "gaussian", priorSd: Math.sqrt(PRIOR_VAR), weights: "point" });
  const trainer = new BnnTrainer(net, { x: rows, y }, { batchSize: B, seed: 1, optimizer: adam({ lr: LR }) });
  const mapTrainer = new BnnTrainer(mapNet, { x: rows, y }, { batchSize: B, seed: 1, optimizer: adam({ lr: LR }) });
  const hand = makeHand();
  // Sanity first: the hand loop and the tape give the same objective and gradient.
  const rng = new Generator(5), p0 = initialParams(net, rng);
  for (let i = 0; i < P1; i++) p0[P1 + i] = -2 + 0.3 * sampleStandardNormal(rng);
  for (let i = 0; i < P2; i++) p0[2 * P1 + P2 + i] = -2 + 0.3 * sampleStandardNormal(rng);
  const eps1 = Float64Array.from({ length: B * H }, () => sampleStandardNormal(rng)), eps2 = Float64Array.from({ length: B }, () => sampleStandardNormal(rng));
  const gHand = new Float64Array(NPARAMS), gTape = new Float64Array(NPARAMS);
  const oHand = hand(p0, gHand, X, y, eps1, eps2), oTape = tapeGradient(p0, gTape, X, y, eps1, eps2);
  let err = Math.abs(oHand - oTape) / Math.abs(oTape);
  for (let i = 0; i < NPARAMS; i++) err = Math.max(err, Math.abs(gHand[i]! - gTape[i]!) / (1 + Math.abs(gTape[i]!)));
  if (!(err < 1e-9) || net.nParams !== NPARAMS) throw new Error(`bnn: the hand-written and tape gradients disagree (max relative error ${err}).`);

  // The hand loop's own training state: batches in order, fresh noise per step, Adam.
  const opt = adam({ lr: LR }), hp = initialParams(net, new Generator(1)), hOpt = opt.init(NPARAMS), hg = new Float64Array(NPARAMS), loss = new Float64Array(NPARAMS);
  const hRng = new Generator(2), xb = new Float64Array(B * D), yb = new Float64Array(B);
  let cursor = 0;
  const handStep = (): number => {
    xb.set(X.subarray(cursor * D, (cursor + B) * D));
    yb.set(y.subarray(cursor, cursor + B));
    cursor = (cursor + B) % N;
    for (let i = 0; i < eps1.length; i++) eps1[i] = sampleStandardNormal(hRng);
    for (let i = 0; i < eps2.length; i++) eps2[i] = sampleStandardNormal(hRng);
    const o = hand(hp, hg, xb, yb, eps1, eps2);
    for (let i = 0; i < NPARAMS; i++) loss[i] = -hg[i]!;
    guardedStep(opt, hp, loss, hOpt, LR);
    return o;
  };

  let sink = 0;
  const label = `(${D}→${H} relu→1, batch ${B})`;
  const summary = await suite(
    "bnn",
    configure({ cases: { minSamples: 10, maxTime: 3 } }),
    add(`BNN step, local reparam., fitBnn's trainer = graph on SviEngine ${label}`, () => { sink += trainer.next().objective; }),
    add(`MAP network step (graph, point-mass layers) ${label}`, () => { sink += mapTrainer.next().objective; }),
    add("BNN step, hand-written loop", () => { sink += handStep(); }),
    cycle((result) => { console.log(describeCase(result)); }),
    complete((s) => {
      const ops = (name: string) => s.results.find((r) => r.name.startsWith(name))?.ops ?? NaN;
      const bayes = ops("BNN step, local"), map = ops("MAP network step ("), plain = ops("BNN step, hand-written");
      console.log(`  BNN: ${bayes.toFixed(0)} steps/s = ${(bayes * B).toFixed(0)} points/s; MAP network: ${map.toFixed(0)} steps/s = ${(map * B).toFixed(0)} points/s; hand loop: ${plain.toFixed(0)} steps/s = ${(plain * B).toFixed(0)} points/s`);
      console.log(`  BNN time / MAP time = ${(map / bayes).toFixed(2)}; BNN (graph on SviEngine) time / hand-loop time = ${(plain / bayes).toFixed(2)}`);
    }),
  );
  // Interleaved rounds (the machine may be shared): the median per-round ratio is robust to load drift.
  const rounds = 15, block = 20, rMap: number[] = [], rHand: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let t0 = performance.now();
    for (let i = 0; i < block; i++) sink += trainer.next().objective;
    const tb = performance.now() - t0;
    t0 = performance.now();
    for (let i = 0; i < block; i++) sink += mapTrainer.next().objective;
    const tm = performance.now() - t0;
    t0 = performance.now();
    for (let i = 0; i < block; i++) sink += handStep();
    const th = performance.now() - t0;
    rMap.push(tb / tm);
    rHand.push(tb / th);
  }
  const median = (x: number[]) => x.slice().sort((a, b) => a - b)[Math.floor(x.length / 2)]!;
  console.log(`  interleaved (${rounds} rounds of ${block}, median): BNN time / MAP time = ${median(rMap).toFixed(2)}; BNN (graph) time / hand-loop time = ${median(rHand).toFixed(2)}`);
  if (!Number.isFinite(sink)) throw new Error("bnn: non-finite objective during the benchmark.");
  return summary;
}
