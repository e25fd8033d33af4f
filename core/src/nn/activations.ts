/**
 * Activation functions on the tape, element-wise over a whole minibatch matrix. relu, leaky relu
 * and gelu are defined here; tanh, sigmoid and softplus are the tape's own unary ops. `activate`
 * applies one by name, which is how layers and the MLP builder refer to them.
 */
import { VireoError } from "../errors.js";
import { erf } from "../special/functions.js";
import type { TNode } from "../autodiff/tape.js";
import { tanh, sigmoid, softplus, unaryNode } from "../autodiff/unary.js";

/** The activations a layer can name. */
export type Activation = "identity" | "relu" | "leakyRelu" | "tanh" | "sigmoid" | "softplus" | "gelu";

export const ACTIVATIONS: readonly Activation[] = ["identity", "relu", "leakyRelu", "tanh", "sigmoid", "softplus", "gelu"];

/** Default negative slope of `leakyRelu`. */
export const LEAKY_RELU_SLOPE = 0.01;

/** max(a, 0); the gradient at 0 is taken as 0. */
export function relu(a: TNode): TNode {
  return leakyRelu(a, 0);
}

/** a for a > 0, slope·a otherwise. */
export function leakyRelu(a: TNode, slope = LEAKY_RELU_SLOPE): TNode {
  if (!Number.isFinite(slope)) {
    throw new VireoError("INVALID_PARAMETER", `leakyRelu: the negative slope must be a finite number, got ${slope}.`, { parameter: "slope" });
  }
  const n = unaryNode(slope === 0 ? "relu" : "leakyRelu", a);
  n.num = slope;
  const av = a.value, out = n.value;
  if (slope === 0) {
    for (let i = 0; i < n.size; i++) out[i] = av[i]! > 0 ? av[i]! : 0; // +0, not −0·x
  } else {
    for (let i = 0; i < n.size; i++) {
      const x = av[i]!;
      out[i] = x > 0 ? x : slope * x;
    }
  }
  n.backward = leakyReluBackward;
  return n;
}
function leakyReluBackward(n: TNode): void {
  const g = n.grad, av = n.a!.value, ga = n.a!.grad, slope = n.num;
  for (let i = 0; i < n.size; i++) ga[i] += av[i]! > 0 ? g[i]! : slope * g[i]!;
}

const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** The exact Gaussian error linear unit a·Φ(a) (Hendrycks & Gimpel 2016), Φ the standard normal CDF. */
export function gelu(a: TNode): TNode {
  const n = unaryNode("gelu", a);
  const av = a.value, out = n.value;
  for (let i = 0; i < n.size; i++) {
    const x = av[i]!;
    out[i] = 0.5 * x * (1 + erf(x * INV_SQRT2));
  }
  n.backward = geluBackward;
  return n;
}
function geluBackward(n: TNode): void {
  // d/dx x Φ(x) = Φ(x) + x φ(x).
  const g = n.grad, av = n.a!.value, ga = n.a!.grad;
  for (let i = 0; i < n.size; i++) {
    const x = av[i]!;
    ga[i] += g[i]! * (0.5 * (1 + erf(x * INV_SQRT2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x));
  }
}

/** Throws INVALID_OPTION unless `name` is an activation. */
export function requireActivation(name: unknown, where: string): Activation {
  if (typeof name !== "string" || !(ACTIVATIONS as readonly string[]).includes(name)) {
    throw new VireoError("INVALID_OPTION", `${where}: unknown activation ${JSON.stringify(name)}; use one of ${ACTIVATIONS.join(", ")}.`, { parameter: "activation" });
  }
  return name as Activation;
}

/** Applies the named activation (identity returns `a` itself). */
export function activate(a: TNode, activation: Activation): TNode {
  switch (activation) {
    case "identity": return a;
    case "relu": return relu(a);
    case "leakyRelu": return leakyRelu(a);
    case "tanh": return tanh(a);
    case "sigmoid": return sigmoid(a);
    case "softplus": return softplus(a);
    case "gelu": return gelu(a);
    default: return requireActivation(activation, "activate") as never;
  }
}
