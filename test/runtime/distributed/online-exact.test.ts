/**
 * Distributed online updating of a conjugate model (a real redis-server, a coordinator and three
 * worker processes, staleness bound 0): the stored evidence and posteriors equal, bit for bit,
 * those of a single-process OnlineEngine fed the same batches in the order the coordinator
 * applied them; every batch is applied exactly once; an observer of the snapshot stream sees the
 * final posterior; a malformed and a truncated message and a batch the model refuses go to the
 * dead-letter stream with their reasons while the rest flows on.
 */
import test from "ava";
import { Normal, Categorical, Dirichlet, Generator, sampleStandardNormal, sampleCategorical } from "@vireo/core";
import { NormalNode, CategoricalNode, DirichletNode } from "@vireo/nodes";
import { ModelBuilder, OnlineEngine, createRegistry, decodeCheckpoint, resumeOnline } from "@vireo/runtime";
import { firstValueFrom, filter } from "rxjs";
import { RedisServer, createJob, produceBatch, produceRaw, encodeBatch, readJobStatus, readDeadLetters, jobKeys, watchSnapshots } from "@vireo/runtime/distributed";

import { startRole, until, type Role } from "./cluster.js";

function conjugateModel() {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 0.1 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: 1.5 });
  const pi = m.random("pi", Dirichlet(3));
  m.factor(DirichletNode, { out: pi, alpha: [1, 1, 1] });
  m.factor(CategoricalNode, { out: m.observed("x", Categorical(3), { plate: rows }), p: pi });
  return m.build();
}

test("online updating with 3 worker processes equals single-process exactly; bad messages are dead-lettered", async (t) => {
  const redis = await RedisServer.start();
  const roles: Role[] = [];
  const r = redis.client();
  try {
    const model = conjugateModel();
    const job = "online-exact";
    await createJob(r, job, { mode: "online", model, options: { maxStaleness: 0 } });
    const rng = new Generator(5);
    const batches = new Map<string, { y: Float64Array; x: Float64Array }>();
    const B = 12;
    for (let b = 0; b < B; b++) {
      const n = 3 + (b % 4);
      const data = { y: Float64Array.from({ length: n }, () => 1.5 + sampleStandardNormal(rng)), x: Float64Array.from({ length: n }, () => sampleCategorical(rng, [0.5, 0.3, 0.2])) };
      batches.set(`b${b}`, data);
      await produceBatch(r, job, data, `b${b}`);
      if (b === 3) await produceRaw(r, job, Uint8Array.of(0x92, 0x01, 0x02)); // valid msgpack, but an array [1, 2]
      if (b === 6) await produceRaw(r, job, encodeBatch("truncated", { y: [1, 2, 3], x: [0, 1, 2] }).subarray(0, 20));
      if (b === 8) await produceBatch(r, job, { y: [0.5, 1], x: [1, 7] }, "bad-category"); // category 7 of 3
      if (b === 9) await r.xadd(jobKeys(job).contributions, "*", "b", Buffer.from([0xc1])); // a forged contribution: 0xc1 is never msgpack
    }
    // An observer of the posterior snapshots, from the start of the stream.
    const finalSnapshot = firstValueFrom(watchSnapshots({ redis: redis.url, job, from: "0" }).pipe(filter((s) => s.step === B)));
    roles.push(startRole("coordinator", redis.url, job, ["--lease-ms", "2000"]));
    for (let w = 0; w < 3; w++) roles.push(startRole("worker", redis.url, job, ["--name", `w${w}`, "--claim-idle-ms", "3000"], `w${w}`));

    const status = await until("all batches applied", async () => {
      const s = await readJobStatus(r, job);
      return s.version >= B && s.deadLetters >= 4 ? s : null;
    });
    t.is(status.version, B);
    const log = await r.lrange(jobKeys(job).log, 0, -1);
    t.is(log.length, B, "one application per batch");
    t.is(new Set(log).size, B, "no batch applied twice");

    // Single process, same batches, in the applied order.
    const reference = new OnlineEngine(model, {});
    for (const id of log) reference.step(batches.get(id)!);
    const bytes = (await r.getBuffer(jobKeys(job).checkpoint))!;
    const stored = resumeOnline(decodeCheckpoint(new Uint8Array(bytes), createRegistry()));
    t.is(stored.steps, reference.steps);
    const [a, b] = [stored.progress().evidence, reference.progress().evidence];
    for (const n of ["mu", "pi"]) {
      t.deepEqual(Array.from(a[n]!), Array.from(b[n]!), `evidence of ${n}`);
      t.deepEqual(Array.from(stored.posteriors()[n]!.natural), Array.from(reference.posteriors()[n]!.natural), `posterior of ${n}`);
    }
    const snap = await finalSnapshot;
    t.deepEqual(snap.posteriors.mu!.mean, Array.from(reference.posteriors().mu!.mean()), "the observer sees the final posterior");
    t.is((snap.metrics as { steps: number }).steps, B);
    const staleness = Number(status.metrics.stalenessMax);
    t.is(staleness, 0, "bound 0: only fresh contributions applied");

    const dead = await readDeadLetters(r, jobKeys(job).dead);
    t.log(dead.map((d) => d.reason).join("\n"));
    t.is(dead.length, 4);
    t.regex(dead.find((d) => d.reason.includes("msgpack map"))?.reason ?? "", /batch must be a msgpack map, got an array/);
    t.regex(dead.find((d) => d.reason.includes("truncated"))?.reason ?? dead.map((d) => d.reason).join(" | "), /not valid msgpack .*truncated or corrupt/);
    t.regex(dead.find((d) => d.reason.includes("bad-category"))?.reason ?? "", /batch 'bad-category': .*'x'/);
    t.is(dead.filter((d) => d.stream === jobKeys(job).batches).length, 3);
    t.regex(dead.find((d) => d.stream === jobKeys(job).contributions)?.reason ?? "", /contribution is not valid msgpack/);
    t.is(Number(status.metrics.deadLetters), 1, "the coordinator counted its dead letter");
  } finally {
    await Promise.all(roles.map((x) => x.kill("SIGTERM")));
    r.disconnect();
    await redis.stop();
  }
});
