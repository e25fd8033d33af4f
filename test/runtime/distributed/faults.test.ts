/**
 * Fault injection on a running distributed SVI job (a real redis-server with an append-only file,
 * two coordinator processes, three workers): a worker SIGKILLed with a batch in hand, the
 * lease-holding coordinator SIGKILLed mid-stream (the standby takes over from the stored
 * checkpoint), and Redis itself SIGKILLed and restarted from its AOF. In the end the step
 * counter equals the number of produced batches and no batch id was applied twice.
 */
import test from "ava";
import { Normal, Generator, sampleStandardNormal } from "@vireo/core";
import { NormalNode } from "@vireo/nodes";
import { ModelBuilder, createRegistry, decodeCheckpoint, resumeSvi } from "@vireo/runtime";
import { RedisServer, createJob, produceBatch, readJobStatus, jobKeys } from "@vireo/runtime/distributed";

import { startRole, until, type Role } from "./cluster.js";

function normalMeanModel() {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: 1 });
  return m.build();
}

test("SIGKILL a worker, the coordinator and Redis mid-stream: every batch applied exactly once", async (t) => {
  const redis = await RedisServer.start();
  const roles: Role[] = [];
  const r = redis.client();
  const job = "faults";
  const rng = new Generator(17);
  let produced = 0;
  const produce = async (n: number) => {
    for (let i = 0; i < n; i++, produced++) await produceBatch(r, job, { y: Float64Array.from({ length: 8 }, () => 3 + sampleStandardNormal(rng)) }, `batch-${produced}`);
  };
  const version = async () => (await readJobStatus(r, job)).version;
  try {
    await createJob(r, job, { mode: "svi", model: normalMeanModel(), options: { totalRows: 400, tau: 1, kappa: 0.7, maxStaleness: 8 } });
    await produce(30);
    const coordinators = [startRole("coordinator", redis.url, job, ["--lease-ms", "1500"], "c0"), startRole("coordinator", redis.url, job, ["--lease-ms", "1500"], "c1")];
    // w0 holds each batch for 3 s (a drill delay between fitting and publishing), so it is killed with one in hand.
    const workers = [0, 1, 2].map((w) => startRole("worker", redis.url, job, ["--name", `w${w}`, "--claim-idle-ms", "1500", "--delay-ms", w === 0 ? "3000" : "120"], `w${w}`));
    roles.push(...coordinators, ...workers);

    // 1. A worker dies with a batch in hand (taken, not yet published), whenever it first holds one:
    //    waiting for a step count first would race the other workers on a fast machine.
    const w0 = workers[0]!;
    const inHand = await w0.waitFor((e) => e.type === "batch-start" && !w0.events.some((d) => d.type === "batch-done" && d.batch === e.batch));
    await w0.kill("SIGKILL");
    const lost = inHand.batch as string;
    t.false(w0.events.some((e) => e.type === "batch-done" && e.batch === lost), "killed before publishing");
    // More data keeps the stream going through the next two faults.
    await produce(30);

    // 2. The lease holder dies; the standby takes over from the stored checkpoint.
    await until("more steps", async () => (await version()) >= 15);
    const leaderId = (await readJobStatus(r, job)).leader;
    const leader = coordinators.find((c) => c.events.some((e) => e.type === "leader" && e.id === leaderId))!;
    const standby = coordinators.find((c) => c !== leader)!;
    await leader.kill("SIGKILL");
    const takeover = await standby.waitFor((e) => e.type === "leader");
    t.true((takeover.resumedAt as number) >= 15, `the standby resumed from the checkpoint at step ${takeover.resumedAt}`);
    await produce(30);

    // 3. Redis dies (SIGKILL, no shutdown save) and restarts from its append-only file.
    await until("more steps after takeover", async () => (await version()) >= (takeover.resumedAt as number) + 5);
    await redis.kill();
    await new Promise((res) => setTimeout(res, 500));
    await redis.launch();
    await produce(15);

    const status = await until("every produced batch applied", async () => {
      const s = await readJobStatus(r, job);
      return s.version >= produced ? s : null;
    });
    t.is(status.version, produced, "step counter = produced batches");
    const log = await r.lrange(jobKeys(job).log, 0, -1);
    t.is(log.length, produced, "one application per batch");
    t.is(new Set(log).size, produced, "no batch applied twice");
    t.true(log.includes(lost), `the killed worker's batch ${lost} was re-claimed and applied`);
    t.true(Number(status.metrics.reclaimed ?? 0) >= 1, "the reclaim was counted");
    const bytes = (await r.getBuffer(jobKeys(job).checkpoint))!;
    t.is(resumeSvi(decodeCheckpoint(new Uint8Array(bytes), createRegistry())).steps, produced, "the stored checkpoint's step counter");
    const pending = (await r.xpending(jobKeys(job).batches, "workers")) as [number, ...unknown[]];
    t.is(pending[0], 0, "every batch acknowledged");
    t.log(`produced ${produced}; reclaimed ${status.metrics.reclaimed}, duplicates discarded ${status.metrics.duplicates}, refitted ${status.metrics.requeued}, takeover at step ${takeover.resumedAt}`);
  } finally {
    await Promise.all(roles.map((x) => x.kill("SIGTERM")));
    r.disconnect();
    await redis.stop();
  }
});
