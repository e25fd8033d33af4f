/**
 * Catalogue rows: deep amortised inference — layer and network shapes, amortised q sizes, VAE
 * options, and bad minibatches given to a VAE directly or through svi().
 */
import { from } from "rxjs";
import { Tape, Generator, Normal, MvNormal, mlp, dense, amortised, denseAffine, bernoulliLogit, type Activation } from "@vireo/core";
import { NormalNode } from "@vireo/nodes";
import { vae, svi, cavi, vaeModel, ModelBuilder, type BatchInput } from "@vireo/runtime";
import type { Row } from "./catalogue.js";
import { iwaeBound, pointMass, ad } from "@vireo/core";
import { MvNormalNode, densityNode } from "@vireo/nodes";

const rows: Row[] = [];
const row = (id: string, run: () => unknown, code: Row["code"], names: Row["names"]) => rows.push({ id: `deep/${id}`, run, code, names });
const small = () => vae({ inputs: 4, latent: 2, hidden: [3], likelihood: "bernoulli", seed: 1 });
const batches = (...b: unknown[]) => from(b as BatchInput[]);

row("encoder output that fits no latent size (odd, diagonal q)", () => amortised(mlp([4, 3])), "DIMENSION_MISMATCH", ["outputs 3 values", "2K"]);
row("encoder output that fits no latent size (full q)", () => amortised(mlp([4, 4]), { covariance: "full" }), "DIMENSION_MISMATCH", ["outputs 4 values", "K + K(K+1)/2"]);
row("amortised covariance that is not diagonal/full", () => amortised(mlp([4, 4]), { covariance: "banded" as "full" }), "INVALID_OPTION", ["covariance", "banded"]);
row("decoder input size differs from the latent", () => vae({ encoder: mlp([4, 4]), decoder: mlp([3, 4]), likelihood: "bernoulli" }), "DIMENSION_MISMATCH", ["2-dimensional latent", "decoder takes 3 inputs"]);
row("decoder output size differs from the data width", () => vae({ encoder: mlp([4, 4]), decoder: mlp([2, 5]), likelihood: "bernoulli" }), "DIMENSION_MISMATCH", ["reads 4 values", "outputs 5"]);
row("unknown VAE likelihood", () => vae({ inputs: 4, latent: 2, likelihood: "poisson" as "bernoulli" }), "INVALID_OPTION", ["likelihood", "poisson"]);
row("Gaussian decoder noise that is not a variance", () => vae({ inputs: 4, latent: 2, likelihood: "gaussian", noise: -1 }), "INVALID_OPTION", ["noise", "-1"]);
row("VAE decoder weights neither point mass nor Gaussian", () => vae({ inputs: 4, latent: 2, likelihood: "bernoulli", decoderWeights: "laplace" as "gaussian" }), "INVALID_OPTION", ["decoderWeights", "laplace"]);
row("VAE weight prior sd of 0", () => vae({ inputs: 4, latent: 2, likelihood: "bernoulli", decoderWeights: "gaussian", weightPriorSd: 0 }), "INVALID_OPTION", ["weightPriorSd", "0"]);
row("VAE KL weight that is not a number ≥ 0", () => vae({ inputs: 4, latent: 2, likelihood: "bernoulli", klWeight: -0.5 }), "INVALID_OPTION", ["klWeight", "-0.5"]);
row("VAE KL weight with IWAE training", () => vae({ inputs: 4, latent: 2, likelihood: "bernoulli", klWeight: 0.5, bound: { kind: "iwae", K: 5 } }), "INVALID_OPTION", ["klWeight", "IWAE"]);
row("VAE KL weight schedule that returns a negative weight", () => vae({ inputs: 4, latent: 2, likelihood: "bernoulli", klWeight: (t) => t - 1 }).step({ x: [[0, 1, 0, 1]] }), "INVALID_OPTION", ["klWeight", "step 0", "-1"]);
row("VAE samples of 0", () => vae({ inputs: 4, latent: 2, likelihood: "bernoulli", samples: 0 }), "INVALID_OPTION", ["samples", "0"]);
row("VAE totalRows that is not a row count", () => vae({ inputs: 4, latent: 2, likelihood: "bernoulli", totalRows: 2.5 }), "INVALID_OPTION", ["totalRows", "2.5"]);
row("VAE trained with the Rényi bound", () => vae({ inputs: 4, latent: 2, likelihood: "bernoulli", bound: { kind: "renyi", alpha: 0.5, K: 5 } }), "INVALID_OPTION", ["Rényi"]);
row("VAE batch with a non-finite value", () => small().step({ x: [[0, 1, 0, 1], [0, NaN, 1, 1]] }), "INVALID_DATA", ["Field 'x'", "row 1, column 1", "NaN"]);
row("VAE batch with an infinite value in a flat array", () => small().step({ x: Float64Array.from([0, 1, 0, 1, 0, 1, Infinity, 0]) }), "INVALID_DATA", ["Field 'x'", "row 1, column 2"]);
row("VAE batch outside [0, 1] for a Bernoulli decoder", () => small().step({ x: [[0, 1, 0, 2]] }), "INVALID_DATA", ["row 0, column 3", "outside [0, 1]"]);
row("VAE batch rows of the wrong width", () => small().step({ x: [[0, 1, 0]] }), "DIMENSION_MISMATCH", ["Field 'x'", "row 0", "expected 4 numbers"]);
row("VAE batch flat values that are not whole rows", () => small().step({ x: new Float64Array(6) }), "DIMENSION_MISMATCH", ["6 values", "rows of 4"]);
row("VAE batch without its field", () => small().step({ y: [[0, 1, 0, 1]] }), "INVALID_DATA", ["'x' is missing"]);
row("VAE batch with no rows", () => small().step({ x: new Float64Array(0) }), "INVALID_DATA", ["'x' has no rows"]);
row("VAE fit with 0 epochs", () => small().fit(new Float64Array(8), { epochs: 0, batchSize: 2 }), "INVALID_OPTION", ["epochs", "0"]);
row("VAE decode of values that are not whole latent rows", () => small().decode(new Float64Array(3)), "DIMENSION_MISMATCH", ["3 values", "2-dimensional latent"]);
row("svi(vae): a NaN row in a batch", () => batches({ x: [[0, 1, 0, 1], [0, 1, NaN, 1]] }).pipe(svi(small())), "INVALID_BATCH", ["Batch 0", "field 'x'", "row 1, column 2"]);
row("svi(vae): a batch of the wrong width", () => batches({ x: [[0, 1, 0, 1]] }, { x: [[0, 1]] }).pipe(svi(small())), "INVALID_BATCH", ["Batch 1", "field 'x'", "expected 4 numbers"]);
row("svi(vae), skip mode, every batch bad", () => batches({ x: [[2, 0, 0, 0]] }, { x: [] }).pipe(svi(small(), { onInvalid: "skip" })), "INVALID_BATCH", ["every one of its 2 batches skipped"]);
row("svi(vae) with a model option", () => svi(small(), { size: 10 } as object), "INVALID_OPTION", ["size"]);
row("dense layer given rows of the wrong width", () => {
  const t = new Tape(), net = mlp([4, 3]);
  return net.forward(t.param(net.initialise(new Generator(1))), t.constant(new Float64Array(10), [2, 5]));
}, "DIMENSION_MISMATCH", ["Dense(4→3)", "[rows, 4]", "[2, 5]"]);
row("bernoulliLogit labels of another size than the logits", () => {
  const t = new Tape();
  return bernoulliLogit(t.constant(new Float64Array(3)), t.constant(new Float64Array(4)));
}, "DIMENSION_MISMATCH", ["bernoulliLogit", "labels #1 (const) [4]"]);
row("bernoulliLogit labels that need a gradient", () => {
  const t = new Tape();
  return bernoulliLogit(t.constant(new Float64Array(3)), t.param(new Float64Array(3)));
}, "INVALID_PARAMETER", ["bernoulliLogit", "labels", "no gradient"]);
row("dense layer with 0 outputs", () => dense(3, 0), "INVALID_PARAMETER", ["outputs", "0"]);
row("mlp with an unknown activation", () => mlp([3, 2], { activation: "swish" as Activation }), "INVALID_OPTION", ["swish", "relu"]);
row("mlp with one size", () => mlp([3]), "INVALID_PARAMETER", ["input and output sizes"]);
row("denseAffine parameter vector too short", () => {
  const t = new Tape();
  return denseAffine(t.param(new Float64Array(5)), 0, t.constant(new Float64Array(6), [2, 3]), 2);
}, "DIMENSION_MISMATCH", ["3→2 layer needs 8 parameters", "holds 5"]);

/** A graph with z ~ N(0, 1) per row and x | z ~ N(z, 1), z's q amortised as given (and z in `plate`, default the rows). */
function amortisedGraph(q: ReturnType<typeof amortised>, where: "rows" | "global" = "rows", zFamily: "Normal" | "MvNormal2" = "Normal"): unknown {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const x = m.observed("x", Normal, { plate: rows });
  m.input("t", { plate: m.plate("other"), size: 1 });
  const z = m.random("z", zFamily === "Normal" ? Normal : MvNormal(2), where === "rows" ? { plate: rows, q } : { q });
  if (zFamily === "Normal") {
    m.factor(NormalNode, { out: z, mean: 0, precision: 1 });
    m.factor(NormalNode, { out: x, mean: z, precision: 1 });
  }
  return m.build();
}
row("graph: amortised q on a latent outside any data plate", () => amortisedGraph(amortised(mlp([1, 2]), { from: "x" }), "global"), "INVALID_MODEL", ["Variable 'z'", "plate-local"]);
row("graph: amortised encoder output that does not fit the latent", () => amortisedGraph(amortised(mlp([1, 4]), { from: "x" })), "DIMENSION_MISMATCH", ["Variable 'z'", "outputs 4 values per row", "must output 2"]);
row("graph: amortised encoder input width that does not fit 'from'", () => amortisedGraph(amortised(mlp([3, 2]), { from: "x" })), "DIMENSION_MISMATCH", ["Variable 'z'", "takes 3 inputs per row", "give 1"]);
row("graph: amortised q without 'from'", () => amortisedGraph(amortised(mlp([1, 2]))), "INVALID_MODEL", ["Variable 'z'", "from: \"x\""]);
row("graph: amortised 'from' naming an unknown variable", () => amortisedGraph(amortised(mlp([1, 2]), { from: "nope" })), "INVALID_MODEL", ["Variable 'z'", "reads 'nope'", "not declared"]);
row("graph: amortised 'from' naming a variable of another plate", () => amortisedGraph(amortised(mlp([1, 2]), { from: "t" })), "INVALID_MODEL", ["Variable 'z'", "reads 't'", "plate 'other'"]);
row("graph: amortised 'from' that is not a name", () => amortised(mlp([1, 2]), { from: [""] }), "INVALID_OPTION", ["'from'", "observed variables"]);
row("graph: amortised flow with a fractional layer count", () => amortised(mlp([1, 2]), { from: "x", flow: 1.5 }).forRows(), "INVALID_OPTION", ["flow", "1.5"]);
row("vaeModel decoder that does not map the latent to the data", () => vaeModel({ inputs: 4, encoder: mlp([4, 4]), decoder: mlp([3, 4]), likelihood: "bernoulli" }), "DIMENSION_MISMATCH", ["decoder maps 3 → 4", "latent has 2"]);
row("vaeModel noise that is not a variance", () => vaeModel({ inputs: 4, encoder: mlp([4, 4]), decoder: mlp([2, 4]), likelihood: "gaussian", noise: 0 }), "INVALID_OPTION", ["noise", "0"]);
const tinyVae = () => vaeModel({ inputs: 2, encoder: mlp([2, 2]), decoder: mlp([1, 2]), likelihood: "gaussian" });
const tinyRows = { x: Float64Array.from([0.1, -0.2, 0.3, 0.4]) };
row("KL weight that is negative", () => cavi(tinyVae(), { data: tinyRows, maxIterations: 1, gradient: { klWeight: -1 } }), "INVALID_OPTION", ["klWeight", "-1"]);
row("KL weight schedule that returns NaN", () => cavi(tinyVae(), { data: tinyRows, maxIterations: 1, gradient: { klWeight: () => NaN } }), "INVALID_OPTION", ["klWeight", "'z'", "step 0", "NaN"]);
row("KL weight without the joint step", () => cavi(tinyVae(), { data: tinyRows, maxIterations: 1, gradient: { klWeight: 0.5, joint: false } }), "INVALID_OPTION", ["klWeight", "'z'", "joint"]);
row("KL weight with the IWAE bound in the graph", () => cavi(tinyVae(), { data: tinyRows, maxIterations: 1, gradient: { klWeight: 0.5, bound: iwaeBound(3) } }), "INVALID_OPTION", ["klWeight", "iwae bound", "elboBound()"]);
row("IWAE joint step over a density node that sums its rows", () => {
  const scalarLik = densityNode("SummedRows", { edges: { z: "MvNormal", w: "Normal", x: "input" } }, ({ z, w, x }) => ad.sum(ad.square(ad.sub(ad.reshape(x!, [x!.size]), ad.mul(ad.reshape(z!, [z!.size]), w!)))));
  const m = new ModelBuilder(), rows = m.plate("rows");
  const x = m.input("x", { plate: rows, size: 1 });
  const z = m.random("z", MvNormal(1), { plate: rows, q: amortised(mlp([1, 2]), { from: "x" }) });
  m.factor(MvNormalNode, { out: z, mean: new Float64Array(1), precision: Float64Array.from([1]) });
  const w = m.random("w", Normal, { q: pointMass() });
  m.factor(scalarLik, { z, w, x }, { name: "lik" });
  return cavi(m.build(), { data: { x: [0.1, -0.2, 0.3] }, maxIterations: 1, gradient: { samples: 1, bound: iwaeBound(2) } });
}, "INVALID_NODE", ["'lik'", "one value per row", "elboBound()"]);
row("gradient.joint that is not auto/true/false", () => cavi(tinyVae(), { data: tinyRows, maxIterations: 1, gradient: { joint: "yes" as unknown as boolean } }), "INVALID_OPTION", ["gradient", "joint", "yes"]);

export default rows;
