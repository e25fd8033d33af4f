/**
 * Benchmark entry: `tsx src/run.ts [suite...]` runs the named suites, or every registered suite when
 * none is named. To add a suite, write `src/<name>.ts` exporting an async function and register it in
 * `suites` below: one line. Suites print their own figures; with `--json[=file]` the side-by-side
 * rows they record (report.ts: Vireo's figure, the peer's, the ratio) are also written to a JSON
 * file (default bench-results.json in the working directory).
 */
import { writeFileSync } from "node:fs";
import { startSuite, recordedRows } from "./report.js";
import { kernels } from "./kernels.js";
import { bbvi } from "./bbvi.js";
import { caviGmm } from "./cavi-gmm.js";
import { onlineStreaming, ldaSvi } from "./streaming.js";
import { timeseries } from "./timeseries.js";
import { bundleSize } from "./bundle-size.js";
import { distributed } from "./distributed.js";
import { families } from "./families.js";
import { distributedSim } from "./distributed-sim.js";
import { gp } from "./gp.js";
import { gpGraph } from "./gp-graph.js";
import { vaeSuite } from "./vae.js";
import { bnnSuite } from "./bnn.js";
import { lda } from "./lda.js";
import { gmmSklearn } from "./gmm-sklearn.js";

/** Every registered suite, by the name used on the command line. */
export const suites: Record<string, () => Promise<unknown>> = {
  kernels,
  "cavi-gmm": caviGmm,
  online: onlineStreaming,
  "lda-svi": ldaSvi,
  bbvi,
  timeseries,
  "bundle-size": bundleSize,
  distributed,
  families,
  "distributed-sim": distributedSim,
  gp,
  "gp-graph": gpGraph,
  vae: vaeSuite,
  bnn: bnnSuite,
  lda,
  "gmm-sklearn": gmmSklearn,
};

async function main(argv: string[]): Promise<number> {
  const json = argv.find((a) => a === "--json" || a.startsWith("--json="));
  const jsonFile = json === undefined ? null : json === "--json" ? "bench-results.json" : json.slice("--json=".length);
  const args = argv.filter((a) => a !== json);
  const names = args.length > 0 ? args : Object.keys(suites);
  const unknown = names.filter((n) => !Object.hasOwn(suites, n));
  if (unknown.length > 0) {
    console.error(`Unknown suite${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}. Available: ${Object.keys(suites).join(", ")}.`);
    return 2;
  }
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  for (const name of names) {
    const started = performance.now();
    startSuite(name);
    await suites[name]!();
    console.log(`suite "${name}" finished in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
  if (jsonFile !== null) {
    writeFileSync(jsonFile, JSON.stringify({ node: process.version, platform: `${process.platform}/${process.arch}`, date: new Date().toISOString(), rows: recordedRows() }, null, 2) + "\n");
    console.log(`${recordedRows().length} rows written to ${jsonFile}`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  },
);
