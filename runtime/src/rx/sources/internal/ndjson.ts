/**
 * NDJSON rows: one JSON object per line. A key holds a number, or an array of numbers read as a
 * vector field whose width is fixed by the first good record.
 */
import { makeLayout, type Layout } from "./batches.js";
import { checkColumnMap, checkRowHandling, describe, type FieldSpec, type RowHandling } from "./options.js";
import { clip, type RecordFormat, type RowProblem } from "./reader.js";
import type { NdjsonOptions } from "../types.js";

export interface NdjsonConfig {
  readonly handling: RowHandling;
  readonly fields: FieldSpec[] | undefined;
}

export function checkNdjsonOptions(where: string, options: NdjsonOptions): NdjsonConfig {
  const handling = checkRowHandling(where, options);
  return { handling, fields: checkColumnMap(where, "fields", options.fields) };
}

function show(v: unknown): string {
  if (v === undefined) return "";
  try {
    return clip(JSON.stringify(v));
  } catch {
    return String(v);
  }
}

export class NdjsonFormat implements RecordFormat {
  layout: Layout | null = null;
  row = new Float64Array(0);
  /** Per source key: the key, its width (0 = a plain number) and its offset in `row`. */
  private keys: string[] = [];
  private keyWidths: number[] = [];
  private keyOffsets: number[] = [];
  private firstLine = 0;

  constructor(private readonly config: NdjsonConfig) {}

  line(text: string, lineNo: number): boolean | RowProblem {
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      return { field: "", text, reason: `the line is not valid JSON (${(e as Error).message})` };
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
      return { field: "", text, reason: `expected one JSON object per line, got ${Array.isArray(obj) ? "an array" : describe(obj)}` };
    }
    const rec = obj as Record<string, unknown>;
    if (this.layout === null) {
      const problem = this.setup(rec);
      if (problem !== null) return problem;
      this.firstLine = lineNo;
    }
    const row = this.row;
    for (let i = 0; i < this.keys.length; i++) {
      const key = this.keys[i]!, w = this.keyWidths[i]!, off = this.keyOffsets[i]!;
      const v = Object.hasOwn(rec, key) ? rec[key] : undefined;
      if (w === 0) {
        if (typeof v !== "number" || !Number.isFinite(v)) return { field: key, text: show(v), reason: v === undefined ? "the key is missing; expected a number" : `expected a finite number, got ${typeof v === "number" ? v : v === null ? "null" : Array.isArray(v) ? "an array" : typeof v}` };
        row[off] = v;
        continue;
      }
      if (!Array.isArray(v) || v.length !== w) {
        return { field: key, text: show(v), reason: `expected an array of ${w} numbers like line ${this.firstLine}, got ${v === undefined ? "nothing (the key is missing)" : Array.isArray(v) ? `${v.length} values` : describe(v)}` };
      }
      for (let k = 0; k < w; k++) {
        const x = v[k];
        if (typeof x !== "number" || !Number.isFinite(x)) return { field: `${key}[${k}]`, text: show(x), reason: `expected a finite number, got ${describe(x)}` };
        row[off + k] = x;
      }
    }
    return true;
  }

  end(): void {}

  /** Fixes the keys and widths from the first good record. */
  private setup(rec: Record<string, unknown>): RowProblem | null {
    const specs = this.config.fields ?? Object.keys(rec).map((k) => ({ field: k, sources: [k], grouped: false }));
    if (specs.length === 0) return { field: "", text: "{}", reason: "the first record has no keys to read; pass fields to choose them" };
    const keys: string[] = [], widths: number[] = [], offsets: number[] = [], fieldWidths: number[] = [];
    let off = 0;
    for (const spec of specs) {
      let fw = 0;
      for (const key of spec.sources) {
        const v = Object.hasOwn(rec, key) ? rec[key] : undefined;
        let w: number;
        if (typeof v === "number") w = 0;
        else if (!spec.grouped && Array.isArray(v) && v.length > 0) w = v.length;
        else {
          const wanted = spec.grouped ? `a number (grouped into field '${spec.field}')` : "a number or a non-empty array of numbers";
          const fix = this.config.fields === undefined ? "; pass fields to read only numeric keys" : "";
          return { field: key, text: show(v), reason: `${v === undefined ? "the key is missing" : `the value is ${Array.isArray(v) ? "an empty array" : describe(v)}`}; expected ${wanted}${fix}` };
        }
        keys.push(key);
        widths.push(w);
        offsets.push(off);
        off += Math.max(w, 1);
        fw += Math.max(w, 1);
      }
      fieldWidths.push(fw);
    }
    this.keys = keys;
    this.keyWidths = widths;
    this.keyOffsets = offsets;
    this.layout = makeLayout(specs.map((s) => s.field), fieldWidths);
    this.row = new Float64Array(off);
    return null;
  }
}
