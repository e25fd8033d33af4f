/**
 * The distributed-SVI coordinator. One process at a time holds the role through a lease (a key
 * with a TTL, renewed at a third of it); others wait as standbys and take over when it expires.
 * On taking over, the coordinator resumes from the last checkpoint stored in Redis, then reads the
 * contributions stream through the `coordinator` consumer group: first the ones its predecessor
 * read but never committed, then new ones. For each contribution it
 *   - skips it if its batch id was applied before (idempotence: a batch counts once),
 *   - sends the batch back to the input stream if it is staler than the bound (fitted against
 *     globals more than maxStaleness versions old), or if it was fitted from the prior after the
 *     first step was taken: it will be fitted again against newer globals,
 *   - otherwise applies it: Hoffman's step λ ← (1 − ρ_t) λ + ρ_t λ̂ (SVI), or the evidence fold of
 *     online updating, and bumps the version (= the step counter).
 * The contributions read together are committed at once by one atomic script (commit-script.ts):
 * checkpoint, globals, version, applied ids, acknowledgements of the batches and contributions,
 * requeues, metrics and a snapshot. A coordinator that dies before committing loses nothing: its
 * successor re-reads the same pending contributions and applies them to the same checkpoint.
 */
import type { Redis } from "ioredis";
import { randomUUID } from "node:crypto";
import { VireoError } from "@vireo/core";
import type { Registry } from "../registry/registry.js";
import { encodeCheckpoint, decodeCheckpoint } from "../checkpoint/checkpoint.js";
import { sviCheckpoint, resumeSvi } from "../checkpoint/svi.js";
import { onlineCheckpoint, resumeOnline } from "../checkpoint/online.js";
import { SviEngine, type SviOptions } from "../svi/svi-engine.js";
import { OnlineEngine, type OnlineOptions } from "../svi/online-engine.js";
import { sviApplyTarget, onlineApplyFit } from "../svi/distributed-steps.js";
import { connect, close, ensureGroup, readReply, sleep, isConnectionError, type RedisInput } from "./redis.js";
import { COORDINATOR_GROUP, COORDINATOR_CONSUMER, WORKER_GROUP } from "./keys.js";
import { loadJob, engineOptions } from "./job.js";
import { decodeContribution, encodeGlobals, encode, WireError, WIRE_VERSION, type Contribution } from "./wire.js";
import { deadLetter, type DeadLetter } from "./dead-letter.js";
import { COMMIT_LUA, RENEW_LUA, RELEASE_LUA } from "./commit-script.js";
import { summarise } from "../rx/stream-step.js";

export interface CoordinatorOptions {
  readonly redis: RedisInput;
  readonly job: string;
  readonly registry: Registry;
  /** Lease time-to-live (default 5000 ms): a dead coordinator is replaced within about this long. */
  readonly leaseMs?: number;
  /** Most contributions applied per commit (default 64). */
  readonly maxGroup?: number;
  /** Longest blocking read (default 200 ms). */
  readonly blockMs?: number;
  /** Shortest time between two snapshots on the snapshot stream (default 250 ms; 0: every commit). */
  readonly snapshotEveryMs?: number;
  /** Snapshots kept on the stream (approximately; default 1000). */
  readonly snapshotsKept?: number;
  /** Which posteriors the snapshots summarise (default "all"). */
  readonly summaries?: readonly string[] | "all" | "none";
  /** How long to wait for the job to be created (default 30 000 ms). */
  readonly waitForJobMs?: number;
  readonly onEvent?: (e: CoordinatorEvent) => void;
}

export type CoordinatorEvent =
  | { readonly type: "standby"; readonly holder: string | null }
  | { readonly type: "leader"; readonly id: string; readonly resumedAt: number }
  | { readonly type: "commit"; readonly version: number; readonly applied: number; readonly duplicates: number; readonly requeued: number }
  | { readonly type: "dead-letter"; readonly letter: DeadLetter }
  | { readonly type: "lease-lost" }
  | { readonly type: "redis-unavailable"; readonly message: string };

export interface CoordinatorMetrics {
  /** The step counter (= globals version). */
  readonly steps: number;
  /** Contributions applied by this process. */
  readonly applied: number;
  readonly duplicates: number;
  /** Contributions sent back for refitting because they were staler than the bound. */
  readonly requeued: number;
  readonly deadLetters: number;
  /** Applied batches per second over the last 10 s. */
  readonly batchesPerSecond: number;
  /** Staleness (versions) of the last applied contribution, the largest and the mean so far. */
  readonly staleness: { readonly last: number; readonly max: number; readonly mean: number };
  /** Batches not yet delivered to any worker plus batches delivered and not acknowledged (XINFO GROUPS). */
  readonly lag: number;
  readonly pending: number;
}

export interface CoordinatorHandle {
  readonly id: string;
  /** Whether this process holds the lease now. */
  readonly isLeader: () => boolean;
  readonly metrics: () => CoordinatorMetrics;
  /** Stops: finishes the commit in hand, releases the lease, closes the connections. */
  stop(): Promise<void>;
  /** Settles when the coordinator stops (rejects on an unrecoverable error). */
  readonly done: Promise<void>;
}

type Engine = { kind: "svi"; engine: SviEngine } | { kind: "online"; engine: OnlineEngine };

interface CommitRedis extends Redis {
  vireoCommit(...args: (string | Buffer | number)[]): Promise<string>;
  vireoRenew(lease: string, id: string, ttl: number): Promise<number>;
  vireoRelease(lease: string, id: string): Promise<number>;
}

export async function startCoordinator(options: CoordinatorOptions): Promise<CoordinatorHandle> {
  const id = `${process.pid}-${randomUUID()}`;
  const r = connect(options.redis, `vireo:coordinator:${id}`) as CommitRedis;
  r.defineCommand("vireoCommit", { numberOfKeys: 10, lua: COMMIT_LUA });
  r.defineCommand("vireoRenew", { numberOfKeys: 1, lua: RENEW_LUA });
  r.defineCommand("vireoRelease", { numberOfKeys: 1, lua: RELEASE_LUA });
  const job = await loadJob(r, options.job, options.registry, options.waitForJobMs ?? 30_000);
  const keys = job.keys;
  const leaseMs = options.leaseMs ?? 5000, maxGroup = options.maxGroup ?? 64, blockMs = options.blockMs ?? 200;
  const snapshotEveryMs = options.snapshotEveryMs ?? 250, snapshotsKept = options.snapshotsKept ?? 1000;
  const emit = options.onEvent ?? (() => {});
  if (!(Number.isSafeInteger(maxGroup) && maxGroup >= 1)) throw new VireoError("INVALID_OPTION", `coordinator: maxGroup must be a positive integer, got ${maxGroup}.`);
  if (!(leaseMs >= 100)) throw new VireoError("INVALID_OPTION", `coordinator: leaseMs must be ≥ 100, got ${leaseMs}.`);

  let stopping = false, leader = false, lastRenewOk = 0;
  const counters = { applied: 0, duplicates: 0, requeued: 0, deadLetters: 0, stalenessSum: 0, stalenessMax: 0, stalenessLast: 0, lag: 0, pending: 0 };
  const recent: number[] = []; // times of recent applications, for batches/s
  let engine: Engine | null = null;

  const metrics = (): CoordinatorMetrics => {
    const now = Date.now();
    while (recent.length > 0 && recent[0]! < now - 10_000) recent.shift();
    const span = recent.length > 1 ? Math.max(1, now - recent[0]!) / 1000 : 10;
    return {
      steps: engine?.engine.steps ?? 0,
      applied: counters.applied, duplicates: counters.duplicates, requeued: counters.requeued, deadLetters: counters.deadLetters,
      batchesPerSecond: recent.length / span,
      staleness: { last: counters.stalenessLast, max: counters.stalenessMax, mean: counters.applied === 0 ? 0 : counters.stalenessSum / counters.applied },
      lag: counters.lag, pending: counters.pending,
    };
  };

  const renewer = setInterval(() => {
    if (!leader) return;
    r.vireoRenew(keys.lease, id, leaseMs)
      .then((ok) => {
        if (ok === 1) lastRenewOk = Date.now();
        else {
          leader = false;
          emit({ type: "lease-lost" });
        }
      })
      .catch(() => {});
  }, Math.max(20, leaseMs / 3));

  const acquire = async (): Promise<boolean> => {
    const ok = await r.set(keys.lease, id, "PX", leaseMs, "NX");
    if (ok === "OK") {
      leader = true;
      lastRenewOk = Date.now();
      return true;
    }
    emit({ type: "standby", holder: await r.get(keys.lease) });
    return false;
  };

  const resume = async (): Promise<void> => {
    const bytes = await r.getBuffer(keys.checkpoint);
    const opts = engineOptions(job);
    if (bytes === null) {
      engine = job.mode === "svi" ? { kind: "svi", engine: new SviEngine(job.model, opts as unknown as SviOptions) } : { kind: "online", engine: new OnlineEngine(job.model, opts as unknown as OnlineOptions) };
    } else {
      const cp = decodeCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), options.registry);
      engine = job.mode === "svi" ? { kind: "svi", engine: resumeSvi(cp) } : { kind: "online", engine: resumeOnline(cp) };
    }
    const m = await r.hgetall(keys.metrics);
    counters.applied = 0;
    counters.duplicates = Number(m.duplicates ?? 0);
    counters.requeued = Number(m.requeued ?? 0);
    counters.deadLetters = Number(m.deadLetters ?? 0);
    await ensureGroup(r, keys.contributions, COORDINATOR_GROUP);
    emit({ type: "leader", id, resumedAt: engine.engine.steps });
  };

  /** Applies one contribution to the in-memory engine; returns what happened. */
  const apply = (c: Contribution): "applied" | "requeue" => {
    const e = engine!;
    const t = e.engine.steps;
    const staleness = Math.max(0, t - c.version);
    if (staleness > job.options.maxStaleness) return "requeue";
    if (e.kind === "svi") {
      if (c.kind !== "svi") throw new WireError(`contribution for batch '${c.batch}' is of kind "${c.kind}", but job '${keys.job}' runs SVI.`);
      // A target fitted from the prior (random locals, no local step) only serves to break the
      // symmetry of the first step, as in SviEngine.step; later ones are refitted against real globals.
      if (c.start !== null && e.engine.steps > 0) return "requeue";
      sviApplyTarget(e.engine, c.target, c.start);
    } else {
      if (c.kind !== "online") throw new WireError(`contribution for batch '${c.batch}' is of kind "${c.kind}", but job '${keys.job}' runs online updating.`);
      onlineApplyFit(e.engine, { from: { t: c.version, evidence: c.fromEvidence }, evidence: c.evidence, globals: c.globals, sweeps: 0, elbo: NaN });
    }
    counters.stalenessLast = staleness;
    counters.stalenessMax = Math.max(counters.stalenessMax, staleness);
    counters.stalenessSum += staleness;
    return "applied";
  };

  let lastSnapshot = 0, lastLag = 0, snapshotStep = 0;
  /** Contributions of the current round that could not be applied. */
  const deadLetters: { entry: string; c: Contribution; reason: string }[] = [];
  const snapshotBytes = (): Buffer => {
    const e = engine!.engine;
    const snap = { v: WIRE_VERSION, job: keys.job, step: e.steps, time: Date.now(), posteriors: summarise(e.posteriors(), options.summaries), metrics: metrics() };
    return Buffer.from(encode(snap));
  };

  const refreshLag = async () => {
    if (Date.now() - lastLag < 1000) return;
    lastLag = Date.now();
    const groups = (await r.xinfo("GROUPS", keys.batches)) as unknown[][];
    for (const g of groups) {
      const f = new Map<string, unknown>();
      for (let i = 0; i + 1 < g.length; i += 2) f.set(String(g[i]), g[i + 1]);
      if (f.get("name") === WORKER_GROUP) {
        counters.pending = Number(f.get("pending") ?? 0);
        counters.lag = Number(f.get("lag") ?? 0) + counters.pending;
      }
    }
  };

  /** One read–apply–commit round. Returns whether anything was read. */
  const round = async (cursor: string): Promise<{ read: number; last: string | null }> => {
    const entries = readReply(await r.callBuffer("XREADGROUP", "GROUP", COORDINATOR_GROUP, COORDINATOR_CONSUMER, "COUNT", String(maxGroup), ...(cursor === ">" ? ["BLOCK", String(blockMs)] : []), "STREAMS", keys.contributions, cursor));
    if (entries.length === 0) {
      await refreshLag();
      // Idle: make sure observers see the last committed state (commits closer together than
      // snapshotEveryMs skip their snapshot).
      if (engine !== null && engine.engine.steps > snapshotStep) {
        await r.xadd(keys.snapshots, "MAXLEN", "~", String(snapshotsKept), "*", "s", snapshotBytes());
        snapshotStep = engine.engine.steps;
        lastSnapshot = Date.now();
      }
      return { read: 0, last: null };
    }
    const e = engine!;
    const base = e.engine.steps;
    const decoded: { entry: string; c: Contribution }[] = [];
    const ackContrib: string[] = [], ackBatch: string[] = [], requeue: string[] = [], appliedIds: string[] = [];
    for (const x of entries) {
      const payload = x.fields.get("b");
      try {
        if (payload === undefined) throw new WireError(`contribution entry ${x.id} has no 'b' field.`);
        decoded.push({ entry: x.id, c: decodeContribution(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength)) });
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        const letter = await deadLetter(r, { dead: keys.dead, stream: keys.contributions, group: COORDINATOR_GROUP, entry: x.id, consumer: COORDINATOR_CONSUMER, reason: err.reason, payload: payload ?? null });
        counters.deadLetters++;
        emit({ type: "dead-letter", letter });
      }
    }
    const seen = decoded.length === 0 ? [] : ((await r.smismember(keys.applied, ...decoded.map((d) => d.c.batch))) as number[]);
    const inGroup = new Set<string>();
    let duplicates = 0;
    decoded.forEach(({ entry, c }, i) => {
      ackContrib.push(entry);
      if (seen[i] === 1 || inGroup.has(c.batch)) {
        duplicates++;
        ackBatch.push(c.entry);
        return;
      }
      try {
        const what = apply(c);
        if (what === "requeue") requeue.push(c.entry);
        else {
          inGroup.add(c.batch);
          appliedIds.push(c.batch);
          ackBatch.push(c.entry);
        }
      } catch (err) {
        if (!(err instanceof VireoError)) throw err;
        // A contribution that cannot be applied (wrong shapes, improper result) is set aside with
        // the reason, and its batch is acknowledged: refitting it would fail the same way.
        deadLetters.push({ entry, c, reason: err.message });
        ackBatch.push(c.entry);
      }
    });
    for (const d of deadLetters.splice(0)) {
      const letter = await deadLetter(r, { dead: keys.dead, stream: keys.contributions, group: COORDINATOR_GROUP, entry: d.entry, consumer: COORDINATOR_CONSUMER, reason: `batch '${d.c.batch}': ${d.reason}`, payload: null });
      counters.deadLetters++;
      emit({ type: "dead-letter", letter });
    }
    const version = e.engine.steps;
    const now = Date.now();
    const snapshot = appliedIds.length > 0 && now - lastSnapshot >= snapshotEveryMs ? snapshotBytes() : "";
    const checkpoint = appliedIds.length > 0 ? Buffer.from(encodeCheckpoint(e.kind === "svi" ? sviCheckpoint(e.engine) : onlineCheckpoint(e.engine))) : "";
    const globals = appliedIds.length > 0
      ? Buffer.from(encodeGlobals({ version, globals: Object.fromEntries([...e.engine.runner.globals].map(([n, g]) => [n, g.eta])), evidence: e.kind === "online" ? e.engine.progress().evidence : null }))
      : "";
    const m = metrics();
    const pairs = { steps: version, duplicates: counters.duplicates + duplicates, requeued: counters.requeued + requeue.length, deadLetters: counters.deadLetters, batchesPerSecond: m.batchesPerSecond, stalenessLast: m.staleness.last, stalenessMax: m.staleness.max, stalenessMean: m.staleness.mean, lag: counters.lag, pending: counters.pending, leader: id, updated: now };
    const metricArgs = Object.entries(pairs).flatMap(([k, v]) => [k, String(v)]);
    try {
      await r.vireoCommit(
        keys.lease, keys.checkpoint, keys.globals, keys.version, keys.applied, keys.log, keys.batches, keys.contributions, keys.metrics, keys.snapshots,
        id, String(base), String(version), checkpoint, globals, snapshot, String(snapshotsKept),
        String(appliedIds.length), String(ackBatch.length), String(ackContrib.length), String(requeue.length), String(metricArgs.length / 2),
        ...appliedIds, ...ackBatch, ...ackContrib, ...requeue, ...metricArgs,
      );
    } catch (err) {
      // Nothing was written (or we cannot know): reload the engine from the stored checkpoint.
      engine = null;
      throw err;
    }
    if (snapshot !== "") {
      lastSnapshot = now;
      snapshotStep = version;
    }
    counters.applied += appliedIds.length;
    counters.duplicates += duplicates;
    counters.requeued += requeue.length;
    for (let i = 0; i < appliedIds.length; i++) recent.push(now);
    emit({ type: "commit", version, applied: appliedIds.length, duplicates, requeued: requeue.length });
    return { read: entries.length, last: entries[entries.length - 1]!.id };
  };
  const run = async (): Promise<void> => {
    while (!stopping) {
      try {
        if (!leader) {
          if (!(await acquire())) {
            await sleep(Math.max(20, leaseMs / 3));
            continue;
          }
          await resume();
        }
        if (engine === null) await resume();
        // Our predecessor's (or our own earlier) read-but-uncommitted contributions first.
        let cursor = "0";
        while (leader && !stopping) {
          // A lease we could not renew for a whole TTL may have passed to someone else: stop writing.
          if (Date.now() - lastRenewOk > leaseMs) {
            leader = false;
            emit({ type: "lease-lost" });
            break;
          }
          const res = await round(cursor);
          if (cursor !== ">") cursor = res.read === 0 ? ">" : res.last!;
        }
      } catch (err) {
        if (stopping) return;
        const msg = String((err as Error).message);
        if (msg.includes("VIREO_LEASE_LOST")) {
          leader = false;
          engine = null;
          emit({ type: "lease-lost" });
          continue;
        }
        if (msg.includes("VIREO_VERSION_CONFLICT") || msg.includes("VIREO_DUPLICATE")) {
          engine = null; // reload from the stored checkpoint
          continue;
        }
        if (isConnectionError(err)) {
          emit({ type: "redis-unavailable", message: msg });
          engine = null;
          await sleep(200);
          continue;
        }
        throw err;
      }
    }
  };

  const done = run().finally(async () => {
    clearInterval(renewer);
  });
  return {
    id,
    isLeader: () => leader,
    metrics,
    done,
    stop: async () => {
      stopping = true;
      await done.catch(() => {});
      if (leader) await r.vireoRelease(keys.lease, id).catch(() => {});
      leader = false;
      close(r);
    },
  };
}
