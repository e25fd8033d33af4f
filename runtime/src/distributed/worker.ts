/**
 * A distributed-SVI worker: takes batches from the job's input stream through the `workers`
 * consumer group (fromRedisStream), fits each batch's locals against the newest committed
 * globals and publishes the batch's contribution with the globals version it used. It never
 * acknowledges a batch: the coordinator does, in the commit that makes the update durable.
 * Until then the worker keeps the batches it holds or has published from looking idle (XCLAIM …
 * JUSTID, which resets their idle time), so only the batches of a dead or stuck worker are re-claimed.
 */
import { Subscription, concatMap, from } from "rxjs";
import { VireoError } from "@vireo/core";
import type { Registry } from "../registry/registry.js";
import { SviEngine, type SviOptions } from "../svi/svi-engine.js";
import { OnlineEngine, type OnlineOptions } from "../svi/online-engine.js";
import { sviBatchTarget, onlineFitBatch } from "../svi/distributed-steps.js";
import { connect, close, sleep, isConnectionError, type RedisInput } from "./redis.js";
import { WORKER_GROUP } from "./keys.js";
import { loadJob, engineOptions, batchSeed, type Job } from "./job.js";
import { fromRedisStream, type RedisBatch } from "./from-redis-stream.js";
import { deadLetter, type DeadLetter } from "./dead-letter.js";
import { encodeContribution, decodeGlobals, type Contribution, type WireGlobals } from "./wire.js";

export interface WorkerOptions {
  readonly redis: RedisInput;
  readonly job: string;
  /** Consumer name, unique among live workers (restart with the same name to re-read own pending batches). */
  readonly name: string;
  /** Resolves the job's families and node types (a Registry with the packs the model uses). */
  readonly registry: Registry;
  /** Idle time after which a dead worker's batches are re-claimed (default 30 000 ms). */
  readonly claimIdleMs?: number;
  /** Longest blocking read (default 500 ms). */
  readonly blockMs?: number;
  /** Fault and staleness drills: wait this long after fitting, before publishing (default 0). */
  readonly delayMs?: number;
  /** How long to wait for the job to be created (default 30 000 ms). */
  readonly waitForJobMs?: number;
  readonly onEvent?: (e: WorkerEvent) => void;
}

export type WorkerEvent =
  | { readonly type: "batch-start"; readonly batch: string; readonly entry: string; readonly reclaimed: boolean }
  | { readonly type: "batch-done"; readonly batch: string; readonly version: number; readonly ms: number; readonly sweeps: number }
  | { readonly type: "dead-letter"; readonly letter: DeadLetter }
  | { readonly type: "redis-unavailable"; readonly message: string };

export interface WorkerHandle {
  /** Batches fitted and published. */
  readonly fitted: () => number;
  readonly reclaimed: () => number;
  /** Stops reading (the batch in hand is finished first) and closes the connections. */
  stop(): Promise<void>;
  /** Settles when the worker stops (rejects on an unrecoverable error). */
  readonly done: Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<WorkerHandle> {
  const r = connect(options.redis, `vireo:${options.name}`);
  const job = await loadJob(r, options.job, options.registry, options.waitForJobMs ?? 30_000);
  const keys = job.keys;
  const claimIdleMs = options.claimIdleMs ?? 30_000;
  const emit = options.onEvent ?? (() => {});
  const fit = makeFitter(job);
  let cached: WireGlobals | null = null;
  let fitted = 0, reclaimed = 0, stopping = false;
  // Batches being fitted or published and not yet acknowledged: entry id → time taken.
  const inFlight = new Map<string, number>();

  const currentGlobals = async (): Promise<WireGlobals | null> => {
    const v = await r.get(keys.version);
    if (v === null) return null;
    if (cached !== null && String(cached.version) === v) return cached;
    const bytes = await r.getBuffer(keys.globals);
    if (bytes === null) return null;
    cached = decodeGlobals(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return cached;
  };

  const handle = async (b: RedisBatch): Promise<void> => {
    emit({ type: "batch-start", batch: b.batchId, entry: b.entryId, reclaimed: b.reclaimed });
    const t0 = Date.now();
    inFlight.set(b.entryId, t0); // heartbeat it while fitting too: a long fit is not a dead worker
    if (b.reclaimed) {
      reclaimed++;
      await r.hincrby(keys.metrics, "reclaimed", 1);
    }
    for (;;) {
      try {
        const g = await currentGlobals();
        let c: Contribution & { sweeps: number };
        try {
          c = fit(b, g, options.name);
        } catch (e) {
          if (!(e instanceof VireoError) || !["INVALID_DATA", "DIMENSION_MISMATCH", "UNKNOWN_NAME", "INVALID_BATCH", "NUMERICAL_FAILURE"].includes(e.code)) throw e;
          // The batch itself is bad: dead-letter it with the reason; the stream flows on.
          inFlight.delete(b.entryId);
          const letter = await deadLetter(r, { dead: keys.dead, stream: keys.batches, group: WORKER_GROUP, entry: b.entryId, consumer: options.name, reason: `batch '${b.batchId}': ${e.message}`, payload: null });
          emit({ type: "dead-letter", letter });
          b.release();
          return;
        }
        if (options.delayMs) await sleep(options.delayMs);
        const { sweeps, ...contribution } = c;
        await r.xadd(keys.contributions, "*", "b", Buffer.from(encodeContribution(contribution)));
        fitted++;
        emit({ type: "batch-done", batch: b.batchId, version: c.version, ms: Date.now() - t0, sweeps });
        b.release();
        return;
      } catch (e) {
        if (!isConnectionError(e) || stopping) throw e;
        emit({ type: "redis-unavailable", message: (e as Error).message });
        await sleep(200);
      }
    }
  };

  // Keep held and published batches from looking idle until the coordinator acknowledges them.
  const heartbeat = setInterval(() => {
    if (inFlight.size === 0) return;
    const ids = [...inFlight.keys()];
    r.xclaim(keys.batches, WORKER_GROUP, options.name, 0, ...ids, "JUSTID")
      .then((still) => {
        const pending = new Set((still as string[]).map(String));
        for (const id of ids) if (!pending.has(id)) inFlight.delete(id);
      })
      .catch(() => {});
  }, Math.max(50, claimIdleMs / 3));

  let sub: Subscription;
  const done = new Promise<void>((resolve, reject) => {
    sub = fromRedisStream({
      redis: r, stream: keys.batches, group: WORKER_GROUP, consumer: options.name, deadLetters: keys.dead,
      claimIdleMs, blockMs: options.blockMs ?? 500, release: "manual",
      onDeadLetter: (letter) => emit({ type: "dead-letter", letter }),
      onConnectionError: (e) => emit({ type: "redis-unavailable", message: e.message }),
    })
      .pipe(concatMap((b) => from(handle(b))))
      .subscribe({ error: reject, complete: resolve });
    sub.add(() => resolve());
  });
  return {
    fitted: () => fitted,
    reclaimed: () => reclaimed,
    done,
    stop: async () => {
      stopping = true;
      sub.unsubscribe();
      clearInterval(heartbeat);
      close(r);
      await done.catch(() => {});
    },
  };
}

/** The fitting half of the job's mode, with the engines reused across batches. */
function makeFitter(job: Job): (b: RedisBatch, g: WireGlobals | null, worker: string) => Contribution & { sweeps: number } {
  const seedOf = (b: RedisBatch) => batchSeed(job.options.seed, b.batchId);
  if (job.mode === "svi") {
    const engine = new SviEngine(job.model, engineOptions(job) as unknown as SviOptions);
    return (b, g, worker) => {
      const r = sviBatchTarget(engine, b.data, g?.globals ?? null, seedOf(b));
      return { kind: "svi", batch: b.batchId, entry: b.entryId, version: g?.version ?? 0, worker, target: r.target, start: r.start, rows: r.rows, sweeps: r.localSweeps };
    };
  }
  const options = engineOptions(job) as unknown as OnlineOptions;
  const scratch = new OnlineEngine(job.model, options);
  return (b, g, worker) => {
    if (g !== null && g.evidence === null) throw new VireoError("INVALID_STATE", `Distributed online job '${job.keys.job}': the stored globals carry no evidence; was the job's coordinator started in SVI mode?`);
    const from = g === null ? null : { t: g.version, globals: g.globals, evidence: g.evidence! };
    const f = onlineFitBatch(scratch, b.data, from, seedOf(b), options);
    return { kind: "online", batch: b.batchId, entry: b.entryId, version: f.from.t, worker, fromEvidence: f.from.evidence, evidence: f.evidence, globals: f.globals, sweeps: f.sweeps };
  };
}
