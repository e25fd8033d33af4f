/**
 * The Observables behind the CSV and NDJSON sources. Both push: batches go out synchronously as lines
 * are parsed. A consumer that works asynchronously per batch should queue with concatMap (or
 * mergeMap with a concurrency limit); the file source reads one chunk at a time, keeps the file
 * stream paused while a chunk's batches are emitted, and destroys it (closing the descriptor) on
 * unsubscribe, error or completion.
 */
import { createReadStream } from "node:fs";
import { fileURLToPath } from "node:url";
import { Observable } from "rxjs";
import { VireoError } from "@vireo/core";
import type { Minibatch } from "../types.js";
import { RecordReader, type RecordFormat } from "./reader.js";
import { describe, type RowHandling } from "./options.js";

export function checkText(where: string, text: unknown): string {
  if (typeof text !== "string") throw new VireoError("INVALID_OPTION", `${where}: expected the input as a string, got ${describe(text)}.`);
  return text;
}

export function checkPath(where: string, path: unknown): string {
  if (path instanceof URL) return fileURLToPath(path);
  if (typeof path !== "string" || path === "") throw new VireoError("INVALID_OPTION", `${where}: expected a file path (string or file: URL), got ${describe(path)}.`);
  return path;
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

/** A cold source over a file: each subscription opens its own read stream. */
export function fileSource(path: string, kind: string, handling: RowHandling, format: () => RecordFormat): Observable<Minibatch> {
  return new Observable<Minibatch>((subscriber) => {
    const stream = createReadStream(path, { encoding: "utf8" });
    const fail = (e: unknown) => {
      stream.destroy();
      subscriber.error(e);
    };
    let reader: RecordReader;
    try {
      reader = new RecordReader(format(), handling, `${kind} file '${path}'`, path, subscriber);
    } catch (e) {
      fail(e);
      return;
    }
    stream.on("data", (chunk) => {
      stream.pause();
      try {
        reader.push(chunk as string);
      } catch (e) {
        fail(e);
        return;
      }
      // After an unsubscribe during the chunk the teardown has already destroyed the stream.
      if (!subscriber.closed) stream.resume();
    });
    stream.on("end", () => {
      try {
        reader.end();
      } catch (e) {
        fail(e);
      }
    });
    stream.on("error", (e) => {
      fail(new VireoError("INVALID_DATA", `Cannot read ${kind} file '${path}': ${e.message}. Check the path and its permissions.`));
    });
    return () => {
      stream.destroy();
    };
  });
}
