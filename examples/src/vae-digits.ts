/**
 * A variational autoencoder on the 8×8 digits (UCI, 1,797 images, grey levels scaled to [0, 1]),
 * or with --mnist on 28×28 MNIST digits from the `mnist` package: an encoder network amortises a
 * diagonal Gaussian q(z | x) over a 2-D latent, a Bernoulli decoder maps z to pixel probabilities,
 * and Adam ascends the ELBO over shuffled minibatches. Prints the training ELBO and the held-out
 * ELBO per epoch, then the held-out IWAE-K bound, and writes three PNG grids: reconstructions
 * (originals above, reconstructions below), samples from the prior, and a traversal of the 2-D
 * latent space (z on a grid of standard-normal quantiles).
 * With --warmup T the KL term is weighted by β = min(1, t / T) over the first T steps (KL warm-up).
 * Run: npx -y pnpm@10.34.9 example vae-digits [-- --mnist] [--epochs 40] [--iwae 50] [--warmup 1000]
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { relative } from "node:path";
import { Generator, adam, iwaeBound, erf } from "@vireo/core";
import { vae } from "@vireo/runtime";
import { picturesFolder } from "./pictures/folder.js";
import { imageGridPng } from "@vireo/plot";

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const useMnist = args.includes("--mnist");

/** Rows of pixels in [0, 1], the side length, and how many rows are for training. */
function loadData(): { X: Float64Array; side: number; train: number } {
  if (useMnist) {
    const mnist = createRequire(import.meta.url)("mnist") as { get(i: number): number[] }[];
    const n = 3000, X = new Float64Array(n * 784);
    for (let i = 0; i < n; i++) X.set(mnist[i % 10]!.get(Math.floor(i / 10)), i * 784);
    return { X, side: 28, train: 2500 };
  }
  const lines = readFileSync(new URL("../data/digits.csv", import.meta.url), "utf8").trim().split("\n").slice(1);
  const X = new Float64Array(lines.length * 64);
  lines.forEach((line, i) => line.split(",").slice(0, 64).forEach((v, j) => (X[i * 64 + j] = Number(v) / 16)));
  return { X, side: 8, train: 1500 };
}

const { X, side, train } = loadData();
const D = side * side, rows = X.length / D;
const trainX = X.subarray(0, train * D), testX = X.subarray(train * D);
const epochs = flag("epochs", useMnist ? 15 : 40), K = flag("iwae", 50), warmup = flag("warmup", 0);

const model = vae({
  inputs: D, latent: 2, hidden: useMnist ? [256] : [128], likelihood: "bernoulli",
  optimizer: adam({ lr: useMnist ? 1e-3 : 3e-3 }), seed: 1,
  // KL warm-up: the steps ascend log p(x | z) − β KL with β rising to 1 over `warmup` steps.
  ...(warmup > 0 ? { klWeight: (t: number) => Math.min(1, t / warmup) } : {}),
});
if (warmup > 0) console.log(`KL warm-up over the first ${warmup} steps (β = min(1, t / ${warmup}))`);
console.log(`VAE ${D}-${useMnist ? 256 : 128}-2-${useMnist ? 256 : 128}-${D} on ${useMnist ? "MNIST" : "8×8 digits"}: ${train} training rows, ${rows - train} held out`);
console.log("epoch   train ELBO   held-out ELBO (nats per image)");
const started = performance.now();
model.fit(trainX, {
  epochs, batchSize: 50,
  onEpoch: (e, trainElbo) => {
    if (e % 5 === 4 || e === 0) {
      const held = model.evaluate(testX, { seed: 1 });
      console.log(`${String(e + 1).padStart(5)}   ${trainElbo.toFixed(3).padStart(10)}   ${held.mean.toFixed(3).padStart(10)} ± ${held.standardError.toFixed(3)}`);
    }
  },
});
const seconds = (performance.now() - started) / 1000;
const held = model.evaluate(testX, { samples: 10, seed: 2 }), iwae = model.evaluate(testX, { bound: iwaeBound(K), seed: 3 });
console.log(`\ntrained in ${seconds.toFixed(1)} s`);
console.log(`held-out ELBO  ${held.mean.toFixed(3)} ± ${held.standardError.toFixed(3)} nats per image`);
console.log(`held-out IWAE-${K} ${iwae.mean.toFixed(3)} ± ${iwae.standardError.toFixed(3)} nats per image (a tighter bound on log p(x))`);

// Pictures: reconstructions, prior samples, and the decoder over a grid of the 2-D latent.
const dir = picturesFolder(useMnist ? "vae-mnist" : "vae-digits");
const shown = 12, originals = testX.slice(0, shown * D);
const recon = model.reconstruct(originals);
const pair = new Float64Array(2 * shown * D);
pair.set(originals, 0);
pair.set(recon, shown * D);
const scale = useMnist ? 2 : 6;
/** Dark ink on white paper: pixel intensities in [0, 1] drawn as 1 − intensity. */
mkdirSync(dir, { recursive: true });
const writeGrid = (file: string, images: Float64Array, cols: number): void => {
  writeFileSync(`${dir}${file}`, imageGridPng(images.map((v) => 1 - v), { rows: Math.ceil(images.length / (D * cols)), cols, width: side, height: side, scale }));
};
writeGrid("reconstructions.png", pair, shown);
writeGrid("prior-samples.png", model.samplePrior(64, new Generator(7)), 8);
const steps = 15, z = new Float64Array(steps * steps * 2);
// Standard-normal quantiles of evenly spaced probabilities, so the grid covers the prior's mass.
const quantile = (p: number): number => Math.SQRT2 * inverseErf(2 * p - 1);
for (let r = 0; r < steps; r++) {
  for (let c = 0; c < steps; c++) {
    z[(r * steps + c) * 2] = quantile((c + 0.5) / steps);
    z[(r * steps + c) * 2 + 1] = quantile(1 - (r + 0.5) / steps);
  }
}
writeGrid("latent-traversal.png", model.decode(z), steps);
console.log(`\npictures: reconstructions.png, prior-samples.png, latent-traversal.png in ${relative(process.cwd(), dir) || "."}`);

/** erf⁻¹ by Newton steps on erf (from @vireo/core, i.e. @stdlib). */
function inverseErf(y: number): number {
  let x = 0;
  for (let i = 0; i < 60; i++) x -= (erf(x) - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
  return x;
}
