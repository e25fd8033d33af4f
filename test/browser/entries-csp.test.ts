/**
 * The main entries of every package, whole (export *, so nothing is shaken out), bundled by esbuild
 * for the browser: the bundle must build with no Node built-in (esbuild refuses them for the
 * browser platform), and load in Chromium under `script-src 'self'` with no error and no CSP
 * violation (nothing compiled from strings at load). The Node-only subpath must not bundle.
 */
import test from "ava";
import { createServer } from "node:http";
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { STRICT_CSP, bundle } from "../../examples/browser/server.js";
import { ARTIFACTS, launch, watch } from "./chromium.js";

const ENTRY = `export * from "@vireo/core";
export * from "@vireo/nodes";
export * from "@vireo/runtime";
export * from "@vireo/plugins";
import * as runtime from "@vireo/runtime";
window.__vireoExports = Object.keys(runtime).length;
`;

test.serial("all four main entries bundle for the browser and load under a strict CSP; @vireo/runtime/node does not bundle", async (t) => {
  // Inside the test package, so the entry resolves @vireo/* through test/node_modules.
  mkdirSync(ARTIFACTS, { recursive: true });
  const dir = mkdtempSync(join(ARTIFACTS, "entries-"));
  writeFileSync(join(dir, "entry.js"), ENTRY);
  writeFileSync(join(dir, "node-entry.js"), `export * from "@vireo/runtime/node";`);
  try {
    const code = await bundle(join(dir, "entry.js"), { minify: true });
    const nodeErr = await t.throwsAsync(bundle(join(dir, "node-entry.js")));
    t.regex(nodeErr!.message, /node:fs|node:path|node:url/);

    const files: Record<string, [string, string]> = {
      "/": ["text/html", `<!doctype html><meta charset="utf-8"><script type="module" src="/all.js"></script><p id="x">loading</p>`],
      "/all.js": ["text/javascript", code],
    };
    const server = createServer((req, res) => {
      const f = files[req.url ?? "/"];
      if (!f) return void res.writeHead(req.url === "/favicon.ico" ? 204 : 404).end();
      res.writeHead(200, { "content-type": f[0], "content-security-policy": STRICT_CSP }).end(f[1]);
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const port = (server.address() as { port: number }).port;
    const browser = await launch();
    try {
      const page = await browser.newPage();
      const problems = await watch(page);
      await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: "load" });
      await page.waitForFunction("window.__vireoExports !== undefined", { timeout: 30_000 });
      t.true((await page.evaluate("window.__vireoExports")) as number > 50);
      t.deepEqual(problems, []);
    } finally {
      await browser.close();
      await new Promise<void>((ok) => server.close(() => ok()));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
