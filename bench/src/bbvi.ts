/**
 * BBVI suite: steps per second of black-box VI on Bayesian logistic regression (N = 1,000, D = 5,
 * full-rank Gaussian q, 10 reparameterised samples per step, Adam), against a plain hand-written
 * loop that computes the same gradient estimate (same draws, same arithmetic) and applies the same
 * Adam update. Three cases in one run: the graph-native model (a conjugate MvNormal prior node and
 * a density factor, w gradient-fitted; one CAVI sweep = one step plus the sweep's Monte Carlo
 * ELBO), the same model through createBbvi (sugar over the graph: one joint-gradient optimiser
 * step of the graph's estimator per call), and the hand-written loop. The printed ratios are what
 * the graph and the tape cost.
 */
import benny from "benny";
import type { Summary } from "benny/lib/internal/common-types";
import {
  Generator, sampleStandardNormal, sigmoid, ad, adam, bernoulliLogit, fullRankGaussian, guardedStep, LOG_2PI, type TNode, type Tape,
} from "@vireo/core";
import { MvNormal, Bernoulli } from "@vireo/core";
import { MvNormalNode, densityNode } from "@vireo/nodes";
import { bbviModel, createBbvi, ModelBuilder, compile, initialise, bindData, CaviEngine } from "@vireo/runtime";
import { describeCase } from "./kernels.js";
import { runRPeer, type RPeer } from "./peers/r.js";
import { recordRow } from "./report.js";
import { PEERS_DIR } from "./peers/subprocess.js";
import { join } from "node:path";

/** Stan's ADVI on the same regression (full rank, S draws per gradient), run through rstan as a subprocess. */
const STAN: RPeer = {
  script: "stan_advi.R",
  packages: ["rstan", "jsonlite"],
  install: "apt-get install -y r-cran-rstan r-cran-jsonlite (Debian; the first run compiles the model, about a minute)",
};
interface StanResult { version: string; msPerStep: number; cpuMsPerStep: number; runs: number[]; posteriorMean: number[] }

const { suite, add, cycle, complete, configure } = benny;

const N = 1000, D = 5, S = 10, S0 = 2, LR = 0.01;

function data(): { X: Float64Array; y: Float64Array } {
  const rng = new Generator(424242);
  const X = new Float64Array(N * D), y = new Float64Array(N);
  const w = [0.5, -1, 0.75, 0.25, -0.5];
  for (let i = 0; i < N; i++) {
    let eta = 0;
    for (let j = 0; j < D; j++) {
      X[i * D + j] = j === 0 ? 1 : sampleStandardNormal(rng);
      eta += X[i * D + j]! * w[j]!;
    }
    y[i] = rng.uniform() < sigmoid(eta) ? 1 : 0;
  }
  return { X, y };
}

function prior(w: TNode): TNode {
  return ad.shift(ad.scale(ad.sum(ad.square(w)), -0.5 / (S0 * S0)), -D * (0.5 * LOG_2PI + Math.log(S0)));
}

/**
 * The same estimator written by hand: z = μ + Lε, η = Xz, ∇_z = Xᵀ(y − σ(η)) − z/s0²,
 * ∇μ += ∇_z / S, ∇L_ij += ∇_z,i ε_j / S (times L_ii on the log-diagonal), +1 per log-diagonal for the
 * entropy. Returns the ELBO estimate, as the engine does.
 */
function makeHand(X: Float64Array, y: Float64Array) {
  const L = new Float64Array(D * D), eps = new Float64Array(D), z = new Float64Array(D), gz = new Float64Array(D);
  return (params: Float64Array, grad: Float64Array, rng: Generator): number => {
    grad.fill(0);
    L.fill(0);
    let entropy = 0.5 * D * (1 + LOG_2PI);
    for (let i = 0, k = D; i < D; i++) {
      for (let j = 0; j < i; j++) L[i * D + j] = params[k++]!;
      entropy += params[k]!;
      L[i * D + i] = Math.exp(params[k++]!);
    }
    let joint = 0;
    for (let s = 0; s < S; s++) {
      for (let j = 0; j < D; j++) eps[j] = sampleStandardNormal(rng);
      for (let i = 0; i < D; i++) {
        let v = params[i]!;
        for (let j = 0; j <= i; j++) v += L[i * D + j]! * eps[j]!;
        z[i] = v;
        gz[i] = -v / (S0 * S0);
        joint -= (0.5 * v * v) / (S0 * S0);
      }
      joint -= D * (0.5 * LOG_2PI + Math.log(S0));
      for (let n = 0; n < N; n++) {
        const row = n * D;
        let eta = 0;
        for (let j = 0; j < D; j++) eta += X[row + j]! * z[j]!;
        // One exponential for both softplus(η) and σ(η): e = e^{−|η|}.
        const e = Math.exp(-Math.abs(eta)), inv = 1 / (1 + e);
        joint += y[n]! * eta - ((eta > 0 ? eta : 0) + Math.log1p(e));
        const r = y[n]! - (eta >= 0 ? inv : e * inv); // y − σ(η)
        for (let j = 0; j < D; j++) gz[j] += r * X[row + j]!;
      }
      for (let i = 0, k = D; i < D; i++) {
        grad[i] += gz[i]! / S;
        for (let j = 0; j < i; j++) grad[k++] += (gz[i]! * eps[j]!) / S;
        grad[k++] += (gz[i]! * eps[i]! * L[i * D + i]!) / S;
      }
    }
    for (let i = 0; i < D; i++) grad[D + ((i + 1) * (i + 2)) / 2 - 1] += 1;
    return entropy + joint / S;
  };
}

export async function bbvi(): Promise<Summary> {
  const { X, y } = data();
  const model = bbviModel({
    latents: [{ name: "w", family: fullRankGaussian(D, { sd: 0.1 }) }],
    factors: [
      { name: "prior", vars: ["w"], logDensity: ({ w }) => prior(w!) },
      {
        name: "lik", vars: ["w"], logDensity: ({ w }, t: Tape) => {
          return bernoulliLogit(ad.matmul(t.constant(X, [N, D]), w!), t.constant(y));
        },
      },
    ],
  });
  const engine = createBbvi(model, { samples: S, optimizer: adam({ lr: LR }) });
  const hand = makeHand(X, y);

  // Sanity first: from the same parameters and generator state, tape and hand loop agree.
  const check = engine.init(7);
  for (let i = 0; i < 50; i++) engine.step(check);
  const rngA = check.rng.clone(), rngB = check.rng.clone();
  const gTape = new Float64Array(model.nParams), gHand = new Float64Array(model.nParams);
  const eTape = engine.gradient({ ...check, rng: rngA }, undefined, gTape).elbo;
  const eHand = hand(check.params, gHand, rngB);
  let err = Math.abs(eTape - eHand) / Math.abs(eHand);
  for (let i = 0; i < gTape.length; i++) err = Math.max(err, Math.abs(gTape[i]! - gHand[i]!) / (1 + Math.abs(gHand[i]!)));
  if (!(err < 1e-9)) throw new Error(`bbvi: the tape and the hand-written gradient disagree (max relative error ${err}).`);

  // The graph-native model: the same prior as a conjugate node, the likelihood as a density factor.
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const w = m.random("w", MvNormal(D), { q: fullRankGaussian({ sd: 0.1 }) });
  m.factor(MvNormalNode, { out: w, mean: new Float64Array(D), precision: Float64Array.from({ length: D * D }, (_, i) => (i % (D + 1) === 0 ? 1 / (S0 * S0) : 0)) });
  const lik = densityNode("Logistic", { edges: { w: "MvNormal", x: "input", y: "Bernoulli" } }, ({ w, x, y }) => {
    return bernoulliLogit(ad.matmul(x!, w!), y!);
  });
  m.factor(lik, { w, x: m.input("x", { plate: rows, size: D }), y: m.observed("y", Bernoulli, { plate: rows }) });
  const graphModel = m.build();
  const graphState = compile(graphModel, bindData(graphModel, { x: X, y }), undefined, { samples: S, optimizer: adam({ lr: LR }) });
  initialise(graphState, new Generator(11));
  const graph = new CaviEngine(graphState);

  const state = engine.init(11);
  const opt = adam({ lr: LR });
  const handState = { params: Float64Array.from(state.params), opt: opt.init(model.nParams), rng: new Generator(11) };
  const hg = new Float64Array(model.nParams), loss = new Float64Array(model.nParams);
  let sink = 0;

  const summary = await suite(
    "bbvi",
    configure({ cases: { minSamples: 10, maxTime: 3 } }),
    add("BBVI sweep, graph-native (logistic N=1000 D=5 S=10)", () => {
      sink += graph.sweep();
    }),
    add("BBVI step, createBbvi (graph joint gradient, logistic N=1000 D=5 S=10)", () => {
      sink += engine.step(state).elbo;
    }),
    add("BBVI step, hand-written loop", () => {
      sink += hand(handState.params, hg, handState.rng);
      for (let i = 0; i < hg.length; i++) loss[i] = -hg[i]!;
      guardedStep(opt, handState.params, loss, handState.opt, LR);
    }),
    cycle((result) => {
      console.log(describeCase(result));
    }),
    complete((s) => {
      const ops = (name: string) => s.results.find((r) => r.name.startsWith(name))?.ops ?? NaN;
      const tape = ops("BBVI step, createBbvi"), plain = ops("BBVI step, hand-written"), graphOps = ops("BBVI sweep, graph-native");
      console.log(`  createBbvi (graph joint gradient): ${tape.toFixed(0)} steps/s; hand-written: ${plain.toFixed(0)} steps/s; createBbvi time / hand time = ${(plain / tape).toFixed(2)} (target ≤ 1.2)`);
      console.log(`  graph-native: ${graphOps.toFixed(0)} sweeps/s; graph time / hand time = ${(plain / graphOps).toFixed(2)} (target ≤ 1.2)`);
    }),
  );
  // The machine may be shared: benny times the cases one after the other, so a change of load
  // between them skews their ratio. Interleaved blocks time each round's three cases back to back,
  // and the median of the per-round ratios is robust to load drifting between rounds.
  const rounds = 15, block = 20, ratiosGraph: number[] = [], ratiosTape: number[] = [], msGraph: number[] = [], msTape: number[] = [], msHand: number[] = [], cpuTape: number[] = [];
  const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  for (let r = 0; r < rounds; r++) {
    let t0 = performance.now();
    for (let i = 0; i < block; i++) sink += graph.sweep();
    const tg = performance.now() - t0;
    t0 = performance.now();
    const c0 = cpuMs();
    for (let i = 0; i < block; i++) sink += engine.step(state).elbo;
    const tt = performance.now() - t0;
    cpuTape.push((cpuMs() - c0) / block);
    t0 = performance.now();
    for (let i = 0; i < block; i++) {
      sink += hand(handState.params, hg, handState.rng);
      for (let k = 0; k < hg.length; k++) loss[k] = -hg[k]!;
      guardedStep(opt, handState.params, loss, handState.opt, LR);
    }
    const th = performance.now() - t0;
    ratiosGraph.push(tg / th);
    ratiosTape.push(tt / th);
    msGraph.push(tg / block);
    msTape.push(tt / block);
    msHand.push(th / block);
  }
  const median = (x: number[]) => x.slice().sort((a, b) => a - b)[Math.floor(x.length / 2)]!;
  console.log(`  interleaved (${rounds} rounds of ${block}, median): graph time / hand time = ${median(ratiosGraph).toFixed(2)}; createBbvi time / hand time = ${median(ratiosTape).toFixed(2)}`);
  console.log(`  ms per step (interleaved medians): graph-native ${median(msGraph).toFixed(3)}, createBbvi ${median(msTape).toFixed(3)}, hand-written ${median(msHand).toFixed(3)}`);

  // The peer: Stan's ADVI on the same data, prior and likelihood (issue 17's target: per step at or below Stan's).
  const stan = runRPeer<StanResult>(STAN, {
    model: join(PEERS_DIR, "stan_advi_logistic.stan"), X, y, N, D, s0: S0, gradSamples: S, eta: 0.1, short: 1000, long: 5000, repeats: 3, seed: 1,
  });
  const peerName = stan.ok ? `Stan ${stan.value.version} ADVI (full rank, ${S} draws per gradient)` : null;
  for (const [label, ms] of [["createBbvi", median(msTape)], ["graph-native sweep", median(msGraph)]] as const) {
    recordRow({ row: `BBVI logistic N = ${N}, D = ${D}, ${label}, ms per step`, unit: "ms/step", vireo: ms, peer: stan.ok ? stan.value.msPerStep : null, peerName, ...(stan.ok ? {} : { note: stan.reason }) });
  }
  if (!stan.ok) console.log(`  Stan ADVI peer not run: ${stan.reason}`);
  else {
    const v = stan.value, qMean = Array.from(state.params.subarray(0, D));
    console.log(`  Stan ADVI (rstan ${v.version}, full rank, ${S} draws per gradient, adaptation off): ${v.msPerStep.toFixed(3)} ms per step (runs ${v.runs.map((r) => r.toFixed(3)).join(", ")})`);
    console.log(`  createBbvi time / Stan time = ${(median(msTape) / v.msPerStep).toFixed(2)}; graph-native time / Stan time = ${(median(msGraph) / v.msPerStep).toFixed(2)}; hand-written / Stan = ${(median(msHand) / v.msPerStep).toFixed(2)} (target ≤ 1)`);
    console.log(`  CPU time per step: createBbvi ${median(cpuTape).toFixed(3)} ms, Stan ${v.cpuMsPerStep.toFixed(3)} ms: ratio ${(median(cpuTape) / v.cpuMsPerStep).toFixed(2)}`);
    console.log(`  posterior means: Vireo q ${qMean.map((m) => m.toFixed(3)).join(", ")}; Stan ADVI ${v.posteriorMean.map((m) => m.toFixed(3)).join(", ")}`);
  }
  if (!Number.isFinite(sink)) throw new Error("bbvi: non-finite ELBO during the benchmark.");
  return summary;
}
