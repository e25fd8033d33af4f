/**
 * The engine's optional parts. The conjugate core (closed-form VMP, fused plate passes, LDA
 * document blocks, the exact ELBO) needs none of them; gradient-fitted variables and density
 * nodes need `gradients` (the tape, the estimator, the Monte Carlo ELBO, PSIS), the `threads`
 * option needs `threads` (worker threads). `@vireo/runtime` passes all of them
 * (engine/all-capabilities.ts); `@vireo/runtime/conjugate` passes none, so a conjugate-only
 * browser app does not carry them. They are passed in, not registered, so nothing is global.
 */
import type { Generator } from "@vireo/core";
import type { CompiledState, VariableState, SharedBuffer } from "./state.js";
import type { AmortisedFits } from "./amortised.js";
import type { GradientOptions } from "./gradient.js";
import type { ElboEstimate } from "./mc-elbo.js";
import type { Posterior } from "./posterior.js";
import type { ThreadPool } from "./threads.js";
import type { CaviOptions, CaviResult } from "./cavi.js";

/** What the engine needs to fit variables by gradients (engine/gradient.ts, engine/mc-elbo.ts). */
export interface GradientCapability {
  /**
   * Gives a gradient-fitted variable its GradientVariable (sharing `shared`'s fit when given; an
   * amortised local's encoder from `amortisedFits`, which persists across minibatches).
   */
  attach(state: CompiledState, v: VariableState, shared: SharedBuffer | undefined, options: GradientOptions, amortisedFits?: AmortisedFits): void;
  /** The ELBO from the latest draws: exact terms + Monte Carlo terms, with its standard error. */
  monteCarloElbo(state: CompiledState): ElboEstimate;
  /** The ELBO from `samples` fresh joint draws. */
  freshElbo(state: CompiledState, samples: number, rng: Generator): ElboEstimate;
  /** The posterior of a gradient-fitted variable (its q). */
  posterior(v: VariableState): Posterior;
  /** A whole CAVI run of a compiled state with gradient-fitted variables (windowed stopping, fresh ELBO, PSIS). */
  runCavi(state: CompiledState, options: CaviOptions, seed: number, seeded: boolean): CaviResult;
  /** Groups gradient-fitted variables that share density factors into joint steps (engine/joint-step.ts), once all are attached. */
  planJoint?(state: CompiledState, options: GradientOptions): void;
}

export interface EngineCapabilities {
  readonly gradients: GradientCapability | null;
  /** Makes a pool of worker threads for the fused plate passes (Node only). */
  readonly threads: ((threads: number) => ThreadPool) | null;
}

/** The conjugate core alone. */
export const CONJUGATE_ONLY: EngineCapabilities = Object.freeze({ gradients: null, threads: null });
