/**
 * Amortised latents in the graph. A plate-local variable declared with `q: amortised(encoder,
 * { from: "x" })` is fitted like any gradient-fitted variable (engine/gradient.ts: one optimiser
 * step per sweep on its Markov blanket, the conjugate neighbours through ⟨M, T(z)⟩ and density
 * factors such as a decoder on the tape), but its q is `AmortisedRowsQ`: λ is the encoder's
 * weights, shared by every row, so
 * - its GradientFit persists from one minibatch (and one compiled state) to the next, like a
 *   global's (`AmortisedFits`, held by whoever runs the batches), and is never reset for a new
 *   batch (GradientFit.reset keeps an amortised λ);
 * - each compiled state binds the q to its own buffers of the observed columns the encoder
 *   reads (refilled in place by rebind and the fast binder), before the variable's draw buffers
 *   are sized from it.
 */
import { VireoError, AmortisedGaussian, AmortisedRowsQ, type VariationalFamily } from "@vireo/core";
import type { VariableSpec } from "../model/spec.js";
import type { CompiledState, VariableState } from "./state.js";

/** Fits of amortised latents kept across minibatches, by variable name (one map per runner). */
export type AmortisedFits = Map<string, import("./gradient.js").GradientFit>;

/** The graph's q of an amortised latent (a fresh, unbound AmortisedRowsQ), or null for any other choice. */
export function amortisedQOf(v: VariableSpec): AmortisedRowsQ | null {
  const q = v.gradient?.q;
  return q instanceof AmortisedGaussian ? q.forRows() : null;
}

export function isAmortisedQ(q: VariationalFamily): q is AmortisedRowsQ {
  return q instanceof AmortisedRowsQ;
}

/** Binds an amortised variable's q to the state's rows of the observed columns its encoder reads. */
export function bindAmortised(state: CompiledState, v: VariableState, q: AmortisedRowsQ): void {
  const choice = v.spec.gradient!.q as AmortisedGaussian;
  const sources = choice.from.map((name) => {
    const u = state.variables.get(name);
    if (u === undefined || !u.known || u.count !== v.count) {
      throw new VireoError("INVALID_STATE", `Amortised '${v.name}': its encoder reads '${name}', which has no ${v.count} bound rows in this state.`, { variable: v.name });
    }
    return { name, values: u.values, width: u.spec.valueSize };
  });
  q.bindRows(sources, v.count);
}
