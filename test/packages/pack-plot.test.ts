/**
 * @vireo/plot as a user gets it: @vireo/core and @vireo/plot are packed (`pnpm pack`, workspace
 * ranges resolved), installed with npm into an empty folder, and a plain `node app.mjs` draws a
 * chart (Vega-Lite → SVG → PNG through resvg, a native module) and an image grid (PNG bytes),
 * writing the files it names. The PNGs are checked by their signature and size.
 */
import test from "ava";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync, existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt, PNPM, ROOT } from "./dist.js";

const APP = `import { elboTrace, writeChart, imageGridPng } from "@vireo/plot";
import { writeFileSync } from "node:fs";
const written = await writeChart("pictures", "elbo", elboTrace([{ label: "fit", elbo: [-10, -6, -5.2, -5.1] }]));
const grid = imageGridPng(Float64Array.from({ length: 4 * 9 }, (_, i) => (i % 9) / 8), { rows: 2, cols: 2, width: 3, height: 3, scale: 2, gap: 1 });
writeFileSync("pictures/grid.png", grid);
console.log(JSON.stringify({ written, grid: grid.length }));
`;

function newer(dist: string, src: string): boolean {
  const newest = (d: string): number => readdirSync(d, { withFileTypes: true }).reduce((t, e) => Math.max(t, e.isDirectory() ? newest(join(d, e.name)) : statSync(join(d, e.name)).mtimeMs), 0);
  return existsSync(dist) && statSync(dist).mtimeMs >= newest(src);
}

test.serial("@vireo/plot packs, installs into an empty folder and draws a chart and an image grid from plain JavaScript", (t) => {
  // Packing, and installing vega and resvg from the registry, take minutes on a cold cache.
  t.timeout(10 * 60_000);
  ensureBuilt();
  const plot = join(ROOT, "plugins", "plot");
  if (!newer(join(plot, "dist", "index.js"), join(plot, "src"))) execFileSync("npx", [...PNPM, "run", "build"], { cwd: plot, stdio: "pipe" });
  const manifest = JSON.parse(readFileSync(join(plot, "package.json"), "utf8"));
  t.is(manifest.private, undefined);
  t.is(manifest.license, "MIT");
  const dir = mkdtempSync(join(tmpdir(), "vireo-pack-plot-"));
  try {
    execFileSync("npx", [...PNPM, "--filter", "@vireo/core", "--filter", "@vireo/plot", "pack", "--pack-destination", dir], { cwd: ROOT, stdio: "pipe" });
    const tarballs = ["core", "plot"].map((pkg) => {
      const tgz = readdirSync(dir).find((f) => f.startsWith(`vireo-${pkg}-`) && f.endsWith(".tgz"));
      t.truthy(tgz, `pnpm pack wrote no tarball for ${pkg}`);
      return join(dir, tgz!);
    });
    const app = join(dir, "app");
    execFileSync("mkdir", ["-p", app]);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "vireo-plot-consumer", private: true, type: "module" }));
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...tarballs], { cwd: app, stdio: "pipe" });
    const base = join(app, "node_modules", "@vireo", "plot");
    for (const f of ["dist/index.js", "dist/index.d.ts", "dist/image-grid.js", "LICENSE"]) t.true(existsSync(join(base, f)), `plot/${f}`);
    const deps = JSON.parse(readFileSync(join(base, "package.json"), "utf8")).dependencies ?? {};
    for (const [name, range] of Object.entries(deps)) t.false(String(range).startsWith("workspace:"), `plot → ${name}: ${range}`);

    writeFileSync(join(app, "app.mjs"), APP);
    const out = JSON.parse(execFileSync(process.execPath, ["app.mjs"], { cwd: app, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } }));
    const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
    for (const png of [join(app, out.written.png), join(app, "pictures", "grid.png")]) {
      const bytes = readFileSync(png);
      t.deepEqual([...bytes.subarray(0, 8)], signature, png);
    }
    t.true(readFileSync(join(app, out.written.svg), "utf8").startsWith("<svg"));
    // The grid: 2 × (3·2) + 1 pixels on each side.
    const grid = readFileSync(join(app, "pictures", "grid.png"));
    t.is(grid.readUInt32BE(16), 13);
    t.is(grid.readUInt32BE(20), 13);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
