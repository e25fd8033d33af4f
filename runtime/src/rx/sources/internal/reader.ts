/**
 * Line-oriented reading shared by the CSV and NDJSON sources, for text and files alike: splits
 * chunks into lines incrementally (LF or CRLF, last line with or without a newline), hands each
 * non-blank line to a format, batches the rows and emits them, stopping as soon as the subscriber
 * is closed.
 */
import type { Subscriber } from "rxjs";
import { VireoError } from "@vireo/core";
import type { Minibatch } from "../types.js";
import { BatchBuilder, type Layout } from "./batches.js";
import type { RowHandling } from "./options.js";

/** Why a line is not a valid row. `field` is "" when the whole line is unusable. */
export interface RowProblem {
  readonly field: string;
  readonly text: string;
  readonly reason: string;
}

export interface RecordFormat {
  /** The row layout, once known (CSV: after the header; NDJSON: after the first good record). */
  readonly layout: Layout | null;
  /** layout.rowWidth values, filled by a successful `line`. */
  readonly row: Float64Array;
  /**
   * Parses one non-blank line: true when a row is in `row`, false when the line was a header,
   * otherwise the problem. Throws VireoError for problems no row-skipping can fix (e.g. the header).
   */
  line(text: string, lineNo: number): boolean | RowProblem;
  /** End of input after `lines` lines; throws if the input was unusable as a whole. */
  end(lines: number): void;
}

export function clip(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export class RecordReader {
  private carry = "";
  private lineNo = 0;
  private builder: BatchBuilder | null = null;

  constructor(
    private readonly format: RecordFormat,
    private readonly handling: RowHandling,
    /** Where the input is, for messages: e.g. "CSV file '/data/x.csv'". */
    private readonly where: string,
    /** The input's name for SkippedRow.source. */
    private readonly source: string,
    private readonly out: Subscriber<Minibatch>,
  ) {}

  /** Processes every complete line of `chunk` (plus what was carried over); the rest is carried. */
  push(chunk: string): void {
    const text = this.carry.length > 0 ? this.carry + chunk : chunk;
    let start = 0;
    for (;;) {
      if (this.out.closed) {
        this.carry = "";
        return;
      }
      const nl = text.indexOf("\n", start);
      if (nl < 0) break;
      this.handle(text, start, nl);
      start = nl + 1;
    }
    this.carry = start === 0 ? text : text.slice(start);
  }

  /** End of input: the last line without a newline, the remainder batch, then complete. */
  end(): void {
    if (this.carry.length > 0 && !this.out.closed) {
      const text = this.carry;
      this.carry = "";
      this.handle(text, 0, text.length);
    }
    if (this.out.closed) return;
    this.format.end(this.lineNo);
    const last = this.builder?.flush() ?? null;
    if (last !== null) this.out.next(last);
    this.out.complete();
  }

  private handle(text: string, a: number, b: number): void {
    this.lineNo++;
    if (b > a && text.charCodeAt(b - 1) === 13) b--;
    if (this.lineNo === 1 && text.charCodeAt(a) === 0xfeff) a++; // byte-order mark
    let blank = true;
    for (let i = a; i < b && blank; i++) {
      const c = text.charCodeAt(i);
      blank = c === 32 || c === 9;
    }
    if (blank) return;
    const line = text.slice(a, b);
    const result = this.format.line(line, this.lineNo);
    if (result === false) return;
    if (result === true) {
      this.builder ??= new BatchBuilder(this.format.layout!, this.handling.batchSize);
      const full = this.builder.add(this.format.row);
      if (full !== null) this.out.next(full);
      return;
    }
    this.invalid(result);
  }

  private invalid(p: RowProblem): void {
    const text = clip(p.text);
    if (this.handling.skip) {
      this.handling.report?.(Object.freeze({ source: this.source, line: this.lineNo, field: p.field, text, reason: p.reason }));
      return;
    }
    const batch = this.builder?.index ?? 0;
    throw new VireoError(
      "INVALID_BATCH",
      `${this.where}, line ${this.lineNo}${p.field === "" ? "" : `, field '${p.field}'`}: ${p.reason}; the text is ${JSON.stringify(text)}. ` +
        `Fix the row, or pass onInvalid: "skip" to leave bad rows out (each reported to 'skipped').`,
      p.field === "" ? { batch } : { batch, field: p.field },
    );
  }
}
