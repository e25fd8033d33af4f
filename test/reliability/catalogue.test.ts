/**
 * The reliability catalogue as one table-driven test: every row must fail with its VireoError
 * code and a message naming the culprit. The table must hold at least 250 kinds of bad input.
 */
import test from "ava";
import { VireoError } from "@vireo/core";
import { failureOf, type Row } from "./catalogue.js";
import dataRows from "./rows-data.js";
import modelRows from "./rows-model.js";
import optionRows from "./rows-options.js";
import streamRows from "./rows-streams.js";
import checkpointRows from "./rows-checkpoints.js";
import deepRows from "./rows-deep.js";
import bnnRows from "./rows-bnn.js";
import gpRows from "./rows-gp.js";

const all: Row[] = [...dataRows, ...modelRows, ...optionRows, ...streamRows, ...checkpointRows, ...deepRows, ...bnnRows, ...gpRows];

test("the catalogue holds at least 250 kinds of bad input, each with a unique id", (t) => {
  t.true(all.length >= 250, `${all.length} rows`);
  t.is(new Set(all.map((r) => r.id)).size, all.length);
});

for (const row of all) {
  test(row.id, async (t) => {
    const e = await failureOf(row.run);
    if (!(e instanceof VireoError)) {
      t.fail(e === undefined ? "no error: the bad input was accepted" : `not a VireoError: ${String((e as Error)?.stack ?? e)}`);
      return;
    }
    t.is(e.code, row.code, e.message);
    for (const n of row.names) {
      if (typeof n === "string") t.true(e.message.includes(n), `message lacks ${JSON.stringify(n)}: ${e.message}`);
      else t.regex(e.message, n);
    }
  });
}
