/**
 * Headless Chromium for the browser tests: Debian's `chromium` (installed by .ci/run when
 * missing), driven by puppeteer-core. Every test starts and closes its own browser.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Screenshots and other artefacts of the browser tests (git-ignored). */
export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "..", "artifacts");

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with 'apt-get install -y chromium' (.ci/run does this) or set CHROMIUM_PATH.`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/** Collects page errors, console errors and CSP violations, so a test can assert there were none. */
export async function watch(page: Page): Promise<string[]> {
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e instanceof Error ? e.message : String(e)}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console.error: ${m.text()}`);
  });
  await page.exposeFunction("__reportViolation", (text: string) => problems.push(`CSP violation: ${text}`));
  // In-page code as a string: the tests type-check against Node's globals, not the DOM's.
  await page.evaluateOnNewDocument(
    "document.addEventListener('securitypolicyviolation', (e) => window.__reportViolation(e.violatedDirective + ' blocked ' + e.blockedURI));",
  );
  return problems;
}

/** Every `[data-name]` element's data-value, by name. */
export async function shownValues(page: Page): Promise<Record<string, string>> {
  return page.$$eval("[data-name]", (els) => Object.fromEntries(els.map((e) => [e.getAttribute("data-name")!, e.getAttribute("data-value")!])));
}
