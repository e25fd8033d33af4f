import type { Observable } from "rxjs";
import type { Minibatch, NdjsonOptions } from "./types.js";
import { checkNdjsonOptions, NdjsonFormat } from "./internal/ndjson.js";
import { checkText, textSource } from "./internal/observe.js";

/**
 * Minibatches from newline-delimited JSON held in a string (same parser and options as
 * fromNdjsonFile). Cold, lazy, and stops at unsubscribe.
 */
export function fromNdjsonText(text: string, options: NdjsonOptions): Observable<Minibatch> {
  const where = "fromNdjsonText";
  const source = checkText(where, text);
  const config = checkNdjsonOptions(where, options);
  return textSource(source, "NDJSON", config.handling, () => new NdjsonFormat(config));
}
