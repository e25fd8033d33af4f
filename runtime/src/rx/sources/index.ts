/** Minibatch sources for the streaming operators: in-memory columns, CSV and NDJSON (files or text). */
export type { Minibatch, SkippedRow, SkipReporter, ColumnMap, RowSourceOptions, CsvOptions, NdjsonOptions } from "./types.js";
export { fromArrays, type ArrayColumn, type FromArraysOptions } from "./fromArrays.js";
export { fromCsvText } from "./fromCsvText.js";
export { fromCsvFile } from "./fromCsvFile.js";
export { fromNdjsonText } from "./fromNdjsonText.js";
export { fromNdjsonFile } from "./fromNdjsonFile.js";
export { batchToBinding } from "./batchToBinding.js";
