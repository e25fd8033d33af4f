/**
 * 10,000 seeded mutations of a valid checkpoint. Raw byte mutations (bit flips, truncations,
 * insertions, deletions, header tampering) must raise INVALID_CHECKPOINT or decode to a state
 * equal to the original. Payload mutations re-framed with a valid checksum reach the msgpack and
 * schema layers (byte-level, and structure-aware: a value of the decoded tree replaced by a hostile
 * one); there a decode may succeed with different numbers, so it must then yield a
 * well-formed state (one that re-encodes and decodes to itself). Nothing may throw any other
 * error, and Object.prototype must not change.
 */
import test from "ava";
import { Generator, VireoError } from "@vireo/core";
import { createRegistry, encodeCheckpoint, decodeCheckpoint, caviCheckpoint, compile, bindData, initialise, CaviEngine, HEADER_BYTES } from "@vireo/runtime";
import { mixtureModel } from "./models.js";
import { ExtData } from "@msgpack/msgpack";
import { reframe, prototypeKeys, rawPayload, encodeRaw } from "./hostile.js";

const registry = createRegistry();
const { model, data } = mixtureModel();
const small = { x: data.x.slice(0, 12) };
const state = compile(model, bindData(model, small));
initialise(state, new Generator(4));
const engine = new CaviEngine(state);
const original = encodeCheckpoint({ ...caviCheckpoint(engine, { sweeps: 1, elbo: [engine.sweep()], generator: new Generator(1) }), engine: { kind: "cavi", sweeps: 1, tags: ["a", { b: 2 }], v: Int32Array.of(1, -2) } });
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const originalHex = hex(original);

type Outcome = "rejected" | "equal" | "other-valid";

function mutateBytes(rng: Generator, src: Uint8Array, from: number): Uint8Array {
  const b = src.slice();
  const at = () => from + rng.integer(b.length - from);
  switch (rng.integer(5)) {
    case 0: { // 1–4 bit flips
      const n = 1 + rng.integer(4);
      for (let i = 0; i < n; i++) b[at()]! ^= 1 << rng.integer(8);
      return b;
    }
    case 1: return b.slice(0, from + rng.integer(b.length - from)); // truncation
    case 2: { // insert 1–8 random bytes
      const i = at(), ins = Uint8Array.from({ length: 1 + rng.integer(8) }, () => rng.integer(256));
      return Uint8Array.from([...b.subarray(0, i), ...ins, ...b.subarray(i)]);
    }
    case 3: { // delete 1–8 bytes
      const i = at();
      return Uint8Array.from([...b.subarray(0, i), ...b.subarray(Math.min(b.length, i + 1 + rng.integer(8)))]);
    }
    default: { // overwrite with a length-like value: 0xff.., 0x80 00 00 00, or a random u32
      const i = at(), v = [0xffffffff, 0x80000000, rng.nextUint32(), 0][rng.integer(4)]!;
      for (let k = 0; k < 4 && i + k < b.length; k++) b[i + k] = (v >>> (8 * (3 - k))) & 0xff;
      return b;
    }
  }
}

const HOSTILE: (() => unknown)[] = [
  () => null, () => -1, () => 2 ** 31, () => 1.5, () => true, () => "__proto__", () => "Mixture(Nope)", () => "MvNormal(99999)",
  () => [], () => ({}), () => ({ constructor: { prototype: { polluted: 1 } } }), () => ({ prototype: 1 }),
  () => new ExtData(1, new Uint8Array(12)), () => new ExtData(2, new Uint8Array(8)), () => new ExtData(1, new Uint8Array(16)), () => new ExtData(99, new Uint8Array(1)),
];

/** Every (container, key) in a raw tree, extension data excluded. */
function slots(tree: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []): typeof out {
  if (Array.isArray(tree)) tree.forEach((v, i) => { out.push([tree, i]); slots(v, out); });
  else if (tree !== null && typeof tree === "object" && !(tree instanceof ExtData) && !ArrayBuffer.isView(tree)) {
    for (const [k, v] of Object.entries(tree)) { out.push([tree as Record<string, unknown>, k]); slots(v, out); }
  }
  return out;
}

/** Replaces or deletes one value of the raw tree (structure-aware tampering), re-framed. */
function mutateTree(rng: Generator): Uint8Array {
  const tree = rawPayload(original);
  const all = slots(tree), [container, key] = all[rng.integer(all.length)]!;
  if (rng.integer(5) === 0 && !Array.isArray(container)) delete (container as Record<string, unknown>)[key as string];
  else (container as Record<string | number, unknown>)[key] = HOSTILE[rng.integer(HOSTILE.length)]!();
  return reframe(encodeRaw(tree));
}

function decodeOutcome(bytes: Uint8Array): Outcome {
  let decoded;
  try {
    decoded = decodeCheckpoint(bytes, registry);
  } catch (e) {
    if (e instanceof VireoError && e.code === "INVALID_CHECKPOINT") return "rejected";
    throw e;
  }
  const again = encodeCheckpoint(decoded);
  if (hex(again) === originalHex) return "equal";
  // A different but valid state must be self-consistent.
  if (hex(encodeCheckpoint(decodeCheckpoint(again, registry))) !== hex(again)) throw new Error("decoded state does not round-trip");
  return "other-valid";
}

test("10,000 seeded mutations: typed errors or valid states only, no prototype pollution", (t) => {
  const keys = prototypeKeys();
  const rng = new Generator(20260501);
  const counts = { raw: { rejected: 0, equal: 0, "other-valid": 0 }, reframed: { rejected: 0, equal: 0, "other-valid": 0 }, structural: { rejected: 0, equal: 0, "other-valid": 0 } };
  const payload = original.subarray(HEADER_BYTES);
  for (let i = 0; i < 10_000; i++) {
    const kind = (["raw", "reframed", "raw", "structural"] as const)[i % 4]!, reframed = kind !== "raw";
    const bytes = kind === "raw" ? mutateBytes(rng, original, 0) : kind === "reframed" ? reframe(mutateBytes(rng, payload, 0)) : mutateTree(rng);
    let outcome: Outcome;
    try {
      outcome = decodeOutcome(bytes);
    } catch (e) {
      t.fail(`mutation ${i} (${kind}) threw ${(e as Error).name}: ${(e as Error).message}`);
      return;
    }
    if (!reframed && outcome === "other-valid") {
      t.fail(`mutation ${i}: raw bytes decoded to a different state past the checksum`);
      return;
    }
    counts[kind][outcome]++;
  }
  t.log(JSON.stringify(counts));
  t.deepEqual(prototypeKeys(), keys);
  t.is(({} as Record<string, unknown>).polluted, undefined);
  // The schema layer was reached: re-framed mutations are mostly rejected past the checksum.
  t.true(counts.reframed.rejected > 2_000);
  t.true(counts.structural.rejected > 2_000);
  t.true(counts.raw.rejected > 4_900);
});
