/**
 * The dead-letter stream: a message that cannot be processed (malformed, truncated, data the
 * model refuses) is copied there with the reason, and acknowledged in the same transaction, so
 * the rest of the stream flows on and an operator can inspect or replay it.
 */
import type { Redis } from "ioredis";
import { parseEntries } from "./redis.js";

export interface DeadLetter {
  /** Entry id in the dead-letter stream. */
  readonly id: string;
  readonly reason: string;
  /** The stream and entry the message came from. */
  readonly stream: string;
  readonly entry: string;
  readonly consumer: string;
  /** The original bytes (absent if the entry had no payload). */
  readonly payload: Buffer | null;
}

export async function deadLetter(
  r: Redis,
  d: { dead: string; stream: string; group: string; entry: string; consumer: string; reason: string; payload: Buffer | null },
): Promise<DeadLetter> {
  const fields: (string | Buffer)[] = ["reason", d.reason, "stream", d.stream, "entry", d.entry, "consumer", d.consumer];
  if (d.payload !== null) fields.push("payload", d.payload);
  const reply = await r.multi().xadd(d.dead, "*", ...fields).xack(d.stream, d.group, d.entry).exec();
  const err = reply?.find(([e]) => e !== null)?.[0];
  if (err) throw err;
  return { id: String(reply![0]![1]), reason: d.reason, stream: d.stream, entry: d.entry, consumer: d.consumer, payload: d.payload };
}

/** Reads a dead-letter stream (oldest first). */
export async function readDeadLetters(r: Redis, dead: string, count = 100): Promise<DeadLetter[]> {
  const entries = parseEntries(await r.callBuffer("XRANGE", dead, "-", "+", "COUNT", String(count)));
  return entries.map((e) => ({
    id: e.id,
    reason: e.fields.get("reason")?.toString() ?? "",
    stream: e.fields.get("stream")?.toString() ?? "",
    entry: e.fields.get("entry")?.toString() ?? "",
    consumer: e.fields.get("consumer")?.toString() ?? "",
    payload: e.fields.get("payload") ?? null,
  }));
}
