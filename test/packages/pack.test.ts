/**
 * The packages as a user gets them: each is packed (`pnpm pack`, which writes the tarball npm
 * publishes, with `workspace:^` ranges resolved to versions; `npm pack` would leave them
 * unresolved), the four tarballs are installed with npm into an empty folder (third-party
 * dependencies from the npm registry, Vireo itself only from the tarballs), and a plain
 * JavaScript program run with `node` fits a model there. Its numbers must equal the fit from the
 * workspace sources bit for bit, and a TypeScript consumer must type-check against the shipped .d.ts.
 */
import test from "ava";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Normal, Gamma } from "@vireo/core";
import { NormalNode, GammaNode } from "@vireo/nodes";
import { ModelBuilder, cavi } from "@vireo/runtime";
import { ensureBuilt, PACKAGES, PNPM, ROOT } from "./dist.js";

const APP = `import { Normal, Gamma } from "@vireo/core";
import { NormalNode, GammaNode } from "@vireo/nodes";
import { ModelBuilder, cavi, fromCsvText } from "@vireo/runtime";
import { saveCheckpoint, loadCheckpoint } from "@vireo/runtime/node";
import { studentTPack } from "@vireo/plugins";
import * as conjugate from "@vireo/runtime/conjugate";

const m = new ModelBuilder();
const rows = m.plate("rows");
const mu = m.random("mu", Normal);
const tau = m.random("tau", Gamma);
m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
m.factor(GammaNode, { out: tau, shape: 1, rate: 1 });
const y = m.observed("y", Normal, { plate: rows });
m.factor(NormalNode, { out: y, mean: mu, precision: tau });
const result = cavi(m.build(), { data: { y: [4.9, 5.3, 6.1, 5.0] } });
console.log(JSON.stringify({
  mu: result.posteriors.mu.params(),
  tau: result.posteriors.tau.params(),
  elbo: result.elbo.at(-1),
  node: [typeof saveCheckpoint, typeof loadCheckpoint, typeof fromCsvText, typeof studentTPack],
  conjugateElbo: conjugate.cavi(m.build(), { data: { y: [4.9, 5.3, 6.1, 5.0] } }).elbo.at(-1),
}));
`;

const TYPED_APP = `import { Normal } from "@vireo/core";
import { NormalNode } from "@vireo/nodes";
import { ModelBuilder, cavi, type CaviResult } from "@vireo/runtime";
import { fromCsvFile } from "@vireo/runtime/node";
const m = new ModelBuilder();
const mu = m.random("mu", Normal);
m.factor(NormalNode, { out: mu, mean: 0, precision: 1 });
const result: CaviResult = cavi(m.build(), { data: {} });
const elbo: number = result.elbo[0]!;
const source = fromCsvFile("x.csv", { batchSize: 10 });
console.log(elbo, source);
`;

function workspaceFit() {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal);
  const tau = m.random("tau", Gamma);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
  m.factor(GammaNode, { out: tau, shape: 1, rate: 1 });
  const y = m.observed("y", Normal, { plate: rows });
  m.factor(NormalNode, { out: y, mean: mu, precision: tau });
  const result = cavi(m.build(), { data: { y: [4.9, 5.3, 6.1, 5.0] } });
  return { mu: result.posteriors.mu.params(), tau: result.posteriors.tau.params(), elbo: result.elbo.at(-1) };
}

test.serial("packed tarballs install into an empty folder and run a plain `node app.mjs` with the workspace's numbers", (t) => {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), "vireo-pack-"));
  try {
    for (const pkg of PACKAGES) {
      const manifest = JSON.parse(readFileSync(join(ROOT, pkg, "package.json"), "utf8"));
      t.is(manifest.private, undefined, `${pkg} must not be private`);
      t.is(manifest.sideEffects, false, `${pkg}: sideEffects`);
      t.is(manifest.license, "MIT", `${pkg}: licence`);
    }
    // One pnpm call packs them all.
    execFileSync("npx", [...PNPM, ...PACKAGES.flatMap((p) => ["--filter", `@vireo/${p}`]), "pack", "--pack-destination", dir], { cwd: ROOT, stdio: "pipe" });
    const tarballs = PACKAGES.map((pkg) => {
      const tgz = readdirSync(dir).find((f) => f.startsWith(`vireo-${pkg}-`) && f.endsWith(".tgz"));
      t.truthy(tgz, `pnpm pack wrote no tarball for ${pkg}`);
      return join(dir, tgz!);
    });
    const app = join(dir, "app");
    execFileSync("mkdir", ["-p", app]);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "vireo-consumer", private: true, type: "module" }));
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...tarballs], { cwd: app, stdio: "pipe" });

    // What the tarballs hold: ESM JavaScript, declarations and source maps, the licence; the
    // workspace ranges resolved to versions.
    for (const pkg of PACKAGES) {
      const base = join(app, "node_modules", "@vireo", pkg);
      for (const f of ["dist/index.js", "dist/index.d.ts", "dist/index.js.map", "dist/index.d.ts.map", "LICENSE"]) t.true(existsSync(join(base, f)), `${pkg}/${f}`);
      const deps = JSON.parse(readFileSync(join(base, "package.json"), "utf8")).dependencies ?? {};
      for (const [name, range] of Object.entries(deps)) t.false(String(range).startsWith("workspace:"), `${pkg} → ${name}: ${range}`);
    }
    t.true(existsSync(join(app, "node_modules", "@vireo", "runtime", "dist", "node.js")));

    writeFileSync(join(app, "app.mjs"), APP);
    const out = JSON.parse(execFileSync(process.execPath, ["app.mjs"], { cwd: app, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } }));
    const want = workspaceFit();
    t.deepEqual(out.mu, want.mu);
    t.deepEqual(out.tau, want.tau);
    t.is(out.elbo, want.elbo);
    // The conjugate-only entry ships too, and runs the same engine.
    t.is(out.conjugateElbo, want.elbo);
    t.deepEqual(out.node, ["function", "function", "function", "object"]);

    // A TypeScript consumer type-checks against the shipped declarations (no sources, no custom condition).
    writeFileSync(join(app, "typed.ts"), TYPED_APP);
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify({
      // No @types/node: the main entries' declarations must stand on the ES and DOM libraries alone.
      compilerOptions: { target: "ES2022", lib: ["ES2022", "DOM"], module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: false, types: [] },
      files: ["typed.ts"],
    }));
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    try {
      const out = execFileSync(process.execPath, [tsc, "-p", "."], { cwd: app, encoding: "utf8" });
      t.is(out.trim(), "", "tsc prints nothing when the consumer type-checks");
    } catch (e) {
      t.fail(`tsc on the consumer failed:\n${(e as { stdout?: string }).stdout ?? String(e)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
