/**
 * A Pack: a named group of families, node types and checkpoint codecs that a Registry adds in one
 * step (`registry.use(pack)`). Packs are plain data; nothing is registered until `use`.
 */
import type { ExponentialFamily } from "@vireo/core";
import type { NodeType } from "@vireo/nodes";

/** A family of a fixed shape (Normal, Gamma) or a constructor of a dimensioned one (MvNormal(d)). */
export type FamilyEntry = ExponentialFamily | ((dim: number) => ExponentialFamily);

/**
 * A msgpack extension for values a pack keeps in checkpoint engine state (e.g. an optimiser's
 * own record type). Extension types 0..15 are Vireo's; packs use 16..127.
 */
export interface Codec<T = unknown> {
  readonly name: string;
  readonly type: number;
  /** Whether `value` is one this codec encodes. */
  test(value: unknown): value is T;
  encode(value: T): Uint8Array;
  /** Decodes hostile bytes: must throw on anything malformed and allocate no more than `bytes` justifies. */
  decode(bytes: Uint8Array): T;
}

export interface Pack {
  readonly name: string;
  /** Families by name: an instance, or a constructor taking the dimension. */
  readonly families?: Readonly<Record<string, FamilyEntry>>;
  readonly nodes?: readonly NodeType[];
  readonly codecs?: readonly Codec[];
}

/** First extension type a pack's codec may use (lower ones are reserved for typed arrays). */
export const FIRST_PACK_EXT_TYPE = 16;
