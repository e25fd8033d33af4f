/**
 * Catalogue rows: options of cavi, svi, online, fitBbvi and the sources — ranges, types, unknown
 * keys (with a did-you-mean suggestion), and the calls that used to crash or hang.
 */
import { from } from "rxjs";
import { meanFieldGaussian, ad } from "@vireo/core";
import { cavi, svi, online, SviEngine, OnlineEngine, bbviModel, createBbvi, fitBbvi, fromArrays, fromCsvText, fromNdjsonText, type Model, type CaviOptions, type SviOptions, type OnlineOptions } from "@vireo/runtime";
import { cavi as conjugateCavi } from "@vireo/runtime/conjugate";
import { normalModel, type Row } from "./catalogue.js";

const rows: Row[] = [];
const row = (id: string, run: () => unknown, code: Row["code"], names: Row["names"]) => rows.push({ id: `options/${id}`, run, code, names });
const data = { y: [1, 2, 3] };

// cavi: values out of range or of the wrong type.
const caviBad: readonly [string, unknown][] = [
  ["maxIterations", 0], ["maxIterations", -1], ["maxIterations", NaN], ["maxIterations", 1.5], ["maxIterations", Infinity], ["maxIterations", "10"], ["maxIterations", null],
  ["tolerance", -1], ["tolerance", NaN], ["tolerance", Infinity], ["tolerance", "1e-6"], ["tolerance", -1e-12],
  ["seed", 1.5], ["seed", NaN], ["seed", "1"],
  ["restarts", 0], ["restarts", -2], ["restarts", 1.5], ["restarts", NaN],
  ["mixtureStart", "bogus"], ["mixtureStart", 1], ["mixtureStart", "Seeded"],
  ["schedule", "mu"], ["schedule", [1, 2]],
  ["onSweep", 1], ["onSweep", "log"],
  ["init", 5], ["init", [1, 2]],
];
for (const [key, value] of caviBad) {
  row(`cavi ${key}: ${typeof value === "string" ? JSON.stringify(value) : Array.isArray(value) ? JSON.stringify(value) : String(value)}`,
    () => cavi(normalModel(), { data, [key]: value } as unknown as CaviOptions), "INVALID_OPTION", [`option '${key}'`]);
}
row("cavi mixtureStart typo suggests the value", () => cavi(normalModel(), { data, mixtureStart: "seded" } as unknown as CaviOptions), "INVALID_OPTION", ["'mixtureStart'", 'did you mean "seeded"']);
// cavi: unknown keys, each with its suggestion.
const caviTypos: readonly [string, string | null][] = [
  ["maxIteration", "maxIterations"], ["maxiterations", "maxIterations"], ["tolerence", "tolerance"], ["tol", null], ["dat", "data"], ["seeds", "seed"],
  ["restart", "restarts"], ["mixturestart", "mixtureStart"], ["schedul", "schedule"], ["onsweep", "onSweep"], ["inits", "init"], ["verbose", null], ["iterations", null],
];
for (const [key, near] of caviTypos) {
  row(`cavi unknown option '${key}'`, () => cavi(normalModel(), { data, [key]: 1 } as unknown as CaviOptions), "INVALID_OPTION",
    [`unknown option '${key}'`, ...(near ? [`did you mean '${near}'`] : []), "Known options are"]);
}
row("cavi init for an unknown variable", () => cavi(normalModel(), { data, init: { nope: new Float64Array(2) } }), "INVALID_OPTION", ["init.nope", "not a random variable", "[mu, tau]"]);
row("cavi init key typo suggests the variable", () => cavi(normalModel(), { data, init: { muu: new Float64Array(2) } }), "INVALID_OPTION", ["init.muu", "did you mean 'mu'"]);
row("cavi init for an observed variable", () => cavi(normalModel(), { data, init: { y: new Float64Array(2) } }), "INVALID_OPTION", ["init.y", "not a random variable"]);
row("cavi init for 'constructor' (prototype name)", () => cavi(normalModel(), { data, init: { constructor: new Float64Array(2) } as unknown as Record<string, Float64Array> }), "INVALID_OPTION", ["init.constructor"]);
row("cavi init of the wrong length", () => cavi(normalModel(), { data, init: { mu: new Float64Array(3) } }), "INVALID_OPTION", ["init.mu", "2 natural parameters"]);
row("cavi init given as a plain array", () => cavi(normalModel(), { data, init: { mu: [0, -0.5] as unknown as Float64Array } }), "INVALID_OPTION", ["init.mu", "Float64Array"]);
row("cavi init improper (negative precision)", () => cavi(normalModel(), { data, init: { mu: Float64Array.of(0, 0.5) } }), "INVALID_PARAMETER", ["init.mu"]);
row("cavi schedule names an unknown variable", () => cavi(normalModel(), { data, schedule: ["mu", "nope"] }), "INVALID_OPTION", ["schedule", "'nope'"]);
row("cavi schedule lists a variable twice", () => cavi(normalModel(), { data, schedule: ["mu", "mu", "tau"] }), "INVALID_OPTION", ["schedule", "'mu' appears twice"]);
row("cavi schedule misses a variable", () => cavi(normalModel(), { data, schedule: ["mu"] }), "INVALID_OPTION", ["schedule", "[tau]"]);
// Crashes and the hang.
row("cavi(model) with no options (was a TypeError reading 'restarts')", () => (cavi as (m: Model) => unknown)(normalModel()), "INVALID_OPTION", ["options are missing", "data"]);
row("cavi(model, null)", () => cavi(normalModel(), null as unknown as CaviOptions), "INVALID_OPTION", ["options must be an object", "null"]);
row("cavi(model, {}) without data", () => cavi(normalModel(), {} as CaviOptions), "INVALID_OPTION", ["'data' is missing"]);
row("cavi(model, 'y') options as a string", () => cavi(normalModel(), "y" as unknown as CaviOptions), "INVALID_OPTION", ["options must be an object"]);
row("cavi(undefined, options) without a model", () => cavi(undefined as unknown as Model, { data }), "INVALID_MODEL", ["cavi", "built model"]);
row("cavi(builder) passing the builder, not the built model", () => cavi({} as Model, { data }), "INVALID_MODEL", ["built model", ".build()"]);
row("cavi maxIterations Infinity with tolerance -1 (was a hang)", () => cavi(normalModel(), { data, maxIterations: Infinity, tolerance: -1 }), "INVALID_OPTION", ["option 'maxIterations'"]);
row("cavi maxIterations 1e12 (an effectively endless budget)", () => cavi(normalModel(), { data, maxIterations: 1e12 }), "INVALID_OPTION", ["option 'maxIterations'", "1000000000"]);

// svi engine and operator.
const sviBad: readonly [string, unknown][] = [
  ["totalRows", 0], ["totalRows", -5], ["totalRows", 1.5], ["totalRows", NaN], ["totalRows", Infinity], ["totalRows", "100"],
  ["tau", -1], ["tau", NaN], ["tau", Infinity],
  ["kappa", 0.5], ["kappa", 0], ["kappa", 1.5], ["kappa", NaN],
  ["localIterations", 0], ["localIterations", 2.5], ["localTolerance", -1], ["localTolerance", NaN],
  ["seed", 0.5], ["plate", 3],
];
for (const [key, value] of sviBad) {
  row(`svi ${key}: ${typeof value === "string" ? JSON.stringify(value) : String(value)}`, () => new SviEngine(normalModel(), { totalRows: 100, [key]: value } as unknown as SviOptions), "INVALID_OPTION", [`option '${key}'`]);
}
for (const [key, near] of [["totalRow", "totalRows"], ["kapa", "kappa"], ["tao", "tau"], ["localIteration", "localIterations"], ["batchSize", null], ["forgetting", null]] as const) {
  row(`svi unknown option '${key}'`, () => new SviEngine(normalModel(), { totalRows: 100, [key]: 1 } as unknown as SviOptions), "INVALID_OPTION", [`unknown option '${key}'`, ...(near ? [`did you mean '${near}'`] : [])]);
}
row("svi without totalRows", () => new SviEngine(normalModel(), {} as SviOptions), "INVALID_OPTION", ["'totalRows' is missing"]);
row("svi given the old option name size", () => new SviEngine(normalModel(), { size: 100 } as unknown as SviOptions), "INVALID_OPTION", ["'size' is now called 'totalRows'"]);
row("svi plate that is not a data plate", () => new SviEngine(normalModel(), { totalRows: 10, plate: "nope" }), "INVALID_OPTION", ["plate 'nope'", "[rows]"]);
row("svi operator with a typo in a stream option", () => svi(normalModel(), { totalRows: 10, onInvalid: "skip", skiped: () => {} } as unknown as SviOptions), "INVALID_OPTION", ["unknown option 'skiped'", "did you mean 'skipped'"]);
row("svi operator onInvalid 'ignore'", () => svi(normalModel(), { totalRows: 10, onInvalid: "ignore" } as unknown as SviOptions), "INVALID_OPTION", ["'onInvalid'", '"skip"']);
row("svi operator given an engine and an engine option", () => svi(new SviEngine(normalModel(), { totalRows: 10 }), { totalRows: 20 } as never), "INVALID_OPTION", ["unknown option 'totalRows'"]);
row("svi operator summaries a number", () => svi(normalModel(), { totalRows: 10, summaries: 5 } as unknown as SviOptions), "INVALID_OPTION", ["'summaries'"]);
row("svi operator skipped reporter a number", () => svi(normalModel(), { totalRows: 10, skipped: 5 } as unknown as SviOptions), "INVALID_OPTION", ["'skipped'"]);
row("svi operator summaries naming an unknown variable", () => from([{ y: [1] }]).pipe(svi(normalModel(), { totalRows: 10, summaries: ["muu"] })), "INVALID_OPTION", ["summaries", "'muu'"]);
row("svi operator startAt with more skipped than batches", () => svi(normalModel(), { totalRows: 10, startAt: { batch: 1, skippedBatches: 3 } }), "INVALID_OPTION", ["startAt"]);

// online engine and operator.
const onlineBad: readonly [string, unknown][] = [
  ["forgetting", 0], ["forgetting", 1.5], ["forgetting", -1], ["forgetting", NaN],
  ["maxIterations", 0], ["maxIterations", Infinity], ["maxIterations", 2.5], ["tolerance", -1], ["tolerance", NaN], ["seed", "x"],
];
for (const [key, value] of onlineBad) {
  row(`online ${key}: ${typeof value === "string" ? JSON.stringify(value) : String(value)}`, () => new OnlineEngine(normalModel(), { [key]: value } as unknown as OnlineOptions), "INVALID_OPTION", [`option '${key}'`]);
}
for (const [key, near] of [["forgeting", "forgetting"], ["maxIteration", "maxIterations"], ["size", null], ["kappa", null]] as const) {
  row(`online unknown option '${key}'`, () => online(normalModel(), { [key]: 1 } as unknown as OnlineOptions), "INVALID_OPTION", [`unknown option '${key}'`, ...(near ? [`did you mean '${near}'`] : [])]);
}
row("online options null", () => new OnlineEngine(normalModel(), null as unknown as OnlineOptions), "INVALID_OPTION", ["options must be an object"]);
row("online(undefined) without a model", () => online(undefined as unknown as Model), "INVALID_MODEL", ["online", "built model"]);

// fitBbvi.
const bbvi = () => {
  const model = bbviModel({
    latents: [{ name: "mu", family: meanFieldGaussian(1) }],
    factors: [{ name: "prior", vars: ["mu"], logDensity: ({ mu }) => ad.scale(ad.sum(ad.square(mu!)), -0.5) }],
  });
  const engine = createBbvi(model, { samples: 2 });
  return { engine, state: engine.init(1) };
};
const fitBad: readonly [string, unknown][] = [["maxIterations", 0], ["maxIterations", -1], ["maxIterations", 1.5], ["maxIterations", Infinity], ["averageFrom", -1], ["averageFrom", NaN], ["convergence", null], ["convergence", 3], ["batches", 3], ["onStep", "x"]];
for (const [key, value] of fitBad) {
  row(`fitBbvi ${key}: ${typeof value === "string" ? JSON.stringify(value) : String(value)}`, () => {
    const { engine, state } = bbvi();
    return fitBbvi(engine, state, { [key]: value } as never);
  }, "INVALID_OPTION", [`'${key}'`]);
}
for (const [key, near] of [["maxIteration", "maxIterations"], ["maxSteps", "maxIterations"], ["steps", null], ["averagefrom", "averageFrom"]] as const) {
  row(`fitBbvi unknown option '${key}'`, () => {
    const { engine, state } = bbvi();
    return fitBbvi(engine, state, { [key]: 10 } as never);
  }, "INVALID_OPTION", [`unknown option '${key}'`, ...(near ? [`did you mean '${near}'`] : [])]);
}
row("BBVI whose log density is always NaN (was: the initial q returned)", () => {
  const model = bbviModel({
    latents: [{ name: "theta", family: meanFieldGaussian(1) }],
    factors: [{ name: "bad", vars: ["theta"], logDensity: ({ theta }) => ad.sum(ad.log(ad.scale(ad.square(theta!), -1))) }],
  });
  const engine = createBbvi(model, { samples: 2 });
  return fitBbvi(engine, engine.init(1), { maxIterations: 30, convergence: false });
}, "NUMERICAL_FAILURE", ["not finite at any of the 30 steps", "log density"]);
row("BBVI whose gradient is never finite: every step skipped (was: the initial q returned)", () => {
  const model = bbviModel({
    latents: [{ name: "x", family: meanFieldGaussian(1, { mean: [-5], sd: 0.1 }) }],
    factors: [{ name: "bad", vars: ["x"], logDensity: ({ x }) => ad.sum(ad.sqrt(x!)) }],
  });
  const engine = createBbvi(model, { samples: 2 });
  return fitBbvi(engine, engine.init(1), { maxIterations: 20, convergence: false });
}, "NUMERICAL_FAILURE", ["all 20 steps were skipped", "latent 'x'"]);
row("createBbvi samples 0", () => createBbvi(bbvi().engine.model, { samples: 0 }), "INVALID_OPTION", ["'samples'"]);

// Source options.
const col = { y: [1, 2, 3] };
for (const [key, value] of [["batchSize", 0], ["batchSize", -1], ["batchSize", 1.5], ["batchSize", "10"], ["batchSize", NaN], ["shuffle", "yes"], ["seed", 1.5], ["epochs", 0], ["epochs", 1.5]] as const) {
  row(`fromArrays ${key}: ${typeof value === "string" ? JSON.stringify(value) : String(value)}`, () => fromArrays(col, { batchSize: 2, [key]: value } as never), "INVALID_OPTION", [`option '${key}'`]);
}
row("fromArrays without options", () => fromArrays(col, undefined as never), "INVALID_OPTION", ["options must be an object"]);
for (const [key, value] of [["batchSize", 0], ["delimiter", ",,"], ["delimiter", '"'], ["header", false], ["columns", { y: [] }], ["columns", []], ["columns", { y: "a", z: "a" }], ["onInvalid", "drop"], ["skipped", 3]] as const) {
  row(`fromCsvText ${key}: ${JSON.stringify(value)}`, () => fromCsvText("a\n1\n", { batchSize: 2, [key]: value } as never), "INVALID_OPTION", [`option '${key}'`]);
}
for (const [key, value] of [["batchSize", -3], ["fields", 5], ["fields", [""]], ["onInvalid", "ignore"]] as const) {
  row(`fromNdjsonText ${key}: ${JSON.stringify(value)}`, () => fromNdjsonText('{"a":1}\n', { batchSize: 2, [key]: value } as never), "INVALID_OPTION", [`option '${key}'`]);
}

row("@vireo/runtime/conjugate cavi given threads: 2", () => conjugateCavi(normalModel(), { data, threads: 2 }), "INVALID_OPTION", ["threads = 2", "@vireo/runtime/conjugate"]);
// bbviModel names become graph names (one namespace).
row("bbviModel latent name that is not a graph name", () => bbviModel({
  latents: [{ name: "my mean", family: meanFieldGaussian(1) }],
  factors: [{ name: "prior", vars: ["my mean"], logDensity: (x) => ad.sum(x["my mean"]!) }],
}), "INVALID_MODEL", ["latent name \"my mean\"", "letters, digits"]);
row("bbviModel factor named like a latent", () => bbviModel({
  latents: [{ name: "mu", family: meanFieldGaussian(1) }],
  factors: [{ name: "mu", vars: ["mu"], logDensity: ({ mu }) => ad.sum(mu!) }],
}), "DUPLICATE_NAME", ["factor 'mu'", "name of a latent", "rename the factor"]);

export default rows;
