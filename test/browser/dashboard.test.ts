/**
 * The live dashboard in headless Chromium: a stream of online-mixture snapshots is served over
 * SSE; as batches arrive the page's plotted step count, ELBO and posterior means track the stream
 * exactly; a page opened after the stream ends gets the whole history. Screenshot as an artefact.
 */
import test from "ava";
import { join } from "node:path";
import { Subject, tap } from "rxjs";
import { online, type OnlineSnapshot } from "@vireo/runtime";
import { serveDashboard } from "@vireo/plot/dashboard";
import { gaussianMixture } from "../../examples/src/gaussian-mixture.js";
import { streamBatches } from "../../examples/browser/fit.js";
import { ARTIFACTS, launch, watch } from "./chromium.js";

interface Plotted {
  steps: number[];
  elbo: number[];
  values: number[][];
  series: string[];
}

test.serial("the dashboard's plots follow a running stream step by step, under a strict CSP", async (t) => {
  const batches = streamBatches(7, 24, 150);
  const source = new Subject<{ x: Float64Array }>();
  const recorded: OnlineSnapshot[] = [];
  const model = gaussianMixture(2, 2, { alpha: 1, meanPrecision: 0.01, df: 3, scale: 1 });
  const snapshots$ = source.pipe(online(model, { forgetting: 0.8, seed: 1, summaries: ["mu"] }), tap((s) => recorded.push(s)));
  const dashboard = await serveDashboard(snapshots$, { title: "Online mixture" });
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 960, height: 700 });
    const problems = await watch(page);
    await page.goto(dashboard.url, { waitUntil: "load" });
    await page.waitForSelector("#state[data-state='live']", { timeout: 20_000 });
    t.is(await page.$eval("h1", (e) => e.textContent), "Online mixture");

    const plotted = async () => (await page.evaluate("({ steps: vireoDashboard.steps, elbo: vireoDashboard.elbo, values: vireoDashboard.values, series: vireoDashboard.series })")) as Plotted;
    const expectTracking = async (n: number) => {
      await page.waitForSelector(`#points[data-points='${n}']`, { timeout: 20_000 });
      t.is(await page.$eval("#step", (e) => e.getAttribute("data-step")), String(n));
      const p = await plotted();
      t.deepEqual(p.steps, recorded.map((s) => s.step));
      t.deepEqual(p.elbo, recorded.map((s) => s.elbo));
      t.deepEqual(p.series, ["mu[0]", "mu[1]", "mu[2]", "mu[3]"]);
      p.values.forEach((v, i) => t.deepEqual(v, recorded.map((s) => s.posteriors.mu!.mean[i]!)));
      t.is(Number(await page.$eval("#elbo", (e) => e.getAttribute("data-elbo"))), recorded.at(-1)!.elbo);
    };

    for (const b of batches.slice(0, 10)) source.next(b);
    await expectTracking(10);
    for (const b of batches.slice(10)) {
      source.next(b);
      await new Promise((ok) => setTimeout(ok, 15));
    }
    await expectTracking(24);
    source.complete();
    await page.waitForSelector("#state[data-state='ended']", { timeout: 10_000 });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true });
    t.deepEqual(problems, []);

    // A page opened after the stream ended replays the whole history.
    const late = await browser.newPage();
    await late.goto(dashboard.url, { waitUntil: "load" });
    await late.waitForSelector("#points[data-points='24']", { timeout: 20_000 });
    t.is(await late.$eval("#state", (e) => e.getAttribute("data-state")), "ended");
    t.is(dashboard.received, 24);
  } finally {
    await browser.close();
    await dashboard.close();
  }
});
