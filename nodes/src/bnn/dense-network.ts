/**
 * A multilayer perceptron's likelihood as one factor of the graph: the observations y of a plate
 * of rows with covariates x, given the network's layers (each a random variable holding its
 * (inputs + 1) × outputs weights and biases, W row-major then b: core's `localReparamDense`
 * layout) and, for regression, the observation precision τ.
 *
 *   a¹ = x W¹ + b¹,  hˡ = act(aˡ),  aˡ⁺¹ = hˡ Wˡ⁺¹ + bˡ⁺¹, …,  f = aᴸ (one output)
 *   gaussian:  y_n ~ N(f_n, 1/τ)        bernoulli:  y_n ~ Bernoulli(σ(f_n))
 *
 * Every layer is a moment edge: with a mean-field Gaussian q over a layer's values the node draws
 * each row's pre-activations from their exact marginals under q (the local reparameterisation
 * trick: m = h μ_W + μ_b, v = h² σ_W² + σ_b², a = m + √v ε), so one draw of local noise per row
 * and unit stands in for a draw of every weight. A Gaussian likelihood takes the last layer in
 * closed form, E[(y − a)²] = (y − m)² + v, so a network without hidden layers (Bayesian linear
 * regression) has an exact E_q[log f]. τ is a plain edge: a constant, or a gradient-fitted
 * variable read at its draw (a Gamma with a log bijector by default).
 *
 *   const net = denseNetworkNode({ inputs: 8, hidden: [16], likelihood: "gaussian" });
 *   m.factor(net, { x, y, precision: tau, layer0: W0, layer1: W1 });
 */
import { VireoError, ad, localReparamDense, activate, requireActivation, sampleStandardNormal, LOG_2PI, type Activation, type TNode } from "@vireo/core";
import type { EdgeSpec } from "../contract/node.js";
import { momentDensityNode, isEdgeMoments, type EdgeMoments, type MomentInputs, type MomentNodeType } from "../density/moment-density.js";

export interface DenseNetworkSpec {
  /** Covariates per row. */
  readonly inputs: number;
  /** Hidden layer widths ([] for a linear / logistic regression). */
  readonly hidden: readonly number[];
  /** Activation after each hidden layer (default "relu"). */
  readonly activation?: Activation;
  /** "gaussian" (y real, precision edge) or "bernoulli" (y ∈ {0, 1}, logit link). */
  readonly likelihood: "gaussian" | "bernoulli";
}

/** The number of values of layer l's variable, (inputs + 1) · outputs. */
export function denseLayerSizes(spec: Pick<DenseNetworkSpec, "inputs" | "hidden">): number[] {
  const widths = [spec.inputs, ...spec.hidden, 1];
  return widths.slice(1).map((w, l) => (widths[l]! + 1) * w);
}

/** The edge name of layer l. */
export const layerEdge = (l: number): string => `layer${l}`;

/** The likelihood node of a dense network (see the file comment). */
export function denseNetworkNode(spec: DenseNetworkSpec): MomentNodeType {
  const where = "denseNetworkNode";
  if (!Number.isInteger(spec?.inputs) || spec.inputs < 1) throw new VireoError("INVALID_OPTION", `${where}: inputs must be a positive integer, got ${JSON.stringify(spec?.inputs)}.`, { parameter: "inputs" });
  if (!Array.isArray(spec.hidden) || spec.hidden.some((h) => !Number.isInteger(h) || h < 1)) {
    throw new VireoError("INVALID_OPTION", `${where}: hidden must be an array of positive layer widths (e.g. [50], or [] for a linear model), got ${JSON.stringify(spec.hidden)}.`, { parameter: "hidden" });
  }
  if (spec.likelihood !== "gaussian" && spec.likelihood !== "bernoulli") {
    throw new VireoError("INVALID_OPTION", `${where}: likelihood must be "gaussian" or "bernoulli", got ${JSON.stringify(spec.likelihood)}.`, { parameter: "likelihood" });
  }
  const activation = requireActivation(spec.activation ?? "relu", where);
  const widths = [spec.inputs, ...spec.hidden, 1], L = widths.length - 1, sizes = denseLayerSizes(spec);
  const gaussian = spec.likelihood === "gaussian";
  const layers = Array.from({ length: L }, (_, l) => layerEdge(l));
  const edges: EdgeSpec[] = [
    { name: "x", family: "input", doc: `covariates, ${spec.inputs} per row` },
    { name: "y", family: gaussian ? "Normal" : "Bernoulli", doc: "responses" },
    ...(gaussian ? [{ name: "precision", family: "Gamma", doc: "observation precision τ" }] : []),
    ...layers.map((name, l) => ({ name, family: "Normal|MvNormal", allInstances: true, doc: `layer ${l}: ${widths[l]} × ${widths[l + 1]} weights then ${widths[l + 1]} biases (${sizes[l]} values)` })),
  ];
  const name = `DenseNetwork(${widths.join("-")}, ${activation}, ${spec.likelihood})`;

  /** The layer's moments, checked against its size (a layer of the wrong size is named here). */
  const layerMoments = (x: MomentInputs, l: number, node: string): EdgeMoments => {
    const e = x[layers[l]!]!, m = isEdgeMoments(e) ? e : { mean: e, variance: null };
    if (m.mean.size !== sizes[l]) {
      throw new VireoError(
        "DIMENSION_MISMATCH",
        `Factor '${node}' (${name}), edge '${layers[l]}': a ${widths[l]} → ${widths[l + 1]} layer holds (${widths[l]} + 1) × ${widths[l + 1]} = ${sizes[l]} weights and biases, but its variable has ${m.mean.size} values. Declare it in a plate of size ${sizes[l]} (or as MvNormal(${sizes[l]})).`,
        { node, edge: layers[l] },
      );
    }
    return m;
  };

  /** Log-likelihood per row given the network's inputs; `noise` draws local noise (null: the mean map, the plain density at draws). */
  const logLik = (x: MomentInputs, rows: number, node: string, noise: ((rows: number, out: number) => TNode) | null): TNode => {
    let h = ad.reshape(x.x as TNode, [rows, spec.inputs]);
    let m: TNode = h, v: TNode | null = null;
    for (let l = 0; l < L; l++) {
      const q = layerMoments(x, l, node), out = widths[l + 1]!;
      if (l < L - 1 && noise !== null && q.variance !== null && q.meanField !== undefined) {
        // A hidden layer of a mean-field q: the fused local-reparameterisation kernel (one node).
        const eps = noise(rows, out);
        h = activate(localReparamDense(h, q.meanField, out, eps.value), activation);
        continue;
      }
      m = localReparamDense(h, q.mean, out, null);
      v = q.variance === null ? null : localReparamDense(ad.square(h), q.variance, out, null);
      if (l === L - 1) break;
      const a = v === null || noise === null ? m : ad.add(m, ad.mul(ad.sqrt(v), noise(rows, out)));
      h = activate(a, activation);
    }
    const f = ad.reshape(m, [rows]), y = x.y as TNode;
    if (gaussian) {
      const tau = x.precision as TNode, r2 = ad.square(ad.sub(y, f));
      const spread = v === null ? r2 : ad.add(r2, ad.reshape(v, [rows]));
      return ad.sub(ad.scale(ad.shift(ad.log(tau), -LOG_2PI), 0.5), ad.scale(ad.mul(tau, spread), 0.5));
    }
    const a = v === null || noise === null ? f : ad.add(f, ad.mul(ad.sqrt(ad.reshape(v, [rows])), ad.reshape(noise(rows, 1), [rows])));
    return ad.sub(ad.mul(y, a), ad.softplus(a));
  };

  return momentDensityNode(name, { edges, momentEdges: layers, doc: `likelihood of a ${widths.join("-")} network (${activation}, ${spec.likelihood}), local reparameterisation on its layers` }, {
    logDensity: (x, _tape, ctx) => logLik(x, ctx.rows, ctx.nodeName, null),
    expectedLogDensity: (x, tape, ctx, rng) => logLik(x, ctx.rows, ctx.nodeName, (rows, out) => {
      // Standard normals in a node of the tape's pool (no allocation; it lives until the tape is reset).
      const eps = tape.node("const", 2, rows, out), e = eps.value;
      for (let i = 0; i < e.length; i++) e[i] = sampleStandardNormal(rng);
      return eps;
    }),
  });
}
