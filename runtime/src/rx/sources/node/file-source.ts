/**
 * The Observable behind the CSV and NDJSON file sources (Node-only: exported from
 * `@vireo/runtime/node`). It pushes: batches go out synchronously as lines are parsed; it reads one
 * chunk at a time, keeps the file stream paused while a chunk's batches are emitted, and destroys it
 * (closing the descriptor) on unsubscribe, error or completion.
 */
import { createReadStream } from "node:fs";
import { fileURLToPath } from "node:url";
import { Observable } from "rxjs";
import { VireoError } from "@vireo/core";
import type { Minibatch } from "../types.js";
import { RecordReader, type RecordFormat } from "../internal/reader.js";
import { describe, type RowHandling } from "../internal/options.js";

export function checkPath(where: string, path: unknown): string {
  if (path instanceof URL) return fileURLToPath(path);
  if (typeof path !== "string" || path === "") throw new VireoError("INVALID_OPTION", `${where}: expected a file path (string or file: URL), got ${describe(path)}.`);
  return path;
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
