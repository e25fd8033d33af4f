/**
 * Appending minibatches to a job's input stream (XADD): msgpack with the batch id, which makes
 * every batch count once however often it is delivered, fitted or re-sent by the producer.
 */
import type { Redis } from "ioredis";
import { randomUUID } from "node:crypto";
import { VireoError } from "@vireo/core";
import type { DataBinding } from "../engine/bind.js";
import { jobKeys } from "./keys.js";
import { encodeBatch } from "./wire.js";

export interface ProducedBatch {
  readonly id: string;
  /** The stream entry id. */
  readonly entry: string;
}

/** Appends one batch; `id` defaults to a random UUID. Returns the batch id and the entry id. */
export async function produceBatch(r: Redis, job: string, data: DataBinding, id: string = randomUUID()): Promise<ProducedBatch> {
  if (typeof id !== "string" || id.length === 0 || id.length > 256) throw new VireoError("INVALID_OPTION", `produceBatch: the batch id must be a string of 1–256 characters, got ${JSON.stringify(id)}.`);
  const entry = await r.xadd(jobKeys(job).batches, "*", "b", Buffer.from(encodeBatch(id, data)));
  return { id, entry: entry! };
}

/** Appends raw bytes as a batch message (for tools that encode elsewhere, and for fault drills). */
export async function produceRaw(r: Redis, job: string, bytes: Uint8Array): Promise<string> {
  return (await r.xadd(jobKeys(job).batches, "*", "b", Buffer.from(bytes)))!;
}
