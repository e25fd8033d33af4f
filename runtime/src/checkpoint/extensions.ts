/**
 * msgpack extension types of checkpoints: typed arrays as little-endian element bytes (type 1
 * Float64Array, 2 Int32Array, 3 Uint8Array), written and read through DataView so neither the
 * host's byte order nor the alignment of the input buffer matters; plus the codecs of a
 * registry's packs (types 16..127). Decoding copies: nothing returned aliases the input.
 */
import { ExtensionCodec } from "@msgpack/msgpack";
import { VireoError } from "@vireo/core";
import type { Codec } from "../registry/pack.js";

export const EXT_F64 = 1, EXT_I32 = 2, EXT_U8 = 3;

function view(data: Uint8Array): DataView {
  return new DataView(data.buffer, data.byteOffset, data.byteLength);
}

function encodeF64(a: Float64Array): Uint8Array {
  const out = new Uint8Array(a.length * 8), v = view(out);
  for (let i = 0; i < a.length; i++) v.setFloat64(i * 8, a[i]!, true);
  return out;
}

function encodeI32(a: Int32Array): Uint8Array {
  const out = new Uint8Array(a.length * 4), v = view(out);
  for (let i = 0; i < a.length; i++) v.setInt32(i * 4, a[i]!, true);
  return out;
}

function elements(data: Uint8Array, bytes: number, what: string): number {
  if (data.length % bytes !== 0) {
    throw new VireoError("INVALID_CHECKPOINT", `Checkpoint rejected: a ${what} extension holds ${data.length} bytes, not a multiple of ${bytes}.`);
  }
  return data.length / bytes;
}

function decodeF64(data: Uint8Array): Float64Array {
  const n = elements(data, 8, "Float64Array"), out = new Float64Array(n), v = view(data);
  for (let i = 0; i < n; i++) out[i] = v.getFloat64(i * 8, true);
  return out;
}

function decodeI32(data: Uint8Array): Int32Array {
  const n = elements(data, 4, "Int32Array"), out = new Int32Array(n), v = view(data);
  for (let i = 0; i < n; i++) out[i] = v.getInt32(i * 4, true);
  return out;
}

/**
 * The extension codec for one encode or decode. Values a pack codec decodes are recorded in
 * `opaque`, so the schema pass accepts them as the codec's responsibility.
 */
export function checkpointExtensions(codecs: readonly Codec[], opaque: WeakSet<object> = new WeakSet()): ExtensionCodec {
  const ext = new ExtensionCodec();
  ext.register({ type: EXT_F64, encode: (v) => (v instanceof Float64Array ? encodeF64(v) : null), decode: decodeF64 });
  ext.register({ type: EXT_I32, encode: (v) => (v instanceof Int32Array ? encodeI32(v) : null), decode: decodeI32 });
  ext.register({ type: EXT_U8, encode: (v) => (v instanceof Uint8Array ? v.slice() : null), decode: (d) => d.slice() });
  for (const c of codecs) {
    ext.register({
      type: c.type,
      encode: (v) => (c.test(v) ? c.encode(v) : null),
      decode: (d) => {
        let value: unknown;
        try {
          value = c.decode(d.slice());
        } catch (e) {
          throw new VireoError("INVALID_CHECKPOINT", `Checkpoint rejected: codec '${c.name}' (extension ${c.type}) could not decode its value: ${(e as Error).message}`);
        }
        if (value !== null && (typeof value === "object" || typeof value === "function")) opaque.add(value as object);
        return value;
      },
    });
  }
  return ext;
}
