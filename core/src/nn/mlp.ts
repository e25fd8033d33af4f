/**
 * A multilayer perceptron: a chain of dense layers whose parameters lie back to back in one flat
 * vector θ (layer 0's W and b, then layer 1's, …). `forward` runs the whole minibatch as matrices
 * on the tape, so one forward and one backward pass cost a handful of matrix products.
 */
import { VireoError } from "../errors.js";
import type { Generator } from "../random/generator.js";
import { Tape, type TNode, describe } from "../autodiff/tape.js";
import { type Activation, requireActivation } from "./activations.js";
import type { Initialiser } from "./init.js";
import { Dense } from "./dense.js";

export interface MlpOptions {
  /** Activation of the hidden layers (default "relu"). */
  readonly activation?: Activation;
  /** Activation of the last layer (default "identity": the network outputs unconstrained values). */
  readonly output?: Activation;
  /** Initialiser of every layer (default: by activation, see `defaultInitialiser`). */
  readonly init?: Initialiser;
}

export class Mlp {
  readonly layers: readonly Dense[];
  /** Offset of each layer's parameters in θ (relative to the network's own offset). */
  readonly offsets: readonly number[];
  readonly nParams: number;

  constructor(readonly sizes: readonly number[], options: MlpOptions = {}) {
    if (!Array.isArray(sizes) || sizes.length < 2) {
      throw new VireoError("INVALID_PARAMETER", `mlp: give at least the input and output sizes, e.g. mlp([784, 400, 20]); got ${JSON.stringify(sizes)}.`, { parameter: "sizes" });
    }
    const hidden = requireActivation(options.activation ?? "relu", "mlp (activation)");
    const output = requireActivation(options.output ?? "identity", "mlp (output)");
    const layers: Dense[] = [], offsets: number[] = [];
    let total = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const last = l + 2 === sizes.length;
      const layer = new Dense(sizes[l]!, sizes[l + 1]!, { activation: last ? output : hidden, ...(options.init ? { init: options.init } : {}) });
      layers.push(layer);
      offsets.push(total);
      total += layer.nParams;
    }
    this.layers = layers;
    this.offsets = offsets;
    this.nParams = total;
    this.sizes = sizes.slice();
  }

  get inputs(): number {
    return this.sizes[0]!;
  }

  get outputs(): number {
    return this.sizes[this.sizes.length - 1]!;
  }

  /** Seeded initial parameters, written into `out` from `offset` (a new array by default). */
  initialise(rng: Generator, out: Float64Array = new Float64Array(this.nParams), offset = 0): Float64Array {
    if (offset < 0 || offset + this.nParams > out.length) {
      throw new VireoError("DIMENSION_MISMATCH", `Mlp(${this.sizes.join("-")}).initialise: ${this.nParams} parameters from offset ${offset} do not fit an array of ${out.length}.`);
    }
    this.layers.forEach((layer, l) => layer.initialise(out, offset + this.offsets[l]!, rng));
    return out;
  }

  /** The network's output [rows, outputs] for the minibatch X [rows, inputs], with θ read from `offset`. */
  forward(theta: TNode, X: TNode, offset = 0): TNode {
    if (theta.size < offset + this.nParams) {
      throw new VireoError(
        "DIMENSION_MISMATCH",
        `Mlp(${this.sizes.join("-")}): needs ${this.nParams} parameters from offset ${offset}, but the parameter node ${describe(theta)} holds ${theta.size}.`,
      );
    }
    let h = X;
    this.layers.forEach((layer, l) => { h = layer.forward(theta, offset + this.offsets[l]!, h); });
    return h;
  }

  /** The output for `rows` rows of inputs (row-major) at fixed θ, as a new array (no gradients). */
  predict(theta: Float64Array, X: Float64Array, rows: number): Float64Array {
    if (X.length !== rows * this.inputs) {
      throw new VireoError("DIMENSION_MISMATCH", `Mlp(${this.sizes.join("-")}).predict: ${rows} rows of ${this.inputs} inputs need ${rows * this.inputs} values, got ${X.length}.`);
    }
    const tape = new Tape();
    return this.forward(tape.constant(theta), tape.constant(X, [rows, this.inputs])).value.slice();
  }
}

/** An MLP over `sizes` = [inputs, hidden…, outputs]. */
export function mlp(sizes: readonly number[], options?: MlpOptions): Mlp {
  return new Mlp(sizes, options);
}
