/**
 * Worker threads for large plates (Node only): the chunks of a fused mixture pass
 * (engine/row-pass.ts) run on `size` threads, the calling thread included, over buffers in
 * SharedArrayBuffers. The calling thread blocks (Atomics.wait) until every chunk is done, so
 * engines stay synchronous; each chunk writes its own partial sums and the engine adds them in
 * chunk order, so results are bit-identical to one thread.
 *
 * worker_threads is reached through process.getBuiltinModule when a pool is created, never
 * imported: the runtime's main entry stays free of Node built-ins and loads in a browser (where
 * `threads` > 1 is refused with an explanation). Workers run the kernel's own source
 * (selectorChunk.toString()), so both sides run the same code; they are unref'd (a forgotten
 * pool never keeps a process alive) and close() ends them.
 */
import { VireoError } from "@vireo/core";
import { selectorChunk, type SelectorJob } from "./row-pass.js";
import { documentChunk, documentKernelSource, type DocumentJob } from "./document-kernel.js";

/** A set of threads that run the chunks of fused plate passes. */
export interface ThreadPool {
  /** Threads, the calling one included. */
  readonly size: number;
  /** A Float64Array of `length` zeros in shared memory (workers can read and write it). */
  allocate(length: number): Float64Array;
  /**
   * Runs chunks 0..chunks−1 of `job`, split in contiguous blocks over the threads; blocks until
   * done. A DocumentJob (LDA's document-local iterations, engine/document-kernel.ts) runs
   * documentChunk instead of the mixture pass.
   */
  run(job: SelectorJob | DocumentJob, chunks: number): void;
  /** Ends the workers (idempotent). */
  close(): void;
}

/** Slots of the control array shared with the workers. */
const GENERATION = 0, DONE = 1, STOP = 2, FAILED = 3, CHUNKS = 4, THREADS = 5;
/** How long the calling thread waits for the workers before it reports them stuck. */
const WAIT_LIMIT_MS = 120_000;

interface WorkerThreadsModule {
  Worker: new (src: string, options: Record<string, unknown>) => { unref(): void; terminate(): Promise<number> };
  MessageChannel: new () => { port1: { postMessage(m: unknown): void; close(): void }; port2: unknown };
}

function workerThreads(): WorkerThreadsModule {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const wt = proc?.getBuiltinModule?.("node:worker_threads") as WorkerThreadsModule | undefined;
  if (wt === undefined || typeof SharedArrayBuffer !== "function") {
    throw new VireoError("INVALID_OPTION", "threads > 1 needs Node's worker_threads and SharedArrayBuffer (Node ≥ 20.16); here they are not available. Use threads: 1.", { parameter: "threads" });
  }
  return wt;
}

/** The worker's script: wait for a job, run this thread's block of chunks, report, repeat. */
function workerSource(): string {
  return `"use strict";
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const selectorChunk = ${selectorChunk.toString()};
const { control, port, index } = workerData;
let generation = 0;
${documentKernelSource()}
for (;;) {
  Atomics.wait(control, ${GENERATION}, generation);
  generation = Atomics.load(control, ${GENERATION});
  if (Atomics.load(control, ${STOP}) !== 0) break;
  let message;
  while ((message = receiveMessageOnPort(port)) === undefined) Atomics.wait(control, ${STOP}, 0, 1);
  try {
    const job = message.message, chunks = Atomics.load(control, ${CHUNKS}), threads = Atomics.load(control, ${THREADS});
    const from = Math.floor((index * chunks) / threads), to = Math.floor(((index + 1) * chunks) / threads);
    for (let c = from; c < to; c++) job.kind === "documents" ? documentChunk(job, c) : selectorChunk(job, c);
  } catch (e) {
    Atomics.store(control, ${FAILED}, 1);
  }
  Atomics.add(control, ${DONE}, 1);
  Atomics.notify(control, ${DONE});
}
`;
}

/** Chunk c of a job, by its kind. */
function runChunk(job: SelectorJob | DocumentJob, c: number): void {
  if ("kind" in job) documentChunk(job, c);
  else selectorChunk(job, c);
}

/** The buffers of a job that the workers read or write. */
function sharedBuffers(job: SelectorJob | DocumentJob): readonly (Float64Array | Int32Array)[] {
  if ("kind" in job) return [job.start, job.fixed, job.rowWeight, job.base, job.eta, job.stats, job.iterations, job.pieces, job.next];
  return [job.eta, job.stats, job.partials, ...job.sources];
}

/** Whether `a` lives in shared memory (a worker sees the same numbers). */
export function isShared(a: Float64Array | Int32Array): boolean {
  return a.buffer instanceof SharedArrayBuffer;
}

/**
 * A pool of `threads` threads (the calling one and threads − 1 workers). With threads = 1 it
 * runs everything on the calling thread and allocates ordinary arrays.
 */
export function createThreadPool(threads: number): ThreadPool {
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 256)) {
    throw new VireoError("INVALID_OPTION", `threads must be an integer in 1..256, got ${String(threads)}.`, { parameter: "threads" });
  }
  if (threads === 1) {
    return { size: 1, allocate: (n) => new Float64Array(n), run: (job, chunks) => { for (let c = 0; c < chunks; c++) runChunk(job, c); }, close: () => {} };
  }
  const wt = workerThreads();
  const control = new Int32Array(new SharedArrayBuffer(4 * 8));
  const source = workerSource();
  const workers: { unref(): void; terminate(): Promise<number> }[] = [];
  const ports: { postMessage(m: unknown): void; close(): void }[] = [];
  for (let index = 1; index < threads; index++) {
    const channel = new wt.MessageChannel();
    const worker = new wt.Worker(source, { eval: true, execArgv: [], workerData: { control, port: channel.port2, index }, transferList: [channel.port2] });
    worker.unref();
    workers.push(worker);
    ports.push(channel.port1);
  }
  let closed = false;
  return {
    size: threads,
    allocate: (n) => new Float64Array(new SharedArrayBuffer(8 * n)),
    run(job, chunks) {
      if (closed) throw new VireoError("INVALID_STATE", "This thread pool was closed; create a new one (or let cavi() manage its threads).");
      if (!sharedBuffers(job).every(isShared)) {
        // Buffers outside shared memory (a state compiled without the pool's allocator): one thread.
        for (let c = 0; c < chunks; c++) runChunk(job, c);
        return;
      }
      const message = "kind" in job ? job : { ...job, A: job.A.map((a) => a.slice()), b: job.b.map((b) => b.slice()) };
      for (const p of ports) p.postMessage(message);
      Atomics.store(control, DONE, 0);
      Atomics.store(control, FAILED, 0);
      Atomics.store(control, CHUNKS, chunks);
      Atomics.store(control, THREADS, threads);
      Atomics.add(control, GENERATION, 1);
      Atomics.notify(control, GENERATION);
      // This thread's block: the first one.
      const mine = Math.floor(chunks / threads);
      for (let c = 0; c < mine; c++) runChunk(job, c);
      const started = Date.now();
      for (let done = Atomics.load(control, DONE); done < threads - 1; done = Atomics.load(control, DONE)) {
        Atomics.wait(control, DONE, done, 1000);
        if (Date.now() - started > WAIT_LIMIT_MS) throw new VireoError("NUMERICAL_FAILURE", `Worker threads did not finish a plate pass in ${WAIT_LIMIT_MS / 1000} s; run with threads: 1.`);
      }
      if (Atomics.load(control, FAILED) !== 0) throw new VireoError("NUMERICAL_FAILURE", "A worker thread failed in a fused plate pass; run with threads: 1 to see the error.");
    },
    close() {
      if (closed) return;
      closed = true;
      Atomics.store(control, STOP, 1);
      Atomics.add(control, GENERATION, 1);
      Atomics.notify(control, GENERATION);
      for (const p of ports) p.close();
      for (const w of workers) void w.terminate();
    },
  };
}
