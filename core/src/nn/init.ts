/**
 * Seeded weight initialisers (Glorot & Bengio 2010; He et al. 2015). Each writes fanIn × fanOut
 * weights into `out` from `offset` with the caller's generator, so the same seed gives the same
 * network. Biases start at zero.
 */
import { VireoError } from "../errors.js";
import type { Generator } from "../random/generator.js";
import { sampleStandardNormal } from "../random/samplers.js";

export type Initialiser = "glorotUniform" | "glorotNormal" | "heNormal" | "heUniform" | "zeros";

export const INITIALISERS: readonly Initialiser[] = ["glorotUniform", "glorotNormal", "heNormal", "heUniform", "zeros"];

/** Writes fanIn·fanOut initial weights of the named scheme into out[offset …]. */
export function initialiseWeights(kind: Initialiser, fanIn: number, fanOut: number, rng: Generator, out: Float64Array, offset = 0): void {
  const n = fanIn * fanOut;
  if (offset < 0 || offset + n > out.length) {
    throw new VireoError("DIMENSION_MISMATCH", `initialiseWeights: ${n} weights from offset ${offset} do not fit an array of ${out.length}.`);
  }
  switch (kind) {
    case "glorotUniform": uniform(Math.sqrt(6 / (fanIn + fanOut)), n, rng, out, offset); return;
    case "glorotNormal": normal(Math.sqrt(2 / (fanIn + fanOut)), n, rng, out, offset); return;
    case "heNormal": normal(Math.sqrt(2 / fanIn), n, rng, out, offset); return;
    case "heUniform": uniform(Math.sqrt(6 / fanIn), n, rng, out, offset); return;
    case "zeros": out.fill(0, offset, offset + n); return;
    default:
      throw new VireoError("INVALID_OPTION", `initialiseWeights: unknown initialiser ${JSON.stringify(kind)}; use one of ${INITIALISERS.join(", ")}.`, { parameter: "init" });
  }
}

function uniform(limit: number, n: number, rng: Generator, out: Float64Array, offset: number): void {
  for (let i = 0; i < n; i++) out[offset + i] = limit * (2 * rng.uniform() - 1);
}

function normal(sd: number, n: number, rng: Generator, out: Float64Array, offset: number): void {
  for (let i = 0; i < n; i++) out[offset + i] = sd * sampleStandardNormal(rng);
}
