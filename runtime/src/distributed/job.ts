/**
 * A distributed job: one model, one mode (SVI or online updating) and its options, stored once
 * in Redis as a msgpack checkpoint of kind "distributed-job" (the model travels as the
 * checkpoint's model spec, so workers and coordinators on any machine rebuild it through their
 * Registry). Creating the job also creates the consumer groups reading from the start of each
 * stream, so batches produced before any worker starts are never missed.
 */
import type { Redis } from "ioredis";
import { VireoError } from "@vireo/core";
import type { Model } from "../model/spec.js";
import type { Registry } from "../registry/registry.js";
import { encodeCheckpoint, decodeCheckpoint } from "../checkpoint/checkpoint.js";
import { invalid, record, oneOf } from "../checkpoint/schema.js";
import { dataPlateOf, SviEngine } from "../svi/svi-engine.js";
import { OnlineEngine } from "../svi/online-engine.js";
import { jobKeys, WORKER_GROUP, COORDINATOR_GROUP, type JobKeys } from "./keys.js";
import { ensureGroup, sleep } from "./redis.js";

export interface DistributedOptions {
  /**
   * Staleness bound S: a contribution fitted against globals more than S versions older than the
   * coordinator's is not applied but sent back to the input stream to be fitted again against
   * current globals (default 16; 0 demands fresh contributions only). Keep S ≥ workers − 1, or
   * most contributions are refitted.
   */
  readonly maxStaleness?: number;
  /** Base seed of the locals' random starts; each batch draws from seed ⊕ hash(batch id), whichever worker fits it (default 0). */
  readonly seed?: number;
}

export interface SviJobOptions extends DistributedOptions {
  /** N: the rows of the subsampled plate in the whole data set. */
  readonly totalRows: number;
  readonly plate?: string;
  readonly tau?: number;
  readonly kappa?: number;
  readonly localIterations?: number;
  readonly localTolerance?: number;
}

export interface OnlineJobOptions extends DistributedOptions {
  readonly forgetting?: number;
  readonly maxIterations?: number;
  readonly tolerance?: number;
  readonly localIterations?: number;
  readonly localTolerance?: number;
}

export type JobSpec = { readonly mode: "svi"; readonly model: Model; readonly options: SviJobOptions } | { readonly mode: "online"; readonly model: Model; readonly options: OnlineJobOptions };

/** A job as a worker or coordinator sees it: options completed with defaults. */
export type Job =
  | { readonly mode: "svi"; readonly model: Model; readonly keys: JobKeys; readonly options: Required<Omit<SviJobOptions, "plate">> & { readonly plate: string } }
  | { readonly mode: "online"; readonly model: Model; readonly keys: JobKeys; readonly options: Required<OnlineJobOptions> };

function complete(spec: JobSpec): Job["options"] {
  const o = spec.options;
  const maxStaleness = o.maxStaleness ?? 16, seed = o.seed ?? 0;
  if (!(Number.isSafeInteger(maxStaleness) && maxStaleness >= 0)) throw new VireoError("INVALID_OPTION", `Distributed job: maxStaleness must be an integer ≥ 0, got ${maxStaleness}.`);
  if (!(Number.isSafeInteger(seed) && seed >= 0 && seed < 2 ** 32)) throw new VireoError("INVALID_OPTION", `Distributed job: seed must be an integer in [0, 2³²), got ${seed}.`);
  if (spec.mode === "svi") {
    const s = spec.options as SviJobOptions;
    const engine = { totalRows: s.totalRows, plate: dataPlateOf(spec.model, s.plate, "distributed svi"), tau: s.tau ?? 1, kappa: s.kappa ?? 0.7, localIterations: s.localIterations ?? 100, localTolerance: s.localTolerance ?? 1e-5, seed };
    new SviEngine(spec.model, engine); // validates the engine's options (maxStaleness is the job's own)
    return { ...engine, maxStaleness };
  }
  const s = spec.options as OnlineJobOptions;
  const engine = { forgetting: s.forgetting ?? 1, maxIterations: s.maxIterations ?? 200, tolerance: s.tolerance ?? 1e-10, localIterations: s.localIterations ?? 100, localTolerance: s.localTolerance ?? 1e-5, seed };
  new OnlineEngine(spec.model, engine);
  return { ...engine, maxStaleness };
}

/**
 * Stores a job definition under `job` and creates its consumer groups. Creating the same job
 * again is a no-op; a different definition under an existing name is refused.
 */
export async function createJob(r: Redis, job: string, spec: JobSpec): Promise<Job> {
  const keys = jobKeys(job);
  const options = complete(spec);
  const bytes = Buffer.from(encodeCheckpoint({ model: spec.model, variational: {}, engine: { kind: "distributed-job", mode: spec.mode, options: { ...options } }, generator: null }));
  const created = await r.set(keys.definition, bytes, "NX");
  if (created === null) {
    const existing = await r.getBuffer(keys.definition);
    if (existing === null || Buffer.compare(existing as Uint8Array, bytes as Uint8Array) !== 0) {
      throw new VireoError("INVALID_STATE", `Distributed job '${job}' already exists with a different definition; choose another job name or delete the keys vireo:{${job}}:* first.`);
    }
  }
  await ensureGroup(r, keys.batches, WORKER_GROUP);
  await ensureGroup(r, keys.contributions, COORDINATOR_GROUP);
  return { mode: spec.mode, model: spec.model, keys, options } as Job;
}

/** Reads a job definition, rebuilding the model through `registry`; waits up to `waitMs` for it to be created. */
export async function loadJob(r: Redis, job: string, registry: Registry, waitMs = 0): Promise<Job> {
  const keys = jobKeys(job);
  const until = Date.now() + waitMs;
  let bytes = await r.getBuffer(keys.definition);
  while (bytes === null && Date.now() < until) {
    await sleep(100);
    bytes = await r.getBuffer(keys.definition);
  }
  if (bytes === null) throw new VireoError("INVALID_STATE", `Distributed job '${job}' does not exist in this Redis (no key ${keys.definition}); create it with createJob() first.`);
  const cp = decodeCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), registry);
  if (cp.engine.kind !== "distributed-job") throw invalid("job.engine.kind", `expected "distributed-job", got ${JSON.stringify(cp.engine.kind)}.`);
  const e = record(cp.engine, "job.engine", ["kind", "mode", "options"]);
  const mode = oneOf(e("mode"), "job.engine.mode", ["svi", "online"] as const);
  const spec = { mode, model: cp.model, options: e("options") } as JobSpec;
  return { mode, model: cp.model, keys, options: complete(spec) } as Job;
}

/** The engine options of a job (for SviEngine / OnlineEngine). */
export function engineOptions(job: Job): Record<string, number | string> {
  const { maxStaleness: _s, ...rest } = job.options;
  return rest;
}

/** 32-bit FNV-1a of a batch id mixed with the job's seed: the seed of that batch's locals, whichever worker fits it. */
export function batchSeed(jobSeed: number, batchId: string): number {
  let h = 0x811c9dc5 ^ jobSeed;
  for (let i = 0; i < batchId.length; i++) {
    h ^= batchId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
