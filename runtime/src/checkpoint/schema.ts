/**
 * The schema pass over a decoded payload: every value is checked for type and shape at a named
 * key path before it is used, and records are rebuilt as fresh objects from known keys only.
 * Keys that could reach an object prototype (`__proto__`, `constructor`, `prototype`) are
 * rejected wherever they appear, so a hostile payload cannot pollute Object.prototype.
 */
import { VireoError, type ExponentialFamily } from "@vireo/core";

export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

export function invalid(path: string, message: string): VireoError {
  return new VireoError("INVALID_CHECKPOINT", `Checkpoint rejected at ${path}: ${message}`, { field: path });
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  return typeof v === "object" ? "a map" : typeof v === "string" ? `the string ${JSON.stringify(v.slice(0, 40))}` : `${typeof v} ${String(v)}`;
}

/** A plain map (as msgpack decodes one): an object whose prototype is Object.prototype or null. */
export function isMap(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Own keys of a map, each checked against the forbidden keys. */
export function keysOf(v: Record<string, unknown>, path: string): string[] {
  const keys = Object.keys(v);
  for (const k of keys) if (FORBIDDEN_KEYS.has(k)) throw invalid(`${path}.${k}`, `the key '${k}' is not allowed (it could reach an object prototype).`);
  return keys;
}

/** A map with exactly `required` keys (plus any of `optional`); returns a lookup of its values. */
export function record(v: unknown, path: string, required: readonly string[], optional: readonly string[] = []): (key: string) => unknown {
  if (!isMap(v)) throw invalid(path, `expected a map, got ${describe(v)}.`);
  const keys = keysOf(v, path);
  const allowed = new Set([...required, ...optional]);
  for (const k of keys) if (!allowed.has(k)) throw invalid(`${path}.${k}`, `unexpected key; expected only [${[...allowed].join(", ")}].`);
  for (const k of required) if (!Object.prototype.hasOwnProperty.call(v, k)) throw invalid(path, `missing key '${k}'.`);
  return (key) => (Object.prototype.hasOwnProperty.call(v, key) ? v[key] : undefined);
}

export function str(v: unknown, path: string, pattern?: RegExp): string {
  if (typeof v !== "string") throw invalid(path, `expected a string, got ${describe(v)}.`);
  if (pattern && !pattern.test(v)) throw invalid(path, `${JSON.stringify(v.slice(0, 60))} is not a valid name.`);
  if (FORBIDDEN_KEYS.has(v)) throw invalid(path, `the name '${v}' is not allowed.`);
  return v;
}

export function strOrNull(v: unknown, path: string, pattern?: RegExp): string | null {
  return v === null ? null : str(v, path, pattern);
}

export function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw invalid(path, `expected an integer in ${min}..${max}, got ${describe(v)}.`);
  return v;
}

export function oneOf<T extends string>(v: unknown, path: string, options: readonly T[]): T {
  if (typeof v !== "string" || !(options as readonly string[]).includes(v)) throw invalid(path, `expected one of [${options.join(", ")}], got ${describe(v)}.`);
  return v as T;
}

export function array(v: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(v)) throw invalid(path, `expected an array, got ${describe(v)}.`);
  return v;
}

export function f64(v: unknown, path: string): Float64Array {
  if (!(v instanceof Float64Array)) throw invalid(path, `expected a Float64Array, got ${describe(v)}.`);
  return v;
}

/**
 * Engine state: JSON-like values (null, booleans, numbers, strings, arrays, maps), typed arrays
 * and values a registered codec handles (`opaque`), at most `maxDepth` levels deep. Rebuilt into fresh
 * arrays and objects; anything else (undefined, functions, Dates, class instances) is rejected.
 */
export function plainData(v: unknown, path: string, maxDepth: number, opaque: ((v: object) => boolean) | null, depth = 0): unknown {
  if (v === null || typeof v === "boolean" || typeof v === "number" || typeof v === "string") return v;
  if (v instanceof Float64Array || v instanceof Int32Array || v instanceof Uint8Array) return v;
  if (opaque !== null && v !== undefined && (typeof v === "object" || typeof v === "function") && opaque(v as object)) return v;
  if (depth >= maxDepth) throw invalid(path, `nested deeper than ${maxDepth} levels.`);
  if (Array.isArray(v)) return v.map((x, i) => plainData(x, `${path}[${i}]`, maxDepth, opaque, depth + 1));
  if (isMap(v)) {
    const out: Record<string, unknown> = {};
    for (const k of keysOf(v, path)) out[k] = plainData(v[k], `${path}.${k}`, maxDepth, opaque, depth + 1);
    return out;
  }
  throw invalid(path, `${describe(v)} is not checkpointable data; use null, booleans, numbers, strings, arrays, maps, Float64Array, Int32Array, Uint8Array or a registered codec.`);
}

/** Throws INVALID_CHECKPOINT at `at[i]` unless every instance of `eta` is a proper member of `f`. */
export function requireProperInstances(f: ExponentialFamily, eta: Float64Array, at: string): void {
  for (let i = 0; i < eta.length / f.size; i++) {
    try {
      f.validate(eta.subarray(i * f.size, (i + 1) * f.size), `${at}[${i}]`);
    } catch (e) {
      throw invalid(`${at}[${i}]`, `not a proper ${f.key}: ${(e as Error).message}`);
    }
  }
}
