/**
 * The packages' dist/ builds, as tests that use them need them: built by `pnpm test` before ava
 * runs; when a test file is run alone and a package's dist/ is missing or older than its sources,
 * it is rebuilt here (tsc -p tsconfig.build.json in dependency order).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The published packages, in dependency order. */
export const PACKAGES = ["core", "nodes", "runtime", "plugins"] as const;
export const PNPM = ["-y", "pnpm@10.34.9"] as const;

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function fresh(pkg: string): boolean {
  const out = join(ROOT, pkg, "dist", "index.js");
  return existsSync(out) && statSync(out).mtimeMs >= newest(join(ROOT, pkg, "src"));
}

/** Makes sure every package's dist/ is at least as new as its src/. */
export function ensureBuilt(): void {
  let stale = false;
  for (const pkg of PACKAGES) {
    // A package rebuilt after a dependency changed must be rebuilt too (its .d.ts may change).
    stale ||= !fresh(pkg);
    if (stale) execFileSync("npx", [...PNPM, "run", "build"], { cwd: join(ROOT, pkg), stdio: "pipe" });
  }
}
