/**
 * A variational autoencoder as a ModelBuilder graph: the plate of rows holds the data x (an
 * input of D numbers per row) and the latent z ~ N(0, I) (a conjugate MvNormal prior node), with
 * q(z | x) amortised by the encoder (`q: amortised(encoder, { from: "x" })`); the likelihood is a
 * density node whose decoder reads the graph-level weight variable `decoderWeights` (a plate of
 * scalars, one per network weight: point mass = maximum likelihood, or a mean-field Gaussian
 * against a N(0, s²) prior = Bayesian decoder), plus, for a Gaussian decoder, a learnt
 * log-variance `logNoise` (point mass). Every parameter is a graph variable fitted by the one
 * engine: `cavi(model, …)` in a batch, `svi(model, { totalRows })` over a stream of minibatches
 * (data factors scaled by N/|B|).
 */
import { VireoError, Generator, MvNormal, Normal, amortised, AmortisedGaussian, pointMass, meanFieldGaussian, bernoulliLogitRows, gaussianRows, ad, type Mlp } from "@vireo/core";
import { densityNode, MvNormalNode, NormalNode } from "@vireo/nodes";
import { ModelBuilder, type BuiltModel } from "../model/builder.js";

export interface VaeModelOptions {
  /** Data width D (numbers per row). */
  readonly inputs: number;
  /** The amortised q (its `from` defaults to the data field), or an encoder network (diagonal Gaussian: 2K outputs). */
  readonly encoder: AmortisedGaussian | Mlp;
  /** Decoder network from K latent values to D outputs (logits for Bernoulli, means for Gaussian). */
  readonly decoder: Mlp;
  readonly likelihood: "bernoulli" | "gaussian";
  /**
   * Gaussian decoder: a fixed positive variance, "shared" (one learnt log-variance, default) or
   * "perDimension" (one learnt log-variance per output: `logNoise` is then a plate of D point masses).
   */
  readonly noise?: "shared" | "perDimension" | number;
  /** Decoder weights: "pointMass" (maximum likelihood, default) or "gaussian" (mean-field q(w), N(0, weightPriorSd²) prior). */
  readonly decoderWeights?: "pointMass" | "gaussian";
  readonly weightPriorSd?: number;
  /** Initial sd of Gaussian decoder weights' q (default 0.01). */
  readonly weightInitSd?: number;
  /** Seed of the decoder's initial weights (default 1). */
  readonly seed?: number;
  /** Name of the data input (default "x"). */
  readonly field?: string;
}

/** The graph of a VAE (see the file comment); variables "z", "decoderWeights" and, when learnt, "logNoise". */
export function vaeModel(options: VaeModelOptions): BuiltModel {
  const D = options.inputs, field = options.field ?? "x";
  if (!(Number.isInteger(D) && D >= 1)) throw new VireoError("INVALID_OPTION", `vaeModel: inputs (the data width D) must be a positive integer, got ${D}.`, { parameter: "inputs" });
  const enc = options.encoder;
  const q = enc instanceof AmortisedGaussian
    ? (enc.from.length > 0 ? enc : amortised(enc.encoder, { covariance: enc.covariance, from: field, flow: enc.flow, seed: enc.seed }))
    : amortised(enc, { from: field });
  const K = q.latent, decoder = options.decoder;
  if (!decoder || typeof decoder.forward !== "function") throw new VireoError("INVALID_OPTION", "vaeModel: 'decoder' must be a network, e.g. mlp([K, 400, D]).", { parameter: "decoder" });
  if (decoder.inputs !== K || decoder.outputs !== D) {
    throw new VireoError("DIMENSION_MISMATCH", `vaeModel: the decoder maps ${decoder.inputs} → ${decoder.outputs} values, but the latent has ${K} and the data ${D}; make it mlp([${K}, …, ${D}]).`, { parameter: "decoder" });
  }
  const likelihood = options.likelihood;
  if (likelihood !== "bernoulli" && likelihood !== "gaussian") throw new VireoError("INVALID_OPTION", `vaeModel: likelihood must be "bernoulli" or "gaussian", got ${JSON.stringify(likelihood)}.`, { parameter: "likelihood" });
  const noise = options.noise ?? "shared";
  if (noise !== "shared" && noise !== "perDimension" && !(typeof noise === "number" && noise > 0 && Number.isFinite(noise))) {
    throw new VireoError("INVALID_OPTION", `vaeModel: noise must be "shared", "perDimension" or a positive variance, got ${JSON.stringify(noise)}.`, { parameter: "noise" });
  }
  const weights = options.decoderWeights ?? "pointMass";
  if (weights !== "pointMass" && weights !== "gaussian") throw new VireoError("INVALID_OPTION", `vaeModel: decoderWeights must be "pointMass" or "gaussian", got ${JSON.stringify(weights)}.`, { parameter: "decoderWeights" });
  const priorSd = options.weightPriorSd ?? 1, initSd = options.weightInitSd ?? 0.01;

  const P = decoder.nParams, init = decoder.initialise(new Generator(options.seed ?? 1));
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const x = m.input(field, { plate: rows, size: D });
  const z = m.random("z", MvNormal(K), { plate: rows, q });
  const eye = new Float64Array(K * K);
  for (let a = 0; a < K; a++) eye[a * K + a] = 1;
  m.factor(MvNormalNode, { out: z, mean: new Float64Array(K), precision: eye }, { name: "prior" });
  const wp = m.plate("decoderParameters", P);
  const w = m.random("decoderWeights", Normal, {
    plate: wp,
    q: weights === "pointMass" ? pointMass({ value: init }) : meanFieldGaussian({ mean: init, sd: initSd }),
  });
  if (weights === "gaussian") m.factor(NormalNode, { out: w, mean: 0, precision: 1 / (priorSd * priorSd) }, { name: "weightPrior" });
  const learnt = likelihood === "gaussian" && (noise === "shared" || noise === "perDimension");
  const perDimension = learnt && noise === "perDimension";
  const fixedLogVariance = typeof noise === "number" ? Math.log(noise) : 0;
  const edges = [
    { name: "z", family: "MvNormal" },
    { name: "w", family: "Normal", allInstances: true },
    { name: "x", family: "input" },
    ...(learnt ? [perDimension ? { name: "logNoise", family: "Normal", allInstances: true } : { name: "logNoise", family: "Normal" }] : []),
  ];
  const decoderLikelihood = densityNode(likelihood === "bernoulli" ? "BernoulliDecoder" : "GaussianDecoder", { edges, doc: "log p(x | decoder(z; w)) per row" }, (v, tape) => {
    const rowsZ = v.z!.rank === 2 ? v.z! : ad.reshape(v.z!, [v.z!.size / K, K]);
    const out = decoder.forward(v.w!, rowsZ, 0);
    const X = v.x!.rank === 2 ? v.x! : ad.reshape(v.x!, [v.x!.size / D, D]);
    if (likelihood === "bernoulli") return bernoulliLogitRows(out, X);
    return gaussianRows(out, learnt ? v.logNoise! : tape.scalar(fixedLogVariance), X);
  });
  const bound: Record<string, unknown> = { z, w, x };
  if (learnt) bound.logNoise = perDimension ? m.random("logNoise", Normal, { plate: m.plate("outputs", D), q: pointMass() }) : m.random("logNoise", Normal, { q: pointMass() });
  m.factor(decoderLikelihood, bound as never, { name: "likelihood" });
  return m.build();
}
