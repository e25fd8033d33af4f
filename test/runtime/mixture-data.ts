/**
 * Test data for the mixture tests (mixture-fused, mixture-truncation): N rows of a 2-D mixture of
 * five unit-variance Gaussians with fixed centres and weights, drawn from `seed`.
 */
import { Generator, sampleStandardNormal, sampleCategorical } from "@vireo/core";

const CENTRES = [[-5, -5], [0, 6], [6, 0], [5, 7], [-6, 4]];
const WEIGHTS = [0.3, 0.2, 0.2, 0.15, 0.15];

/** The mixture's component centres (the k-means++ test looks for them). */
export const MIXTURE_CENTRES: readonly (readonly number[])[] = CENTRES;

export function mixtureRows(N: number, seed: number): Float64Array {
  const rng = new Generator(seed), x = new Float64Array(N * 2);
  for (let n = 0; n < N; n++) {
    const k = sampleCategorical(rng, WEIGHTS);
    for (let i = 0; i < 2; i++) x[n * 2 + i] = CENTRES[k]![i]! + sampleStandardNormal(rng);
  }
  return x;
}
