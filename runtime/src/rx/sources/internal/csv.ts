/**
 * CSV rows: fields split by a one-character delimiter; a field may be quoted ("a,b", with "" for a
 * quote) so text columns with delimiters can sit beside the numeric ones. Quoted fields cannot span
 * lines. Only selected columns are parsed, straight from the line into the scratch row.
 */
import { VireoError } from "@vireo/core";
import { makeLayout, type Layout } from "./batches.js";
import { parseNumber } from "./numbers.js";
import { checkColumnMap, checkRowHandling, describe, optionError, type FieldSpec, type RowHandling } from "./options.js";
import type { RecordFormat, RowProblem } from "./reader.js";
import type { CsvOptions } from "../types.js";

export interface CsvConfig {
  readonly handling: RowHandling;
  readonly fields: FieldSpec[] | undefined;
  readonly delimiter: number;
  /** Column names given in the options (no header line), or null to read them from line 1. */
  readonly names: readonly string[] | null;
}

export function checkCsvOptions(where: string, options: CsvOptions): CsvConfig {
  const handling = checkRowHandling(where, options);
  const fields = checkColumnMap(where, "columns", options.columns);
  const d = options.delimiter ?? ",";
  if (typeof d !== "string" || d.length !== 1 || d === '"' || d === "\n" || d === "\r") {
    throw optionError(where, "delimiter", `must be one character other than a quote or line break, got ${describe(d)}.`);
  }
  const h = options.header ?? true;
  let names: readonly string[] | null = null;
  if (Array.isArray(h)) {
    if (h.length === 0 || !h.every((n) => typeof n === "string" && n !== "")) throw optionError(where, "header", "must list the input's column names (non-empty strings) when it is an array.");
    names = h;
  } else if (h !== true) {
    throw optionError(where, "header", `must be true (the first line names the columns) or an array of column names (no header line), got ${describe(h)}.`);
  }
  const config: CsvConfig = { handling, fields, delimiter: d.charCodeAt(0), names };
  if (names !== null) new CsvFormat(config, where); // checks the columns option against the given names now
  return config;
}

export class CsvFormat implements RecordFormat {
  layout: Layout | null = null;
  row = new Float64Array(0);
  private columns: readonly string[] = [];
  /** Per input column: its slot in `row`, or -1 if it is not read. */
  private slot = new Int32Array(0);
  /** Per input field found by scan(): start, end (of the content, quotes excluded), quoted flag. */
  private bounds = new Int32Array(3 * 64);
  private scanProblem: RowProblem | null = null;
  private readonly delimiter: string;

  constructor(private readonly config: CsvConfig, private readonly where: string) {
    this.delimiter = String.fromCharCode(config.delimiter);
    if (config.names !== null) this.setup(config.names, (m) => optionError(where, config.fields ? "columns" : "header", m));
  }

  line(text: string, lineNo: number): boolean | RowProblem {
    const n = this.scan(text);
    if (n < 0) return this.scanProblem!;
    const b = this.bounds;
    if (this.layout === null) {
      const names: string[] = [];
      for (let j = 0; j < n; j++) {
        const raw = text.slice(b[3 * j]!, b[3 * j + 1]!);
        names.push(b[3 * j + 2] ? raw.replaceAll('""', '"') : raw.trim());
      }
      this.setup(names, (m) => new VireoError("INVALID_DATA", `${this.where}, line ${lineNo} (header): ${m}`));
      return false;
    }
    const cols = this.columns;
    if (n !== cols.length) {
      return {
        field: n < cols.length ? cols[n]! : "",
        text,
        reason: `the row has ${n} fields but there are ${cols.length} columns (${cols.join(", ")})`,
      };
    }
    const row = this.row, slot = this.slot;
    for (let j = 0; j < n; j++) {
      const s = slot[j]!;
      if (s < 0) continue;
      const a = b[3 * j]!, e = b[3 * j + 1]!;
      const v = parseNumber(text, a, e);
      if (!Number.isFinite(v)) {
        const t = text.slice(a, e);
        return { field: cols[j]!, text: t, reason: t.trim() === "" ? "the value is empty; expected a finite number" : "expected a finite number" };
      }
      row[s] = v;
    }
    return true;
  }

  end(lines: number): void {
    if (this.layout === null) {
      throw new VireoError("INVALID_DATA", `${this.where} has no header line (${lines === 0 ? "it is empty" : "only blank lines"}). Add a header naming the columns, or pass header: [names].`);
    }
  }

  /** Splits `text` into fields (bounds); returns the count, or -1 with scanProblem set. */
  private scan(text: string): number {
    const delim = this.config.delimiter, n = text.length;
    let i = 0, j = 0;
    for (;;) {
      if (3 * j + 3 > this.bounds.length) {
        const grown = new Int32Array(2 * this.bounds.length);
        grown.set(this.bounds);
        this.bounds = grown;
      }
      let a = i;
      while (a < n && (text.charCodeAt(a) === 32 || text.charCodeAt(a) === 9) && text.charCodeAt(a) !== delim) a++;
      if (a < n && text.charCodeAt(a) === 34) {
        let k = a + 1, close = -1;
        while (close < 0) {
          const q = text.indexOf('"', k);
          if (q < 0) return this.fail(j, text.slice(a), "the quoted field has no closing quote (quoted fields cannot span lines)");
          if (text.charCodeAt(q + 1) === 34) k = q + 2;
          else close = q;
        }
        this.bounds[3 * j] = a + 1;
        this.bounds[3 * j + 1] = close;
        this.bounds[3 * j + 2] = 1;
        i = close + 1;
        while (i < n && text.charCodeAt(i) !== delim && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
        if (i < n && text.charCodeAt(i) !== delim) return this.fail(j, text.slice(a), "unexpected text after the closing quote");
      } else {
        let e = text.indexOf(this.delimiter, i);
        if (e < 0) e = n;
        this.bounds[3 * j] = i;
        this.bounds[3 * j + 1] = e;
        this.bounds[3 * j + 2] = 0;
        i = e;
      }
      j++;
      if (i >= n) return j;
      i++; // the delimiter; a trailing one leaves an empty last field
    }
  }

  private fail(j: number, text: string, reason: string): number {
    this.scanProblem = { field: j < this.columns.length ? this.columns[j]! : "", text, reason };
    return -1;
  }

  /** Maps the input's columns to batch fields. */
  private setup(columns: readonly string[], error: (message: string) => VireoError): void {
    const index = new Map<string, number>();
    const dup = new Set<string>();
    columns.forEach((c, j) => (index.has(c) ? dup.add(c) : index.set(c, j)));
    const list = `[${columns.join(", ")}]`;
    let specs = this.config.fields;
    if (specs === undefined) {
      const empty = columns.indexOf("");
      if (empty >= 0) throw error(`column ${empty + 1} has no name. Name it, or pick columns with the columns option.`);
      if (dup.size > 0) throw error(`column '${[...dup][0]}' appears twice in ${list}. Rename one, or pick columns with the columns option.`);
      specs = columns.map((c) => ({ field: c, sources: [c], grouped: false }));
    }
    const slot = new Int32Array(columns.length).fill(-1);
    let s = 0;
    for (const spec of specs) {
      for (const src of spec.sources) {
        const j = index.get(src);
        if (j === undefined) throw error(`there is no column '${src}' (wanted for field '${spec.field}'); the columns are ${list}. Fix the columns option or the header.`);
        if (dup.has(src)) throw error(`column '${src}' (wanted for field '${spec.field}') appears twice in ${list}, so it is ambiguous. Rename one in the header.`);
        slot[j] = s++;
      }
    }
    this.columns = columns;
    this.slot = slot;
    this.layout = makeLayout(specs.map((f) => f.field), specs.map((f) => f.sources.length));
    this.row = new Float64Array(this.layout.rowWidth);
  }
}
