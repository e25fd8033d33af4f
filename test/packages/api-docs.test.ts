/** The API docs script (typedoc) builds HTML pages for the public entries, Posterior and cavi included. */
import test from "ava";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./dist.js";

test.serial("typedoc writes the API docs with the documented classes and functions", (t) => {
  const out = mkdtempSync(join(tmpdir(), "vireo-api-"));
  try {
    const run = spawnSync(process.execPath, [join(ROOT, "node_modules", "typedoc", "bin", "typedoc"), "--options", "typedoc.json", "--out", out], { cwd: ROOT, encoding: "utf8" });
    t.is(run.status, 0, run.stdout + run.stderr);
    t.true(existsSync(join(out, "index.html")));
    const posterior = readFileSync(join(out, "classes", "runtime_src.Posterior.html"), "utf8");
    t.regex(posterior, /typed by its family/);
    t.true(existsSync(join(out, "functions", "runtime_src.cavi.html")));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
