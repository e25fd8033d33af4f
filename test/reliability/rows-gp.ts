/**
 * Catalogue rows: Gaussian processes — kernels with non-positive or mis-sized hyperparameters,
 * likelihood parameters, inducing inputs of the wrong shape or with NaN, non-finite or mis-sized
 * inputs and targets, options of sparseGp and of svi over a sparse GP, and bad minibatches.
 */
import { of } from "rxjs";
import {
  squaredExponential, matern12, matern32, matern52, periodic, linear, white, sumKernel, productKernel,
  gaussianLikelihood, sparseGp, exactGp, type Kernel,
} from "@vireo/core";
import { bernoulliLogitLikelihood, poissonLogLikelihood, gpCollapsedNode, svgpNode, gpPriorNode, gpLikelihoodNode, gpInducingPriorNode } from "@vireo/nodes";
import { svi, SvgpEngine, ModelBuilder, cavi, type SvgpOptions } from "@vireo/runtime";
import { MvNormal, Bernoulli, Normal, Tape, gpCollapsedBound, gpPointLogLikelihood, gpInducingLogPrior } from "@vireo/core";
import type { Row } from "./catalogue.js";

const rows: Row[] = [];
const row = (id: string, run: () => unknown, code: Row["code"], names: Row["names"]) => rows.push({ id: `gp/${id}`, run, code, names });

// Kernel hyperparameters must be finite and > 0.
const makers: [string, (v: number) => Kernel, string][] = [
  ["squaredExponential variance", (v) => squaredExponential({ variance: v }), "variance"],
  ["squaredExponential lengthscale", (v) => squaredExponential({ lengthscale: v }), "lengthscale"],
  ["squaredExponential ARD lengthscale", (v) => squaredExponential({ dim: 2, lengthscale: [1, v] }), "lengthscale[1]"],
  ["matern12 lengthscale", (v) => matern12({ lengthscale: v }), "lengthscale"],
  ["matern32 variance", (v) => matern32({ variance: v }), "variance"],
  ["matern52 lengthscale", (v) => matern52({ lengthscale: v }), "lengthscale"],
  ["periodic period", (v) => periodic({ period: v }), "period"],
  ["periodic lengthscale", (v) => periodic({ lengthscale: v }), "lengthscale"],
  ["linear variance", (v) => linear({ variance: v }), "variance"],
  ["white variance", (v) => white({ variance: v }), "variance"],
];
for (const [id, make, param] of makers) {
  for (const v of [0, -1, NaN, Infinity]) row(`${id} ${String(v)}`, () => make(v), "INVALID_PARAMETER", [`'${param}'`, "> 0"]);
}
row("ARD lengthscales of the wrong count", () => squaredExponential({ dim: 3, lengthscale: [1, 2] }), "DIMENSION_MISMATCH", ["'lengthscale'", "3 numbers"]);
row("kernel dim 0", () => matern32({ dim: 0 }), "INVALID_PARAMETER", ["'dim'"]);
row("kernel dim 1.5", () => squaredExponential({ dim: 1.5 }), "INVALID_PARAMETER", ["'dim'"]);
row("sum of kernels over different dims", () => sumKernel(squaredExponential({ dim: 2 }), linear({ dim: 3 })), "DIMENSION_MISMATCH", ["terms[1]", "linear"]);
row("product of one kernel", () => productKernel(squaredExponential()), "INVALID_PARAMETER", ["at least two"]);
for (const v of [0, -0.5, NaN]) row(`gaussian noise variance ${String(v)}`, () => gaussianLikelihood(v), "INVALID_PARAMETER", ["'noiseVariance'"]);

// Inducing inputs.
const k2 = () => squaredExponential({ dim: 2 });
row("inducing rows of the wrong width", () => sparseGp({ kernel: k2(), inducing: [[0, 1], [1, 2, 3]] }), "DIMENSION_MISMATCH", ["'inducing'", "row 1", "3 inputs", "2"]);
row("inducing flat array not whole rows", () => sparseGp({ kernel: k2(), inducing: new Float64Array(5) }), "DIMENSION_MISMATCH", ["'inducing'", "length 5"]);
row("inducing 1-D numbers for a 2-D kernel", () => sparseGp({ kernel: k2(), inducing: [0, 1] }), "DIMENSION_MISMATCH", ["'inducing'", "row 0"]);
row("inducing NaN", () => sparseGp({ kernel: k2(), inducing: [[0, 1], [NaN, 2]] }), "INVALID_DATA", ["'inducing'", "row 1, column 0", "NaN"]);
row("inducing Infinity", () => sparseGp({ kernel: squaredExponential(), inducing: [0, Infinity] }), "INVALID_DATA", ["'inducing'", "row 1", "Infinity"]);
row("inducing empty", () => sparseGp({ kernel: squaredExponential(), inducing: [] }), "DIMENSION_MISMATCH", ["'inducing'", "at least one row"]);
row("inducing ndarray of the wrong shape", () => sparseGp({ kernel: k2(), inducing: { data: new Float64Array(6), shape: [2, 3] } }), "DIMENSION_MISMATCH", ["'inducing'", "[2, 3]"]);
row("sparseGp without a kernel", () => sparseGp({ inducing: [0] } as never), "INVALID_OPTION", ["kernel"]);
row("sparseGp jitter -1", () => sparseGp({ kernel: squaredExponential(), inducing: [0], jitter: -1 }), "INVALID_OPTION", ["'jitter'"]);
row("sparseGp blockSize 0", () => sparseGp({ kernel: squaredExponential(), inducing: [0], blockSize: 0 }), "INVALID_OPTION", ["'blockSize'"]);

// Inputs and targets.
const sp = () => sparseGp({ kernel: k2(), inducing: [[0, 0], [1, 1]] });
row("predict at NaN input", () => sp().predict([[0, 0], [0.5, NaN]]), "INVALID_DATA", ["row 1, column 1", "NaN"]);
row("predict at inputs of the wrong width", () => sp().predict([[0, 0, 0]]), "DIMENSION_MISMATCH", ["3 inputs", "2"]);
row("fitCollapsed with fewer targets than rows", () => sp().fitCollapsed([[0, 0], [1, 1]], [1]), "DIMENSION_MISMATCH", ["1 targets for 2"]);
row("fitCollapsed with a NaN target", () => sp().fitCollapsed([[0, 0], [1, 1]], [1, NaN]), "INVALID_DATA", ["row 1", "NaN"]);
row("Bernoulli targets not 0/1", () => sparseGp({ kernel: squaredExponential(), likelihood: bernoulliLogitLikelihood(), inducing: [0] }).targets([0, 2], 2), "INVALID_DATA", ["row 1", "0 or 1"]);
row("Poisson targets not counts", () => sparseGp({ kernel: squaredExponential(), likelihood: poissonLogLikelihood(), inducing: [0] }).targets([1.5], 1), "INVALID_DATA", ["row 0", "counts"]);
row("collapsed bound with a Bernoulli likelihood", () => sparseGp({ kernel: squaredExponential(), likelihood: bernoulliLogitLikelihood(), inducing: [0] }).fitCollapsed([0, 1], [0, 1]), "INVALID_OPTION", ["collapsed bound", "bernoulliLogit"]);
row("exactGp with a NaN input", () => exactGp({ kernel: squaredExponential(), x: [0, NaN], y: [1, 2] }), "INVALID_DATA", ["'x'", "row 1"]);
row("exactGp with mismatched targets", () => exactGp({ kernel: squaredExponential(), x: [0, 1], y: [1, 2, 3] }), "DIMENSION_MISMATCH", ["'y'", "3 targets for 2"]);
row("exactGp with a Bernoulli likelihood", () => exactGp({ kernel: squaredExponential(), likelihood: bernoulliLogitLikelihood() as never, x: [0], y: [1] }), "INVALID_OPTION", ["Gaussian likelihood"]);

// svi over a sparse GP: options and batches.
const svgpBad: [string, unknown][] = [["totalRows", 0], ["totalRows", 1.5], ["totalRows", "100"], ["kappa", 0.4], ["kappa", 1.2], ["tau", -1], ["warmup", -1], ["inputs", 3]];
for (const [key, value] of svgpBad) row(`svi(sparseGp) ${key}: ${JSON.stringify(value)}`, () => svi(sp(), { totalRows: 10, [key]: value } as unknown as SvgpOptions), "INVALID_OPTION", [`'${key}'`]);
row("svi(sparseGp) unknown option", () => svi(sp(), { totalRows: 10, batchSize: 5 } as unknown as SvgpOptions), "INVALID_OPTION", ["'batchSize'"]);
row("svi(sparseGp) without totalRows", () => new SvgpEngine(sp(), {} as SvgpOptions), "INVALID_OPTION", ["'totalRows'"]);
row("svi(sparseGp) given the old option name size", () => new SvgpEngine(sp(), { size: 10 } as unknown as SvgpOptions), "INVALID_OPTION", ["'size' is now called 'totalRows'"]);
row("svi(sparseGp) batch with a NaN input", () => of({ x: [[0, 0], [NaN, 1]], y: [1, 2] }).pipe(svi(sp(), { totalRows: 10 })), "INVALID_BATCH", ["Batch 0", "field 'x'", "row 1, column 0"]);
row("svi(sparseGp) batch of the wrong width", () => of({ x: [[0, 0, 1]], y: [1] }).pipe(svi(sp(), { totalRows: 10 })), "INVALID_BATCH", ["field 'x'", "3 inputs"]);
row("svi(sparseGp) batch without targets", () => of({ x: [[0, 0]] }).pipe(svi(sp(), { totalRows: 10 })), "INVALID_BATCH", ["field 'y'", "no field"]);
row("svi(sparseGp) batch with an infinite target", () => of({ x: [[0, 0]], y: [Infinity] }).pipe(svi(sp(), { totalRows: 10 })), "INVALID_BATCH", ["field 'y'", "row 0"]);
row("svi(sparseGp) batch with a label 3 for a classifier", () => of({ x: [0, 1], y: [0, 3] }).pipe(svi(sparseGp({ kernel: squaredExponential(), likelihood: bernoulliLogitLikelihood(), inducing: [0] }), { totalRows: 10 })), "INVALID_BATCH", ["field 'y'", "row 1", "0 or 1"]);

// GPs in the model graph: density nodes with learnt hyperparameters, the GP likelihood node, the tape ops.
const se = () => squaredExponential({ variance: 1, lengthscale: 1 });
row("gpCollapsedNode with a Bernoulli likelihood", () => gpCollapsedNode({ kernel: se(), likelihood: bernoulliLogitLikelihood() as never, inducing: [0], hyperparameters: {} }), "INVALID_OPTION", ["collapsed bound", "svgpNode", "bernoulliLogit"]);
row("graph GP hyperparameter edge naming an unknown parameter", () => svgpNode({ kernel: se(), inducing: [0], hyperparameters: { ell: "lenghtscale" } }), "INVALID_OPTION", ["'ell'", "'lenghtscale'", "known: variance, lengthscale, likelihood.noiseVariance"]);
row("graph GP hyperparameter edge named like the node's own edge", () => gpCollapsedNode({ kernel: se(), inducing: [0], hyperparameters: { x: "lengthscale" } }), "INVALID_OPTION", ["'x'", "clashes"]);
row("graph GP hyperparameter given two edges", () => svgpNode({ kernel: se(), inducing: [0], hyperparameters: { a: "variance", b: "variance" } }), "INVALID_OPTION", ["'variance'", "'a'", "'b'"]);
row("graph GP without a kernel", () => svgpNode({ inducing: [0], hyperparameters: {} } as never), "INVALID_OPTION", ["kernel"]);
row("svgpNode with v of the wrong dimension", () => {
  const m = new ModelBuilder(), rows = m.plate("rows");
  m.factor(svgpNode({ kernel: se(), inducing: [0, 1, 2], hyperparameters: {} }), { v: m.random("v", MvNormal(2)), x: m.input("x", { plate: rows }), y: m.observed("y", Normal, { plate: rows }) }, { name: "gp" });
  return m.build();
}, "DIMENSION_MISMATCH", ["'gp'", "'v'", "MvNormal(3)", "dimension 2"]);
row("gpCollapsedNode with learnt Z of the wrong size", () => {
  const m = new ModelBuilder(), rows = m.plate("rows");
  m.factor(gpCollapsedNode({ kernel: squaredExponential({ dim: 2 }), inducing: [[0, 0], [1, 1], [2, 2]], hyperparameters: {}, learnInducing: true }), { inducing: m.random("Z", MvNormal(3)), x: m.input("x", { plate: rows, size: 2 }), y: m.observed("y", Normal, { plate: rows }) }, { name: "gp" });
  return m.build();
}, "DIMENSION_MISMATCH", ["'gp'", "'inducing'", "MvNormal(6)", "3 inducing inputs × 2 columns", "dimension 3"]);
row("svgpNode.predict without q(v)", () => svgpNode({ kernel: se(), inducing: [0, 1], hyperparameters: {} }).predict([0.5], { hyperparameters: {} }), "INVALID_OPTION", ["{ v: { mean, covariance } }", "2 whitened"]);
row("graph GP predict without a learnt hyperparameter", () => svgpNode({ kernel: se(), inducing: [0], hyperparameters: { ell: "lengthscale" } }).predict([0.5], { hyperparameters: {}, v: { mean: Float64Array.of(0), covariance: Float64Array.of(1) } }), "INVALID_OPTION", ["hyperparameters.ell", "lengthscale"]);
row("gpCollapsedNode.predict without the training rows", () => gpCollapsedNode({ kernel: se(), inducing: [0], hyperparameters: {} }).predict([0.5], { hyperparameters: {} }), "INVALID_OPTION", ["train: { x, y }"]);
row("gpLikelihoodNode without a likelihood", () => gpLikelihoodNode({ kernel: se(), inducing: [0] } as never), "INVALID_OPTION", ["likelihood", "bernoulliLogitLikelihood()"]);
row("gpLikelihoodNode damping 0", () => gpLikelihoodNode({ kernel: se(), inducing: [0], likelihood: bernoulliLogitLikelihood(), damping: 0 }), "INVALID_OPTION", ["damping", "(0, 1]"]);
row("gpLikelihoodNode with a label 2", () => {
  const m = new ModelBuilder(), rows = m.plate("rows"), u = m.random("u", MvNormal(1));
  m.factor(gpPriorNode({ kernel: se(), inducing: [0] }), { out: u });
  m.factor(gpLikelihoodNode({ kernel: se(), inducing: [0], likelihood: bernoulliLogitLikelihood() }), { out: m.observed("y", Bernoulli, { plate: rows }), u, x: m.input("x", { plate: rows }) }, { name: "lik" });
  return cavi(m.build(), { data: { x: Float64Array.of(0, 1, 2), y: Float64Array.of(0, 1, 2) } });
}, "INVALID_DATA", ["row 2"]);
row("gpCollapsedBound with too few hyperparameters", () => {
  const gp = sparseGp({ kernel: se(), inducing: [0] });
  return gpCollapsedBound(new Tape(), gp, gp.inputs([0]), Float64Array.of(1), [1]);
}, "DIMENSION_MISMATCH", ["expected 3 hyperparameters", "likelihood.noiseVariance", "got 1"]);
row("gpCollapsedBound with Z on the tape but Z not learnt", () => {
  const gp = sparseGp({ kernel: se(), inducing: [0] }), tape = new Tape();
  return gpCollapsedBound(tape, gp, gp.inputs([0]), Float64Array.of(1), [1, 1, 1], tape.param(Float64Array.of(0)));
}, "INVALID_OPTION", ["learn: { inducing: true }"]);
row("gpInducingLogPrior on a whitened model", () => {
  const gp = sparseGp({ kernel: se(), inducing: [0] }), tape = new Tape();
  return gpInducingLogPrior(tape, gp, tape.param(Float64Array.of(0)), [1, 1, 1]);
}, "INVALID_OPTION", ["whitened", "whiten: false"]);
row("gpInducingPriorNode given a likelihood hyperparameter", () => gpInducingPriorNode({ kernel: se(), inducing: [0], hyperparameters: { noise: "likelihood.noiseVariance" } }), "INVALID_OPTION", ["'noise'", "only kernel hyperparameters"]);
row("gpInducingPriorNode with u of the wrong dimension", () => {
  const m = new ModelBuilder();
  m.factor(gpInducingPriorNode({ kernel: se(), inducing: [0, 1, 2], hyperparameters: {} }), { u: m.random("u", MvNormal(2)) }, { name: "uPrior" });
  return m.build();
}, "DIMENSION_MISMATCH", ["'uPrior'", "edge 'u'", "MvNormal(3)"]);
row("gpPointLogLikelihood with v of the wrong length", () => {
  const gp = sparseGp({ kernel: se(), inducing: [0, 1] }), tape = new Tape();
  return gpPointLogLikelihood(gp, gp.inputs([0]), Float64Array.of(1), tape.param(Float64Array.of(0, 1, 2)), [1, 1, 1]);
}, "DIMENSION_MISMATCH", ["v must hold 2 values"]);

export default rows;
