import type { Observable } from "rxjs";
import type { Minibatch, CsvOptions } from "./types.js";
import { checkCsvOptions, CsvFormat } from "./internal/csv.js";
import { checkText, textSource } from "./internal/observe.js";

/**
 * Minibatches from CSV held in a string (same parser and options as fromCsvFile). Cold: each
 * subscription parses from the start; lines are parsed only as batches are emitted, and parsing
 * stops at unsubscribe. Malformed rows error with INVALID_BATCH (line, field, text) or are skipped.
 */
export function fromCsvText(text: string, options: CsvOptions): Observable<Minibatch> {
  const where = "fromCsvText";
  const source = checkText(where, text);
  const config = checkCsvOptions(where, options);
  return textSource(source, "CSV", config.handling, () => new CsvFormat(config, "CSV text"));
}
