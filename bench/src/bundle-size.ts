/**
 * Browser bundle size of a minimal CAVI app (README's Normal–Gamma model: ModelBuilder + cavi),
 * bundled by esbuild for the browser from the packages' sources, minified, then gzipped (level 9),
 * twice: through `@vireo/runtime` (the whole engine: gradient-fitted variables, density nodes,
 * worker threads) and through `@vireo/runtime/conjugate` (the closed-form engine alone). Prints
 * the totals and the ten largest parts of each, so what does not earn its place shows up. Not a
 * timing: one deterministic figure per run.
 */
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

interface Size { minified: number; gzipped: number }

async function measure(file: string, label: string): Promise<Size> {
  const entry = fileURLToPath(new URL(`./bundle/${file}`, import.meta.url));
  const out = await build({
    entryPoints: [entry], bundle: true, write: false, format: "esm", platform: "browser", target: "es2022",
    conditions: ["@vireo/source"], minify: true, legalComments: "none", metafile: true, logLevel: "silent",
  });
  const code = out.outputFiles[0]!.contents;
  const gzipped = gzipSync(code, { level: 9 }).length;
  console.log(`minimal CAVI app (ModelBuilder + cavi, Normal–Gamma) from ${label}, esbuild --minify for the browser:`);
  console.log(`  minified ${(code.length / 1024).toFixed(1)} KiB, minified+gzipped ${(gzipped / 1024).toFixed(1)} KiB`);
  const inputs = Object.entries(Object.values(out.metafile.outputs)[0]!.inputs)
    .map(([path, v]) => [path.replace(/.*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, ""), v.bytesInOutput] as const);
  const byPackage = new Map<string, number>();
  for (const [path, bytes] of inputs) {
    const key = path.startsWith("@") ? path.split("/").slice(0, 2).join("/") : path.includes("/src/") && !path.startsWith(".") ? path.split("/")[0]! : path.split("/").slice(0, path.startsWith("..") ? 4 : 2).join("/");
    byPackage.set(key, (byPackage.get(key) ?? 0) + bytes);
  }
  console.log("  largest parts of the minified output:");
  for (const [name, bytes] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 10)) {
    console.log(`    ${(bytes / 1024).toFixed(1).padStart(6)} KiB  ${name}`);
  }
  return { minified: code.length, gzipped };
}

export async function bundleSize(): Promise<{ minified: number; gzipped: number; conjugateMinified: number; conjugateGzipped: number }> {
  const whole = await measure("minimal-cavi.ts", "@vireo/runtime");
  const conjugate = await measure("minimal-cavi-conjugate.ts", "@vireo/runtime/conjugate");
  console.log(`conjugate entry / whole engine, gzipped: ${(conjugate.gzipped / whole.gzipped).toFixed(2)}`);
  return { ...whole, conjugateMinified: conjugate.minified, conjugateGzipped: conjugate.gzipped };
}
