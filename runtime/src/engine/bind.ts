/**
 * Binds data to a model by name: checks every name, shape and value, resolves plate sizes and
 * computes deterministic variables. Errors name the variable, row and column.
 */
import { VireoError, fmt, isDenseRowMajor, type Arr } from "@vireo/core";
import type { Model, VariableSpec } from "../model/spec.js";
import { MAX_PLATE_SIZE } from "../limits.js";

/** Data for one variable: an ndarray view ([N] or [N, size]), a flat typed array of any numeric kind, or plain arrays of numbers. */
export type DataValue =
  | Arr | Float64Array | Float32Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array | Uint8ClampedArray
  | readonly number[] | readonly (readonly number[])[];

export type DataBinding = Readonly<Record<string, DataValue>>;

export interface BoundData {
  readonly plateSizes: Readonly<Record<string, number>>;
  /** Values of observed, input and deterministic variables (rows × valueSize). */
  readonly values: Readonly<Record<string, Float64Array>>;
}

const DATA_KINDS = new Set(["observed", "input"]);

/** Typed arrays accepted as data (any numeric kind; BigInt arrays are not numbers). */
type NumericArray = Float64Array | Float32Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array | Uint8ClampedArray;

function isNumericArray(v: unknown): v is NumericArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array);
}

/** What a bad cell is, for messages: null, true, "3", undefined, an array. */
function describeCell(x: unknown): string {
  if (x === null) return "null";
  if (x === undefined) return "missing (undefined)";
  if (typeof x === "string") return `the string ${JSON.stringify(x.length > 20 ? `${x.slice(0, 19)}…` : x)}`;
  if (typeof x === "boolean") return `the boolean ${x}`;
  if (Array.isArray(x)) return `an array of ${x.length}`;
  return typeof x;
}

/**
 * Copies plain-array cells into `out`, refusing anything that is not a number: a null, a boolean
 * or a string would otherwise be coerced to 0, 1 or a parsed number (a silent wrong answer).
 */
function copyCells(name: string, cells: readonly unknown[], out: Float64Array, offset: number, row: number, cols: number): void {
  for (let j = 0; j < cells.length; j++) {
    const x = cells[j];
    if (typeof x !== "number") {
      const r = cols === 0 ? j : row;
      throw new VireoError(
        "INVALID_DATA",
        `Data '${name}': row ${r}${cols > 0 ? `, column ${j}` : ""} is ${describeCell(x)}; data must be numbers. ` +
          `Missing values are not supported: drop the row or impute it before binding.`,
        { variable: name, row: r },
      );
    }
    out[offset + j] = x;
  }
}

/** Flattens a data value to rows × cols, returning the rows. */
function toRows(name: string, v: DataValue, cols: number): { data: Float64Array; rows: number } {
  let data: Float64Array, rows: number, gotCols: number;
  if (isNumericArray(v)) {
    data = v instanceof Float64Array ? v : Float64Array.from(v);
    if (data.length % cols !== 0) {
      throw new VireoError("DIMENSION_MISMATCH", `Data '${name}': a flat array of ${data.length} numbers cannot be split into rows of ${cols}.`, { variable: name });
    }
    return { data, rows: data.length / cols };
  }
  if (Array.isArray(v)) {
    rows = v.length;
    const nested = rows > 0 && Array.isArray(v[0]);
    gotCols = nested ? (v[0] as readonly number[]).length : rows === 0 ? cols : 1;
    data = new Float64Array(rows * gotCols);
    if (nested) {
      for (let i = 0; i < rows; i++) {
        const len = Array.isArray(v[i]) ? (v[i] as readonly number[]).length : -1;
        if (len !== gotCols) {
          throw new VireoError("DIMENSION_MISMATCH", `Data '${name}': row ${i} has ${len < 0 ? `no array (it is ${describeCell(v[i])})` : `${len} values`}, expected ${gotCols} like row 0.`, { variable: name, row: i });
        }
        copyCells(name, v[i] as readonly unknown[], data, i * gotCols, i, gotCols);
      }
    } else copyCells(name, v as readonly unknown[], data, 0, 0, 0);
  } else {
    const a = v as Arr;
    if (!a || typeof a !== "object" || !Array.isArray(a.shape) || !(isNumericArray(a.data) || Array.isArray(a.data)) || typeof a.get !== "function") {
      throw new VireoError(
        "INVALID_DATA",
        `Data '${name}': expected an ndarray, a typed array (Float64Array, Float32Array, Int32Array, …) or an array of numbers, got ${v === null ? "null" : typeof v === "object" ? (v as object).constructor?.name ?? "an object" : typeof v}.`,
        { variable: name },
      );
    }
    rows = a.shape[0]!;
    gotCols = a.shape.length === 1 ? 1 : a.shape.slice(1).reduce((x, y) => x * y, 1);
    const dense = a.data instanceof Float64Array && isDenseRowMajor(a);
    if (a.shape.length < 1 || (a.shape.length > 2 && !dense)) {
      throw new VireoError("DIMENSION_MISMATCH", `Data '${name}': a ${a.shape.length}-dimensional view; expected [rows] or [rows, ${cols}] (or a dense row-major Float64 array).`, { variable: name });
    }
    if (dense) data = a.data as Float64Array;
    else {
      // Views (strided, offset, transposed) and ndarrays over other element types: read through get().
      data = new Float64Array(rows * gotCols);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < gotCols; j++) {
          const x = (a.shape.length === 1 ? a.get(i) : a.get(i, j)) as unknown;
          if (typeof x !== "number") copyCells(name, [x], new Float64Array(1), 0, i, gotCols);
          data[i * gotCols + j] = x as number;
        }
      }
    }
  }
  if (gotCols !== cols) {
    throw new VireoError("DIMENSION_MISMATCH", `Data '${name}': expected ${cols} value${cols === 1 ? "" : "s"} per row, got ${gotCols}.`, { variable: name });
  }
  return { data, rows };
}

/** Throws INVALID_DATA at the first entry outside the variable's support, naming row and column. */
export function checkValues(v: VariableSpec, data: Float64Array, rows: number, label = `Data '${v.name}'`): void {
  const c = v.valueSize;
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    if (!Number.isFinite(x)) {
      throw new VireoError("INVALID_DATA", `${label}: row ${Math.floor(i / c)}${c > 1 ? `, column ${i % c}` : ""} is ${fmt(x)}; data must be finite numbers.`, { variable: v.name, row: Math.floor(i / c) });
    }
  }
  // The family owns its support (a plugin family's check runs exactly like a built-in one's);
  // where that support is every finite value, the loop above has checked it.
  if (v.family !== null && !v.family.finiteSupport) v.family.checkSupport(data, rows, label, v.name);
}

export function bindData(model: Model, data: DataBinding, options: { plateSizes?: Readonly<Record<string, number>> } = {}): BoundData {
  if (data === null || typeof data !== "object") {
    throw new VireoError("INVALID_DATA", `Data must be an object mapping variable names to arrays, got ${data === null ? "null" : typeof data}.`);
  }
  const dataNames = model.order.filter((n) => DATA_KINDS.has(model.variables[n]!.kind));
  for (const name of Object.keys(data)) {
    const v = Object.hasOwn(model.variables, name) ? model.variables[name] : undefined;
    if (!v) {
      throw new VireoError("UNKNOWN_NAME", `Data given for unknown variable '${name}'; the model's data variables are [${dataNames.join(", ")}].`, { variable: name });
    }
    if (!DATA_KINDS.has(v.kind)) {
      throw new VireoError(
        "INVALID_DATA",
        `Data given for '${name}', which is ${v.kind}. ${v.kind === "random" ? "Declare it with model.observed() to condition on data." : "Only observed and input variables take data."}`,
        { variable: name },
      );
    }
  }
  // Null-prototype records: a plate or variable named 'constructor' or '__proto__' is an ordinary name.
  const plateSizes: Record<string, number> = Object.create(null);
  const plateSource: Record<string, string> = Object.create(null);
  const given = (name: string): DataValue | undefined => (Object.hasOwn(data, name) ? data[name] : undefined);
  for (const p of Object.values(model.plates)) {
    if (p.size !== null) plateSizes[p.name] = p.size;
    else if (options.plateSizes !== undefined && Object.hasOwn(options.plateSizes, p.name)) {
      plateSizes[p.name] = options.plateSizes[p.name]!;
      plateSource[p.name] = "the plate sizes option";
    }
  }
  const values: Record<string, Float64Array> = Object.create(null);
  for (const name of dataNames) {
    const v = model.variables[name]!;
    const value = given(name);
    if (value === undefined) {
      throw new VireoError("INVALID_DATA", `${v.kind === "observed" ? "Observed" : "Input"} variable '${name}' has no data; pass it as data: { ${name}: ... }.`, { variable: name });
    }
    const { data: flat, rows } = toRows(name, value, v.valueSize);
    if (rows > MAX_PLATE_SIZE) {
      throw new VireoError("INVALID_DATA", `Data '${name}' has ${rows} rows, more than the limit of ${MAX_PLATE_SIZE} rows per plate; split it into minibatches (svi / online).`, { variable: name });
    }
    if (v.plate === null) {
      if (rows !== 1) throw new VireoError("DIMENSION_MISMATCH", `Data '${name}': the variable is outside any plate, so it takes one row, got ${rows}.`, { variable: name });
    } else {
      const known = plateSizes[v.plate];
      if (known === undefined) {
        plateSizes[v.plate] = rows;
        plateSource[v.plate] = `'${name}'`;
      } else if (known !== rows) {
        throw new VireoError(
          "DIMENSION_MISMATCH",
          `Data '${name}' has ${rows} rows but plate '${v.plate}' has ${known} (from ${plateSource[v.plate] ?? "its declared size"}); all data in one plate must have the same number of rows.`,
          { variable: name },
        );
      }
    }
    checkValues(v, flat, rows);
    values[name] = flat;
  }
  inferSizesFromIndexColumns(model, values, plateSizes);
  for (const p of Object.values(model.plates)) {
    if (plateSizes[p.name] === undefined) {
      throw new VireoError("INVALID_DATA", `Plate '${p.name}' has no size: no data is bound to any of its variables; bind data or give the plate a size.`);
    }
    if (plateSizes[p.name] === 0) {
      const from = plateSource[p.name];
      throw new VireoError(
        "INVALID_DATA",
        `Plate '${p.name}' has no rows (${from ? `the data of ${from} is empty` : "its size is 0"}); a fit needs at least one row of data. Leave empty batches out of the stream.`,
        from?.startsWith("'") ? { variable: from.slice(1, -1) } : {},
      );
    }
    if (p.multiplicity !== null) {
      const c = values[p.multiplicity]!;
      for (let r = 0; r < c.length; r++) {
        if (!(c[r]! > 0)) {
          throw new VireoError("INVALID_DATA", `Multiplicity '${p.multiplicity}' of plate '${p.name}': row ${r} is ${fmt(c[r]!)}, expected a count > 0 (drop rows that occur 0 times).`, { variable: p.multiplicity, row: r });
        }
      }
    }
  }
  checkIndexColumns(model, values, plateSizes);
  computeDeterministics(model, values, plateSizes);
  return { plateSizes, values };
}

/**
 * A plate with no data of its own (e.g. the documents of a corpus, seen only through each token's
 * document index) takes its size from the largest index pointing into it, plus one.
 */
function inferSizesFromIndexColumns(model: Model, values: Record<string, Float64Array>, plateSizes: Record<string, number>): void {
  for (const f of model.factors) {
    for (const b of Object.values(f.edges)) {
      if (b.index === null || !values[b.index]) continue;
      const plate = model.variables[b.variable]!.plate;
      if (plate === null || plateSizes[plate] !== undefined) continue;
      const col = values[b.index]!;
      let max = -1;
      for (let r = 0; r < col.length; r++) if (col[r]! > max) max = col[r]!;
      if (Number.isInteger(max) && max >= 0) plateSizes[plate] = max + 1;
    }
  }
}

function checkIndexColumns(model: Model, values: Record<string, Float64Array>, plateSizes: Record<string, number>): void {
  for (const f of model.factors) {
    for (const [edge, b] of Object.entries(f.edges)) {
      if (b.index === null || !values[b.index]) continue;
      const target = model.variables[b.variable]!;
      const count = target.plate === null ? 1 : plateSizes[target.plate]!;
      const col = values[b.index]!;
      for (let r = 0; r < col.length; r++) {
        const i = col[r]!;
        if (!(Number.isInteger(i) && i >= 0 && i < count)) {
          throw new VireoError(
            "INVALID_DATA",
            `Index '${b.index}' (factor '${f.name}', edge '${edge}'): row ${r} is ${fmt(i)}, expected an integer in 0..${count - 1} (the instances of '${target.name}').`,
            { variable: b.index, row: r, node: f.name, edge },
          );
        }
      }
    }
  }
}

function computeDeterministics(model: Model, values: Record<string, Float64Array>, plateSizes: Record<string, number>): void {
  const done = new Set(Object.keys(values));
  const compute = (name: string): Float64Array => {
    const v = model.variables[name]!;
    if (v.kind === "constant") return v.value!;
    if (done.has(name)) return values[name]!;
    const rows = v.plate === null ? 1 : plateSizes[v.plate]!;
    const inputs = v.deterministic!.from.map(compute);
    const out = new Float64Array(rows * v.valueSize);
    v.deterministic!.compute(inputs, out, rows);
    checkValues(v, out, rows, `Deterministic '${name}'`);
    values[name] = out;
    done.add(name);
    return out;
  };
  for (const name of model.order) if (model.variables[name]!.kind === "deterministic") compute(name);
}
