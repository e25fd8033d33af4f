/**
 * A dense (fully connected) layer: X [rows, inputs] ↦ act(X·W + 1bᵀ) [rows, outputs], with its
 * parameters stored in a flat vector θ (W row-major inputs × outputs, then b) at an offset the
 * owner chooses. Layers hold no numbers: the same layer runs on point-estimate weights, on one
 * draw of Gaussian weights, or on anything else a tape node holds.
 */
import { VireoError } from "../errors.js";
import type { Generator } from "../random/generator.js";
import type { TNode } from "../autodiff/tape.js";
import { type Activation, activate, requireActivation } from "./activations.js";
import { type Initialiser, INITIALISERS, initialiseWeights } from "./init.js";
import { denseAffine, denseParamCount } from "./affine.js";

export interface DenseOptions {
  /** Activation after the affine map (default "identity"). */
  readonly activation?: Activation;
  /** Weight initialiser (default heNormal before relu-like activations, glorotUniform otherwise). */
  readonly init?: Initialiser;
}

/** The initialiser that suits an activation: He for the rectifiers, Glorot for the rest. */
export function defaultInitialiser(activation: Activation): Initialiser {
  return activation === "relu" || activation === "leakyRelu" || activation === "gelu" ? "heNormal" : "glorotUniform";
}

export class Dense {
  readonly activation: Activation;
  readonly init: Initialiser;
  /** Number of parameters: inputs·outputs weights and outputs biases. */
  readonly nParams: number;

  constructor(readonly inputs: number, readonly outputs: number, options: DenseOptions = {}) {
    for (const [what, v] of [["inputs", inputs], ["outputs", outputs]] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new VireoError("INVALID_PARAMETER", `Dense: ${what} must be a positive integer, got ${v}.`, { parameter: what });
      }
    }
    this.activation = requireActivation(options.activation ?? "identity", "Dense");
    this.init = options.init ?? defaultInitialiser(this.activation);
    if (!INITIALISERS.includes(this.init)) {
      throw new VireoError("INVALID_OPTION", `Dense: unknown initialiser ${JSON.stringify(this.init)}; use one of ${INITIALISERS.join(", ")}.`, { parameter: "init" });
    }
    this.nParams = denseParamCount(inputs, outputs);
  }

  /** Writes initial weights (seeded) and zero biases into theta[offset …]. */
  initialise(theta: Float64Array, offset: number, rng: Generator): void {
    initialiseWeights(this.init, this.inputs, this.outputs, rng, theta, offset);
    theta.fill(0, offset + this.inputs * this.outputs, offset + this.nParams);
  }

  /** act(X·W + 1bᵀ) on the tape, W and b read from θ at `offset`. */
  forward(theta: TNode, offset: number, X: TNode): TNode {
    if (X.rank !== 2 || X.d1 !== this.inputs) {
      throw new VireoError(
        "DIMENSION_MISMATCH",
        `Dense(${this.inputs}→${this.outputs}): expected an input of shape [rows, ${this.inputs}], got [${X.shape.join(", ")}]. Pass one row per example.`,
      );
    }
    return activate(denseAffine(theta, offset, X, this.outputs), this.activation);
  }
}

/** A dense layer from `inputs` to `outputs` values. */
export function dense(inputs: number, outputs: number, options?: DenseOptions): Dense {
  return new Dense(inputs, outputs, options);
}
