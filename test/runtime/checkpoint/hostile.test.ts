/**
 * Hostile and broken checkpoints: each is rejected with INVALID_CHECKPOINT saying what and where,
 * with no prototype pollution, no allocation beyond the input and nothing live modified.
 */
import test from "ava";
import { ExtData } from "@msgpack/msgpack";
import { VireoError } from "@vireo/core";
import { createRegistry, encodeCheckpoint, decodeCheckpoint, caviCheckpoint, resumeCavi, compile, bindData, initialise, CaviEngine, HEADER_BYTES } from "@vireo/runtime";
import { Generator } from "@vireo/core";
import { studentTPack } from "@vireo/plugins";
import { mixtureModel, studentTModel } from "./models.js";
import { reframe, rawPayload, encodeRaw, prototypeKeys } from "./hostile.js";

function valid(): Uint8Array {
  const { model, data } = studentTModel();
  const state = compile(model, bindData(model, data));
  initialise(state, new Generator(1));
  const e = new CaviEngine(state);
  const trace = [e.sweep(), e.sweep()];
  return encodeCheckpoint(caviCheckpoint(e, { sweeps: 2, elbo: trace, generator: new Generator(9) }));
}
const good = valid();
const registry = () => createRegistry(studentTPack);

function rejects(t: import("ava").ExecutionContext, bytes: Uint8Array, message: RegExp): void {
  const err = t.throws(() => decodeCheckpoint(bytes, registry()), { instanceOf: VireoError });
  t.is(err?.code, "INVALID_CHECKPOINT", err?.message);
  t.regex(err?.message ?? "", message);
}

/** The valid payload with `edit` applied to its raw tree, re-framed with a valid checksum. */
function tampered(edit: (tree: Record<string, any>) => void): Uint8Array {
  const tree = rawPayload(good) as Record<string, any>;
  edit(tree);
  return reframe(encodeRaw(tree));
}

test("the valid checkpoint decodes", (t) => {
  t.is(decodeCheckpoint(good, registry()).engine.kind, "cavi");
});

test("header: truncation, wrong magic, version, flags, length, checksum", (t) => {
  rejects(t, good.subarray(0, 5), /5 bytes is shorter than the 20-byte header/);
  rejects(t, good.subarray(0, good.length - 1), /declares a \d+-byte payload but \d+ bytes follow it; the data is truncated/);
  const magic = good.slice(); magic[3] = 0x58;
  rejects(t, magic, /wrong magic at byte 3/);
  const version = good.slice(); version[8] = 2;
  rejects(t, version, /format version 2 at byte 8 is not supported/);
  const flags = good.slice(); flags[10] = 1;
  rejects(t, flags, /flags at byte 10/);
  const length = good.slice(); new DataView(length.buffer).setUint32(12, 0xffffffff, true);
  rejects(t, length, /declares a 4294967295-byte payload/);
  const flipped = good.slice(); flipped[HEADER_BYTES + 40]! ^= 0x10;
  rejects(t, flipped, /checksum mismatch/);
  const padded = new Uint8Array(good.length + 4); padded.set(good);
  rejects(t, padded, /bytes follow it; the data is truncated or padded/);
  rejects(t, "VIREOCKP" as unknown as Uint8Array, /expected a Uint8Array/);
  const err = t.throws(() => decodeCheckpoint(good, registry(), { maxBytes: 64 }), { instanceOf: VireoError });
  t.regex(err!.message, /exceeds the limit of 64/);
});

test("absurd lengths are refused before anything is allocated", (t) => {
  // array32, map32, str32, bin32, ext32 headers claiming 2^31 elements or bytes, with a valid checksum.
  for (const [what, head] of [
    ["array", [0xdd, 0x80, 0, 0, 0]], ["map", [0xdf, 0x80, 0, 0, 0]], ["str", [0xdb, 0x80, 0, 0, 0]],
    ["bin", [0xc6, 0x80, 0, 0, 0]], ["ext", [0xc9, 0x80, 0, 0, 0, 1]],
  ] as const) {
    const before = process.memoryUsage().arrayBuffers;
    rejects(t, reframe(Uint8Array.from([0x81, 0xa5, ...new TextEncoder().encode("model"), ...head, 0, 0, 0])), /not valid msgpack .*(Max length exceeded|Insufficient data)/);
    t.true(process.memoryUsage().arrayBuffers - before < 1e7, `${what}: no big allocation`);
  }
  // A Float64Array extension whose byte length is not a multiple of 8.
  rejects(t, tampered((tree) => { tree.variational.tau = new ExtData(1, new Uint8Array(12)); }), /Float64Array extension holds 12 bytes/);
});

test("keys that reach prototypes are rejected and nothing is polluted", (t) => {
  const keys = prototypeKeys();
  // msgpack map { "__proto__": { polluted: true } } as the engine state, written byte by byte.
  const enc = new TextEncoder();
  const proto = [0x81, 0xa9, ...enc.encode("__proto__"), 0x81, 0xa8, ...enc.encode("polluted"), 0xc3];
  const tree = rawPayload(good);
  const head = encodeRaw({ model: tree.model, variational: tree.variational, generator: tree.generator });
  // Re-assemble as a 4-entry map whose engine value is the hand-written one.
  const payload = Uint8Array.from([0x84, ...head.subarray(1), 0xa6, ...enc.encode("engine"), ...proto]);
  rejects(t, reframe(payload), /__proto__ is not allowed/);
  rejects(t, tampered((tree) => { tree.engine.constructor = { prototype: { polluted: true } }; }), /checkpoint\.engine\.constructor: the key 'constructor' is not allowed/);
  rejects(t, tampered((tree) => { tree.engine.nested = { deeper: { prototype: 1 } }; }), /checkpoint\.engine\.nested\.deeper\.prototype/);
  rejects(t, tampered((tree) => { tree.variational = { constructor: tree.variational.tau }; }), /checkpoint\.variational\.constructor/);
  rejects(t, tampered((tree) => { tree.model.variables[0].name = "__proto__"; }), /checkpoint\.model\.variables\[0\]\.name/);
  t.deepEqual(prototypeKeys(), keys);
  t.is(({} as Record<string, unknown>).polluted, undefined);
});

test("wrong types and shapes name the key path", (t) => {
  rejects(t, tampered((tree) => { tree.model.plates = "rows"; }), /checkpoint\.model\.plates: expected an array, got the string "rows"/);
  rejects(t, tampered((tree) => { tree.model.variables[1].valueSize = -1; }), /checkpoint\.model\.variables\[1\]\.valueSize: expected an integer/);
  rejects(t, tampered((tree) => { tree.model.variables[1].kind = "deterministic"; }), /checkpoint\.model\.variables\[1\]\.kind: expected one of \[random, observed, constant, input\]/);
  rejects(t, tampered((tree) => { tree.model.variables[0].family = "MvNormal(5000)"; }), /family MvNormal\(5000\) has \d+ natural parameters, more than the checkpoint's size justifies/);
  rejects(t, tampered((tree) => { tree.model.factors[0].type = "Nope"; }), /checkpoint\.model\.factors\[0\]: the model does not rebuild with this registry — UNKNOWN_NAME: Unknown node type "Nope"/);
  rejects(t, tampered((tree) => { tree.model.extra = 1; }), /checkpoint\.model\.extra: unexpected key/);
  rejects(t, tampered((tree) => { delete tree.generator; }), /checkpoint: missing key 'generator'/);
  rejects(t, tampered((tree) => { tree.generator.words = [0, 0, 0, 0]; }), /checkpoint\.generator: Generator\.setState/);
  rejects(t, tampered((tree) => { tree.variational.tau = [1, 2]; }), /checkpoint\.variational\.tau: expected a Float64Array/);
  rejects(t, tampered((tree) => { tree.variational.nope = tree.variational.tau; }), /'nope' is not a random variable of the model; random variables are \[w, tau, lambda\]/);
  rejects(t, tampered((tree) => { tree.variational.w = tree.variational.tau; }), /checkpoint\.variational\.w: expected 6 natural parameters of MvNormal\(2\), got 2/);
  rejects(t, tampered((tree) => { tree.variational.tau = new ExtData(1, new Uint8Array(new Float64Array([1, 1]).buffer)); }), /checkpoint\.variational\.tau\[0\]: not a proper Gamma/);
  rejects(t, tampered((tree) => { tree.engine.kind = 3; }), /checkpoint\.engine\.kind: expected a string/);
  rejects(t, tampered((tree) => { tree.engine.when = new ExtData(-1, new Uint8Array(4)); }), /checkpoint\.engine\.when/);
  rejects(t, tampered((tree) => { tree.engine.blob = new ExtData(77, new Uint8Array(3)); }), /checkpoint\.engine\.blob: a map is not checkpointable|checkpoint\.engine\.blob/);
  // Nesting far deeper than the limit: rejected without exhausting the stack.
  const enc = new TextEncoder(), tree = rawPayload(good);
  const head = encodeRaw({ model: tree.model, variational: tree.variational, generator: tree.generator });
  const engine = [0x82, 0xa4, ...enc.encode("kind"), 0xa1, 0x78, 0xa4, ...enc.encode("deep"), ...new Array(100_000).fill(0x91), 0x01];
  rejects(t, reframe(Uint8Array.from([0x84, ...head.subarray(1), 0xa6, ...enc.encode("engine"), ...engine])), /checkpoint\.engine\.deep\[0\]\[0\].*nested deeper than 32 levels/);
});

test("a checkpoint from another model, or for other data, leaves the live engine untouched", (t) => {
  const { model, data } = mixtureModel();
  const state = compile(model, bindData(model, data));
  initialise(state, new Generator(2));
  const live = new CaviEngine(state);
  live.sweep();
  const before = live.snapshot();
  const reg = registry();
  const packsBefore = reg.packs(), nodesBefore = reg.nodeNames();
  const err = t.throws(() => resumeCavi(decodeCheckpoint(good, reg), data), { instanceOf: VireoError });
  t.regex(err!.message, /Observed variable 'y' has no data/);
  t.throws(() => decodeCheckpoint(good.subarray(0, 100), reg));
  t.deepEqual(live.snapshot(), before);
  t.deepEqual(reg.packs(), packsBefore);
  t.deepEqual(reg.nodeNames(), nodesBefore);
  // A registry without the plugin pack cannot rebuild the model, and says which name is missing.
  const e2 = t.throws(() => decodeCheckpoint(good, createRegistry()), { instanceOf: VireoError });
  t.is(e2!.code, "INVALID_CHECKPOINT");
  t.regex(e2!.message, /Unknown node type "StudentTLinear"; registered node types are \[Normal,/);
  // Data with a different number of rows than the checkpoint's local variables.
  const { data: sdata } = studentTModel();
  const e3 = t.throws(() => resumeCavi(decodeCheckpoint(good, reg), { x: sdata.x.slice(0, 10), y: sdata.y.slice(0, 10) }), { instanceOf: VireoError });
  t.regex(e3!.message, /checkpoint\.variational\.lambda: 120 natural parameters, but the data gives 10 instances of 2/);
});
