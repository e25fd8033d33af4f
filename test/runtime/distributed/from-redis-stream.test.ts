/**
 * fromRedisStream as a plain RxJS source in one process (a real redis-server): batches a consumer
 * took and never acknowledged (it went away) are re-claimed by another after the idle timeout and
 * flagged as such; the source feeds svi() directly; acknowledging after each step leaves nothing
 * pending; the posterior equals SviEngine.step on the same batches in the order received.
 */
import test from "ava";
import { firstValueFrom, take, toArray, tap } from "rxjs";
import { Normal } from "@vireo/core";
import { NormalNode } from "@vireo/nodes";
import { ModelBuilder, SviEngine, svi } from "@vireo/runtime";
import { RedisServer, fromRedisStream, encodeBatch, type RedisBatch } from "@vireo/runtime/distributed";

function model() {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 0.1 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: 2 });
  return m.build();
}

test("re-claims a gone consumer's batches after the idle timeout and feeds svi()", async (t) => {
  const redis = await RedisServer.start();
  const r = redis.client();
  try {
    const stream = "plain:batches";
    const data = Array.from({ length: 6 }, (_, b) => ({ y: Float64Array.from({ length: 3 }, (_, i) => b + 0.1 * i) }));
    for (let b = 0; b < data.length; b++) await r.xadd(stream, "*", "b", Buffer.from(encodeBatch(`b${b}`, data[b]!)));

    // A consumer takes two batches and goes away without acknowledging them.
    const gone = await firstValueFrom(fromRedisStream({ redis: redis.url, stream, group: "g", consumer: "gone" }).pipe(take(2), toArray()));
    t.deepEqual(gone.map((b) => b.batchId), ["b0", "b1"]);

    const received: RedisBatch[] = [];
    const engine = new SviEngine(model(), { totalRows: 60 });
    const snapshots = await firstValueFrom(
      fromRedisStream({ redis: redis.url, stream, group: "g", consumer: "alive", claimIdleMs: 400, blockMs: 100 }).pipe(
        tap((b) => received.push(b)),
        take(6),
        svi(engine),
        tap(() => void received[received.length - 1]!.ack()),
        toArray(),
      ),
    );
    t.is(snapshots.length, 6);
    t.deepEqual(received.map((b) => b.batchId).sort(), ["b0", "b1", "b2", "b3", "b4", "b5"]);
    t.deepEqual(received.filter((b) => b.reclaimed).map((b) => b.batchId).sort(), ["b0", "b1"]);
    await new Promise((res) => setTimeout(res, 100));
    const pending = (await r.xpending(stream, "g")) as [number, ...unknown[]];
    t.is(pending[0], 0, "every batch acknowledged");

    const reference = new SviEngine(model(), { totalRows: 60 });
    for (const b of received) reference.step(data[Number(b.batchId.slice(1))]!);
    t.deepEqual(Array.from(engine.posteriors().mu!.natural), Array.from(reference.posteriors().mu!.natural));
  } finally {
    r.disconnect();
    await redis.stop();
  }
});
