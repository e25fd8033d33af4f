/**
 * Mauna Loa CO2 (monthly, 1959–1997) with a sparse GP: trend + seasonal + irregular kernel learnt
 * from the data by maximising the collapsed bound. First a hold-out check (fit up to 1990, forecast
 * 1991–1997: error and 95% interval coverage), then a fit on all the data and a forecast to 2005
 * with 95% intervals, drawn as a picture.
 * Run: npx -y pnpm@10.34.9 example gp-co2
 */
import { fileURLToPath } from "node:url";
import { kernelParams, exactGp, gaussianLikelihood, type GaussianLikelihood } from "@vireo/core";
import { readNumericCsv } from "./lib/csv.js";
import { fitCo2, forecastCo2 } from "./gp/co2-model.js";
import { writePictures } from "./pictures/folder.js";
import { forecastChart } from "./pictures/gp-co2.js";

const { rows } = readNumericCsv(fileURLToPath(new URL("../data/co2.csv", import.meta.url)));
const time = rows.map((r) => r[0]!), ppm = rows.map((r) => r[1]!);

// 1. Hold-out: fit on 1959–1990, forecast 1991–1997.
const cut = time.findIndex((t) => t >= 1991);
const early = fitCo2(time.slice(0, cut), ppm.slice(0, cut));
const held = forecastCo2(early, time.slice(cut));
let se = 0, inside = 0;
for (let i = 0; i < held.mean.length; i++) {
  const e = ppm[cut + i]! - held.mean[i]!;
  se += e * e;
  if (Math.abs(e) <= 1.96 * held.sd[i]!) inside++;
}
console.log(`hold-out 1991–1997 (${held.mean.length} months) from a fit on 1959–1990: RMSE ${Math.sqrt(se / held.mean.length).toFixed(2)} ppm, ` +
  `95% intervals cover ${((100 * inside) / held.mean.length).toFixed(0)}% of the months`);

// 2. All data: learnt kernel, bound vs the exact evidence, forecast to 2005.
const fit = fitCo2(time, ppm);
const noise = (fit.model.likelihood as GaussianLikelihood).variance;
console.log(`collapsed bound ${fit.report.trace[0]!.toFixed(1)} → ${fit.report.objective.toFixed(1)} after ${fit.report.trace.length} Adam steps (M = ${fit.model.M} inducing inputs, jitter ${fit.model.jitter})`);
const exact = exactGp({ kernel: fit.model.kernel, likelihood: gaussianLikelihood(noise), x: time.map((t) => t - fit.origin), y: ppm.map((p) => p - fit.offset) });
console.log(`exact log marginal likelihood at the learnt hyperparameters ${exact.logMarginalLikelihood().toFixed(1)} (the bound is below it by ${(exact.logMarginalLikelihood() - fit.report.objective).toFixed(2)})`);
const params = kernelParams(fit.model.kernel);
const show = (name: string, label: string) => console.log(`  ${label.padEnd(32)} ${params[name]!.toPrecision(4)}`);
console.log("learnt hyperparameters:");
show("terms[0].variance", "trend variance (ppm²)");
show("terms[0].lengthscale", "trend lengthscale (years)");
show("terms[1].terms[0].period", "seasonal period (years)");
show("terms[1].terms[0].variance", "seasonal variance");
show("terms[1].terms[1].lengthscale", "seasonal decay (years)");
show("terms[2].variance", "irregular variance");
show("terms[2].lengthscale", "irregular lengthscale (years)");
console.log(`  ${"noise variance (ppm²)".padEnd(32)} ${noise.toPrecision(4)}`);

const future = Array.from({ length: 12 * 8 }, (_, i) => 1998 + i / 12);
const all = [...time, ...future];
const f = forecastCo2(fit, all);
for (const year of [1998, 2000, 2005]) {
  const i = time.length + Math.round((year - 1998) * 12);
  console.log(`forecast ${all[i]!.toFixed(2)}: ${f.mean[i]!.toFixed(1)} ppm, 95% interval [${(f.mean[i]! - 1.96 * f.sd[i]!).toFixed(1)}, ${(f.mean[i]! + 1.96 * f.sd[i]!).toFixed(1)}]`);
}
await writePictures("gp-co2", { forecast: forecastChart(time, ppm, all, f.mean, f.sd, time.at(-1)!) });
