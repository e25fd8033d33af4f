/**
 * Prints each catalogue row's verdict against the code as it is (PASS: the documented VireoError
 * naming the culprit; FAIL: what happened instead). Used to show that the catalogue rows fail on a
 * revision without the fixes and pass with them:
 *   cd test && npx tsx reliability/verdicts.ts [--skip-hangs]
 * `--skip-hangs` leaves out rows that hang on such a revision (they cannot be interrupted in-process).
 */
import { VireoError } from "@vireo/core";
import { failureOf, type Row } from "./catalogue.js";
import dataRows from "./rows-data.js";
import modelRows from "./rows-model.js";
import optionRows from "./rows-options.js";
import streamRows from "./rows-streams.js";
import checkpointRows from "./rows-checkpoints.js";

const skipHangs = process.argv.includes("--skip-hangs");
const all: Row[] = [...dataRows, ...modelRows, ...optionRows, ...streamRows, ...checkpointRows];
let pass = 0, fail = 0;
for (const row of all) {
  if (skipHangs && row.id.includes("was a hang")) {
    console.log(`HANG ${row.id}`);
    fail++;
    continue;
  }
  const e = await failureOf(row.run);
  let why = "";
  if (e === undefined) why = "accepted silently";
  else if (!(e instanceof VireoError)) why = `${(e as Error)?.name ?? typeof e}: ${String((e as Error)?.message ?? e).slice(0, 100)}`;
  else if (e.code !== row.code) why = `code ${e.code}, expected ${row.code}: ${e.message.slice(0, 100)}`;
  else {
    const missing = row.names.filter((n) => (typeof n === "string" ? !e.message.includes(n) : !n.test(e.message)));
    if (missing.length > 0) why = `message lacks ${missing.map(String).join(", ")}: ${e.message.slice(0, 120)}`;
  }
  if (why === "") pass++;
  else fail++;
  console.log(`${why === "" ? "PASS" : "FAIL"} ${row.id}${why ? ` — ${why.replace(/\n/g, " ")}` : ""}`);
}
console.log(`${pass} pass, ${fail} fail of ${all.length}`);
