/**
 * distributed: SVI across processes on Redis Streams (runtime/src/distributed), against a
 * disposable redis-server (Debian's binary) started for the suite.
 * - LDA on the Jane Austen corpus (K = 10, batches of 64 documents, as in lda-svi): token-passes
 *   per second with 1 and 2 worker processes (plus the coordinator process), from the first batch
 *   taken to the last step committed; the scaling ratio 2 workers / 1 worker; and the same batches
 *   stepped in this process by SviEngine (the peer figure: what distribution costs or gains).
 *   One token-pass is one token's local update in one local sweep.
 * - The coordinator's ceiling: applied steps per second with tiny contributions (a scalar Normal
 *   mean) already waiting on the stream, committing up to 64 per atomic commit and one per
 *   commit; against that, the in-memory apply alone (benny), i.e. what Redis costs per step.
 * These are wall-clock runs of several processes, so the multi-process figures are one timed run
 * each rather than benny samples.
 */
import benny from "benny";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { SviEngine, createRegistry, sviBatchTarget, sviApplyTarget, sviCheckpoint, encodeCheckpoint } from "@vireo/runtime";
import { RedisServer, createJob, readJobStatus, startCoordinator, jobKeys, encodeBatch, encodeContribution } from "@vireo/runtime/distributed";
import { ldaModel, selectDocs, rowsByDoc, type Corpus } from "../../examples/src/lda/model.js";
import { loadAusten } from "../../examples/src/lda/austen.js";
import { describeCase } from "./kernels.js";
import { normalMean } from "./streaming.js";

const { suite, add, cycle, configure } = benny;
const CLI = fileURLToPath(new URL("../../runtime/src/distributed/cli.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface Proc {
  readonly events: Record<string, unknown>[];
  kill(): Promise<void>;
}

function spawnRole(args: string[]): Proc {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args, "--events"], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const events: Record<string, unknown>[] = [];
  let buf = "";
  child.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      try {
        events.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
      } catch {
        /* not an event line */
      }
      buf = buf.slice(i + 1);
    }
  });
  const exited = new Promise<void>((res) => child.once("exit", () => res()));
  return { events, kill: async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await exited;
  } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(probe: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 10): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`bench distributed: timed out after ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

const tokensOf = (c: Corpus) => c.count.reduce((s, x) => s + x, 0);
const binding = (c: Corpus) => ({ doc: c.doc, word: c.word, count: c.count });

async function ldaScaling(server: RedisServer): Promise<void> {
  const corpus = loadAusten();
  const V = corpus.vocab.length, B = 64, K = 10;
  const byDoc = rowsByDoc(corpus.rows.doc, corpus.docs);
  const batches: { id: string; corpus: Corpus }[] = [];
  for (let epoch = 0; epoch < 2; epoch++) {
    for (let b = 0; b + B <= corpus.docs; b += B) batches.push({ id: `e${epoch}-${b / B}`, corpus: selectDocs(corpus.rows, byDoc, Array.from({ length: B }, (_, i) => b + i)) });
  }
  const tokens = new Map(batches.map((b) => [b.id, tokensOf(b.corpus)]));
  const options = { plate: "docs", totalRows: corpus.docs, tau: 64, kappa: 0.7, localTolerance: 1e-3 };
  console.log(`  Austen corpus: ${corpus.docs} documents, V = ${V}, K = ${K}; ${batches.length} batches of ${B} documents (2 epochs)`);

  // Peer: the same batches stepped in this process.
  const engine = new SviEngine(ldaModel(K, V), { ...options, seed: 1 });
  let passes = 0;
  const t0 = performance.now();
  for (const b of batches) passes += tokens.get(b.id)! * engine.step(binding(b.corpus)).localSweeps;
  const single = passes / ((performance.now() - t0) / 1000);
  console.log(`  single process (SviEngine.step):         ${(single / 1e6).toFixed(2)} million token-passes/s`);

  const r = server.client();
  const rates: number[] = [];
  try {
    for (const workers of [1, 2]) {
      const job = `lda-${workers}`;
      await createJob(r, job, { mode: "svi", model: ldaModel(K, V), options: { ...options, seed: 1, maxStaleness: 16 } });
      const pipe = r.pipeline();
      for (const b of batches) pipe.xadd(jobKeys(job).batches, "*", "b", Buffer.from(encodeBatch(b.id, binding(b.corpus))));
      await pipe.exec();
      const roles = [spawnRole(["coordinator", "--redis", server.url, "--job", job])];
      for (let w = 0; w < workers; w++) roles.push(spawnRole(["worker", "--redis", server.url, "--job", job, "--name", `w${w}`]));
      try {
        await waitUntil(() => roles.slice(1).some((x) => x.events.some((e) => e.type === "batch-start")), 120_000, 5);
        const start = performance.now();
        await waitUntil(async () => (await readJobStatus(r, job)).version >= batches.length, 600_000);
        const seconds = (performance.now() - start) / 1000;
        const status = await readJobStatus(r, job);
        let p = 0;
        const applied = new Set(await r.lrange(jobKeys(job).log, 0, -1));
        // Every fit counts (refits of stale batches included: that work was done).
        for (const x of roles.slice(1)) for (const e of x.events) if (e.type === "batch-done") p += tokens.get(e.batch as string)! * (e.sweeps as number);
        const rate = p / seconds;
        rates.push(rate);
        console.log(`  ${workers} worker process${workers > 1 ? "es" : "  "} + coordinator:        ${(rate / 1e6).toFixed(2)} million token-passes/s (${(batches.length / seconds).toFixed(1)} batches/s; ${applied.size} applied, refitted ${status.metrics.requeued ?? 0}, staleness mean ${Number(status.metrics.stalenessMean ?? 0).toFixed(2)})`);
      } finally {
        await Promise.all(roles.map((x) => x.kill()));
      }
    }
  } finally {
    r.disconnect();
  }
  console.log(`  → scaling 2 workers / 1 worker: ${(rates[1]! / rates[0]!).toFixed(2)}×; 1 worker / single process: ${(rates[0]! / single).toFixed(2)}× (2 cores shared by the coordinator, the workers and Redis)`);
}

async function coordinatorCeiling(server: RedisServer): Promise<void> {
  const model = normalMean(), N = 3000;
  const worker = new SviEngine(model, { totalRows: 1000 });
  const first = sviBatchTarget(worker, { y: [0.1, 0.2, 0.3, 0.4] }, null, 0);
  const later = sviBatchTarget(worker, { y: [0.1, 0.2, 0.3, 0.4] }, first.start, 0);
  const r = server.client();
  try {
    for (const maxGroup of [64, 1]) {
      const job = `ceiling-${maxGroup}`;
      await createJob(r, job, { mode: "svi", model, options: { totalRows: 1000, maxStaleness: 1_000_000 } });
      const pipe = r.pipeline();
      for (let i = 0; i < N; i++) {
        const c = i === 0 ? { ...first, version: 0 } : { ...later, start: null, version: i };
        pipe.xadd(jobKeys(job).contributions, "*", "b", Buffer.from(encodeContribution({ kind: "svi", batch: `b${i}`, entry: `${i + 1}-0`, version: c.version, worker: "bench", target: c.target, start: c.start, rows: 4 })));
      }
      await pipe.exec();
      let leaderAt = 0;
      const c = await startCoordinator({ redis: server.url, job, registry: createRegistry(), maxGroup, onEvent: (e) => {
        if (e.type === "leader") leaderAt = performance.now();
      } });
      try {
        await waitUntil(async () => (await readJobStatus(r, job)).version >= N, 600_000, 5);
        const seconds = (performance.now() - leaderAt) / 1000;
        console.log(`  coordinator ceiling, up to ${String(maxGroup).padStart(2)} steps per commit: ${(N / seconds).toFixed(0)} applied steps/s (${N} tiny contributions waiting)`);
      } finally {
        await c.stop();
      }
    }
  } finally {
    r.disconnect();
  }
  // The same steps without Redis: apply + checkpoint encoding, in memory.
  const engine = new SviEngine(model, { totalRows: 1000 });
  sviApplyTarget(engine, first.target, first.start);
  await suite(
    "coordinator step without Redis",
    configure({ cases: { minSamples: 5, maxTime: 3 } }),
    add("apply + encode checkpoint", () => {
      sviApplyTarget(engine, later.target);
      encodeCheckpoint(sviCheckpoint(engine));
    }),
    add("apply only", () => {
      sviApplyTarget(engine, later.target);
    }),
    cycle((res) => console.log(describeCase(res))),
  );
}

export async function distributed(): Promise<void> {
  const server = await RedisServer.start();
  try {
    await ldaScaling(server);
    await coordinatorCeiling(server);
  } finally {
    await server.stop();
  }
}

