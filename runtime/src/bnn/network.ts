/**
 * A Bayesian neural network's architecture: a multilayer perceptron whose weights and biases
 * have a mean-field Gaussian q (fitted by the local reparameterisation trick) or are point
 * estimates (a MAP network of the same architecture, for comparison), with a Gaussian likelihood
 * (regression, learnt noise) or a Bernoulli-logit one (binary classification).
 *
 * All parameters live in one flat vector, layer after layer: a Gaussian layer holds λ = [μ, ρ]
 * over its (inputs + 1) × outputs weights and biases (W row-major, then b; σ = e^ρ), a point
 * layer μ alone; a Gaussian likelihood adds log σ_y (the noise sd, in standardised units) last.
 */
import { VireoError, fmt, activate as activateOnTape, requireActivation, defaultInitialiser, type Activation, type Initialiser, type TNode } from "@vireo/core";

export type BnnLikelihood = "gaussian" | "bernoulli";
/** How weights are fitted: "gaussian" (mean-field q, Bayesian) or "point" (MAP under the same prior). */
export type BnnWeights = "gaussian" | "point";
/** Activations between layers: those of core's layers (relu, leakyRelu, tanh, sigmoid, softplus, gelu, identity). */
export type BnnActivation = Activation;

const SPEC_KEYS: readonly string[] = ["inputs", "hidden", "activation", "likelihood", "weights", "priorSd", "initialSd"];

export interface BnnSpec {
  /** Number of covariates per row. */
  readonly inputs: number;
  /** Hidden layer widths (default [50]; [] is Bayesian linear / logistic regression). */
  readonly hidden?: readonly number[];
  /** Activation after each hidden layer (default "relu"). */
  readonly activation?: BnnActivation;
  /** "gaussian" (regression with learnt noise) or "bernoulli" (0/1 labels, logit link). */
  readonly likelihood: BnnLikelihood;
  /** Default "gaussian". */
  readonly weights?: BnnWeights;
  /** Prior sd of every weight and bias, N(0, priorSd²) on standardised inputs (default 1). */
  readonly priorSd?: number;
  /** Initial sd of q over each weight (default 0.01: a near-deterministic start that then widens). */
  readonly initialSd?: number;
}

/** One layer's place in the flat parameter vector. */
export interface BnnLayer {
  readonly inputs: number;
  readonly outputs: number;
  /** Offset of the layer's λ in the flat parameters. */
  readonly offset: number;
  /** Number of weights and biases, (inputs + 1) · outputs. */
  readonly weights: number;
  /** Length of the layer's λ: 2 · weights (Gaussian) or weights (point). */
  readonly size: number;
}

export interface BnnNetwork {
  readonly inputs: number;
  readonly hidden: readonly number[];
  readonly activation: BnnActivation;
  /** Initialiser of the weight means (He before rectifiers, Glorot otherwise; biases start at 0). */
  readonly init: Initialiser;
  readonly likelihood: BnnLikelihood;
  readonly weights: BnnWeights;
  readonly priorSd: number;
  readonly initialSd: number;
  readonly layers: readonly BnnLayer[];
  /** Length of the flat parameter vector. */
  readonly nParams: number;
  /** Index of log σ_y in the flat parameters (−1 for a Bernoulli likelihood). */
  readonly noiseIndex: number;
}

function positiveInteger(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    throw new VireoError("INVALID_OPTION", `bnn: ${what} must be a positive integer, got ${typeof v === "number" ? fmt(v) : JSON.stringify(v)}.`, { parameter: what });
  }
  return v;
}

/** Validates a network specification and lays out its parameters. */
export function bnn(spec: BnnSpec): BnnNetwork {
  if (spec === null || typeof spec !== "object") {
    throw new VireoError("INVALID_OPTION", "bnn: expected a specification { inputs, hidden, likelihood, ... }.");
  }
  for (const key of Object.keys(spec)) {
    if (!SPEC_KEYS.includes(key)) {
      throw new VireoError("INVALID_OPTION", `bnn: unknown option '${key}'; known options are [${SPEC_KEYS.join(", ")}].`, { parameter: key });
    }
  }
  const inputs = positiveInteger(spec.inputs, "inputs");
  const hidden = spec.hidden ?? [50];
  if (!Array.isArray(hidden)) throw new VireoError("INVALID_OPTION", `bnn: hidden must be an array of layer widths, e.g. [50], got ${JSON.stringify(hidden)}.`, { parameter: "hidden" });
  hidden.forEach((h, i) => positiveInteger(h, `hidden[${i}]`));
  const activation = requireActivation(spec.activation ?? "relu", "bnn");
  if (spec.likelihood !== "gaussian" && spec.likelihood !== "bernoulli") {
    throw new VireoError("INVALID_OPTION", `bnn: likelihood must be "gaussian" (regression) or "bernoulli" (0/1 labels), got ${JSON.stringify(spec.likelihood)}.`, { parameter: "likelihood" });
  }
  const weights = spec.weights ?? "gaussian";
  if (weights !== "gaussian" && weights !== "point") {
    throw new VireoError("INVALID_OPTION", `bnn: weights must be "gaussian" (mean-field q) or "point" (MAP), got ${JSON.stringify(weights)}.`, { parameter: "weights" });
  }
  const priorSd = spec.priorSd ?? 1, initialSd = spec.initialSd ?? 0.01;
  for (const [name, v] of [["priorSd", priorSd], ["initialSd", initialSd]] as const) {
    if (!(typeof v === "number" && Number.isFinite(v) && v > 0)) {
      throw new VireoError("INVALID_OPTION", `bnn: ${name} must be a finite number > 0, got ${typeof v === "number" ? fmt(v) : JSON.stringify(v)}.`, { parameter: name });
    }
  }
  const widths = [inputs, ...hidden, 1];
  const layers: BnnLayer[] = [];
  let offset = 0;
  for (let l = 0; l + 1 < widths.length; l++) {
    const w = (widths[l]! + 1) * widths[l + 1]!, size = weights === "gaussian" ? 2 * w : w;
    layers.push(Object.freeze({ inputs: widths[l]!, outputs: widths[l + 1]!, offset, weights: w, size }));
    offset += size;
  }
  const noiseIndex = spec.likelihood === "gaussian" ? offset : -1;
  return Object.freeze({
    inputs, hidden: Object.freeze(hidden.slice()), activation, init: defaultInitialiser(activation), likelihood: spec.likelihood, weights, priorSd, initialSd,
    layers: Object.freeze(layers), nParams: offset + (noiseIndex >= 0 ? 1 : 0), noiseIndex,
  });
}

/** The activation of a hidden layer on the tape. */
export function activate(net: BnnNetwork, a: TNode): TNode {
  return activateOnTape(a, net.activation);
}
