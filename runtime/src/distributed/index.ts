/**
 * @vireo/runtime/distributed (Node only): streaming SVI and online updating across processes and
 * machines on Redis Streams. See docs/distributed.md.
 */
export { jobKeys, WORKER_GROUP, COORDINATOR_GROUP, type JobKeys } from "./keys.js";
export { createJob, loadJob, batchSeed, type Job, type JobSpec, type SviJobOptions, type OnlineJobOptions, type DistributedOptions } from "./job.js";
export { produceBatch, produceRaw, type ProducedBatch } from "./producer.js";
export { fromRedisStream, type RedisStreamOptions, type RedisBatch } from "./from-redis-stream.js";
export { readDeadLetters, type DeadLetter } from "./dead-letter.js";
export { startWorker, type WorkerOptions, type WorkerHandle, type WorkerEvent } from "./worker.js";
export { startCoordinator, type CoordinatorOptions, type CoordinatorHandle, type CoordinatorEvent, type CoordinatorMetrics } from "./coordinator.js";
export { watchSnapshots, readJobStatus, type DistributedSnapshot, type JobStatus } from "./observe.js";
export { encodeBatch, decodeBatch, encodeContribution, decodeContribution, WireError, type WireBatch, type Contribution, type SviContribution, type OnlineContribution } from "./wire.js";
export { connect } from "./redis.js";
export { RedisServer, freePort } from "./redis-server.js";
