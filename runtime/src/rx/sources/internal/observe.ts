/**
 * The Observable behind the CSV and NDJSON text sources (the file sources are Node-only, in
 * ../node/file-source.ts). It pushes: batches go out synchronously as lines are parsed. A consumer
 * that works asynchronously per batch should queue with concatMap (or mergeMap with a concurrency
 * limit).
 */
import { Observable } from "rxjs";
import { VireoError } from "@vireo/core";
import type { Minibatch } from "../types.js";
import { RecordReader, type RecordFormat } from "./reader.js";
import { describe, type RowHandling } from "./options.js";

export function checkText(where: string, text: unknown): string {
  if (typeof text !== "string") throw new VireoError("INVALID_OPTION", `${where}: expected the input as a string, got ${describe(text)}.`);
  return text;
}

/** A cold source over a string: each subscription parses it from the start, line by line. */
export function textSource(text: string, kind: string, handling: RowHandling, format: () => RecordFormat): Observable<Minibatch> {
  return new Observable<Minibatch>((subscriber) => {
    try {
      const reader = new RecordReader(format(), handling, `${kind} text`, `${kind} text`, subscriber);
      reader.push(text);
      reader.end();
    } catch (e) {
      subscriber.error(e);
    }
  });
}
