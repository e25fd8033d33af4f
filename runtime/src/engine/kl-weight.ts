/**
 * The KL weight β (warm-up, β annealing): a gradient-fitted variable's prior-and-entropy terms are
 * multiplied by β in its step (an amortised latent in a joint step, a BNN's layers in their moment
 * group), while the reported ELBO stays unweighted.
 */
import { VireoError } from "@vireo/core";

/** β of an amortised latent's prior-and-entropy terms: a number, or a function of the encoder's step count (0, 1, …). */
export type KlWeight = number | ((step: number) => number);

/** Validates the KL weight option (a finite number ≥ 0 or a function). */
export function validateKlWeight(w: unknown, where: string): KlWeight | undefined {
  if (w === undefined) return undefined;
  if (typeof w === "function") return w as (step: number) => number;
  if (typeof w === "number" && Number.isFinite(w) && w >= 0) return w;
  throw new VireoError("INVALID_OPTION", `${where}: klWeight must be a finite number ≥ 0 or a function of the step (e.g. (t) => Math.min(1, t / 1000)), got ${JSON.stringify(w)}.`, { parameter: "klWeight" });
}

/** β at `step`, checked (a schedule that returns NaN or a negative weight names the step). */
export function klWeightAt(w: KlWeight, step: number, variable: string): number {
  if (typeof w === "number") return w;
  const b = w(step);
  if (!(typeof b === "number" && Number.isFinite(b) && b >= 0)) {
    throw new VireoError("INVALID_OPTION", `klWeight of '${variable}' at step ${step} returned ${String(b)}; the schedule must return a finite number ≥ 0.`, { parameter: "klWeight", variable });
  }
  return b;
}
