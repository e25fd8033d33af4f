import type { Observable } from "rxjs";
import type { Minibatch, CsvOptions } from "../types.js";
import { checkCsvOptions, CsvFormat } from "../internal/csv.js";
import { checkPath, fileSource } from "./file-source.js";

/**
 * Minibatches from a CSV file, streamed with fs.createReadStream: memory holds one chunk and one
 * batch, never the file. `columns` selects, renames or groups columns into vector fields, e.g.
 * { x: ["eruptions", "waiting"], label: "label" }; unselected columns (text included) are not parsed.
 * Quoted fields may contain the delimiter; CRLF and a last line without a newline are fine.
 *
 * The source pushes: each chunk's batches are emitted synchronously while the file stream is paused.
 * An asynchronous consumer should queue with concatMap. Unsubscribing destroys the stream (no more
 * reads, descriptor closed). A malformed row errors with VireoError INVALID_BATCH naming the file,
 * line (1-based, header included), column and text; with onInvalid: "skip" it is left out and
 * reported to `skipped`. A header that lacks a selected column errors with INVALID_DATA.
 */
export function fromCsvFile(path: string | URL, options: CsvOptions): Observable<Minibatch> {
  const where = "fromCsvFile";
  const file = checkPath(where, path);
  const config = checkCsvOptions(where, options);
  return fileSource(file, "CSV", config.handling, () => new CsvFormat(config, `CSV file '${file}'`));
}
