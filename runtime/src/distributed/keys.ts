/**
 * The Redis keys of one distributed job. Every key carries the job name in a hash tag
 * ({name}), so a Redis Cluster keeps them in one slot and the coordinator's commit script may
 * touch all of them atomically.
 */
import { VireoError } from "@vireo/core";

export interface JobKeys {
  readonly job: string;
  /** The job definition: model and options (a msgpack checkpoint of kind "distributed-job"). */
  readonly definition: string;
  /** Input stream of minibatches (consumer group `workers`). */
  readonly batches: string;
  /** Stream of worker contributions (consumer group `coordinator`). */
  readonly contributions: string;
  /** Dead-letter stream: malformed, truncated or invalid messages with the reason. */
  readonly dead: string;
  /** The coordinator lease (value: the holder's id; expires after its TTL). */
  readonly lease: string;
  /** Last committed checkpoint (msgpack checkpoint of the engine, step counter included). */
  readonly checkpoint: string;
  /** Last committed globals for workers (msgpack {version, globals, evidence}). */
  readonly globals: string;
  /** Version (= step counter) of the last committed globals. */
  readonly version: string;
  /** Set of applied batch ids (idempotence). */
  readonly applied: string;
  /** List of applied batch ids in the order they were applied (one entry per application). */
  readonly log: string;
  /** Stream of posterior snapshots for observers. */
  readonly snapshots: string;
  /** Hash of counters and gauges. */
  readonly metrics: string;
}

export const WORKER_GROUP = "workers";
export const COORDINATOR_GROUP = "coordinator";
/** The coordinator's consumer name: one lease holder at a time, so a successor reads its predecessor's pending contributions. */
export const COORDINATOR_CONSUMER = "coordinator";

const JOB = /^[A-Za-z0-9_.:-]{1,100}$/;

export function jobKeys(job: string): JobKeys {
  if (typeof job !== "string" || !JOB.test(job)) {
    throw new VireoError("INVALID_OPTION", `Distributed job name ${JSON.stringify(job)}: use 1–100 letters, digits, '_', '.', ':' or '-'.`);
  }
  const k = (s: string) => `vireo:{${job}}:${s}`;
  return {
    job,
    definition: k("job"), batches: k("batches"), contributions: k("contributions"), dead: k("dead"), lease: k("lease"),
    checkpoint: k("checkpoint"), globals: k("globals"), version: k("version"), applied: k("applied"), log: k("log"),
    snapshots: k("snapshots"), metrics: k("metrics"),
  };
}
