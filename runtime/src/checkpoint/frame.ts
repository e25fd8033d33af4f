/**
 * The checkpoint frame: a fixed 20-byte little-endian header, then the msgpack payload.
 *   0..7   magic "VIREOCKP"
 *   8..9   format version (u16)
 *   10..11 flags (u16, must be 0; reserved)
 *   12..15 payload length in bytes (u32)
 *   16..19 CRC-32 of the payload (u32)
 * Unframing checks the length first, then magic, version, flags, the exact payload length and
 * the checksum, before a single payload byte is interpreted.
 */
import { VireoError } from "@vireo/core";
import { crc32 } from "./crc32.js";

export const MAGIC = Uint8Array.from("VIREOCKP", (c) => c.charCodeAt(0));
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 20;

function bad(message: string): VireoError {
  return new VireoError("INVALID_CHECKPOINT", `Checkpoint rejected: ${message}`, { field: "header" });
}

/** Header + payload in one new buffer. */
export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint16(8, FORMAT_VERSION, true);
  view.setUint16(10, 0, true);
  view.setUint32(12, payload.length, true);
  view.setUint32(16, crc32(payload), true);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** The payload of a framed checkpoint (a view into `bytes`), after every header check. */
export function unframe(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw bad(`expected a Uint8Array, got ${bytes === null ? "null" : typeof bytes}.`);
  if (bytes.length < HEADER_BYTES) throw bad(`${bytes.length} bytes is shorter than the ${HEADER_BYTES}-byte header; the data is truncated or not a checkpoint.`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw bad(`wrong magic at byte ${i}: this is not a Vireo checkpoint (expected "VIREOCKP").`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(8, true);
  if (version !== FORMAT_VERSION) throw bad(`format version ${version} at byte 8 is not supported; this build reads version ${FORMAT_VERSION}.`);
  const flags = view.getUint16(10, true);
  if (flags !== 0) throw bad(`flags at byte 10 are ${flags}, expected 0 (reserved).`);
  const length = view.getUint32(12, true);
  if (length !== bytes.length - HEADER_BYTES) {
    throw bad(`the header (byte 12) declares a ${length}-byte payload but ${bytes.length - HEADER_BYTES} bytes follow it; the data is truncated or padded.`);
  }
  const payload = bytes.subarray(HEADER_BYTES);
  const want = view.getUint32(16, true), got = crc32(payload);
  if (want !== got) throw bad(`checksum mismatch: the header (byte 16) says ${want.toString(16).padStart(8, "0")}, the payload hashes to ${got.toString(16).padStart(8, "0")}; the data is corrupt.`);
  return payload;
}
