/**
 * Connections and the small Redis helpers the distributed pieces share. Connections speak RESP2
 * (stable reply shapes for the stream commands) and wait for
 * Redis through outages (maxRetriesPerRequest: null, reconnect with a capped backoff), so a
 * Redis restart pauses workers and coordinator instead of killing them.
 */
import { Redis } from "ioredis";

export type RedisLike = Redis;

/** A client given as a URL (a connection of our own) or an ioredis client (duplicated where a blocking read needs its own). */
export type RedisInput = string | Redis;

export function connect(input: RedisInput, name: string): Redis {
  const options = { protocol: 2, maxRetriesPerRequest: null, connectionName: name, retryStrategy: (n: number) => Math.min(50 * n, 1000), enableAutoPipelining: false } as const;
  const r = typeof input === "string" ? new Redis(input, options) : input.duplicate(options);
  // Connection errors surface through the commands, which retry; without a listener ioredis prints each one.
  r.on("error", () => {});
  return r;
}

/** Closes a connection without waiting for replies that will never come (blocked reads). */
export function close(r: Redis): void {
  r.disconnect(false);
}

/** One stream entry: id and field → value (Buffers). */
export interface StreamEntry {
  readonly id: string;
  readonly fields: Map<string, Buffer>;
}

/** Parses [[id, [k, v, k, v…]], …] as returned (in Buffers) by XREADGROUP, XRANGE, XAUTOCLAIM. Deleted entries (null fields) get an empty map. */
export function parseEntries(raw: unknown): StreamEntry[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((e: [Buffer, Buffer[] | null]) => {
    const fields = new Map<string, Buffer>();
    const kv = e[1] ?? [];
    for (let i = 0; i + 1 < kv.length; i += 2) fields.set(kv[i]!.toString(), kv[i + 1]!);
    return { id: e[0].toString(), fields };
  });
}

/** Entries of one stream from an XREADGROUP / XREAD reply ([[key, entries]] or null). */
export function readReply(raw: unknown): StreamEntry[] {
  if (!Array.isArray(raw) || raw.length === 0) return [];
  return parseEntries((raw[0] as [Buffer, unknown])[1]);
}

/** Creates a consumer group reading the stream from its start (so nothing produced earlier is missed); an existing group is kept. */
export async function ensureGroup(r: Redis, stream: string, group: string): Promise<void> {
  try {
    await r.xgroup("CREATE", stream, group, "0", "MKSTREAM");
  } catch (e) {
    if (!String((e as Error).message).includes("BUSYGROUP")) throw e;
  }
}

export const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

/** Whether an error is Redis being away (retry later) rather than a reply error. */
export function isConnectionError(e: unknown): boolean {
  const m = String((e as Error)?.message ?? e);
  return /Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|LOADING|Stream isn't writeable|max retries|socket|ETIMEDOUT|READONLY|MASTERDOWN/i.test(m);
}
