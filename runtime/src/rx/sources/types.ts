/** Types shared by the minibatch sources (fromArrays, fromCsvFile, fromCsvText, fromNdjsonFile, fromNdjsonText). */

/**
 * One minibatch. Every field holds `rows × widths[field]` numbers, row-major, in a Float64Array owned
 * by this batch (sources never reuse it, so batches may be kept). `data` is already a valid
 * DataBinding when each width equals the bound variable's value size; `batchToBinding` gives the
 * nested [rows, width] shapes instead. The batch and its records are frozen; treat the arrays as
 * read-only.
 */
export interface Minibatch {
  /** 0-based batch number over the whole stream (across epochs). */
  readonly index: number;
  /** 0-based pass over the data (fromArrays with epochs > 1); always 0 for files and text. */
  readonly epoch: number;
  /** Rows in this batch: batchSize, or fewer for the last batch of an epoch. */
  readonly rows: number;
  readonly data: Readonly<Record<string, Float64Array>>;
  /** Values per row of each field (1 for a scalar column, k for a k-vector). */
  readonly widths: Readonly<Record<string, number>>;
}

/** A row left out under onInvalid: "skip". */
export interface SkippedRow {
  /** The file path, or "CSV text" / "NDJSON text". */
  readonly source: string;
  /** 1-based line number in the input, counting the header and blank lines. */
  readonly line: number;
  /** The offending column or key ("" when the whole line is unusable, e.g. invalid JSON). */
  readonly field: string;
  /** The offending text (the field's text, or the whole line), clipped to 80 characters. */
  readonly text: string;
  readonly reason: string;
}

/** Receives skipped-row reports: a function or anything with next(), e.g. an RxJS Subject. */
export type SkipReporter = ((row: SkippedRow) => void) | { next(row: SkippedRow): void };

/**
 * Which input columns (CSV) or keys (NDJSON) become which batch fields:
 * - an array of names selects those columns, each a field of the same name;
 * - a record maps field name → one column (rename), or → several columns grouped into a vector
 *   field of that width, e.g. { x: ["eruptions", "waiting"], label: "label" }.
 * Omitted: every column becomes a field of its own name (all must then be numeric).
 */
export type ColumnMap = readonly string[] | Readonly<Record<string, string | readonly string[]>>;

export interface RowSourceOptions {
  /** Rows per batch (a positive integer); the remainder is emitted as a last, smaller batch. */
  readonly batchSize: number;
  /** "error" (default): a malformed row errors the stream with INVALID_BATCH. "skip": drop it and report it. */
  readonly onInvalid?: "error" | "skip";
  /** Told about every skipped row under onInvalid: "skip". */
  readonly skipped?: SkipReporter;
}

export interface CsvOptions extends RowSourceOptions {
  readonly columns?: ColumnMap;
  /** One character; default ",". */
  readonly delimiter?: string;
  /**
   * true (default): the first line names the columns. An array of names: the input has no header
   * line and these are its columns, in order.
   */
  readonly header?: true | readonly string[];
}

export interface NdjsonOptions extends RowSourceOptions {
  /**
   * Keys to read (see ColumnMap). A key may hold a number or an array of numbers (a vector field
   * whose width is taken from the first record). Omitted: every key of the first record.
   */
  readonly fields?: ColumnMap;
}
