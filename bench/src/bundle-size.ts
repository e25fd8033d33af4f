/**
 * Browser bundle size of a minimal CAVI app (README's Normal–Gamma model: ModelBuilder + cavi),
 * bundled by esbuild for the browser from the packages' sources, minified, then gzipped (level 9).
 * Prints the total and the ten largest inputs by their share of the minified output, so what does
 * not earn its place shows up. Not a timing: one deterministic figure per run.
 */
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export async function bundleSize(): Promise<{ minified: number; gzipped: number }> {
  const entry = fileURLToPath(new URL("./bundle/minimal-cavi.ts", import.meta.url));
  const out = await build({
    entryPoints: [entry], bundle: true, write: false, format: "esm", platform: "browser", target: "es2022",
    conditions: ["@vireo/source"], minify: true, legalComments: "none", metafile: true, logLevel: "silent",
  });
  const code = out.outputFiles[0]!.contents;
  const gzipped = gzipSync(code, { level: 9 }).length;
  console.log(`minimal CAVI app (ModelBuilder + cavi, Normal–Gamma), esbuild --minify for the browser:`);
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
