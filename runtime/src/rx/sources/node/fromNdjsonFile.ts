import type { Observable } from "rxjs";
import type { Minibatch, NdjsonOptions } from "../types.js";
import { checkNdjsonOptions, NdjsonFormat } from "../internal/ndjson.js";
import { checkPath, fileSource } from "./file-source.js";

/**
 * Minibatches from a newline-delimited JSON file (one object per line), streamed like fromCsvFile
 * (push, paused per chunk, destroyed on unsubscribe). `fields` selects, renames or groups keys; a
 * key may hold a number or an array of numbers (a vector field, width fixed by the first record).
 * Bad lines (invalid JSON, missing key, non-number, wrong array length) error with INVALID_BATCH
 * naming file, line, key and text, or are skipped and reported under onInvalid: "skip".
 */
export function fromNdjsonFile(path: string | URL, options: NdjsonOptions): Observable<Minibatch> {
  const where = "fromNdjsonFile";
  const file = checkPath(where, path);
  const config = checkNdjsonOptions(where, options);
  return fileSource(file, "NDJSON", config.handling, () => new NdjsonFormat(config));
}
