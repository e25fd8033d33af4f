/**
 * A seeded pseudo-random generator (xoshiro128**, Blackman & Vigna) whose complete state can be
 * saved and restored: the same seed, or a restored state, gives a bit-identical continuation.
 * 32-bit integer arithmetic only, so it is fast in JS without BigInt.
 */
import { VireoError } from "../errors.js";

/** The complete, serialisable state of a Generator. */
export interface GeneratorState {
  readonly algorithm: "xoshiro128**";
  readonly words: readonly [number, number, number, number];
  /** Second normal deviate of the last polar-method pair, not yet handed out. */
  readonly spareNormal: number | null;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Generator {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** Cached second deviate of the polar method (part of the state). */
  spareNormal: number | null = null;

  /** A generator seeded from an integer (any 32-bit value; equal seeds give equal streams). */
  constructor(seed = 0) {
    if (!Number.isInteger(seed)) {
      throw new VireoError("INVALID_PARAMETER", `Generator: seed must be an integer, got ${seed}.`, { parameter: "seed" });
    }
    const next = splitmix32(seed);
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform double in (0, 1): safe to take the log of. */
  uniformOpen(): number {
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    return u;
  }

  /** An integer uniform on {0, …, n-1}. */
  integer(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** A copy of the complete state. */
  getState(): GeneratorState {
    return { algorithm: "xoshiro128**", words: [this.s0, this.s1, this.s2, this.s3], spareNormal: this.spareNormal };
  }

  /** Restores a state from getState(); the stream then continues bit-identically. */
  setState(state: GeneratorState): this {
    const w = state?.words;
    if (
      !state || state.algorithm !== "xoshiro128**" || !Array.isArray(w) || w.length !== 4 ||
      !w.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff) || w.every((x) => x === 0) ||
      !(state.spareNormal === null || Number.isFinite(state.spareNormal))
    ) {
      throw new VireoError(
        "INVALID_STATE",
        "Generator.setState: expected { algorithm: 'xoshiro128**', words: four uint32 values not all zero, " +
          "spareNormal: number | null } as returned by getState().",
      );
    }
    [this.s0, this.s1, this.s2, this.s3] = w as [number, number, number, number];
    this.spareNormal = state.spareNormal;
    return this;
  }

  /** A generator continuing from a saved state. */
  static fromState(state: GeneratorState): Generator {
    return new Generator(0).setState(state);
  }

  /** An independent copy at the same point in the stream. */
  clone(): Generator {
    return Generator.fromState(this.getState());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
