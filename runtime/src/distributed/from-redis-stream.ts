/**
 * `fromRedisStream(options)`: an RxJS source of minibatches read from a Redis stream through a
 * consumer group (XREADGROUP), so several consumers share one stream and each batch goes to one
 * of them. Delivery is at least once: a batch stays pending until someone acknowledges it
 * (`batch.ack()`, XACK), which the caller does only once the batch's update is durable (in the
 * distributed SVI, the coordinator acknowledges in the same atomic commit that stores the
 * update). Batches a dead consumer left pending are re-claimed with XAUTOCLAIM once idle for
 * `claimIdleMs`; on (re)subscription a consumer first re-reads its own pending batches.
 * A message that cannot be read (not msgpack, truncated, missing fields) goes to the dead-letter
 * stream with the reason and is acknowledged; the rest flows on.
 *
 * Backpressure: one batch at a time. The next batch is read when the previous one is released:
 * as soon as the subscriber's `next` returns (release "on-emit", default: synchronous steps
 * such as `svi()`), or when the caller calls `batch.release()` or `batch.ack()` (release "manual":
 * asynchronous work). Unsubscribing stops reading and closes the source's connection.
 */
import { Observable } from "rxjs";
import { VireoError } from "@vireo/core";
import type { DataBinding } from "../engine/bind.js";
import { connect, close, ensureGroup, readReply, parseEntries, sleep, isConnectionError, type RedisInput, type StreamEntry } from "./redis.js";
import { decodeBatch, WireError } from "./wire.js";
import { deadLetter, type DeadLetter } from "./dead-letter.js";

export interface RedisStreamOptions {
  /** Redis URL or ioredis client (the source reads on its own duplicate connection). */
  readonly redis: RedisInput;
  readonly stream: string;
  readonly group: string;
  /** This consumer's name in the group (stable across restarts to re-read its own pending batches). */
  readonly consumer: string;
  /** Dead-letter stream (default `<stream>:dead`). */
  readonly deadLetters?: string;
  /** Idle time after which another consumer's pending batch is re-claimed (default 30 000 ms). */
  readonly claimIdleMs?: number;
  /** How often to look for idle pending batches (default claimIdleMs / 2). */
  readonly claimEveryMs?: number;
  /** Longest blocking read (default 1000 ms; bounds how late an unsubscribe or a claim check is). */
  readonly blockMs?: number;
  /** When the next batch is read: when `next` returns ("on-emit", default) or on release()/ack() ("manual"). */
  readonly release?: "on-emit" | "manual";
  /** Called for each message moved to the dead-letter stream. */
  readonly onDeadLetter?: (d: DeadLetter) => void;
  /** Called when Redis is unreachable (the source keeps retrying). */
  readonly onConnectionError?: (e: Error) => void;
}

/** A minibatch from the stream; usable directly as a `BatchInput` of the streaming operators. */
export interface RedisBatch {
  /** 0-based position in this subscription. */
  readonly index: number;
  readonly data: DataBinding;
  readonly widths: Readonly<Record<string, number>>;
  /** The producer's batch id (the unit of idempotence). */
  readonly batchId: string;
  /** The stream entry id. */
  readonly entryId: string;
  /** Whether the batch was re-claimed from another consumer that went idle. */
  readonly reclaimed: boolean;
  /** XACK: the batch is done for good (call only once its update is durable). Also releases. */
  ack(): Promise<void>;
  /** Lets the source read the next batch (release "manual"). */
  release(): void;
}

export function fromRedisStream(options: RedisStreamOptions): Observable<RedisBatch> {
  const claimIdleMs = options.claimIdleMs ?? 30_000;
  const claimEveryMs = options.claimEveryMs ?? Math.max(10, claimIdleMs / 2);
  const blockMs = options.blockMs ?? 1000;
  const manual = (options.release ?? "on-emit") === "manual";
  const dead = options.deadLetters ?? `${options.stream}:dead`;
  for (const [k, v] of [["claimIdleMs", claimIdleMs], ["claimEveryMs", claimEveryMs], ["blockMs", blockMs]] as const) {
    if (!(Number.isFinite(v) && v >= 1)) throw new VireoError("INVALID_OPTION", `fromRedisStream: ${k} must be ≥ 1 ms, got ${v}.`);
  }
  return new Observable<RedisBatch>((subscriber) => {
    const r = connect(options.redis, `vireo:${options.consumer}:reader`);
    let closed = false;
    const loop = async () => {
      let pendingCursor: string | null = "0", claimCursor = "0-0", lastClaimScan = Date.now(), index = 0, groupReady = false;
      while (!closed) {
        try {
          if (!groupReady) {
            await ensureGroup(r, options.stream, options.group);
            groupReady = true;
          }
          let entries: StreamEntry[], reclaimed = false;
          if (pendingCursor !== null) {
            // Our own batches delivered before a restart and never acknowledged.
            entries = readReply(await r.callBuffer("XREADGROUP", "GROUP", options.group, options.consumer, "COUNT", "1", "STREAMS", options.stream, pendingCursor));
            if (entries.length === 0) pendingCursor = null;
            else pendingCursor = entries[entries.length - 1]!.id;
          } else if (claimCursor !== "0-0" || Date.now() - lastClaimScan >= claimEveryMs) {
            const reply = (await r.callBuffer("XAUTOCLAIM", options.stream, options.group, options.consumer, String(claimIdleMs), claimCursor, "COUNT", "1")) as [Buffer, unknown, Buffer[]?];
            claimCursor = reply[0].toString();
            if (claimCursor === "0-0") lastClaimScan = Date.now();
            entries = parseEntries(reply[1]);
            reclaimed = true;
            // Entries deleted from the stream while pending: nothing to process, clear them.
            const deleted = (reply[2] ?? []).map((b) => b.toString());
            if (deleted.length > 0) await r.xack(options.stream, options.group, ...deleted);
          } else {
            entries = readReply(await r.callBuffer("XREADGROUP", "GROUP", options.group, options.consumer, "COUNT", "1", "BLOCK", String(blockMs), "STREAMS", options.stream, ">"));
          }
          for (const e of entries) {
            if (closed) return;
            const payload = e.fields.get("b");
            let batch: { id: string; data: DataBinding };
            try {
              if (payload === undefined) throw new WireError(`entry ${e.id} has no 'b' field (fields: [${[...e.fields.keys()].join(", ")}]).`);
              batch = decodeBatch(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength));
            } catch (err) {
              if (!(err instanceof WireError)) throw err;
              const d = await deadLetter(r, { dead, stream: options.stream, group: options.group, entry: e.id, consumer: options.consumer, reason: err.reason, payload: payload ?? null });
              options.onDeadLetter?.(d);
              continue;
            }
            let release!: () => void;
            const released = new Promise<void>((res) => (release = res));
            const item: RedisBatch = {
              index: index++, data: batch.data, widths: {}, batchId: batch.id, entryId: e.id, reclaimed,
              release,
              ack: async () => {
                await r.xack(options.stream, options.group, e.id);
                release();
              },
            };
            subscriber.next(item);
            if (!manual) release();
            await released;
          }
        } catch (err) {
          if (closed) return;
          if (isConnectionError(err)) {
            options.onConnectionError?.(err as Error);
            await sleep(100);
            continue;
          }
          if (String((err as Error).message).includes("NOGROUP")) {
            groupReady = false;
            continue;
          }
          subscriber.error(err);
          return;
        }
      }
    };
    void loop();
    return () => {
      closed = true;
      close(r);
    };
  });
}
