/**
 * Checkpoint round trips: bytes and files, model specs through a fresh registry, generator state,
 * pack codecs, and a CAVI run resumed from a checkpoint (in this process and in a fresh one) that
 * continues bit-identically.
 */
import test from "ava";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Generator, Normal, MvNormal, VireoError } from "@vireo/core";
import { MvNormalNode, GaussianLinearNode } from "@vireo/nodes";
import {
  CaviEngine, compile, bindData, initialise, createRegistry, encodeCheckpoint, decodeCheckpoint, modelToData, caviCheckpoint, resumeCavi, ModelBuilder, HEADER_BYTES, type CheckpointState, type Model, type DataBinding,
} from "@vireo/runtime";
import { saveCheckpoint, loadCheckpoint } from "@vireo/runtime/node";
import { studentTPack } from "@vireo/plugins";
import { mixtureModel, studentTModel, bits } from "./models.js";

const here = dirname(fileURLToPath(import.meta.url));

function start(model: Model, data: DataBinding, seed: number): CaviEngine {
  const state = compile(model, bindData(model, data));
  initialise(state, new Generator(seed));
  return new CaviEngine(state);
}

/** ELBO and η bits after each of `more` sweeps. */
function continueRun(engine: CaviEngine, more: number): { elbo: string[]; posteriors: string[] } {
  const elbo: string[] = [];
  for (let i = 0; i < more; i++) elbo.push(bits(engine.sweep()));
  return { elbo, posteriors: engine.state.random.map((v) => Array.from(v.eta, bits).join(",")) };
}

for (const [title, make, packs] of [
  ["Gaussian mixture (Mixture node, component plate)", mixtureModel, []],
  ["Student-t robust regression (plugin node by name)", () => studentTModel(), [studentTPack]],
] as const) {
  test(`CAVI resumed from a checkpoint in a fresh registry is bit-identical: ${title}`, (t) => {
    const { model, data } = make();
    const k = 4, more = 8;
    const reference = start(model, data, 17);
    const trace: number[] = [];
    for (let i = 0; i < k; i++) trace.push(reference.sweep());
    const bytes = encodeCheckpoint(caviCheckpoint(reference, { sweeps: k, elbo: trace }));
    const uninterrupted = continueRun(reference, more);

    const decoded = decodeCheckpoint(bytes, createRegistry(...packs));
    t.deepEqual(modelToData(decoded.model), modelToData(model));
    const { engine, sweeps, elbo } = resumeCavi(decoded, data);
    t.is(sweeps, k);
    t.deepEqual(elbo.map(bits), trace.map(bits));
    const resumed = continueRun(engine, more);
    t.deepEqual(resumed.elbo, uninterrupted.elbo);
    t.deepEqual(resumed.posteriors, uninterrupted.posteriors);
    // The run is still moving, so equality is not trivial.
    t.not(resumed.elbo[0], resumed.elbo[more - 1]);
  });
}

test("a checkpoint file resumed in a fresh process continues bit-identically", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "vireo-ckp-"));
  try {
    const { model, data } = studentTModel();
    const reference = start(model, data, 3);
    const trace = [reference.sweep(), reference.sweep(), reference.sweep()];
    const path = join(dir, "run.vckp");
    saveCheckpoint(path, caviCheckpoint(reference, { sweeps: 3, elbo: trace }));
    t.deepEqual(readdirSync(dir), ["run.vckp"], "no temporary file left behind");
    const expected = continueRun(reference, 6);
    const out = execFileSync(process.execPath, ["--import=tsx", join(here, "resume-child.ts"), path, "6"], { cwd: join(here, "..", ".."), encoding: "utf8" });
    t.deepEqual(JSON.parse(out), expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("file save and load round trip; save replaces atomically", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "vireo-ckp-"));
  try {
    const { model, data } = mixtureModel();
    const e = start(model, data, 1);
    const path = join(dir, "a.vckp");
    saveCheckpoint(path, caviCheckpoint(e, { sweeps: 0, elbo: [] }));
    e.sweep();
    const second = caviCheckpoint(e, { sweeps: 1, elbo: [e.elbo()] });
    saveCheckpoint(path, second);
    const back = loadCheckpoint(path, createRegistry());
    t.deepEqual(encodeCheckpoint(back), encodeCheckpoint(second));
    t.is(back.engine.sweeps, 1);
    const err = t.throws(() => loadCheckpoint(path, createRegistry(), { maxBytes: 100 }), { instanceOf: VireoError });
    t.is(err!.code, "INVALID_CHECKPOINT");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("engine state, generator state and typed arrays round trip exactly, from unaligned buffers too", (t) => {
  const { model } = mixtureModel();
  const g = new Generator(42);
  g.uniform();
  const state: CheckpointState = {
    model,
    variational: {},
    engine: {
      kind: "svi", step: 120, schedule: { kind: "robbins-monro", tau: 1, kappa: 0.7 }, done: false, note: null,
      rho: Float64Array.of(0.5, -0, Number.MIN_VALUE, 1e308, NaN, -Infinity), index: Int32Array.of(-5, 0, 2 ** 31 - 1), raw: Uint8Array.of(1, 2, 255),
      history: [1, 2.5, "three", [4, { five: 5 }]],
    },
    generator: g.getState(),
  };
  const bytes = encodeCheckpoint(state);
  // At an odd offset inside a bigger buffer: typed arrays must be copied out with DataView.
  const big = new Uint8Array(bytes.length + 3);
  big.set(bytes, 1);
  const back = decodeCheckpoint(big.subarray(1, 1 + bytes.length), createRegistry());
  t.deepEqual(Array.from(back.engine.rho as Float64Array, bits), Array.from(state.engine.rho as Float64Array, bits));
  t.deepEqual(back.engine.index, state.engine.index);
  t.deepEqual(back.engine.raw, state.engine.raw);
  t.deepEqual(back.engine.schedule, state.engine.schedule);
  t.deepEqual(back.engine.history, state.engine.history);
  t.is(back.engine.step, 120);
  t.is(Object.getPrototypeOf(back.engine), Object.prototype);
  big.fill(0);
  t.is((back.engine.raw as Uint8Array)[2], 255, "decoded arrays do not alias the input");
  const a = Generator.fromState(back.generator!), b = g.clone();
  for (let i = 0; i < 5; i++) t.is(a.uniform(), b.uniform());
  t.deepEqual(encodeCheckpoint(back), bytes);
});

test("typed arrays are stored little-endian in extension types, after a 20-byte header", (t) => {
  const { model } = mixtureModel();
  const bytes = encodeCheckpoint({ model, variational: {}, engine: { kind: "x", v: Float64Array.of(1) }, generator: null });
  t.is(new TextDecoder().decode(bytes.subarray(0, 8)), "VIREOCKP");
  t.is(HEADER_BYTES, 20);
  // fixext 8 (0xd7), type 1, then 1.0 as little-endian IEEE 754 (00 00 00 00 00 00 f0 3f), at the end of the engine map.
  const hex = Buffer.from(bytes).toString("hex");
  t.true(hex.endsWith("a176d701000000000000f03fa967656e657261746f72c0"), hex.slice(-80));
});

test("pack codecs carry custom engine values", (t) => {
  class Stamp {
    constructor(readonly at: number) {}
  }
  const codec = {
    name: "stamp", type: 40,
    test: (v: unknown): v is Stamp => v instanceof Stamp,
    encode: (v: Stamp) => Uint8Array.of(v.at & 0xff),
    decode: (b: Uint8Array) => {
      if (b.length !== 1) throw new Error("a stamp is one byte");
      return new Stamp(b[0]!);
    },
  };
  const registry = createRegistry({ name: "stamps", codecs: [codec] });
  const { model } = mixtureModel();
  const bytes = encodeCheckpoint({ model, variational: {}, engine: { kind: "x", stamp: new Stamp(7) }, generator: null }, { registry });
  const back = decodeCheckpoint(bytes, registry);
  t.true(back.engine.stamp instanceof Stamp);
  t.is((back.engine.stamp as Stamp).at, 7);
  const err = t.throws(() => decodeCheckpoint(bytes, createRegistry()), { instanceOf: VireoError });
  t.regex(err!.message, /checkpoint\.engine\.stamp/);
  const e2 = t.throws(() => encodeCheckpoint({ model, variational: {}, engine: { kind: "x", stamp: new Stamp(7) }, generator: null }), { instanceOf: VireoError });
  t.regex(e2!.message, /state\.engine\.stamp: a map is not checkpointable|not checkpointable/);
});

test("a model with a deterministic variable is refused at encode time, saying how to fix it", (t) => {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const w = m.random("w", MvNormal(2));
  m.factor(MvNormalNode, { out: w, mean: [0, 0], precision: [1, 0, 0, 1] });
  m.input("t", { plate: rows });
  const features = m.deterministic("features", { plate: rows, size: 2, from: ["t"], compute: ([tv], out, n) => { for (let i = 0; i < n; i++) { out[2 * i] = 1; out[2 * i + 1] = tv![i]!; } } });
  m.factor(GaussianLinearNode, { out: m.observed("y", Normal, { plate: rows }), w, x: features, precision: 1 });
  const err = t.throws(() => encodeCheckpoint({ model: m.build(), variational: {}, engine: { kind: "cavi" }, generator: null }), { instanceOf: VireoError });
  t.is(err!.code, "INVALID_CHECKPOINT");
  t.regex(err!.message, /'features' is a deterministic variable, whose compute function cannot be saved\. Compute its values before inference and bind them to an input variable/);
});
