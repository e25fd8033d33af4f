import test from "ava";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { once } from "node:events";
import { syncBuiltinESMExports } from "node:module";
import { Observable, Subject, config, lastValueFrom, take, takeWhile, tap, toArray } from "rxjs";
import { Generator, isVireoError } from "@vireo/core";
import {
  fromArrays, fromCsvText, fromNdjsonText, batchToBinding,
  type Minibatch, type SkippedRow,
} from "@vireo/runtime";
import { fromCsvFile, fromNdjsonFile } from "@vireo/runtime/node";

// Spy on every read stream the sources open (node:fs named imports follow syncBuiltinESMExports).
const streams: { path: string; stream: fs.ReadStream }[] = [];
const realCreateReadStream = fs.createReadStream;
(fs as { createReadStream: typeof fs.createReadStream }).createReadStream = ((p: fs.PathLike, o?: Parameters<typeof fs.createReadStream>[1]) => {
  const stream = realCreateReadStream(p, o);
  streams.push({ path: String(p), stream });
  return stream;
}) as typeof fs.createReadStream;
syncBuiltinESMExports();
const streamsOf = (p: string) => streams.filter((s) => s.path === p).map((s) => s.stream);
/** Runs `subscribe` (which must subscribe synchronously) and returns its result with the stream it opened. */
function opening<T>(subscribe: () => T): [T, fs.ReadStream] {
  const k = streams.length, result = subscribe();
  if (streams.length !== k + 1) throw new Error(`expected one read stream to be opened, got ${streams.length - k}`);
  return [result, streams[k]!.stream];
}

// RxJS reports (on a timer) every notification a source sends to a subscriber that has already
// unsubscribed or stopped: the count of work done after unsubscribe. Correct sources send none,
// so one counter for the whole file is enough.
let late = 0;
config.onStoppedNotification = () => late++;
const lateNotifications = async () => {
  await new Promise((r) => setTimeout(r, 50));
  return late;
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vireo-sources-"));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const writeTemp = (content: string, ext = "csv") => {
  const p = path.join(dir, `f${fileNo++}.${ext}`);
  fs.writeFileSync(p, content);
  return p;
};
const all = (o: Observable<Minibatch>) => lastValueFrom(o.pipe(toArray()), { defaultValue: [] as Minibatch[] });
const values = (b: Minibatch, f: string) => Array.from(b.data[f]!);
const concat = (bs: readonly Minibatch[], f: string) => bs.flatMap((b) => values(b, f));

/** The error a source delivers on its error channel (fails if it throws synchronously or completes). */
function errorOf(o: Observable<unknown>): Promise<Error & { code?: string }> {
  return new Promise((resolve, reject) => {
    try {
      o.subscribe({ error: resolve, complete: () => reject(new Error("the stream completed instead of failing")) });
    } catch (e) {
      reject(new Error(`the source threw synchronously instead of erroring the stream: ${String(e)}`));
    }
  });
}

const austen = (f: string) => new URL(`../../../examples/data/${f}`, import.meta.url);

// ---------------------------------------------------------------- fromArrays

test("fromArrays: batches in order, remainder last, widths and nested columns, frozen batches", async (t) => {
  const x = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const v = x.map((i) => [10 * i, 10 * i + 1]);
  const c = Int32Array.from(x, (i) => i % 3);
  const bs = await all(fromArrays({ x, v, c }, { batchSize: 4 }));
  t.deepEqual(bs.map((b) => [b.index, b.epoch, b.rows]), [[0, 0, 4], [1, 0, 4], [2, 0, 2]]);
  t.deepEqual(bs[0]!.widths, { x: 1, v: 2, c: 1 });
  t.deepEqual(concat(bs, "x"), x);
  t.deepEqual(concat(bs, "v"), v.flat());
  t.deepEqual(concat(bs, "c"), Array.from(c));
  t.true(bs.every((b) => b.data.x instanceof Float64Array && b.data.v!.length === 2 * b.rows));
  t.true(Object.isFrozen(bs[0]) && Object.isFrozen(bs[0]!.data) && Object.isFrozen(bs[0]!.widths));
  // Batches own their buffers: a second subscription's batches are new arrays with the same values.
  const again = await all(fromArrays({ x, v, c }, { batchSize: 4 }));
  t.not(again[0]!.data.x, bs[0]!.data.x);
  t.deepEqual(again.map((b) => concat([b], "v")), bs.map((b) => concat([b], "v")));
});

test("fromArrays: epochs continue the batch index; batchToBinding gives [rows] and [rows, width] shapes", async (t) => {
  const bs = await all(fromArrays({ y: new Float64Array([1, 2, 3]), v: [[1, 2], [3, 4], [5, 6]] }, { batchSize: 2, epochs: 3 }));
  t.deepEqual(bs.map((b) => [b.index, b.epoch, b.rows]), [[0, 0, 2], [1, 0, 1], [2, 1, 2], [3, 1, 1], [4, 2, 2], [5, 2, 1]]);
  const binding = batchToBinding(bs[0]!);
  t.is(binding.y, bs[0]!.data.y);
  const v = binding.v as { shape: number[]; get(i: number, j: number): number };
  t.deepEqual(v.shape, [2, 2]);
  t.is(v.get(1, 0), 3);
  t.is(v.get(1, 1), 4);
});

test("fromArrays: shuffling is reproducible per seed, keeps rows aligned and visits every row once per epoch", async (t) => {
  const n = 103, x = Array.from({ length: n }, (_, i) => i), pair = x.map((i) => [i, -i]);
  const run = (seed: number) => all(fromArrays({ x, pair }, { batchSize: 10, shuffle: true, seed, epochs: 3 }));
  const a = await run(7), b = await run(7), c = await run(8);
  t.deepEqual(a.map((m) => values(m, "x")), b.map((m) => values(m, "x")));
  t.notDeepEqual(concat(a, "x"), concat(c, "x"));
  const epochs = [0, 1, 2].map((e) => concat(a.filter((m) => m.epoch === e), "x"));
  for (const order of epochs) t.deepEqual([...order].sort((p, q) => p - q), x);
  t.notDeepEqual(epochs[0], x);
  t.notDeepEqual(epochs[0], epochs[1]);
  t.deepEqual(a.map((m) => m.rows), [0, 1, 2].flatMap(() => [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3]));
  const pairs = concat(a, "pair");
  t.true(concat(a, "x").every((xi, r) => pairs[2 * r] === xi && pairs[2 * r + 1] === -xi));
  // Cold: the same Observable replays the same order on each subscription.
  const src = fromArrays({ x }, { batchSize: 50, shuffle: true, seed: 3 });
  t.deepEqual(concat(await all(src), "x"), concat(await all(src), "x"));
});

test("fromArrays: unequal row counts, bad values and bad options are VireoErrors naming the culprit", (t) => {
  const e = t.throws(() => fromArrays({ x: [1, 2, 3], y: new Float64Array(2) }, { batchSize: 1 }));
  t.true(isVireoError(e, "INVALID_DATA"));
  t.regex(e!.message, /column 'y' has 2 rows but column 'x' has 3/);
  t.regex(t.throws(() => fromArrays({ v: [[1, 2], [3]] }, { batchSize: 1 }))!.message, /column 'v': row 1 is an array of 1, expected an array of 2/);
  t.regex(t.throws(() => fromArrays({ x: [1, Number.NaN] }, { batchSize: 1 }))!.message, /column 'x', row 1 is NaN/);
  t.regex(t.throws(() => fromArrays({ x: [] }, { batchSize: 1 }))!.message, /column 'x' has no rows/);
  t.regex(t.throws(() => fromArrays({}, { batchSize: 1 }))!.message, /columns is empty/);
  for (const [opts, name] of [[{ batchSize: 0 }, "batchSize"], [{ batchSize: 2, epochs: 1.5 }, "epochs"], [{ batchSize: 2, seed: 0.5 }, "seed"]] as const) {
    const err = t.throws(() => fromArrays({ x: [1] }, opts));
    t.true(isVireoError(err, "INVALID_OPTION"), name);
    t.regex(err!.message, new RegExp(`option '${name}'`));
  }
});

test("fromArrays: a million one-row batches consumed synchronously do not grow the stack", (t) => {
  const n = 1_000_000, x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = i;
  let count = 0, sum = 0, done = false;
  fromArrays({ x }, { batchSize: 1 }).subscribe({
    next: (b) => {
      count++;
      sum += b.data.x![0]!;
    },
    complete: () => (done = true),
  });
  t.true(done, "completes synchronously");
  t.is(count, n);
  t.is(sum, (n * (n - 1)) / 2);
});

test("fromArrays: unsubscribing stops the work, even with endless epochs", async (t) => {
  const x = new Float64Array(1_000_000);
  let seen = 0;
  const got = await all(fromArrays({ x }, { batchSize: 1, shuffle: true }).pipe(tap(() => seen++), takeWhile(() => seen < 3)));
  t.is(got.length, 2);
  t.is(seen, 3);
  t.is(await lateNotifications(), 0, "no batch is emitted after the consumer unsubscribes");
  if (late !== 0) return; // an endless source that ignored unsubscription would never return below
  seen = 0;
  const endless = await all(fromArrays({ x: [1, 2, 3] }, { batchSize: 2, epochs: Infinity }).pipe(tap(() => seen++), take(5)));
  t.deepEqual(endless.map((b) => b.epoch), [0, 0, 1, 1, 2]);
  t.is(seen, 5);
  t.is(await lateNotifications(), 0);
});

// ---------------------------------------------------------------- CSV

const faithfulish = '\uFEFFid,eruptions,"waiting",note,label\r\n' +
  '1,3.6,79,"long, then short",1\r\n' +
  '\r\n' +
  '2, 1.8 ,"54","",0\r\n' +
  '3,3.333,74,"say ""hi""",1\r\n' +
  '4,-2.5e-1,62,plain,0'; // no final newline

test("fromCsvText: grouping into vector fields, renaming, quoted fields, CRLF, blank lines, no final newline", async (t) => {
  const bs = await all(fromCsvText(faithfulish, { batchSize: 3, columns: { x: ["eruptions", "waiting"], y: "label" } }));
  t.deepEqual(bs.map((b) => b.rows), [3, 1]);
  t.deepEqual(bs[0]!.widths, { x: 2, y: 1 });
  t.deepEqual(concat(bs, "x"), [3.6, 79, 1.8, 54, 3.333, 74, -0.25, 62]);
  t.deepEqual(concat(bs, "y"), [1, 0, 1, 0]);
  t.deepEqual(Object.keys(bs[0]!.data), ["x", "y"]);
  // Selecting by name keeps the names; no header line with header: [names]; another delimiter.
  const sel = await all(fromCsvText(faithfulish, { batchSize: 10, columns: ["label", "id"] }));
  t.deepEqual([concat(sel, "label"), concat(sel, "id")], [[1, 0, 1, 0], [1, 2, 3, 4]]);
  const headless = await all(fromCsvText("1;2\n3;4\n", { batchSize: 10, delimiter: ";", header: ["a", "b"] }));
  t.deepEqual([concat(headless, "a"), concat(headless, "b")], [[1, 3], [2, 4]]);
  // Every column by default, a trailing newline, a header-only input gives no batches.
  t.deepEqual(concat(await all(fromCsvText("a\n1\n2\n", { batchSize: 1 })), "a"), [1, 2]);
  t.deepEqual(await all(fromCsvText("a,b\n", { batchSize: 1 })), []);
  // Parsing stops at unsubscribe.
  const many = `v\n${"1\n".repeat(100_000)}`;
  t.is((await all(fromCsvText(many, { batchSize: 1 }).pipe(take(2)))).length, 2);
  t.is(await lateNotifications(), 0);
});

test("fromCsvText: numbers parse exactly like Number()", async (t) => {
  const g = new Generator(11), texts: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const x = (g.uniform() - 0.5) * 10 ** (g.integer(40) - 20);
    texts.push(String(x), x.toFixed(g.integer(12)), x.toExponential(g.integer(20)), x.toPrecision(1 + g.integer(21)));
  }
  texts.push("0", "-0", "+7", ".5", "5.", "1e22", "1e23", "123456789012345678", "0.1", "1E-7", "9007199254740993", "4.9e-324", "1.7976931348623157e308");
  const bs = await all(fromCsvText(`v\n${texts.join("\n")}\n`, { batchSize: 1000 }));
  const got = concat(bs, "v");
  t.is(got.length, texts.length);
  const wrong = texts.filter((s, i) => !Object.is(got[i], Number(s)));
  t.deepEqual(wrong, []);
});

test("fromCsvText: a malformed row errors with INVALID_BATCH naming line, field and text; skip mode reports it", async (t) => {
  const text = "a,b\n1,2\n\n3,x7\n5,6\n7\n8,9,10\n11,\"12\n13,14";
  const e = await errorOf(fromCsvText(text, { batchSize: 2 }));
  t.true(isVireoError(e, "INVALID_BATCH"));
  t.regex(e.message, /^CSV text, line 4, field 'b': expected a finite number; the text is "x7"/);
  t.regex(e.message, /onInvalid: "skip"/);
  t.deepEqual((e as { context?: unknown }).context, { batch: 0, field: "b" });

  const reports: SkippedRow[] = [];
  const bs = await all(fromCsvText(text, { batchSize: 2, onInvalid: "skip", skipped: (r) => reports.push(r) }));
  t.deepEqual(concat(bs, "a"), [1, 5, 13]);
  t.deepEqual(concat(bs, "b"), [2, 6, 14]);
  t.deepEqual(reports.map((r) => [r.line, r.field]), [[4, "b"], [6, "b"], [7, ""], [8, "b"]]);
  t.is(reports[0]!.text, "x7");
  t.is(reports[0]!.source, "CSV text");
  t.regex(reports[1]!.reason, /1 fields but there are 2 columns \(a, b\)/);
  t.regex(reports[2]!.reason, /3 fields/);
  t.regex(reports[3]!.reason, /no closing quote/);
  t.true(Object.isFrozen(reports[0]));
  // An empty value is named as such.
  t.regex((await errorOf(fromCsvText("a,b\n1,\n", { batchSize: 1 }))).message, /line 2, field 'b': the value is empty/);
});

test("fromCsvText: a header without a selected column, or an empty input, is INVALID_DATA; bad options throw INVALID_OPTION", async (t) => {
  const e = await errorOf(fromCsvText("a,b\n1,2\n", { batchSize: 1, columns: { x: ["a", "c"] } }));
  t.true(isVireoError(e, "INVALID_DATA"));
  t.regex(e.message, /line 1 \(header\): there is no column 'c' \(wanted for field 'x'\); the columns are \[a, b\]/);
  t.regex((await errorOf(fromCsvText("a,a\n1,2\n", { batchSize: 1 }))).message, /column 'a' appears twice/);
  t.regex((await errorOf(fromCsvText("\n\n", { batchSize: 1 }))).message, /has no header line/);
  const bad = [
    [{ batchSize: 1, delimiter: ",," }, "delimiter"],
    [{ batchSize: 1, columns: { x: ["a"], y: "a" } }, "columns"],
    [{ batchSize: 1, header: ["a"], columns: ["b"] }, "columns"],
    [{ batchSize: 1, onInvalid: "ignore" }, "onInvalid"],
    [{ batchSize: 1, onInvalidRow: "skip" }, "onInvalidRow"],
    [{ batchSize: -1 }, "batchSize"],
  ] as const;
  for (const [opts, name] of bad) {
    const err = t.throws(() => fromCsvText("a\n1\n", opts as never));
    t.true(isVireoError(err, "INVALID_OPTION"), name);
    t.regex(err!.message, new RegExp(name));
  }
});

test("fromCsvFile: a temp file gives the same batches as the same text, and is cold", async (t) => {
  const file = writeTemp(faithfulish);
  const src = fromCsvFile(file, { batchSize: 3, columns: { x: ["eruptions", "waiting"], y: "label" } });
  const fromFile = await all(src);
  t.deepEqual(JSON.stringify(fromFile), JSON.stringify(await all(fromCsvText(faithfulish, { batchSize: 3, columns: { x: ["eruptions", "waiting"], y: "label" } }))));
  t.deepEqual(JSON.stringify(await all(src)), JSON.stringify(fromFile));
  t.is(streamsOf(file).length, 2);
  t.true(streamsOf(file).every((s) => s.destroyed));
});

test("fromCsvFile: errors arrive on the error channel naming the file; skip mode reports to a Subject", async (t) => {
  const file = writeTemp("a,b\r\n1,2\r\n3,oops\r\n5,6\r\n");
  const e = await errorOf(fromCsvFile(file, { batchSize: 10 }));
  t.true(isVireoError(e, "INVALID_BATCH"));
  t.true(e.message.startsWith(`CSV file '${file}', line 3, field 'b': expected a finite number; the text is "oops"`), e.message);
  t.true(streamsOf(file)[0]!.destroyed);
  const skipped = new Subject<SkippedRow>(), seen: SkippedRow[] = [];
  skipped.subscribe((r) => seen.push(r));
  const bs = await all(fromCsvFile(file, { batchSize: 10, onInvalid: "skip", skipped }));
  t.deepEqual(concat(bs, "a"), [1, 5]);
  t.deepEqual(seen.map((r) => [r.source, r.line, r.field, r.text]), [[file, 3, "b", "oops"]]);
  const header = await errorOf(fromCsvFile(file, { batchSize: 1, columns: ["a", "z"] }));
  t.true(isVireoError(header, "INVALID_DATA"));
  t.regex(header.message, /line 1 \(header\): there is no column 'z'/);
  const missing = await errorOf(fromCsvFile(path.join(dir, "nope.csv"), { batchSize: 1 }));
  t.true(isVireoError(missing, "INVALID_DATA"));
  t.regex(missing.message, /Cannot read CSV file '.*nope\.csv': ENOENT/);
});

test("fromCsvFile: the Austen corpus streams with its documented totals; quoted text columns are left unparsed", async (t) => {
  let rows = 0, tokens = 0, maxDoc = 0, maxWord = 0;
  for (const b of await all(fromCsvFile(austen("austen_counts.csv"), { batchSize: 4096 }))) {
    rows += b.rows;
    for (let r = 0; r < b.rows; r++) {
      tokens += b.data.count![r]!;
      maxDoc = Math.max(maxDoc, b.data.doc![r]!);
      maxWord = Math.max(maxWord, b.data.word![r]!);
    }
  }
  t.is(tokens, 218_192);
  t.is(maxDoc + 1, 1_834);
  t.is(maxWord + 1, 3_441);
  t.is(rows, 184_876);
  const docs = await all(fromCsvFile(austen("austen_docs.csv"), { batchSize: 500, columns: ["doc", "chapter"] }));
  t.deepEqual(docs.map((b) => b.rows), [500, 500, 500, 334]);
  t.deepEqual(concat(docs, "doc"), Array.from({ length: 1834 }, (_, i) => i));
});

// A 200k-row file shared by the streaming tests, with the byte offset where each line ends.
const BIG_ROWS = 200_000;
const big = { file: "", size: 0, lineEnd: new Float64Array(BIG_ROWS + 1), sums: [0, 0, 0] };
test.before(() => {
  big.file = path.join(dir, "big.csv");
  const g = new Generator(5), parts: string[] = ["i,x,y,label\n"];
  let offset = parts[0]!.length;
  big.lineEnd[0] = offset;
  const fd = fs.openSync(big.file, "w");
  for (let i = 0; i < BIG_ROWS; i++) {
    const x = ((g.uniform() - 0.5) * 200).toFixed(6), y = String(g.uniform() * 1e-3), label = String(g.integer(5));
    const line = `${i},${x},${y},${label}\n`;
    big.sums[0] += Number(x);
    big.sums[1] += Number(y);
    big.sums[2] += Number(label);
    parts.push(line);
    offset += line.length;
    big.lineEnd[i + 1] = offset;
    if (parts.length === 5000) fs.writeSync(fd, parts.splice(0).join(""));
  }
  fs.writeSync(fd, parts.join(""));
  fs.closeSync(fd);
  big.size = offset;
});

test.serial("fromCsvFile: a 200k-row file streams chunk by chunk with bounded memory and exact sums", async (t) => {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  gc();
  const baseline = process.memoryUsage().heapUsed;
  const batchSize = 1000, sums = [0, 0, 0];
  let rows = 0, maxAhead = 0, midHeap = 0;
  let stream!: fs.ReadStream;
  const [done, opened] = opening(() => lastValueFrom(fromCsvFile(big.file, { batchSize, columns: { xy: ["x", "y"], label: "label" } }).pipe(tap((b) => {
    for (let r = 0; r < b.rows; r++) {
      sums[0] += b.data.xy![2 * r]!;
      sums[1] += b.data.xy![2 * r + 1]!;
      sums[2] += b.data.label![r]!;
    }
    rows += b.rows;
    // Bytes read beyond the end of this batch's last line: at most the chunks in flight.
    maxAhead = Math.max(maxAhead, stream.bytesRead - big.lineEnd[rows]!);
    if (b.index === 100) {
      gc();
      midHeap = process.memoryUsage().heapUsed - baseline;
    }
  }))));
  stream = opened;
  await done;
  t.is(rows, BIG_ROWS);
  t.deepEqual(sums, big.sums);
  t.true(big.size > 6e6, `file of ${big.size} bytes`);
  t.true(maxAhead <= 2 * 65536, `read ${maxAhead} bytes ahead of the emitted rows`);
  t.true(midHeap < big.size / 4, `heap grew by ${midHeap} bytes mid-stream for a ${big.size}-byte file`);
});

/** Waits until the stream has released its file descriptor, then checks that no descriptor of this process points at `file` (so tests sharing a file run serially). */
async function assertClosed(t: { true(v: boolean, m?: string): void; is(a: unknown, b: unknown, m?: string): void }, stream: fs.ReadStream, file: string) {
  t.true(stream.destroyed, "the read stream is destroyed");
  if (!stream.closed) await once(stream, "close");
  const open = fs.readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  });
  t.is(open.length, 0, "no file descriptor left open on the file");
}

test.serial("fromCsvFile: unsubscribing mid-chunk stops emissions and destroys the stream", async (t) => {
  let seen = 0;
  const [pending, stream] = opening(() => all(fromCsvFile(big.file, { batchSize: 10 }).pipe(tap(() => seen++), take(3))));
  t.is((await pending).length, 3);
  const read = stream.bytesRead;
  t.is(await lateNotifications(), 0, "no batch after unsubscribe");
  await new Promise((r) => setTimeout(r, 50));
  t.is(seen, 3);
  t.is(stream.bytesRead, read, "no read after unsubscribe");
  t.true(read < big.size);
  await assertClosed(t, stream, big.file);
});

test.serial("fromCsvFile: unsubscribing from outside between chunks destroys the stream", async (t) => {
  let seen = 0;
  let first!: () => void;
  const started = new Promise<void>((r) => (first = r));
  const [sub, stream] = opening(() => fromCsvFile(big.file, { batchSize: 50_000 }).subscribe(() => {
    seen++;
    first();
  }));
  await started;
  await new Promise((r) => setImmediate(r));
  sub.unsubscribe();
  const at = seen, read = stream.bytesRead;
  t.is(await lateNotifications(), 0, "no batch after unsubscribe");
  await new Promise((r) => setTimeout(r, 50));
  t.is(seen, at);
  t.true(at < BIG_ROWS / 50_000);
  t.is(stream.bytesRead, read);
  await assertClosed(t, stream, big.file);
});

// ---------------------------------------------------------------- NDJSON

const ndjson = '{"x":[1,2],"y":0,"a":5,"b":6,"name":"p"}\r\n' +
  '\n' +
  '{"y":1,"x":[3,4],"a":7,"b":8}\r\n' +
  '{"x":[5,6],"y":0,"a":9,"b":10,"extra":[1]}'; // no final newline

test("fromNdjsonText: array keys become vector fields; fields selects, renames and groups keys", async (t) => {
  const bs = await all(fromNdjsonText(ndjson, { batchSize: 2, fields: { x: "x", label: "y", ab: ["a", "b"] } }));
  t.deepEqual(bs.map((b) => b.rows), [2, 1]);
  t.deepEqual(bs[0]!.widths, { x: 2, label: 1, ab: 2 });
  t.deepEqual(concat(bs, "x"), [1, 2, 3, 4, 5, 6]);
  t.deepEqual(concat(bs, "label"), [0, 1, 0]);
  t.deepEqual(concat(bs, "ab"), [5, 6, 7, 8, 9, 10]);
  const inferred = await all(fromNdjsonText('{"u":1,"w":[1,2,3]}\n{"u":2,"w":[4,5,6]}\n', { batchSize: 5 }));
  t.deepEqual(inferred[0]!.widths, { u: 1, w: 3 });
  t.deepEqual(concat(inferred, "w"), [1, 2, 3, 4, 5, 6]);
  // Without fields, a non-numeric key is an error that says how to fix it.
  t.regex((await errorOf(fromNdjsonText(ndjson, { batchSize: 2 }))).message, /line 1, field 'name': the value is "p"; expected a number .*pass fields/);
});

test("fromNdjsonText: bad lines error with INVALID_BATCH naming line and key, or are skipped and reported", async (t) => {
  const text = '{"x":[1,2],"y":1}\n{"x":[1],"y":2}\n{"x":[1,2],"y":"3"}\n{"x":[1,2]\n[1,2]\n{"x":[1,null],"y":6}\n{"x":[7,8],"y":7}\n{"x":[9,9]}\n';
  const e = await errorOf(fromNdjsonText(text, { batchSize: 4, fields: ["x", "y"] }));
  t.true(isVireoError(e, "INVALID_BATCH"));
  t.regex(e.message, /^NDJSON text, line 2, field 'x': expected an array of 2 numbers like line 1, got 1 values; the text is "\[1\]"/);
  const skipped = new Subject<SkippedRow>(), seen: SkippedRow[] = [];
  skipped.subscribe((r) => seen.push(r));
  const bs = await all(fromNdjsonText(text, { batchSize: 4, fields: ["x", "y"], onInvalid: "skip", skipped }));
  t.deepEqual(concat(bs, "x"), [1, 2, 7, 8]);
  t.deepEqual(concat(bs, "y"), [1, 7]);
  t.deepEqual(seen.map((r) => [r.line, r.field]), [[2, "x"], [3, "y"], [4, ""], [5, ""], [6, "x[1]"], [8, "y"]]);
  t.regex(seen[1]!.reason, /expected a finite number, got string/);
  t.regex(seen[2]!.reason, /not valid JSON/);
  t.regex(seen[3]!.reason, /one JSON object per line, got an array/);
  t.regex(seen[5]!.reason, /key is missing/);
});

test("fromNdjsonFile: a temp file matches the text source; errors name the file; unsubscribe destroys the stream", async (t) => {
  const file = writeTemp(ndjson, "ndjson");
  const opts = { batchSize: 2, fields: { x: "x", label: "y" } };
  t.is(JSON.stringify(await all(fromNdjsonFile(file, opts))), JSON.stringify(await all(fromNdjsonText(ndjson, opts))));
  const bad = writeTemp('{"v":1}\n{"v":"one"}\n', "ndjson");
  const e = await errorOf(fromNdjsonFile(bad, { batchSize: 1 }));
  t.true(isVireoError(e, "INVALID_BATCH"));
  t.true(e.message.startsWith(`NDJSON file '${bad}', line 2, field 'v': expected a finite number, got string`), e.message);

  const many = path.join(dir, "many.ndjson");
  fs.writeFileSync(many, Array.from({ length: 50_000 }, (_, i) => `{"i":${i},"v":[${i},${-i}]}\n`).join(""));
  let seen = 0, sum = 0;
  const [pending, stream] = opening(() => all(fromNdjsonFile(many, { batchSize: 100 }).pipe(tap((b) => { seen++; sum += b.data.i![0]!; }), take(2))));
  t.deepEqual([(await pending).length, seen, sum], [2, 2, 100]);
  t.is(await lateNotifications(), 0, "no batch after unsubscribe");
  t.true(stream.bytesRead < fs.statSync(many).size);
  await assertClosed(t, stream, many);
  const full = await all(fromNdjsonFile(many, { batchSize: 4096 }));
  t.is(full.reduce((s, b) => s + b.rows, 0), 50_000);
  t.is(concat(full, "v").reduce((s, v) => s + v, 0), 0);
  t.deepEqual(full[0]!.widths, { i: 1, v: 2 });
});
