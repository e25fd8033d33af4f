/**
 * Watching a distributed job: the snapshot stream of the global posterior (any number of
 * observers, each reading with plain XREAD, none of them slowing the job down) and a one-shot
 * status read (version, metrics, dead letters, applied batches).
 */
import { Observable } from "rxjs";
import type { Redis } from "ioredis";
import type { PosteriorSummary } from "../engine/posterior.js";
import { jobKeys } from "./keys.js";
import { connect, close, readReply, sleep, isConnectionError, type RedisInput } from "./redis.js";
import { decode, field, isCount, isString } from "./wire.js";

export interface DistributedSnapshot {
  /** The snapshot stream entry id. */
  readonly id: string;
  readonly job: string;
  /** The step counter (globals version) the snapshot shows. */
  readonly step: number;
  /** Milliseconds since the epoch, when the coordinator committed it. */
  readonly time: number;
  readonly posteriors: Readonly<Record<string, PosteriorSummary>>;
  /** The coordinator's metrics at that commit (see CoordinatorMetrics). */
  readonly metrics: Readonly<Record<string, unknown>>;
}

/**
 * Snapshots of a job's global posterior as the coordinator commits them. `from`: "$" (default)
 * for new snapshots only, "0" for every kept snapshot first, or an entry id to continue after.
 */
export function watchSnapshots(options: { redis: RedisInput; job: string; from?: string; blockMs?: number }): Observable<DistributedSnapshot> {
  const keys = jobKeys(options.job);
  return new Observable<DistributedSnapshot>((subscriber) => {
    const r = connect(options.redis, `vireo:${options.job}:observer`);
    let closed = false;
    void (async () => {
      let cursor = options.from ?? "$";
      while (!closed) {
        try {
          const entries = readReply(await r.callBuffer("XREAD", "BLOCK", String(options.blockMs ?? 1000), "STREAMS", keys.snapshots, cursor));
          for (const e of entries) {
            cursor = e.id;
            const b = e.fields.get("s");
            if (!b) continue;
            const m = decode(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), "snapshot");
            subscriber.next({
              id: e.id,
              job: field(m, "job", "snapshot", isString, "a job name"),
              step: field(m, "step", "snapshot", isCount, "a step counter"),
              time: field(m, "time", "snapshot", isCount, "a time"),
              posteriors: m.posteriors as Record<string, PosteriorSummary>,
              metrics: m.metrics as Record<string, unknown>,
            });
          }
        } catch (err) {
          if (closed) return;
          if (isConnectionError(err)) {
            await sleep(200);
            continue;
          }
          subscriber.error(err);
          return;
        }
      }
    })();
    return () => {
      closed = true;
      close(r);
    };
  });
}

export interface JobStatus {
  /** Committed step counter (globals version); 0 before the first commit. */
  readonly version: number;
  /** Batches applied (entries of the applied log: one per application). */
  readonly appliedLog: number;
  /** Distinct batch ids applied. */
  readonly appliedDistinct: number;
  readonly deadLetters: number;
  /** Entries on the input stream (kept, acknowledged or not). */
  readonly batches: number;
  /** The coordinator's last committed metrics, plus the workers' `reclaimed` counter. */
  readonly metrics: Readonly<Record<string, string>>;
  /** Current lease holder, or null. */
  readonly leader: string | null;
}

export async function readJobStatus(r: Redis, job: string): Promise<JobStatus> {
  const k = jobKeys(job);
  const [version, log, distinct, dead, batches, metrics, leader] = await Promise.all([
    r.get(k.version), r.llen(k.log), r.scard(k.applied), r.xlen(k.dead), r.xlen(k.batches), r.hgetall(k.metrics), r.get(k.lease),
  ]);
  return { version: Number(version ?? 0), appliedLog: log, appliedDistinct: distinct, deadLetters: dead, batches, metrics, leader };
}
