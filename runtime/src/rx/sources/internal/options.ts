/** Option checks shared by the sources: wrong options throw INVALID_OPTION when the source is created. */
import { VireoError } from "@vireo/core";
import type { ColumnMap, RowSourceOptions, SkippedRow, SkipReporter } from "../types.js";

export function optionError(where: string, parameter: string, message: string): VireoError {
  return new VireoError("INVALID_OPTION", `${where}: option '${parameter}' ${message}`, { parameter });
}

export function checkOptionsObject(where: string, options: unknown): void {
  if (options === null || typeof options !== "object") {
    throw new VireoError("INVALID_OPTION", `${where}: options must be an object with at least { batchSize }, got ${options === null ? "null" : typeof options}.`);
  }
  // One option name across the sources, the stream operators and the Kalman filter.
  if (Object.hasOwn(options, "onInvalidRow")) {
    throw optionError(where, "onInvalidRow", `is now called 'onInvalid' (the same name as in the stream operators): pass { onInvalid: ${describe((options as { onInvalidRow?: unknown }).onInvalidRow)} }.`);
  }
}

export function checkBatchSize(where: string, batchSize: unknown): number {
  if (typeof batchSize !== "number" || !Number.isInteger(batchSize) || batchSize < 1) {
    throw optionError(where, "batchSize", `must be a positive integer (rows per batch), got ${describe(batchSize)}.`);
  }
  return batchSize;
}

export interface RowHandling {
  readonly batchSize: number;
  readonly skip: boolean;
  readonly report: ((row: SkippedRow) => void) | null;
}

export function checkRowHandling(where: string, options: RowSourceOptions): RowHandling {
  checkOptionsObject(where, options);
  const batchSize = checkBatchSize(where, options.batchSize);
  const mode = options.onInvalid ?? "error";
  if (mode !== "error" && mode !== "skip") {
    throw optionError(where, "onInvalid", `must be "error" or "skip", got ${describe(mode)}.`);
  }
  return { batchSize, skip: mode === "skip", report: reporter(where, options.skipped) };
}

function reporter(where: string, skipped: SkipReporter | undefined): ((row: SkippedRow) => void) | null {
  if (skipped === undefined) return null;
  if (typeof skipped === "function") return skipped;
  if (skipped !== null && typeof skipped === "object" && typeof skipped.next === "function") return (row) => skipped.next(row);
  throw optionError(where, "skipped", `must be a function or an object with next() (e.g. a Subject), got ${describe(skipped)}.`);
}

/** A normalised ColumnMap: each field with its source names; `grouped` fields take one value per name. */
export interface FieldSpec {
  readonly field: string;
  readonly sources: readonly string[];
  readonly grouped: boolean;
}

/** Normalises and checks a ColumnMap; undefined stays undefined (all columns, decided by the input). */
export function checkColumnMap(where: string, parameter: string, map: ColumnMap | undefined): FieldSpec[] | undefined {
  if (map === undefined) return undefined;
  const specs: FieldSpec[] = [];
  const bad = (message: string) => optionError(where, parameter, message);
  if (Array.isArray(map)) {
    for (const name of map as readonly unknown[]) {
      if (typeof name !== "string" || name === "") throw bad(`must list non-empty column names, got ${describe(name)}.`);
      specs.push({ field: name, sources: [name], grouped: false });
    }
  } else if (map !== null && typeof map === "object") {
    for (const [field, src] of Object.entries(map as Record<string, unknown>)) {
      if (typeof src === "string" && src !== "") specs.push({ field, sources: [src], grouped: false });
      else if (Array.isArray(src) && src.length > 0 && src.every((s) => typeof s === "string" && s !== "")) specs.push({ field, sources: src as string[], grouped: true });
      else throw bad(`maps field '${field}' to ${describe(src)}; expected a column name or a non-empty array of column names.`);
    }
  } else {
    throw bad(`must be an array of column names or a record { field: column | [columns] }, got ${describe(map)}.`);
  }
  if (specs.length === 0) throw bad("selects no columns; list at least one, or leave it out to take every column.");
  const owner = new Map<string, string>();
  for (const s of specs) {
    for (const src of s.sources) {
      const prev = owner.get(src);
      if (prev !== undefined) throw bad(`uses column '${src}' twice (fields '${prev}' and '${s.field}'); each column can feed one field.`);
      owner.set(src, s.field);
    }
  }
  return specs;
}

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v;
}
