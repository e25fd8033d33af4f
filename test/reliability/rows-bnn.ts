/**
 * Catalogue rows: Bayesian neural networks — the network specification, training data (shape
 * mismatches, non-finite values, labels that are not 0/1, named by row and column), training and
 * prediction options, and the calibration tables' inputs.
 */
import { Normal, MvNormal, fullRankGaussian, meanFieldGaussian, pointMass, logTransform, ad, type TNode } from "@vireo/core";
import { NormalNode, MvNormalNode, denseNetworkNode, momentDensityNode } from "@vireo/nodes";
import { bnn, fitBnn, predictBnn, BnnTrainer, intervalCoverage, reliabilityTable, bnnModel, bnnFitFromGraph, standardiseBnnData, ModelBuilder, cavi, type BnnSpec, type BnnFit } from "@vireo/runtime";
import type { Row } from "./catalogue.js";

const rows: Row[] = [];
const row = (id: string, run: () => unknown, code: Row["code"], names: Row["names"]) => rows.push({ id: `bnn/${id}`, run, code, names });

const reg = () => bnn({ inputs: 2, hidden: [3], likelihood: "gaussian" });
const cls = () => bnn({ inputs: 2, hidden: [3], likelihood: "bernoulli" });
const x = [[0.1, 1], [0.4, -1], [1.2, 0.3]], y = [1.5, -0.2, 0.7];
let trained: BnnFit | null = null;
const fitted = (): BnnFit => (trained ??= fitBnn(reg(), { x, y }, { epochs: 2 }));

// The specification.
row("bnn without inputs", () => bnn({ likelihood: "gaussian" } as unknown as BnnSpec), "INVALID_OPTION", ["inputs must be a positive integer"]);
row("bnn with a fractional hidden width", () => bnn({ inputs: 2, hidden: [3, 2.5], likelihood: "gaussian" }), "INVALID_OPTION", ["hidden[1]", "2.5"]);
row("bnn with an unknown likelihood", () => bnn({ inputs: 2, likelihood: "poisson" } as unknown as BnnSpec), "INVALID_OPTION", ["likelihood", "\"gaussian\"", "\"bernoulli\""]);
row("bnn with an unknown activation", () => bnn({ inputs: 2, likelihood: "gaussian", activation: "swish" } as unknown as BnnSpec), "INVALID_OPTION", ["activation", "swish"]);
row("bnn with weights 'bayes'", () => bnn({ inputs: 2, likelihood: "gaussian", weights: "bayes" } as unknown as BnnSpec), "INVALID_OPTION", ["weights must be", "\"point\""]);
row("bnn with priorSd 0", () => bnn({ inputs: 2, likelihood: "gaussian", priorSd: 0 }), "INVALID_OPTION", ["priorSd", "> 0"]);
row("bnn with a misspelt option", () => bnn({ inputs: 2, likelihood: "gaussian", hiden: [4] } as unknown as BnnSpec), "INVALID_OPTION", ["unknown option 'hiden'"]);

// Training data.
row("fitBnn with a short row of x", () => fitBnn(reg(), { x: [[0.1, 1], [0.4], [1.2, 0.3]], y }), "DIMENSION_MISMATCH", ["row 1 of x", "1 values", "expected 2 inputs"]);
row("fitBnn with NaN in x", () => fitBnn(reg(), { x: [[0.1, 1], [0.4, -1], [1.2, NaN]], y }), "INVALID_DATA", ["row 2, column 1", "NaN"]);
row("fitBnn with Infinity in a flat x", () => fitBnn(reg(), { x: Float64Array.from([0.1, 1, 0.4, Infinity, 1.2, 0.3]), y }), "INVALID_DATA", ["row 1, column 1", "Infinity"]);
row("fitBnn with a flat x of a partial row", () => fitBnn(reg(), { x: new Float64Array(5), y }), "DIMENSION_MISMATCH", ["5 numbers", "rows of 2 inputs"]);
row("fitBnn with a string in x", () => fitBnn(reg(), { x: [[0.1, 1], [0.4, "a" as unknown as number], [1.2, 0.3]], y }), "INVALID_DATA", ["row 1, column 1"]);
row("fitBnn with fewer responses than rows", () => fitBnn(reg(), { x, y: [1, 2] }), "DIMENSION_MISMATCH", ["y has 2 values but x has 3 rows"]);
row("fitBnn with a non-finite response", () => fitBnn(reg(), { x, y: [1, NaN, 2] }), "INVALID_DATA", ["y has NaN at row 1"]);
row("fitBnn classifier with a label 2", () => fitBnn(cls(), { x, y: [1, 0, 2] }), "INVALID_DATA", ["row 2", "labels 0 or 1"]);
row("fitBnn with no rows", () => fitBnn(reg(), { x: [], y: [] }), "INVALID_DATA", ["no rows"]);
row("fitBnn with x missing", () => fitBnn(reg(), { y } as never), "INVALID_DATA", ["x must be an array of rows"]);

// Training options.
row("fitBnn with epochs 0", () => fitBnn(reg(), { x, y }, { epochs: 0 }), "INVALID_OPTION", ["option 'epochs'", "≥ 1"]);
row("fitBnn with a fractional batchSize", () => fitBnn(reg(), { x, y }, { batchSize: 1.5 }), "INVALID_OPTION", ["option 'batchSize'"]);
row("fitBnn with an optimizer that is a string", () => fitBnn(reg(), { x, y }, { optimizer: "adam" as never }), "INVALID_OPTION", ["option 'optimizer'", "adam({ lr: 0.01 })"]);
row("fitBnn with a negative klWarmup", () => fitBnn(reg(), { x, y }, { klWarmup: -1 }), "INVALID_OPTION", ["option 'klWarmup'"]);
row("fitBnn with a misspelt option", () => fitBnn(reg(), { x, y }, { epoch: 3 } as never), "INVALID_OPTION", ["unknown option 'epoch'", "did you mean 'epochs'"]);
row("BnnTrainer with something that is not a network", () => new BnnTrainer({} as never, { x, y }), "INVALID_OPTION", ["expected a network from bnn"]);

// Prediction.
row("predictBnn with the wrong number of inputs per row", () => predictBnn(fitted(), [[1, 2, 3]]), "DIMENSION_MISMATCH", ["row 0 of x", "expected 2 inputs"]);
row("predictBnn with NaN in x", () => predictBnn(fitted(), [[1, 2], [NaN, 0]]), "INVALID_DATA", ["row 1, column 0"]);
row("predictBnn with draws 0", () => predictBnn(fitted(), x, { draws: 0 }), "INVALID_OPTION", ["option 'draws'"]);
row("predictBnn with an unfitted record", () => predictBnn({ params: 3 } as never, x), "INVALID_OPTION", ["expected a trained network from fitBnn"]);
row("prediction interval at level 95", () => predictBnn(fitted(), x).interval(95), "INVALID_OPTION", ["level must be in (0, 1)", "95"]);
row("prediction log-likelihood with a responses/rows mismatch", () => predictBnn(fitted(), x).logLikelihood([1, 2]), "DIMENSION_MISMATCH", ["y has 2 values but x has 3 rows"]);
row("interval of a classifier", () => predictBnn(fitBnn(cls(), { x, y: [1, 0, 1] }, { epochs: 1 }), x).interval(0.9), "INVALID_OPTION", ["classifier", "mean()"]);

// Calibration tables.
row("intervalCoverage with a level of 1", () => intervalCoverage(() => ({ lower: [0], upper: [1] }), [0.5], [1]), "INVALID_OPTION", ["every level must be in (0, 1)"]);
row("intervalCoverage with bounds for fewer rows", () => intervalCoverage(() => ({ lower: [0], upper: [1] }), [0.5, 0.7]), "DIMENSION_MISMATCH", ["1 lower and 1 upper bounds for 2 responses"]);
row("reliabilityTable with a probability above 1", () => reliabilityTable([0.2, 1.3], [0, 1]), "INVALID_DATA", ["probability 1.3", "at row 1"]);
row("reliabilityTable with a label 0.5", () => reliabilityTable([0.2, 0.3], [0, 0.5]), "INVALID_DATA", ["row 1", "0 or 1"]);
row("reliabilityTable with 0 bins", () => reliabilityTable([0.2], [0], 0), "INVALID_OPTION", ["bins must be a positive integer"]);

// BNN weights as graph variables: the dense-network moment node and the graph kit.
const layerModel = (size: number, fullRank: boolean, logPoint = false) => {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const w = logPoint ? m.random("w", Normal, { plate: m.plate("wValues", size), q: pointMass(), bijector: logTransform }) : fullRank ? m.random("w", MvNormal(size), { q: fullRankGaussian() }) : m.random("w", Normal, { plate: m.plate("wValues", size), q: meanFieldGaussian() });
  if (fullRank) m.factor(MvNormalNode, { out: w, mean: new Float64Array(size), precision: Float64Array.from({ length: size * size }, (_, i) => (i % (size + 1) === 0 ? 1 : 0)) });
  else m.factor(NormalNode, { out: w, mean: 0, precision: 1 });
  m.factor(denseNetworkNode({ inputs: 2, hidden: [], likelihood: "gaussian" }), { x: m.input("x", { plate: rows, size: 2 }), y: m.observed("y", Normal, { plate: rows }), precision: 4, layer0: w }, { name: "net" });
  return m.build();
};
const linearData = { x: new Float64Array([0.1, 1, 0.4, -1]), y: new Float64Array([0.3, -0.2]) };
row("a layer on a moment edge with a full-rank q", () => cavi(layerModel(3, true), { data: linearData, maxIterations: 2 }), "INVALID_MODEL", ["'w'", "net.layer0", "mean-field Gaussian q", "meanFieldGaussian()"]);
row("a layer variable of the wrong size", () => cavi(layerModel(4, false), { data: linearData, maxIterations: 2 }), "DIMENSION_MISMATCH", ["'net'", "'layer0'", "(2 + 1) × 1 = 3", "has 4 values"]);
row("denseNetworkNode with a zero-width hidden layer", () => denseNetworkNode({ inputs: 2, hidden: [0], likelihood: "gaussian" }), "INVALID_OPTION", ["hidden", "[0]"]);
row("denseNetworkNode with a Poisson likelihood", () => denseNetworkNode({ inputs: 2, hidden: [], likelihood: "poisson" as "gaussian" }), "INVALID_OPTION", ["likelihood", "\"poisson\""]);
row("momentDensityNode with a moment edge it does not have", () => momentDensityNode("M", { edges: { w: "Normal", x: "input" }, momentEdges: ["v"] }, { logDensity: ({ w }) => ad.sum(w!), expectedLogDensity: ({ w }) => ad.sum((w as { mean: TNode }).mean) }), "INVALID_NODE", ["'M'", "moment edge 'v'", "[w, x]"]);
row("momentDensityNode without its moment form", () => momentDensityNode("M", { edges: { w: "Normal" }, momentEdges: ["w"] }, { logDensity: (x: Readonly<Record<string, TNode>>) => ad.sum(x.w!) } as never), "INVALID_NODE", ["'M'", "expectedLogDensity"]);
row("a point-mass layer on a moment edge through a log bijector", () => cavi(layerModel(3, false, true), { data: linearData, maxIterations: 2 }), "INVALID_MODEL", ["'w'", "net.layer0", "identity bijector", "through 'log'", "pointMass()"]);
row("a KL-weight schedule returning NaN for a graph network's layers", () => cavi(bnnModel(reg()).model, { data: { x: [[0.1, 1], [0.4, -1]], y: [0.3, -0.2] }, maxIterations: 2, gradient: { samples: 1, klWeight: () => NaN } }), "INVALID_OPTION", ["klWeight of 'layer0'", "step 0", "NaN"]);
row("bnnModel with a misspelt option", () => bnnModel(reg(), { nosie: 0.1 } as never), "INVALID_OPTION", ["nosie"]);
row("bnnModel with a negative known noise", () => bnnModel(reg(), { noise: -1 }), "INVALID_OPTION", ["noise", "-1"]);
row("bnnFitFromGraph without the layer posteriors", () => bnnFitFromGraph(bnnModel(reg()), {}, { xMean: new Float64Array(2), xSd: new Float64Array([1, 1]), yMean: 0, ySd: 1 }), "INVALID_OPTION", ["'layer0'", "posteriors"]);
row("standardiseBnnData with a NaN covariate", () => standardiseBnnData(reg(), { x: [[0.1, NaN]], y: [1] }), "INVALID_DATA", ["row 0", "column 1"]);

export default rows;
