/**
 * Checkpoints: a complete inference state (model spec, variational parameters, engine state,
 * generator state) as bytes. Encoding validates the state and refuses what cannot be restored.
 * Decoding treats the bytes as hostile: header checks before anything else, msgpack size limits
 * derived from the input length, a schema pass that rebuilds every object from known keys, the
 * model rebuilt and validated through a Registry, and variational arrays checked against it.
 * Every failure is a VireoError INVALID_CHECKPOINT saying what is wrong and where; nothing live
 * is touched, because decoding only ever builds new objects.
 */
import { Encoder, Decoder } from "@msgpack/msgpack";
import { VireoError, Generator, type GeneratorState } from "@vireo/core";
import type { Model } from "../model/spec.js";
import type { Registry } from "../registry/registry.js";
import { frame, unframe, HEADER_BYTES } from "./frame.js";
import { checkpointExtensions } from "./extensions.js";
import { modelToData, readModelData, modelFromData, modelMatchingData } from "./model-codec.js";
import { invalid, requireProperInstances, record, keysOf, isMap, str, plainData } from "./schema.js";
import { MAX_CHECKPOINT_BYTES } from "../limits.js";

/** Engine-specific state: JSON-like values and typed arrays (step counters, options, schedules). */
export interface EngineState {
  readonly kind: string;
  readonly [key: string]: unknown;
}

export interface CheckpointState {
  readonly model: Model;
  /** Natural parameters per random variable (count × family.size); any subset of them. */
  readonly variational: Readonly<Record<string, Float64Array>>;
  readonly engine: EngineState;
  /** The generator's state (Generator.getState()), or null when the engine draws nothing more. */
  readonly generator: GeneratorState | null;
}

export interface CheckpointLimits {
  /** Largest input accepted, in bytes (default 1 GiB). */
  readonly maxBytes?: number;
  /** Deepest nesting of engine state (default 32). */
  readonly maxDepth?: number;
  /**
   * The live model, for checkpoints of models with density factors or gradient-fitted variables
   * (functions no file carries): its spec must equal the stored one, and it is used as is.
   */
  readonly model?: Model;
}

const DEFAULT_MAX_BYTES = MAX_CHECKPOINT_BYTES, DEFAULT_MAX_DEPTH = 32;

/** A registry is needed to rebuild node types and families by name: say so, rather than a TypeError. */
export function requireRegistry(registry: unknown, where: string): asserts registry is Registry {
  const r = registry as Registry | null | undefined;
  if (r === null || typeof r !== "object" || typeof r.family !== "function" || typeof r.codecs !== "function") {
    throw new VireoError(
      "INVALID_OPTION",
      `${where}: a Registry is required to rebuild the model's families and node types, got ${r === undefined ? "none" : r === null ? "null" : typeof r}. ` +
        `Pass createRegistry() (plus the packs the model uses), e.g. ${where}(bytes, createRegistry(myPack)).`,
      { parameter: "registry" },
    );
  }
}

function checkVariational(model: Model, variational: unknown, path: string): Record<string, Float64Array> {
  if (!isMap(variational)) throw invalid(path, "expected a map of random variable name → Float64Array.");
  const out: Record<string, Float64Array> = {};
  for (const name of keysOf(variational, path)) {
    const at = `${path}.${name}`, eta = variational[name];
    const v = Object.prototype.hasOwnProperty.call(model.variables, name) ? model.variables[name] : undefined;
    if (!v || v.kind !== "random") throw invalid(at, `'${name}' is not a random variable of the model; random variables are [${model.order.filter((n) => model.variables[n]!.kind === "random").join(", ")}].`);
    if (!(eta instanceof Float64Array)) throw invalid(at, "expected a Float64Array of natural parameters.");
    const f = v.family!, plate = v.plate === null ? null : model.plates[v.plate]!;
    const count = plate === null ? 1 : plate.size ?? eta.length / f.size;
    if (!Number.isInteger(count) || count < 1 || eta.length !== count * f.size) {
      throw invalid(at, `expected ${plate?.size === null ? `a positive multiple of ${f.size}` : count * f.size} natural parameters of ${f.key}, got ${eta.length}.`);
    }
    requireProperInstances(f, eta, at);
    out[name] = eta;
  }
  return out;
}

function checkGenerator(v: unknown, path: string): GeneratorState | null {
  if (v === null) return null;
  const r = record(v, path, ["algorithm", "words", "spareNormal"]);
  const words = r("words"), spare = r("spareNormal");
  const state = {
    algorithm: r("algorithm") as "xoshiro128**",
    words: (Array.isArray(words) ? words.slice() : words) as [number, number, number, number],
    spareNormal: spare as number | null,
  };
  try {
    Generator.fromState(state);
  } catch (e) {
    throw invalid(path, (e as Error).message);
  }
  return state;
}

function checkEngine(v: unknown, path: string, maxDepth: number, opaque: ((v: object) => boolean) | null): EngineState {
  if (!isMap(v)) throw invalid(path, "expected a map with a 'kind'.");
  const engine = plainData(v, path, maxDepth, opaque) as Record<string, unknown>;
  str(engine.kind, `${path}.kind`);
  return engine as EngineState;
}

/** Encodes a state; `registry` supplies pack codecs for engine values (and is otherwise unused). */
export function encodeCheckpoint(state: CheckpointState, options: { registry?: Registry } = {}): Uint8Array {
  const codecs = options.registry?.codecs() ?? [];
  const opaque = codecs.length === 0 ? null : (x: object) => codecs.some((c) => c.test(x));
  const r = record(state, "state", ["model", "variational", "engine", "generator"]);
  const model = modelToData(r("model") as Model);
  const variational = checkVariational(r("model") as Model, r("variational"), "state.variational");
  const payload = {
    model,
    variational,
    engine: checkEngine(r("engine"), "state.engine", DEFAULT_MAX_DEPTH, opaque),
    generator: checkGenerator(r("generator") ?? null, "state.generator"),
  };
  const encoder = new Encoder({ extensionCodec: checkpointExtensions(codecs), ignoreUndefined: false });
  const bytes = frame(encoder.encode(payload));
  if (bytes.length > MAX_CHECKPOINT_BYTES) {
    throw new VireoError("INVALID_CHECKPOINT", `Cannot checkpoint this state: it encodes to ${bytes.length} bytes, over the limit of ${MAX_CHECKPOINT_BYTES}; no reader would accept it.`, { field: "payload" });
  }
  return bytes;
}

/** Decodes and fully validates a checkpoint against `registry`; throws INVALID_CHECKPOINT on anything wrong. */
export function decodeCheckpoint(bytes: Uint8Array, registry: Registry, limits: CheckpointLimits = {}): CheckpointState {
  requireRegistry(registry, "decodeCheckpoint");
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES, maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (bytes instanceof Uint8Array && bytes.length > maxBytes) {
    throw new VireoError("INVALID_CHECKPOINT", `Checkpoint rejected: ${bytes.length} bytes exceeds the limit of ${maxBytes} (limits.maxBytes).`, { field: "header" });
  }
  const payload = unframe(bytes);
  const n = payload.length;
  const decoded = new WeakSet<object>();
  const decoder = new Decoder({
    extensionCodec: checkpointExtensions(registry.codecs(), decoded),
    // Every element takes at least one byte, so no header may claim more than the payload holds.
    maxStrLength: n, maxBinLength: n, maxArrayLength: n, maxMapLength: n, maxExtLength: n,
    useBigInt64: false,
  });
  let raw: unknown;
  try {
    raw = decoder.decode(payload);
  } catch (e) {
    if (e instanceof VireoError) throw e;
    const pos = (decoder as unknown as { pos?: unknown }).pos;
    const where = typeof pos === "number" ? ` near byte ${HEADER_BYTES + pos}` : "";
    throw new VireoError("INVALID_CHECKPOINT", `Checkpoint rejected: the payload is not valid msgpack${where}: ${(e as Error).message}`, { field: "payload" });
  }
  const r = record(raw, "checkpoint", ["model", "variational", "engine", "generator"]);
  const data = readModelData(r("model"), "checkpoint.model");
  const model = limits.model !== undefined ? modelMatchingData(data, limits.model, "checkpoint.model") : modelFromData(data, registry, "checkpoint.model", n);
  return {
    model,
    variational: checkVariational(model, r("variational"), "checkpoint.variational"),
    engine: checkEngine(r("engine"), "checkpoint.engine", maxDepth, (x) => decoded.has(x)),
    generator: checkGenerator(r("generator"), "checkpoint.generator"),
  };
}
