/**
 * Catalogue rows: checkpoints (bytes and files), registries and packs, and posterior look-ups.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { from } from "rxjs";
import { Normal, type ExponentialFamily } from "@vireo/core";
import { NormalNode, type NodeType } from "@vireo/nodes";
import {
  cavi, SviEngine, OnlineEngine, ModelBuilder, createRegistry, encodeCheckpoint, decodeCheckpoint,
  sviCheckpoint, resumeSvi, online, type Registry, type CheckpointState, type Pack,
} from "@vireo/runtime";
import { saveCheckpoint, loadCheckpoint } from "@vireo/runtime/node";
import { normalModel, normalMeanModel, type Row } from "./catalogue.js";

const rows: Row[] = [];
const row = (id: string, run: () => unknown, code: Row["code"], names: Row["names"]) => rows.push({ id, run, code, names });
const dir = mkdtempSync(join(tmpdir(), "vireo-reliability-"));

function sviState(): CheckpointState {
  const engine = new SviEngine(normalMeanModel(), { totalRows: 10 });
  engine.step({ y: [1, 2] });
  return sviCheckpoint(engine);
}
const bytes = () => encodeCheckpoint(sviState());

// Bytes.
row("checkpoint/decodeCheckpoint(bytes) with no registry (was a TypeError)", () => (decodeCheckpoint as (b: Uint8Array) => unknown)(bytes()), "INVALID_OPTION", ["decodeCheckpoint", "Registry is required", "createRegistry()"]);
row("checkpoint/decodeCheckpoint with a registry of the wrong type", () => decodeCheckpoint(bytes(), {} as Registry), "INVALID_OPTION", ["Registry is required"]);
row("checkpoint/loadCheckpoint(path) with no registry", () => (loadCheckpoint as (p: string) => unknown)(join(dir, "x.ckpt")), "INVALID_OPTION", ["loadCheckpoint", "Registry is required"]);
row("checkpoint/decode null", () => decodeCheckpoint(null as unknown as Uint8Array, createRegistry()), "INVALID_CHECKPOINT", ["expected a Uint8Array", "null"]);
row("checkpoint/decode a string", () => decodeCheckpoint("VIREOCKP" as unknown as Uint8Array, createRegistry()), "INVALID_CHECKPOINT", ["expected a Uint8Array"]);
row("checkpoint/decode truncated bytes", () => decodeCheckpoint(bytes().subarray(0, 10), createRegistry()), "INVALID_CHECKPOINT", ["shorter than the 20-byte header"]);
row("checkpoint/decode with one payload byte missing", () => { const b = bytes(); return decodeCheckpoint(b.subarray(0, b.length - 1), createRegistry()); }, "INVALID_CHECKPOINT", ["byte 12", "truncated"]);
row("checkpoint/decode with wrong magic", () => { const b = bytes().slice(); b[0] = 0; return decodeCheckpoint(b, createRegistry()); }, "INVALID_CHECKPOINT", ["wrong magic at byte 0"]);
row("checkpoint/decode with a future version", () => { const b = bytes().slice(); b[8] = 9; return decodeCheckpoint(b, createRegistry()); }, "INVALID_CHECKPOINT", ["format version 9", "byte 8"]);
row("checkpoint/decode with reserved flags set", () => { const b = bytes().slice(); b[10] = 1; return decodeCheckpoint(b, createRegistry()); }, "INVALID_CHECKPOINT", ["flags at byte 10"]);
row("checkpoint/decode with a flipped payload bit", () => { const b = bytes().slice(); b[b.length - 1]! ^= 1; return decodeCheckpoint(b, createRegistry()); }, "INVALID_CHECKPOINT", ["checksum mismatch", "byte 16"]);
row("checkpoint/decode over limits.maxBytes", () => decodeCheckpoint(bytes(), createRegistry(), { maxBytes: 30 }), "INVALID_CHECKPOINT", ["exceeds the limit of 30", "limits.maxBytes"]);
row("checkpoint/encode a model with a deterministic variable", () => {
  const m = new ModelBuilder();
  const rows_ = m.plate("rows");
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 1 });
  m.deterministic("one", { plate: rows_, size: 1, from: [], compute: (_i, out) => out.fill(1) });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows_ }), mean: mu, precision: 1 });
  return encodeCheckpoint({ model: m.build(), variational: {}, engine: { kind: "x" }, generator: null });
}, "INVALID_CHECKPOINT", ["'one'", "deterministic", "model.input('one'"]);
row("checkpoint/encode variational for an unknown variable", () => encodeCheckpoint({ ...sviState(), variational: { nope: new Float64Array(2) } }), "INVALID_CHECKPOINT", ["'nope'", "[mu]"]);
row("checkpoint/encode variational named 'constructor'", () => encodeCheckpoint({ ...sviState(), variational: JSON.parse('{"constructor":1}') }), "INVALID_CHECKPOINT", ["constructor"]);
row("checkpoint/encode variational of the wrong length", () => encodeCheckpoint({ ...sviState(), variational: { mu: new Float64Array(3) } }), "INVALID_CHECKPOINT", ["state.variational.mu", "2 natural parameters"]);
row("checkpoint/encode improper variational parameters", () => encodeCheckpoint({ ...sviState(), variational: { mu: Float64Array.of(0, 1) } }), "INVALID_CHECKPOINT", ["state.variational.mu"]);
row("checkpoint/resumeSvi with a different totalRows", () => resumeSvi(decodeCheckpoint(bytes(), createRegistry()), { totalRows: 20 }), "INVALID_CHECKPOINT", ["totalRows"]);
row("checkpoint/resumeSvi of an online checkpoint kind", () => resumeSvi({ ...sviState(), engine: { kind: "online" } }), "INVALID_CHECKPOINT", ['kind "online"']);

// Files.
row("checkpoint/load a file that does not exist (was a raw ENOENT)", () => loadCheckpoint(join(dir, "missing.ckpt"), createRegistry()), "INVALID_CHECKPOINT", ["missing.ckpt", "does not exist", "ENOENT"]);
row("checkpoint/load a directory (was a raw EISDIR)", () => loadCheckpoint(dir, createRegistry()), "INVALID_CHECKPOINT", [dir, "is a directory", "EISDIR"]);
row("checkpoint/load a file that is not a checkpoint", () => {
  const p = join(dir, "notes.txt");
  writeFileSync(p, "hello, this is not a checkpoint");
  return loadCheckpoint(p, createRegistry());
}, "INVALID_CHECKPOINT", ["wrong magic"]);
row("checkpoint/load an empty file", () => {
  const p = join(dir, "empty.ckpt");
  writeFileSync(p, "");
  return loadCheckpoint(p, createRegistry());
}, "INVALID_CHECKPOINT", ["0 bytes is shorter"]);
row("checkpoint/load over limits.maxBytes (checked before reading)", () => {
  const p = join(dir, "big.ckpt");
  saveCheckpoint(p, sviState());
  return loadCheckpoint(p, createRegistry(), { maxBytes: 25 });
}, "INVALID_CHECKPOINT", ["big.ckpt", "over the limit of 25"]);
row("checkpoint/save into a directory that does not exist", () => saveCheckpoint(join(dir, "no", "such", "dir", "a.ckpt"), sviState()), "INVALID_CHECKPOINT", ["a.ckpt", "does not exist", "ENOENT"]);
row("checkpoint/save over an existing directory", () => {
  const p = join(dir, "taken");
  mkdirSync(p, { recursive: true });
  return saveCheckpoint(p, sviState());
}, "INVALID_CHECKPOINT", ["taken", "directory"]);
row("checkpoint/save with an empty path", () => saveCheckpoint("", sviState()), "INVALID_OPTION", ["path"]);
row("checkpoint/save with a path that is not a string", () => saveCheckpoint(3 as unknown as string, sviState()), "INVALID_OPTION", ["path"]);

// Registries and packs.
row("registry/unknown node type by name", () => new ModelBuilder({ registry: createRegistry() }).factor("Nromal", {}), "UNKNOWN_NAME", ['"Nromal"', "registered node types"]);
row("registry/unknown family key", () => createRegistry().family("Gausian"), "UNKNOWN_NAME", ['"Gausian"', "registered families"]);
row("registry/family key missing its dimension", () => createRegistry().family("MvNormal"), "UNKNOWN_NAME", ["MvNormal(d)"]);
row("registry/family key with a dimension it does not take", () => createRegistry().family("Normal(2)"), "UNKNOWN_NAME", ['write "Normal"']);
row("registry/family dimension 0", () => createRegistry().family("MvNormal(0)"), "UNKNOWN_NAME", ['"MvNormal(0)"']);
row("registry/family dimension of 8 digits (above the checkpoint's 7)", () => createRegistry().family("MvNormal(12345678)"), "INVALID_PARAMETER", ['"MvNormal(12345678)"', "9999999"]);
row("registry/family key 'constructor'", () => createRegistry().family("constructor"), "UNKNOWN_NAME", ['"constructor"']);
row("registry/family key '__proto__'", () => createRegistry().family("__proto__"), "UNKNOWN_NAME", ['"__proto__"']);
row("registry/node named 'toString'", () => createRegistry().node("toString"), "UNKNOWN_NAME", ['"toString"']);
row("registry/a pack registering a node twice", () => createRegistry({ name: "dup", nodes: [NormalNode] } as Pack), "DUPLICATE_NAME", ["Normal"]);
row("registry/a pack with a family name that is not an identifier", () => createRegistry({ name: "bad", families: { "My Family": Normal as ExponentialFamily } } as unknown as Pack), "INVALID_OPTION", ['"My Family"']);
row("registry/a node missing a message rule", () => createRegistry({ name: "p", nodes: [{ ...NormalNode, name: "Half", messages: { out: NormalNode.messages.out! } } as NodeType] } as Pack), "INVALID_NODE", ["Half"]);
row("registry/unknown codec", () => createRegistry().codec("msgpack-zstd"), "UNKNOWN_NAME", ["'msgpack-zstd'"]);

// Posteriors.
row("posteriors/typo in a cavi posterior name (was a bare TypeError)", () => (cavi(normalModel(), { data: { y: [1, 2] } }).posteriors as Record<string, { params(): unknown }>).muu!.params(), "UNKNOWN_NAME", ["posteriors.muu", "did you mean 'mu'", "[mu, tau]"]);
row("posteriors/a data variable is not a posterior", () => cavi(normalModel(), { data: { y: [1, 2] } }).posteriors.y!.mean(), "UNKNOWN_NAME", ["posteriors.y", "[mu, tau]"]);
row("posteriors/'hasOwnProperty' is not a posterior", () => (cavi(normalModel(), { data: { y: [1] } }).posteriors as unknown as { hasOwnProperty(k: string): boolean }).hasOwnProperty("mu"), "UNKNOWN_NAME", ["posteriors.hasOwnProperty"]);
row("posteriors/typo in an SVI engine's posterior name", () => {
  const e = new SviEngine(normalMeanModel(), { totalRows: 10 });
  e.step({ y: [1] });
  return e.posteriors().Mu!.mean();
}, "UNKNOWN_NAME", ["posteriors.Mu", "did you mean 'mu'"]);
row("posteriors/typo in an online engine's posterior name", () => new OnlineEngine(normalMeanModel()).posteriors().nu!.mean(), "UNKNOWN_NAME", ["posteriors.nu", "[mu]"]);
row("posteriors/a local variable asked of the globals", () => new SviEngine(normalMeanModel(), { totalRows: 10 }).posteriors().y!.mean(), "UNKNOWN_NAME", ["posteriors.y"]);
row("posteriors/snapshot summaries of a misspelt variable", () => from([{ y: [1] }]).pipe(online(normalMeanModel(), { summaries: ["mean"] })), "INVALID_OPTION", ["summaries", "'mean'"]);

export default rows;
