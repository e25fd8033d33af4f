/**
 * Checkpoints on disk: written to a temporary file in the same directory, flushed, renamed over the
 * target, and the directory flushed too (so the rename itself survives a power cut). A crash
 * mid-write never leaves a torn checkpoint where a good one was; the temporary files such a crash
 * leaves behind are removed by the next save to the same path. File-system failures (a missing
 * file or directory, a directory where a file should be, no permission) are VireoErrors naming the
 * path and what to do.
 */
import { openSync, writeSync, fsyncSync, closeSync, renameSync, rmSync, readFileSync, statSync, readdirSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { VireoError } from "@vireo/core";
import type { Registry } from "../../registry/registry.js";
import { encodeCheckpoint, decodeCheckpoint, requireRegistry, type CheckpointState, type CheckpointLimits } from "../checkpoint.js";
import { MAX_CHECKPOINT_BYTES } from "../../limits.js";

const FS_REASONS: Readonly<Record<string, string>> = {
  ENOENT: "does not exist",
  EISDIR: "is a directory, not a checkpoint file",
  ENOTDIR: "has a path component that is not a directory",
  EACCES: "is not accessible (permission denied)",
  EPERM: "is not accessible (operation not permitted)",
  EROFS: "is on a read-only file system",
  ENOSPC: "cannot be written: the device is full",
};

/** A file-system error as a VireoError naming the path; anything else passes through. */
function fileError(e: unknown, path: string, doing: "save" | "load"): unknown {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (e instanceof VireoError || typeof code !== "string") return e;
  const reason = FS_REASONS[code] ?? `failed (${code})`;
  const fix = doing === "load" ? "Check the path (a checkpoint is a file written by saveCheckpoint)." : "Check that the directory exists and is writable, and that the path is not a directory.";
  return new VireoError("INVALID_CHECKPOINT", `Cannot ${doing} checkpoint '${path}': it ${reason} [${code}]. ${fix}`, { field: "path" });
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return false; // saves are synchronous: none of ours is in progress now
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes `.name.<pid>.<time>.tmp` files left by writers of `path` that are no longer running. */
function removeStaleTemporaries(path: string): void {
  const dir = dirname(path), prefix = `.${basename(path)}.`;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return; // the save itself reports an unusable directory
  }
  for (const name of entries) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    const m = /^(\d+)\.\d+\.tmp$/.exec(name.slice(prefix.length));
    if (m && !isAlive(Number(m[1]))) rmSync(join(dir, name), { force: true });
  }
}

/** Flushes a directory's entries (the rename); platforms that cannot open a directory skip it. */
function fsyncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EINVAL" && code !== "EPERM" && code !== "EBADF") throw e;
  } finally {
    closeSync(fd);
  }
}

/** Encodes `state` and writes it to `path` atomically (temp file + rename + directory flush). */
export function saveCheckpoint(path: string, state: CheckpointState, options: { registry?: Registry } = {}): void {
  if (typeof path !== "string" || path === "") {
    throw new VireoError("INVALID_OPTION", `saveCheckpoint: path must be a non-empty string, got ${typeof path === "string" ? '""' : typeof path}.`, { parameter: "path" });
  }
  const bytes = encodeCheckpoint(state, options);
  removeStaleTemporaries(path);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, "w", 0o644);
  } catch (e) {
    throw fileError(e, path, "save");
  }
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw fileError(e, path, "save");
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw fileError(e, path, "save");
  }
  fsyncDirectory(dirname(path));
}

/** Reads and decodes a checkpoint file; the size limit is checked before the file is read. */
export function loadCheckpoint(path: string, registry: Registry, limits: CheckpointLimits = {}): CheckpointState {
  requireRegistry(registry, "loadCheckpoint");
  if (typeof path !== "string" || path === "") {
    throw new VireoError("INVALID_OPTION", `loadCheckpoint: path must be a non-empty string, got ${typeof path === "string" ? '""' : typeof path}.`, { parameter: "path" });
  }
  const max = limits.maxBytes ?? MAX_CHECKPOINT_BYTES;
  let buf: Buffer;
  try {
    const info = statSync(path);
    if (info.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    if (info.size > max) throw new VireoError("INVALID_CHECKPOINT", `Checkpoint rejected: ${path} is ${info.size} bytes, over the limit of ${max} (limits.maxBytes).`, { field: "header" });
    buf = readFileSync(path);
  } catch (e) {
    throw fileError(e, path, "load");
  }
  return decodeCheckpoint(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), registry, limits);
}
