/**
 * The live dashboard: an online Gaussian mixture follows a simulated sensor (a drifting cluster,
 * one batch every 250 ms), and a page at http://127.0.0.1:8090/ plots the ELBO and the posterior
 * means as the snapshots arrive (Server-Sent Events, uPlot). Runs until Ctrl-C.
 *
 * Run: npx -y pnpm@10.34.9 example dashboard   (PORT=… to change the port, BATCHES=… to stop early)
 */
import { interval, map, take } from "rxjs";
import { Generator, sampleStandardNormal } from "@vireo/core";
import { online } from "@vireo/runtime";
import { serveDashboard } from "@vireo/plot/dashboard";
import { gaussianMixture } from "./gaussian-mixture.js";

const rng = new Generator(2026);
const ROWS = 200;
const batches = Number(process.env.BATCHES ?? Infinity);

const snapshots$ = interval(250).pipe(
  take(batches),
  map((b) => {
    const x = new Float64Array(ROWS * 2);
    const c = [4 + 3 * Math.sin(b / 40), 4 * Math.cos(b / 60)];
    for (let i = 0; i < ROWS; i++) {
      const drifting = rng.uniform() < 0.5;
      x[2 * i] = (drifting ? c[0]! : -4) + sampleStandardNormal(rng);
      x[2 * i + 1] = (drifting ? c[1]! : -4) + sampleStandardNormal(rng);
    }
    return { x };
  }),
  online(gaussianMixture(2, 2, { alpha: 1, meanPrecision: 0.01, df: 3, scale: 1 }), { forgetting: 0.8, seed: 1, summaries: ["mu", "pi"] }),
);

const dashboard = await serveDashboard(snapshots$, { port: Number(process.env.PORT ?? 8090), title: "Online mixture: live posterior" });
console.log(`Live dashboard at ${dashboard.url} (Ctrl-C stops).`);
process.on("SIGINT", () => void dashboard.close().then(() => process.exit(0)));
