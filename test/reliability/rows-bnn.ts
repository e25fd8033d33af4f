/**
 * Catalogue rows: Bayesian neural networks — the network specification, training data (shape
 * mismatches, non-finite values, labels that are not 0/1, named by row and column), training and
 * prediction options, and the calibration tables' inputs.
 */
import { bnn, fitBnn, predictBnn, BnnTrainer, intervalCoverage, reliabilityTable, type BnnSpec, type BnnFit } from "@vireo/runtime";
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

export default rows;
