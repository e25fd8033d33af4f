/**
 * Checkpoint files: temporary files left by a writer that died mid-save are removed by the next
 * save to the same path (those of a live writer are left alone); a saved file loads back to the
 * same bytes; the documented limits hold (family dimensions up to 7 digits round-trip, above that
 * a model cannot be declared at all).
 */
import test from "ava";
import { mkdtempSync, writeFileSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Categorical, Dirichlet, VireoError } from "@vireo/core";
import { CategoricalNode, DirichletNode } from "@vireo/nodes";
import { ModelBuilder, SviEngine, sviCheckpoint, encodeCheckpoint, decodeCheckpoint, createRegistry, MAX_DIMENSION } from "@vireo/runtime";
import { saveCheckpoint, loadCheckpoint } from "@vireo/runtime/node";
import { normalMeanModel } from "./catalogue.js";

function state() {
  const engine = new SviEngine(normalMeanModel(), { totalRows: 10 });
  engine.step({ y: [1, 2] });
  return sviCheckpoint(engine);
}

test("a save removes the .tmp files of dead writers of the same path, and keeps a live writer's", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "vireo-ckpt-"));
  const path = join(dir, "run.ckpt");
  const dead = 2 ** 31 - 2; // above any pid_max: names no live process
  const stale = `.run.ckpt.${dead}.1700000000000.tmp`;
  const live = `.run.ckpt.${process.ppid}.1700000000001.tmp`;
  const other = `.other.ckpt.${dead}.1700000000002.tmp`;
  for (const f of [stale, live, other]) writeFileSync(join(dir, f), "torn");
  saveCheckpoint(path, state());
  const left = readdirSync(dir).sort();
  t.deepEqual(left, [live, other, "run.ckpt"].sort());
  const bytes = readFileSync(path);
  t.deepEqual(new Uint8Array(encodeCheckpoint(loadCheckpoint(path, createRegistry()))), new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
});

test("a family dimension of 7 digits is a valid checkpoint key; above it a model cannot be declared", (t) => {
  t.is(MAX_DIMENSION, 9_999_999);
  t.is(createRegistry().family(`Categorical(${MAX_DIMENSION})`).key, Categorical(MAX_DIMENSION).key);
  const err = t.throws(() => new ModelBuilder().random("z", Categorical(MAX_DIMENSION + 1)), { instanceOf: VireoError });
  t.is(err?.code, "INVALID_MODEL");
  t.regex(err!.message, /'z'.*above the limit of 9999999/);
  // A model that builds saves and loads back to the same bytes, family keys included.
  const m = new ModelBuilder();
  const p = m.random("p", Dirichlet(12));
  m.factor(DirichletNode, { out: p, alpha: new Float64Array(12).fill(1) });
  m.factor(CategoricalNode, { out: m.observed("y", Categorical(12), { plate: m.plate("rows") }), p });
  const bytes = encodeCheckpoint({ model: m.build(), variational: {}, engine: { kind: "none" }, generator: null });
  const back = decodeCheckpoint(bytes, createRegistry());
  t.is(back.model.variables.y!.family!.key, "Categorical(12)");
  t.deepEqual(encodeCheckpoint(back), bytes);
});
