/** Minibatch sources for the streaming operators: in-memory columns, CSV and NDJSON text (the file sources are in ./node/, exported from `@vireo/runtime/node`). */
export type { Minibatch, SkippedRow, SkipReporter, ColumnMap, RowSourceOptions, CsvOptions, NdjsonOptions } from "./types.js";
export { fromArrays, type ArrayColumn, type FromArraysOptions } from "./fromArrays.js";
export { fromCsvText } from "./fromCsvText.js";
export { fromNdjsonText } from "./fromNdjsonText.js";
export { batchToBinding } from "./batchToBinding.js";
