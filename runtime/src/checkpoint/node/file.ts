/**
 * Checkpoints on disk: written to a temporary file in the same directory, flushed, then renamed
 * over the target, so a crash mid-write never leaves a torn checkpoint where a good one was.
 */
import { openSync, writeSync, fsyncSync, closeSync, renameSync, rmSync, readFileSync, statSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { VireoError } from "@vireo/core";
import type { Registry } from "../../registry/registry.js";
import { encodeCheckpoint, decodeCheckpoint, type CheckpointState, type CheckpointLimits } from "../checkpoint.js";

/** Encodes `state` and writes it to `path` atomically (temp file + rename). */
export function saveCheckpoint(path: string, state: CheckpointState, options: { registry?: Registry } = {}): void {
  const bytes = encodeCheckpoint(state, options);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, "w", 0o644);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Reads and decodes a checkpoint file; the size limit is checked before the file is read. */
export function loadCheckpoint(path: string, registry: Registry, limits: CheckpointLimits = {}): CheckpointState {
  const max = limits.maxBytes ?? 2 ** 30;
  const size = statSync(path).size;
  if (size > max) throw new VireoError("INVALID_CHECKPOINT", `Checkpoint rejected: ${path} is ${size} bytes, over the limit of ${max} (limits.maxBytes).`, { field: "header" });
  const buf = readFileSync(path);
  return decodeCheckpoint(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), registry, limits);
}
