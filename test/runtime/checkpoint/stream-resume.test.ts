/**
 * Streams resumed from checkpoints: an SVI stream and an online stream with forgetting are
 * checkpointed mid-stream (to bytes, and to a file read in a fresh process), decoded with a fresh
 * registry and resumed; every later snapshot equals the uninterrupted run's to the byte, and the
 * final globals and generator are bit-identical. Corrupted or mismatched checkpoints are refused
 * with INVALID_CHECKPOINT and the running engine is left untouched.
 */
import test, { type ExecutionContext } from "ava";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Generator, VireoError, type GeneratorState } from "@vireo/core";
import {
  SviEngine, OnlineEngine, svi, online, createRegistry, encodeCheckpoint, decodeCheckpoint, modelToData,
  sviCheckpoint, resumeSvi, onlineCheckpoint, resumeOnline, HEADER_BYTES, type CheckpointState, type SviSnapshot, type OnlineSnapshot,
} from "@vireo/runtime";
import { saveCheckpoint } from "@vireo/runtime/node";
import { mixtureBatches, SVI_OPTIONS, collect, snapshotBytes, snapshotHex, etaHex, from } from "./stream-helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const ONLINE_OPTIONS = { forgetting: 0.9, maxIterations: 60, tolerance: 1e-9, seed: 5, localIterations: 40, localTolerance: 1e-7 } as const;
const K = 3;

/**
 * The uninterrupted SVI run over every batch, and the checkpoint bytes of a second run stopped
 * after batch K (whose first K snapshots must match the uninterrupted run's).
 */
function uninterruptedSvi(): { engine: SviEngine; snapshots: SviSnapshot[]; bytes: Uint8Array } {
  const { model, batches } = mixtureBatches();
  const engine = new SviEngine(model, SVI_OPTIONS);
  const snapshots = collect(from(batches).pipe(svi(engine)));
  const stopped = new SviEngine(model, SVI_OPTIONS);
  const first = collect(from(batches.slice(0, K)).pipe(svi(stopped)));
  first.forEach((s, i) => {
    if (snapshotHex(s) !== snapshotHex(snapshots[i])) throw new Error(`the runs disagree before the checkpoint, at batch ${i}`);
  });
  return { engine, snapshots, bytes: encodeCheckpoint(sviCheckpoint(stopped)) };
}

function assertSameSnapshots(t: ExecutionContext, later: readonly unknown[], reference: readonly unknown[]): void {
  t.is(later.length, reference.length - K);
  later.forEach((s, i) => t.is(snapshotHex(s), snapshotHex(reference[K + i]), `snapshot of batch ${K + i}`));
  // The run is still moving, so equality is not trivial.
  t.not(snapshotHex((reference[K] as { posteriors: unknown }).posteriors), snapshotHex((reference[reference.length - 1] as { posteriors: unknown }).posteriors));
}

test("snapshot bytes see every bit: −0, integers as floats, and key order", (t) => {
  const same = (a: unknown, b: unknown) => snapshotHex(a) === snapshotHex(b);
  t.true(snapshotBytes({ a: 1 }).length > 9, "numbers encoded as float64");
  t.false(same({ a: -0 }, { a: 0 }));
  t.false(same({ a: 1, b: 2 }, { b: 2, a: 1 }));
  t.false(same({ a: 0.1 + 0.2 }, { a: 0.3 }));
  t.true(same({ a: [1, 2.5] }, { a: [1, 2.5] }));
});

test("SVI stream: checkpoint after k batches, resume in a fresh registry, every later snapshot identical to the byte", (t) => {
  const { batches, model } = mixtureBatches();
  const reference = new SviEngine(model, SVI_OPTIONS);
  let bytes: Uint8Array | null = null, generatorAtK: GeneratorState | null = null;
  // The checkpoint is taken mid-stream, from inside the subscriber, while the stream goes on.
  const snapshots: SviSnapshot[] = [];
  from(batches).pipe(svi(reference)).subscribe((s) => {
    snapshots.push(s);
    if (s.step === K) {
      bytes = encodeCheckpoint(sviCheckpoint(reference));
      generatorAtK = reference.runner.generatorState();
    }
  });
  t.is(snapshots.length, batches.length);
  t.truthy(bytes);

  const decoded = decodeCheckpoint(bytes!, createRegistry());
  t.deepEqual(modelToData(decoded.model), modelToData(model));
  t.deepEqual(decoded.generator, generatorAtK);
  t.is(decoded.engine.kind, "svi");
  t.is(decoded.engine.t, K);
  t.deepEqual(Array.from(decoded.engine.schedule as Float64Array), [SVI_OPTIONS.totalRows, SVI_OPTIONS.tau, SVI_OPTIONS.kappa]);
  t.deepEqual(Array.from(decoded.engine.local as Float64Array), [SVI_OPTIONS.localIterations, SVI_OPTIONS.localTolerance]);

  // Options the caller omits come from the checkpoint; the ones given must agree.
  const resumed = resumeSvi(decoded, { totalRows: SVI_OPTIONS.totalRows });
  t.is(resumed.steps, K);
  t.not(resumed.runner.model, model, "a model rebuilt from the bytes");
  const later = collect(from(batches.slice(K)).pipe(svi(resumed, { startAt: { batch: K } })));
  assertSameSnapshots(t, later, snapshots);
  t.deepEqual(etaHex(resumed), etaHex(reference));
  t.deepEqual(resumed.runner.generatorState(), reference.runner.generatorState());
  t.deepEqual(resumed.progress(), reference.progress());
});

test("SVI stream through a checkpoint file, resumed in a fresh process, continues to the byte", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "vireo-stream-"));
  try {
    const { engine, snapshots, bytes } = uninterruptedSvi();
    const path = join(dir, "svi.vckp");
    saveCheckpoint(path, decodeCheckpoint(bytes, createRegistry()));
    t.deepEqual(readdirSync(dir), ["svi.vckp"], "no temporary file left behind");
    const out = execFileSync(process.execPath, ["--import=tsx", join(here, "stream-resume-child.ts"), path, String(K)], { cwd: join(here, "..", ".."), encoding: "utf8" });
    const child = JSON.parse(out) as { snapshots: string[]; eta: Record<string, string>; generator: GeneratorState };
    t.deepEqual(child.snapshots, snapshots.slice(K).map(snapshotHex));
    t.deepEqual(child.eta, etaHex(engine));
    t.deepEqual(child.generator, engine.runner.generatorState());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("online stream with forgetting: checkpoint after k batches, resume in a fresh registry, every later snapshot identical to the byte", (t) => {
  const { batches, model } = mixtureBatches();
  const reference = new OnlineEngine(model, ONLINE_OPTIONS);
  let bytes: Uint8Array | null = null;
  const snapshots: OnlineSnapshot[] = [];
  from(batches).pipe(online(reference)).subscribe((s) => {
    snapshots.push(s);
    if (s.step === K) bytes = encodeCheckpoint(onlineCheckpoint(reference));
  });
  t.is(snapshots.length, batches.length);

  const decoded = decodeCheckpoint(bytes!, createRegistry());
  t.is(decoded.engine.kind, "online");
  t.deepEqual(Array.from(decoded.engine.options as Float64Array), [ONLINE_OPTIONS.forgetting, ONLINE_OPTIONS.maxIterations, ONLINE_OPTIONS.tolerance]);
  const resumed = resumeOnline(decoded, ONLINE_OPTIONS);
  t.is(resumed.steps, K);
  const later = collect(from(batches.slice(K)).pipe(online(resumed, { startAt: { batch: K } })));
  assertSameSnapshots(t, later, snapshots);
  t.deepEqual(etaHex(resumed), etaHex(reference));
  const ev = (e: OnlineEngine) => Object.fromEntries(Object.entries(e.progress().evidence).map(([n, a]) => [n, Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex")]));
  t.deepEqual(ev(resumed), ev(reference));
  t.deepEqual(resumed.runner.generatorState(), reference.runner.generatorState());

  // Forgetting matters here: without it the same stream ends elsewhere.
  const unforgetting = new OnlineEngine(model, { ...ONLINE_OPTIONS, forgetting: 1 });
  for (const b of batches) unforgetting.step(b);
  t.notDeepEqual(etaHex(unforgetting), etaHex(reference));
});

/** A running engine's complete state as bits. */
function fingerprint(e: SviEngine | OnlineEngine): string {
  return JSON.stringify({ eta: etaHex(e), generator: e.runner.generatorState(), progress: e.progress(), evidence: e instanceof OnlineEngine ? Object.fromEntries(Object.entries(e.progress().evidence).map(([n, a]) => [n, Array.from(a)])) : null });
}

function refused(t: ExecutionContext, f: () => unknown, pattern: RegExp, what: string): void {
  const err = t.throws(f, { instanceOf: VireoError }, what);
  t.is(err?.code, "INVALID_CHECKPOINT", what);
  if (err) t.regex(err.message, pattern, what);
}

test("corrupted and mismatched checkpoints are refused with INVALID_CHECKPOINT; the running engine is untouched", (t) => {
  const { batches, model } = mixtureBatches();
  const live = new SviEngine(model, SVI_OPTIONS);
  const head = collect(from(batches.slice(0, K)).pipe(svi(live)));
  const bytes = encodeCheckpoint(sviCheckpoint(live));
  const good = decodeCheckpoint(bytes, createRegistry());
  const liveOnline = new OnlineEngine(model, ONLINE_OPTIONS);
  for (const b of batches.slice(0, K)) liveOnline.step(b);
  const goodOnline = decodeCheckpoint(encodeCheckpoint(onlineCheckpoint(liveOnline)), createRegistry());
  const before = fingerprint(live), beforeOnline = fingerprint(liveOnline);
  const v = good.variational;
  const withEngine = (c: CheckpointState, engine: Record<string, unknown>): CheckpointState => ({ ...c, engine: { ...c.engine, ...engine } as CheckpointState["engine"] });

  // Corrupted bytes: a flipped payload bit fails the checksum; a truncated file fails the header.
  const flipped = bytes.slice();
  flipped[HEADER_BYTES + 40]! ^= 0x10;
  refused(t, () => decodeCheckpoint(flipped, createRegistry()), /checksum|CRC/i, "flipped bit");
  refused(t, () => decodeCheckpoint(bytes.subarray(0, bytes.length - 5), createRegistry()), /./, "truncated");

  // Wrong kind, both ways, and a CAVI-shaped state.
  refused(t, () => resumeOnline(good), /expected an online checkpoint.*"svi"/, "SVI checkpoint as online");
  refused(t, () => resumeSvi(goodOnline), /expected an SVI checkpoint.*"online"/, "online checkpoint as SVI");
  refused(t, () => resumeSvi({ ...good, engine: { kind: "cavi", sweeps: 3, schedule: [], elbo: new Float64Array(3) } }), /expected an SVI checkpoint/, "CAVI state");

  // Options that disagree with the run's.
  refused(t, () => resumeSvi(good, { totalRows: 91 }), /totalRows 90, but the options give 91/, "totalRows");
  refused(t, () => resumeSvi(good, { kappa: 0.8 }), /kappa 0\.7, but the options give 0\.8/, "kappa");
  refused(t, () => resumeSvi(good, { tau: 0 }), /tau/, "tau");
  refused(t, () => resumeSvi(good, { plate: "components" }), /plate/, "plate");
  refused(t, () => resumeSvi(good, { localIterations: 7 }), /localIterations 50/, "localIterations");
  refused(t, () => resumeOnline(goodOnline, { forgetting: 1 }), /forgetting 0\.9, but the options give 1/, "forgetting");
  refused(t, () => resumeOnline(goodOnline, { maxIterations: 61 }), /maxIterations/, "maxIterations");

  // Globals missing, of the wrong length, foreign; generator missing or broken.
  const { mu, ...noMu } = v;
  refused(t, () => resumeSvi({ ...good, variational: noMu }), /variational\.mu: missing/, "missing global");
  refused(t, () => resumeSvi({ ...good, variational: { ...v, mu: mu!.subarray(0, mu!.length - 1) } }), /variational\.mu: expected 18 natural parameters, got 17/, "short global");
  refused(t, () => resumeSvi({ ...good, variational: { ...v, Lambda: new Float64Array(v.Lambda!.length + 7) } }), /variational\.Lambda/, "long global");
  refused(t, () => resumeSvi({ ...good, variational: { ...v, z: new Float64Array(30) } }), /variational\.z: not a global variable/, "local in the variational state");
  refused(t, () => resumeSvi({ ...good, generator: null }), /generator: missing/, "no generator");
  refused(t, () => resumeSvi({ ...good, generator: { algorithm: "xoshiro128**", words: [0, 0, 0, 0], spareNormal: null } }), /generator/, "zero generator");

  // Engine states that decode but cannot be resumed.
  refused(t, () => resumeSvi(withEngine(good, { t: 0 })), /engine\.t/, "t = 0");
  refused(t, () => resumeSvi(withEngine(good, { t: 2.5 })), /engine\.t/, "fractional t");
  refused(t, () => resumeSvi(withEngine(good, { schedule: Float64Array.of(90, 1) })), /engine\.schedule/, "short schedule");
  refused(t, () => resumeSvi(withEngine(good, { extra: 1 })), /engine\.extra: unexpected key/, "unknown key");
  refused(t, () => resumeSvi(decodeCheckpoint(encodeCheckpoint(withEngine(good, { schedule: Float64Array.of(90, 1, 0.3) })), createRegistry())), /stored SVI options do not make an engine.*kappa/, "kappa out of range, through bytes");
  refused(t, () => resumeSvi(withEngine(good, { plate: "components" })), /stored SVI options do not make an engine.*plate/, "stored plate not a data plate");
  refused(t, () => resumeOnline({ ...goodOnline, engine: { ...goodOnline.engine, evidence: { ...(goodOnline.engine.evidence as object), mu: new Float64Array(3) } } }), /evidence\.mu: expected a Float64Array of 18/, "evidence of the wrong length");

  // A wrong-length global or mismatched schedule given to the running engine itself: refused before any change.
  refused(t, () => live.restore({ ...v, mu: new Float64Array(3) }, { kind: "svi", t: 9, totalRows: 90, plate: "rows", tau: 1, kappa: 0.7 }, new Generator(1).getState()), /'mu' needs 18/, "live restore, short global");
  refused(t, () => live.restore(v, { kind: "svi", t: 9, totalRows: 90, plate: "rows", tau: 2, kappa: 0.7 }, new Generator(1).getState()), /tau 2/, "live restore, other tau");
  refused(t, () => liveOnline.restore(goodOnline.variational, { kind: "online", t: 9, forgetting: 0.9, evidence: { mu: new Float64Array(1) } }, new Generator(1).getState()), /evidence/, "live online restore, bad evidence");

  t.is(fingerprint(live), before);
  t.is(fingerprint(liveOnline), beforeOnline);
  // And the running engine continues exactly as the uninterrupted run does.
  const tail = collect(from(batches.slice(K)).pipe(svi(live, { startAt: { batch: K } })));
  const uninterrupted = collect(from(batches).pipe(svi(new SviEngine(model, SVI_OPTIONS))));
  t.deepEqual([...head, ...tail].map(snapshotHex), uninterrupted.map(snapshotHex));
});

test("checkpoints before the first step are refused, and startAt is validated", (t) => {
  const { model } = mixtureBatches();
  const e1 = t.throws(() => sviCheckpoint(new SviEngine(model, SVI_OPTIONS)), { instanceOf: VireoError });
  t.is(e1?.code, "INVALID_STATE");
  const e2 = t.throws(() => onlineCheckpoint(new OnlineEngine(model)), { instanceOf: VireoError });
  t.is(e2?.code, "INVALID_STATE");
  for (const startAt of [{ batch: -1 }, { batch: 1.5 }, { batch: 2, skippedBatches: 3 }]) {
    const err = t.throws(() => svi(model, { ...SVI_OPTIONS, startAt }), { instanceOf: VireoError });
    t.is(err?.code, "INVALID_OPTION");
  }
});
