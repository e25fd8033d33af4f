/**
 * Catalogue rows: streams and sources — malformed batches under "error" and "skip", source rows
 * with non-numbers, field widths that do not fit the variable, empty batches, SVI batches larger
 * than N, and streams whose every batch is skipped.
 */
import { from, Observable, map, toArray } from "rxjs";
import { Normal, VireoError } from "@vireo/core";
import { NormalNode } from "@vireo/nodes";
import { ModelBuilder, online, svi, fromArrays, fromCsvText, fromNdjsonText, type BatchInput } from "@vireo/runtime";
import { normalModel, normalMeanModel, type Row } from "./catalogue.js";

const rows: Row[] = [];
const row = (id: string, run: () => unknown, code: Row["code"], names: Row["names"]) => rows.push({ id: `streams/${id}`, run, code, names });
const batches = (...b: unknown[]) => from(b as BatchInput[]);

// Malformed batches, each through online (error mode), online (skip mode, the only batch) and svi.
const badBatches: readonly [string, unknown, Row["names"]][] = [
  ["null inside a batch column", { y: [1, null, 3] }, ["Batch 0", "field 'y'", "row 1", "null"]],
  ["true inside a batch column", { y: [1, true, 3] }, ["Batch 0", "field 'y'", "row 1", "boolean true"]],
  ["false inside a batch column", { y: [false, 2] }, ["Batch 0", "field 'y'", "row 0", "boolean false"]],
  ["a string inside a batch column", { y: ["2", 2] }, ["Batch 0", "field 'y'", "row 0", "string"]],
  ["NaN inside a batch column", { y: [1, NaN] }, ["Batch 0", "field 'y'", "row 1"]],
  ["an empty batch column (was: natural parameter 0 is NaN)", { y: [] }, ["Batch 0", "field 'y'", /no rows|is empty/]],
  ["an empty Float64Array batch column", { y: new Float64Array(0) }, ["Batch 0", "field 'y'", /no rows|is empty/]],
  ["an unknown field", { y: [1], z: [2] }, ["Batch 0", "field 'z'"]],
  ["the field missing", { x: [1] }, ["Batch 0", "'x'"]],
  ["a field named __proto__", JSON.parse('{"y":[1],"__proto__":[2]}'), ["Batch 0", "'__proto__'"]],
  ["a batch that is null (was a TypeError in isSourceBatch)", null, ["Batch 0", "null"]],
  ["a batch that is a number", 5, ["Batch 0", "number"]],
  ["rows of 2 for a scalar field", { y: [[1, 2]] }, ["Batch 0", "field 'y'", "expected 1 value per row, got 2"]],
];
for (const [what, batch, names] of badBatches) {
  row(`online, error mode: ${what}`, () => batches(batch).pipe(online(normalMeanModel())), "INVALID_BATCH", names);
  row(`online, skip mode, every batch bad: ${what}`, () => batches(batch).pipe(online(normalMeanModel(), { onInvalid: "skip" })), "INVALID_BATCH", ["every one of its 1 batches skipped", "'skipped'"]);
  row(`svi, error mode: ${what}`, () => batches(batch).pipe(svi(normalMeanModel(), { totalRows: 100 })), "INVALID_BATCH", names);
}
row("online, skip mode, three bad batches and no reporter (README snippet)", () => batches({ y: [null] }, { y: [true] }, null).pipe(online(normalModel(), { onInvalid: "skip" })), "INVALID_BATCH", ["every one of its 3 batches skipped"]);
row("svi, skip mode, every batch bad", () => batches({ y: [NaN] }, { y: [] }).pipe(svi(normalMeanModel(), { totalRows: 10, onInvalid: "skip" })), "INVALID_BATCH", ["every one of its 2 batches skipped"]);
row("svi batch larger than N", () => batches({ y: [1, 2, 3, 4] }).pipe(svi(normalMeanModel(), { totalRows: 3 })), "INVALID_BATCH", ["4 rows of plate 'rows'", "N = 3"]);
row("svi batch larger than N on a later batch", () => batches({ y: [1] }, { y: [1, 2, 3, 4, 5] }).pipe(svi(normalMeanModel(), { totalRows: 4 })), "INVALID_BATCH", ["5 rows", "N = 4"]);

// Duplicate deliveries of a source batch: never fitted twice.
const sourceBatch = (index: number, y: number[]) => ({ index, epoch: 0, rows: y.length, data: { y: Float64Array.from(y) }, widths: { y: 1 } });
row("a source batch id delivered twice", () => batches(sourceBatch(0, [1]), sourceBatch(1, [2]), sourceBatch(1, [2])).pipe(online(normalMeanModel())), "INVALID_BATCH", ["Batch 2", "source batch id 1 was delivered again"]);
row("a source batch id delivered twice into svi", () => batches(sourceBatch(7, [1]), sourceBatch(7, [1])).pipe(svi(normalMeanModel(), { totalRows: 10 })), "INVALID_BATCH", ["Batch 1", "source batch id 7"]);
row("every batch a duplicate of the first, under skip: only one fitted", () => batches(sourceBatch(0, [1]), sourceBatch(0, [1])).pipe(online(normalMeanModel(), { onInvalid: "skip" }), map((s) => {
  if (s.step !== 1) throw new Error("a duplicate was fitted");
  return s;
}), toArray(), map(() => { throw new VireoError("INVALID_BATCH", "sentinel: only the first was fitted (batch 0)"); })), "INVALID_BATCH", ["sentinel"]);

// Source batches whose widths do not fit the variables.
row("2-wide CSV field into a scalar variable (was: rows silently doubled)", () => fromCsvText("a,b\n1,2\n3,4\n", { batchSize: 10, columns: { y: ["a", "b"] } }).pipe(online(normalMeanModel())), "INVALID_BATCH", ["field 'y'", "expected 1 value per row, got 2"]);
row("2-wide NDJSON field into a scalar variable", () => fromNdjsonText('{"y":[1,2]}\n{"y":[3,4]}\n', { batchSize: 10 }).pipe(online(normalMeanModel())), "INVALID_BATCH", ["field 'y'", "expected 1 value per row, got 2"]);
row("2-wide fromArrays column into a scalar variable", () => fromArrays({ y: [[1, 2], [3, 4]] }, { batchSize: 2 }).pipe(svi(normalMeanModel(), { totalRows: 10 })), "INVALID_BATCH", ["field 'y'", "expected 1 value per row, got 2"]);
row("2-wide source field into a scalar under skip: nothing fitted", () => fromCsvText("a,b\n1,2\n", { batchSize: 10, columns: { y: ["a", "b"] } }).pipe(online(normalMeanModel(), { onInvalid: "skip" })), "INVALID_BATCH", ["every one of its 1 batches skipped"]);
row("CSV column '__proto__' feeding an unknown field", () => fromCsvText("__proto__\n1\n", { batchSize: 10 }).pipe(online(normalMeanModel())), "INVALID_BATCH", ["'__proto__'"]);
row("CSV column 'constructor' feeding an unknown field", () => fromCsvText("constructor\n1\n", { batchSize: 10 }).pipe(online(normalMeanModel())), "INVALID_BATCH", ["'constructor'"]);

// Source rows (CSV / NDJSON / arrays): non-numbers are errors naming line and field.
const csv: readonly [string, string, Row["names"]][] = [
  ["a word in a numeric CSV column", "y\n1\nabc\n", ["line 3", "field 'y'", '"abc"']],
  ["an empty CSV value", "y,z\n1,\n", ["line 2", "field 'z'", "empty"]],
  ["'null' in a CSV column", "y\nnull\n", ["line 2", "field 'y'"]],
  ["'true' in a CSV column", "y\ntrue\n", ["line 2", "field 'y'"]],
  ["'NaN' in a CSV column", "y\nNaN\n", ["line 2", "field 'y'"]],
  ["a CSV row with too many fields", "y\n1,2\n", ["line 2", "2 fields"]],
  ["a CSV row with too few fields", "y,z\n1\n", ["line 2", "field 'z'"]],
  ["an unclosed quote", 'y\n"1\n', ["line 2", "closing quote"]],
  ["text after a closing quote", 'y\n"1"x\n', ["line 2", "after the closing quote"]],
];
for (const [what, text, names] of csv) row(`CSV: ${what}`, () => fromCsvText(text, { batchSize: 10 }), "INVALID_BATCH", names);
row("CSV text that is empty (no header)", () => fromCsvText("", { batchSize: 10 }), "INVALID_DATA", ["no header line"]);
row("CSV header with a duplicate column", () => fromCsvText("y,y\n1,2\n", { batchSize: 10 }), "INVALID_DATA", ["'y' appears twice"]);
row("CSV columns option naming a missing column", () => fromCsvText("a\n1\n", { batchSize: 10, columns: ["b"] }), "INVALID_DATA", ["no column 'b'"]);
const ndjson: readonly [string, string, Row["names"]][] = [
  ["null value", '{"y":1}\n{"y":null}\n', ["line 2", "field 'y'", "null"]],
  ["boolean value", '{"y":1}\n{"y":true}\n', ["line 2", "field 'y'", "boolean"]],
  ["string value", '{"y":1}\n{"y":"2"}\n', ["line 2", "field 'y'", "string"]],
  ["missing key", '{"y":1}\n{"z":2}\n', ["line 2", "field 'y'", "missing"]],
  ["invalid JSON", '{"y":1}\n{y:2}\n', ["line 2", "not valid JSON"]],
  ["an array line", '{"y":1}\n[1]\n', ["line 2", "an array"]],
  ["a vector of the wrong width", '{"y":[1,2]}\n{"y":[1]}\n', ["line 2", "field 'y'", "array of 2"]],
  ["null inside a vector", '{"y":[1,2]}\n{"y":[1,null]}\n', ["line 2", "y[1]", "null"]],
  ["boolean inside a vector", '{"y":[1,2]}\n{"y":[false,2]}\n', ["line 2", "y[0]", "false"]],
  ["null in the first record", '{"y":null}\n', ["line 1", "field 'y'", "null"]],
];
for (const [what, text, names] of ndjson) row(`NDJSON: ${what}`, () => fromNdjsonText(text, { batchSize: 10 }), "INVALID_BATCH", names);
const arrays: readonly [string, unknown, Row["names"]][] = [
  ["null in a column", { y: [1, null] }, ["column 'y'", "row 1", "null"]],
  ["boolean in a column", { y: [true, 1] }, ["column 'y'", "row 0", "true"]],
  ["string in a column", { y: ["1"] }, ["column 'y'", "row 0"]],
  ["NaN in a Float64Array column", { y: Float64Array.of(1, NaN) }, ["column 'y'", "row 1"]],
  ["null inside a vector row", { y: [[1, 2], [null, 2]] }, ["column 'y'", "row 1"]],
  ["ragged vector rows", { y: [[1, 2], [3]] }, ["column 'y'", "row 1", "array of 1"]],
  ["columns of different lengths", { y: [1, 2], z: [1] }, ["column 'z'", "1 rows"]],
  ["an empty column", { y: [] }, ["column 'y'", "no rows"]],
  ["no columns at all", {}, ["columns is empty"]],
  ["columns given as an array", [[1, 2]], ["columns must be a record"]],
  ["a column given as a string", { y: "123" }, ["column 'y'", '"123"']],
];
for (const [what, cols, names] of arrays) row(`fromArrays: ${what}`, () => fromArrays(cols as never, { batchSize: 2 }), "INVALID_DATA", names);

// A source that errors mid-stream: its error passes through unchanged (not swallowed by skip mode).
row("a source that errors after one good batch, under skip", () => new Observable<BatchInput>((s) => {
  s.next({ y: [1] });
  s.error(new (class extends Error {})("disk gone"));
}).pipe(online(normalMeanModel(), { onInvalid: "skip" })), "INVALID_BATCH", []);
rows.pop(); // a foreign error is not a VireoError; the fault-injection test checks it passes through unchanged

// A model whose data plate is named like a prototype property streams as an ordinary name.
row("stream into a plate named 'constructor' with a null", () => {
  const m = new ModelBuilder();
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 1 });
  m.factor(NormalNode, { out: m.observed("toString", Normal, { plate: m.plate("constructor") }), mean: mu, precision: 1 });
  return batches({ toString: [1, null] }).pipe(online(m.build()));
}, "INVALID_BATCH", ["field 'toString'", "row 1"]);

export default rows;
