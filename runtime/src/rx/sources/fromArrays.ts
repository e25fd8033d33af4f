import { Observable } from "rxjs";
import { Generator, VireoError, fmt } from "@vireo/core";
import type { Minibatch } from "./types.js";
import { makeBatch, makeLayout } from "./internal/batches.js";
import { checkBatchSize, checkOptionsObject, describe, optionError } from "./internal/options.js";

/** One column: a value per row (typed array or number[]) or a vector per row (number[][]). */
export type ArrayColumn = Float64Array | Float32Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array | readonly number[] | readonly (readonly number[])[];

export interface FromArraysOptions {
  /** Rows per batch; each epoch ends with a smaller batch if the rows do not divide evenly. */
  readonly batchSize: number;
  /** Visit the rows in a fresh random order each epoch (default false). */
  readonly shuffle?: boolean;
  /** Seed of the core Generator used to shuffle (default 0): equal seeds give equal orders. */
  readonly seed?: number;
  /** Passes over the data (a positive integer, or Infinity: then stop with take(n)). Default 1. */
  readonly epochs?: number;
}

/**
 * Minibatches from in-memory columns of equal length. Cold: each subscription starts at the first
 * epoch with a fresh generator, so it replays the same batches. Batches are built one at a time in a
 * plain loop that stops as soon as the subscriber is closed: no recursion per item, no work after
 * unsubscribe. Non-Float64 columns are copied once when the source is created; a Float64Array is read
 * in place, so do not change it while a subscription runs.
 */
export function fromArrays(columns: Readonly<Record<string, ArrayColumn>>, options: FromArraysOptions): Observable<Minibatch> {
  const where = "fromArrays";
  checkOptionsObject(where, options);
  const batchSize = checkBatchSize(where, options.batchSize);
  const shuffle = options.shuffle ?? false;
  if (typeof shuffle !== "boolean") throw optionError(where, "shuffle", `must be true or false, got ${describe(shuffle)}.`);
  const seed = options.seed ?? 0;
  if (typeof seed !== "number" || !Number.isInteger(seed)) throw optionError(where, "seed", `must be an integer, got ${describe(seed)}.`);
  const epochs = options.epochs ?? 1;
  if (typeof epochs !== "number" || !(epochs === Infinity || (Number.isInteger(epochs) && epochs >= 1))) {
    throw optionError(where, "epochs", `must be a positive integer or Infinity, got ${describe(epochs)}.`);
  }
  if (columns === null || typeof columns !== "object" || Array.isArray(columns)) {
    throw new VireoError("INVALID_DATA", `${where}: columns must be a record { name: array }, got ${Array.isArray(columns) ? "an array" : describe(columns)}.`);
  }
  const names = Object.keys(columns);
  if (names.length === 0) throw new VireoError("INVALID_DATA", `${where}: columns is empty; give at least one column, e.g. { x: [...] }.`);
  const flat: Float64Array[] = [], widths: number[] = [];
  let rows = -1;
  for (const name of names) {
    const col = toColumn(where, name, columns[name]);
    if (rows < 0) rows = col.rows;
    else if (col.rows !== rows) {
      throw new VireoError("INVALID_DATA", `${where}: column '${name}' has ${col.rows} rows but column '${names[0]}' has ${rows}; every column needs one entry per row.`, { field: name });
    }
    flat.push(col.data);
    widths.push(col.width);
  }
  const layout = makeLayout(names, widths);

  return new Observable<Minibatch>((subscriber) => {
    const rng = shuffle ? new Generator(seed) : null;
    const order = rng ? new Uint32Array(rows) : null;
    let index = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      if (rng && order) {
        // Fisher–Yates from the identity, so each epoch's order depends only on the generator.
        for (let i = 0; i < rows; i++) order[i] = i;
        for (let i = rows - 1; i > 0; i--) {
          const j = rng.integer(i + 1), t = order[i]!;
          order[i] = order[j]!;
          order[j] = t;
        }
      }
      for (let start = 0; start < rows; start += batchSize) {
        if (subscriber.closed) return;
        const n = Math.min(batchSize, rows - start);
        const buffers = flat.map((src, f) => {
          const w = widths[f]!;
          if (!order) return src.slice(start * w, (start + n) * w);
          const buf = new Float64Array(n * w);
          for (let r = 0; r < n; r++) {
            const from = order[start + r]! * w;
            for (let k = 0; k < w; k++) buf[r * w + k] = src[from + k]!;
          }
          return buf;
        });
        subscriber.next(makeBatch(layout, index++, epoch, n, buffers));
      }
    }
    subscriber.complete();
  });
}

/** Flattens and checks one column: finite numbers, consistent vector lengths, at least one row. */
function toColumn(where: string, name: string, v: unknown): { data: Float64Array; rows: number; width: number } {
  const at = `${where}: column '${name}'`;
  let data: Float64Array, width = 1;
  if (v instanceof Float64Array) data = v;
  else if (ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array)) data = Float64Array.from(v as unknown as ArrayLike<number>);
  else if (Array.isArray(v)) {
    const nested = v.length > 0 && Array.isArray(v[0]);
    if (nested) {
      width = (v[0] as unknown[]).length;
      if (width === 0) throw new VireoError("INVALID_DATA", `${at}: row 0 is an empty array; vector rows need at least one value.`, { field: name, row: 0 });
      data = new Float64Array(v.length * width);
      for (let r = 0; r < v.length; r++) {
        const row = v[r] as unknown;
        if (!Array.isArray(row) || row.length !== width) {
          throw new VireoError("INVALID_DATA", `${at}: row ${r} is ${Array.isArray(row) ? `an array of ${row.length}` : describe(row)}, expected an array of ${width} numbers like row 0.`, { field: name, row: r });
        }
        for (let k = 0; k < width; k++) data[r * width + k] = number(at, name, row[k], r, k);
      }
    } else {
      data = new Float64Array(v.length);
      for (let r = 0; r < v.length; r++) data[r] = number(at, name, v[r], r, -1);
    }
  } else {
    throw new VireoError("INVALID_DATA", `${at} is ${describe(v)}; expected a typed array (Float64Array, Float32Array, Int32Array, …), number[] or number[][].`, { field: name });
  }
  if (ArrayBuffer.isView(v)) for (let i = 0; i < data.length; i++) number(at, name, data[i], i, -1);
  if (data.length === 0) throw new VireoError("INVALID_DATA", `${at} has no rows.`, { field: name });
  return { data, rows: data.length / width, width };
}

function number(at: string, name: string, x: unknown, row: number, col: number): number {
  if (typeof x === "number" && Number.isFinite(x)) return x;
  const cell = col < 0 ? `row ${row}` : `row ${row}, entry ${col}`;
  throw new VireoError("INVALID_DATA", `${at}, ${cell} is ${typeof x === "number" ? fmt(x) : describe(x)}; data must be finite numbers.`, { field: name, row });
}
