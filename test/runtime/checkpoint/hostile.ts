/** Helpers for building hostile checkpoints: raw msgpack payloads re-framed with a valid checksum. */
import { decode, encode, ExtensionCodec } from "@msgpack/msgpack";
import { crc32, HEADER_BYTES } from "@vireo/runtime";

/** Header (magic, version 1, flags 0, length, CRC-32) + payload, as a valid frame. */
export function reframe(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payload.length), v = new DataView(out.buffer);
  out.set(new TextEncoder().encode("VIREOCKP"));
  v.setUint16(8, 1, true);
  v.setUint32(12, payload.length, true);
  v.setUint32(16, crc32(payload), true);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** The payload as a raw msgpack tree (extension values stay ExtData, so they re-encode unchanged). */
export function rawPayload(bytes: Uint8Array): Record<string, unknown> {
  return decode(bytes.subarray(HEADER_BYTES), { extensionCodec: new ExtensionCodec() }) as Record<string, unknown>;
}

export function encodeRaw(tree: unknown): Uint8Array {
  return encode(tree, { extensionCodec: new ExtensionCodec() });
}

/** Float64Array as the checkpoint's extension type 1 (little-endian). */
export function f64Ext(values: number[]): unknown {
  const data = new Uint8Array(values.length * 8), v = new DataView(data.buffer);
  values.forEach((x, i) => v.setFloat64(i * 8, x, true));
  return { type: 1, data, __ext: true };
}

/** Keys of Object.prototype, to check that nothing was added. */
export function prototypeKeys(): string[] {
  return Object.getOwnPropertyNames(Object.prototype).sort();
}
