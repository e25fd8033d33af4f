/**
 * What travels through Redis, as msgpack with the checkpoint's typed-array extensions
 * (Float64Array as little-endian bytes). Every message is a map with a format tag `v`.
 * Decoding treats the bytes as hostile (they come from any producer): size limits from the
 * input length, no keys reaching object prototypes, every field checked, and a WireError naming
 * what is wrong, which the readers turn into a dead-letter entry with that reason.
 */
import { Encoder, Decoder } from "@msgpack/msgpack";
import { VireoError } from "@vireo/core";
import { checkpointExtensions } from "../checkpoint/extensions.js";
import { FORBIDDEN_KEYS } from "../checkpoint/schema.js";
import type { DataBinding } from "../engine/bind.js";

export const WIRE_VERSION = 1;

/** A message that cannot be read; `reason` goes to the dead-letter stream. */
export class WireError extends VireoError {
  constructor(readonly reason: string) {
    super("INVALID_BATCH", `Malformed message: ${reason}`, { field: "payload" });
  }
}

const encoder = new Encoder({ extensionCodec: checkpointExtensions([]), ignoreUndefined: true });

export function encode(value: unknown): Uint8Array {
  return encoder.encode(value);
}

/** Decodes one message; throws WireError for anything that is not a complete msgpack map. */
export function decode(bytes: Uint8Array, what: string): Record<string, unknown> {
  const n = bytes.length;
  const decoder = new Decoder({ extensionCodec: checkpointExtensions([]), maxStrLength: n, maxBinLength: n, maxArrayLength: n, maxMapLength: n, maxExtLength: n, useBigInt64: false });
  let raw: unknown;
  try {
    raw = decoder.decode(bytes);
  } catch (e) {
    throw new WireError(`${what} is not valid msgpack (${n} bytes; truncated or corrupt?): ${(e as Error).message}`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw) || ArrayBuffer.isView(raw)) throw new WireError(`${what} must be a msgpack map, got ${describe(raw)}.`);
  const m = raw as Record<string, unknown>;
  for (const k of Object.keys(m)) if (FORBIDDEN_KEYS.has(k)) throw new WireError(`${what} has the forbidden key '${k}'.`);
  if (m.v !== WIRE_VERSION) throw new WireError(`${what} has format version ${describe(m.v)}; this reader understands ${WIRE_VERSION}.`);
  return m;
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  if (ArrayBuffer.isView(x)) return x.constructor.name;
  return typeof x === "object" ? "a map" : `${typeof x} ${JSON.stringify(x)}`;
}

export function field<T>(m: Record<string, unknown>, key: string, what: string, check: (x: unknown) => x is T, expected: string): T {
  const x = Object.prototype.hasOwnProperty.call(m, key) ? m[key] : undefined;
  if (!check(x)) throw new WireError(`${what}.${key} must be ${expected}, got ${describe(x)}.`);
  return x;
}

export const isString = (x: unknown): x is string => typeof x === "string";
export const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
export const isNumber = (x: unknown): x is number => typeof x === "number";

/** A map name → Float64Array (e.g. natural parameters per global), or null when allowed. */
export function arrays(m: Record<string, unknown>, key: string, what: string, nullable = false): Record<string, Float64Array> | null {
  const x = Object.prototype.hasOwnProperty.call(m, key) ? m[key] : undefined;
  if (x === null && nullable) return null;
  if (x === null || typeof x !== "object" || Array.isArray(x) || ArrayBuffer.isView(x)) throw new WireError(`${what}.${key} must be a map of name → Float64Array, got ${describe(x)}.`);
  const out: Record<string, Float64Array> = {};
  for (const [k, a] of Object.entries(x as Record<string, unknown>)) {
    if (FORBIDDEN_KEYS.has(k)) throw new WireError(`${what}.${key} has the forbidden key '${k}'.`);
    if (!(a instanceof Float64Array)) throw new WireError(`${what}.${key}.${k} must be a Float64Array, got ${describe(a)}.`);
    out[k] = a;
  }
  return out;
}

// ---- Minibatches ----

/** A minibatch on the input stream: its id (the unit of idempotence) and its data by variable name. */
export interface WireBatch {
  readonly id: string;
  readonly data: DataBinding;
}

export function encodeBatch(id: string, data: DataBinding): Uint8Array {
  const out: Record<string, Float64Array | number[]> = {};
  for (const [k, x] of Object.entries(data)) {
    if (x instanceof Float64Array) out[k] = x;
    else if (ArrayBuffer.isView(x)) out[k] = Float64Array.from(x as unknown as ArrayLike<number>);
    else if (Array.isArray(x)) out[k] = Float64Array.from((x as readonly (number | readonly number[])[]).flat() as number[]);
    else throw new VireoError("INVALID_DATA", `Batch '${id}': field '${k}' must be a Float64Array, typed array or array of numbers to go on the wire.`, { variable: k });
  }
  return encode({ v: WIRE_VERSION, id, data: out });
}

export function decodeBatch(bytes: Uint8Array): WireBatch {
  const m = decode(bytes, "batch");
  const id = field(m, "id", "batch", isString, "a string batch id");
  if (id.length === 0 || id.length > 256) throw new WireError(`batch.id must have 1–256 characters, got ${id.length}.`);
  return { id, data: arrays(m, "data", `batch '${id}'`)! };
}

// ---- Contributions (worker → coordinator) ----

interface ContributionBase {
  readonly batch: string;
  /** The input stream entry the batch came in (acknowledged when the contribution is applied). */
  readonly entry: string;
  /** The globals version the worker fitted against. */
  readonly version: number;
  readonly worker: string;
}
export interface SviContribution extends ContributionBase {
  readonly kind: "svi";
  readonly target: Record<string, Float64Array>;
  readonly start: Record<string, Float64Array> | null;
  readonly rows: number;
}
export interface OnlineContribution extends ContributionBase {
  readonly kind: "online";
  readonly fromEvidence: Record<string, Float64Array>;
  readonly evidence: Record<string, Float64Array>;
  readonly globals: Record<string, Float64Array>;
}
export type Contribution = SviContribution | OnlineContribution;

export function encodeContribution(c: Contribution): Uint8Array {
  return encode({ v: WIRE_VERSION, ...c });
}

export function decodeContribution(bytes: Uint8Array): Contribution {
  const m = decode(bytes, "contribution");
  const kind = field(m, "kind", "contribution", (x): x is "svi" | "online" => x === "svi" || x === "online", '"svi" or "online"');
  const base = {
    batch: field(m, "batch", "contribution", isString, "a batch id"),
    entry: field(m, "entry", "contribution", (x): x is string => typeof x === "string" && /^\d+-\d+$/.test(x), "a stream entry id"),
    version: field(m, "version", "contribution", isCount, "a non-negative integer"),
    worker: field(m, "worker", "contribution", isString, "a worker name"),
  };
  if (kind === "svi") {
    return { kind, ...base, target: arrays(m, "target", "contribution")!, start: arrays(m, "start", "contribution", true), rows: field(m, "rows", "contribution", isCount, "a row count") };
  }
  return { kind, ...base, fromEvidence: arrays(m, "fromEvidence", "contribution")!, evidence: arrays(m, "evidence", "contribution")!, globals: arrays(m, "globals", "contribution")! };
}

// ---- Globals (coordinator → workers) ----

export interface WireGlobals {
  readonly version: number;
  readonly globals: Record<string, Float64Array>;
  /** Online runs: the accumulated evidence A. */
  readonly evidence: Record<string, Float64Array> | null;
}

export function encodeGlobals(g: WireGlobals): Uint8Array {
  return encode({ v: WIRE_VERSION, ...g });
}

export function decodeGlobals(bytes: Uint8Array): WireGlobals {
  const m = decode(bytes, "globals");
  return { version: field(m, "version", "globals", isCount, "a version"), globals: arrays(m, "globals", "globals")!, evidence: arrays(m, "evidence", "globals", true) };
}
