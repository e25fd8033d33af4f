/**
 * Data in and out of a Bayesian network: covariates as rows (number[][]) or one row-major
 * Float64Array, responses as one number per row. Checked once at the edge, with the row and column
 * of the first bad value in the message; the hot loops then trust the copied Float64Arrays.
 */
import { VireoError, fmt } from "@vireo/core";

/** Covariates: an array of rows, or a row-major Float64Array of rows × inputs numbers. */
export type BnnInputs = readonly (readonly number[] | Float64Array)[] | Float64Array;
/** Responses: one number per row (real for regression, 0/1 for classification). */
export type BnnTargets = readonly number[] | Float64Array;

/** Covariates copied into one row-major Float64Array. */
export interface CheckedInputs {
  readonly x: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/** Copies and checks covariates: `cols` numbers per row, all finite. `where` names the caller. */
export function checkInputs(x: BnnInputs, cols: number, where: string): CheckedInputs {
  if (x instanceof Float64Array) {
    if (x.length % cols !== 0) {
      throw new VireoError("DIMENSION_MISMATCH", `${where}: x holds ${x.length} numbers, not a whole number of rows of ${cols} inputs; pass rows × ${cols} values row-major, or an array of rows.`, { field: "x" });
    }
    const rows = x.length / cols;
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i]!)) badValue(where, Math.floor(i / cols), i % cols, x[i]!);
    }
    return { x: x.slice(), rows, cols };
  }
  if (!Array.isArray(x)) {
    throw new VireoError("INVALID_DATA", `${where}: x must be an array of rows or a row-major Float64Array, got ${x === null ? "null" : typeof x}.`, { field: "x" });
  }
  const rows = x.length, out = new Float64Array(rows * cols);
  for (let n = 0; n < rows; n++) {
    const row = x[n];
    if (!(Array.isArray(row) || row instanceof Float64Array) || row.length !== cols) {
      throw new VireoError(
        "DIMENSION_MISMATCH",
        `${where}: row ${n} of x has ${row === null || row === undefined ? String(row) : Array.isArray(row) || row instanceof Float64Array ? `${row.length} values` : typeof row}, expected ${cols} inputs (the network's input size).`,
        { row: n, field: "x" },
      );
    }
    for (let j = 0; j < cols; j++) {
      const v = row[j];
      if (typeof v !== "number" || !Number.isFinite(v)) badValue(where, n, j, v);
      out[n * cols + j] = v as number;
    }
  }
  return { x: out, rows, cols };
}

function badValue(where: string, row: number, column: number, v: unknown): never {
  throw new VireoError(
    "INVALID_DATA",
    `${where}: x has ${typeof v === "number" ? fmt(v) : JSON.stringify(v) ?? String(v)} at row ${row}, column ${column}; every covariate must be a finite number (impute or drop the row).`,
    { row, column, field: "x" },
  );
}

/** Copies and checks responses: `rows` finite numbers, 0 or 1 when `binary`. */
export function checkTargets(y: BnnTargets, rows: number, binary: boolean, where: string): Float64Array {
  if (!(Array.isArray(y) || y instanceof Float64Array)) {
    throw new VireoError("INVALID_DATA", `${where}: y must be an array of numbers or a Float64Array, got ${y === null ? "null" : typeof y}.`, { field: "y" });
  }
  if (y.length !== rows) {
    throw new VireoError("DIMENSION_MISMATCH", `${where}: y has ${y.length} values but x has ${rows} rows; give one response per row.`, { field: "y" });
  }
  const out = new Float64Array(rows);
  for (let n = 0; n < rows; n++) {
    const v = y[n];
    if (typeof v !== "number" || !Number.isFinite(v) || (binary && v !== 0 && v !== 1)) {
      throw new VireoError(
        "INVALID_DATA",
        `${where}: y has ${typeof v === "number" ? fmt(v) : JSON.stringify(v) ?? String(v)} at row ${n}; ${binary ? "a Bernoulli-logit network needs labels 0 or 1" : "responses must be finite numbers"}.`,
        { row: n, field: "y" },
      );
    }
    out[n] = v;
  }
  return out;
}

/** Column means and standard deviations (1 for a constant column) of row-major data. */
export function columnScales(x: Float64Array, rows: number, cols: number): { readonly mean: Float64Array; readonly sd: Float64Array } {
  const mean = new Float64Array(cols), sd = new Float64Array(cols);
  for (let n = 0; n < rows; n++) for (let j = 0; j < cols; j++) mean[j] += x[n * cols + j]! / rows;
  for (let n = 0; n < rows; n++) for (let j = 0; j < cols; j++) sd[j] += (x[n * cols + j]! - mean[j]!) ** 2 / rows;
  for (let j = 0; j < cols; j++) sd[j] = sd[j]! > 0 ? Math.sqrt(sd[j]!) : 1;
  return { mean, sd };
}
