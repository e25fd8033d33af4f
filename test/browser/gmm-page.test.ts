/**
 * The browser example in a real browser: headless Chromium loads the page under a strict CSP
 * (script-src 'self', no eval), the page fits a Gaussian mixture to Old Faithful and runs an online
 * stream, and the numbers it shows must equal the same fit run here in Node to 1e-12.
 */
import test from "ava";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startBrowserExample } from "../../examples/browser/server.js";
import { fitFaithful, runStream } from "../../examples/browser/fit.js";
import { ARTIFACTS, launch, shownValues, watch } from "./chromium.js";

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));

test.serial("the page fits the mixture and the stream in Chromium under a strict CSP, equal to the Node fit to 1e-12", async (t) => {
  const server = await startBrowserExample(0);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1000, height: 760 });
    const problems = await watch(page);
    const response = await page.goto(server.url, { waitUntil: "load" });
    t.regex(response!.headers()["content-security-policy"] ?? "", /script-src 'self'/);
    t.notRegex(response!.headers()["content-security-policy"] ?? "", /unsafe-eval|unsafe-inline/);
    await page.waitForSelector("#status[data-state='done'], #status[data-state='failed']", { timeout: 60_000 });
    t.is(await page.$eval("#status", (e) => e.textContent), "done");
    await page.screenshot({ path: join(ARTIFACTS, "browser-gmm.png"), fullPage: true });

    t.deepEqual(problems, []);
    // The policy is really in force: a string the page's own timers try to compile is refused.
    await page.evaluate(`setTimeout("window.__evalRan = true", 0)`);
    await new Promise((ok) => setTimeout(ok, 200));
    t.is(await page.evaluate("typeof window.__evalRan"), "undefined");
    t.true(problems.some((p) => p.startsWith("CSP violation: script-src") && p.includes("eval")), problems.join("; "));

    const shown = await shownValues(page);
    const csv = readFileSync(fileURLToPath(new URL("../../examples/data/faithful.csv", import.meta.url)), "utf8");
    const fit = fitFaithful(csv);
    const steps = await runStream();
    const expected: Record<string, number> = { elbo: fit.elbo.at(-1)! };
    fit.clusters.forEach((c, k) => {
      expected[`weight${k}`] = c.weight;
      expected[`mean${k}.0`] = c.mean[0];
      expected[`mean${k}.1`] = c.mean[1];
    });
    const last = steps.at(-1)!;
    expected["stream.step"] = last.step;
    expected["stream.elbo"] = last.elbo;
    last.mu.forEach((v, i) => (expected[`stream.mu${i}`] = v));
    t.deepEqual(Object.keys(shown).sort(), Object.keys(expected).sort());
    for (const [name, want] of Object.entries(expected)) {
      const got = Number(shown[name]);
      t.true(close(got, want), `${name}: page ${got}, Node ${want}`);
    }
    // Old Faithful has two clusters; the stream ran every batch.
    t.is(fit.clusters.length, 2);
    t.is(last.step, 30);
  } finally {
    await browser.close();
    await server.close();
  }
});
