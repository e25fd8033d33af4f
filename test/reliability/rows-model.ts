/** Catalogue rows: building models (names, references, edges, constants, plates, improper graphs). */
import { cavi as conjugateCavi } from "@vireo/runtime/conjugate";
import { Normal, Gamma, MvNormal, Categorical, Dirichlet, Wishart, Bernoulli, Generator, ad, meanFieldGaussian, bernoulliQ, logTransform, type ExponentialFamily } from "@vireo/core";
import { NormalNode, GammaNode, MvNormalNode, CategoricalNode, DirichletNode, WishartNode, GaussianLinearNode, densityNode, type NodeType } from "@vireo/nodes";
import { ModelBuilder, cavi, jointGradient, type EdgeValue } from "@vireo/runtime";
import type { Row } from "./catalogue.js";

const rows: Row[] = [];
const row = (id: string, run: () => unknown, code: Row["code"], names: Row["names"]) => rows.push({ id: `model/${id}`, run, code, names });

/** A builder with a grounded mu ~ N(0, 1) and an observed y ~ N(mu, 1), for rows that add one thing. */
function base(): { m: ModelBuilder; mu: ReturnType<ModelBuilder["random"]> } {
  const m = new ModelBuilder();
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 1 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: m.plate("rows") }), mean: mu, precision: 1 });
  return { m, mu };
}

// Improper joints the graph can see.
row("self-loop factor { out: mu, mean: mu }", () => {
  const m = new ModelBuilder();
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: mu, mean: mu, precision: 1 }, { name: "loop" });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: m.plate("rows") }), mean: mu, precision: 1 });
  return m.build();
}, "INVALID_MODEL", ["'loop'", "'mu'", "edge 'out'", "edge 'mean'", "self-loop"]);
row("self-loop on a precision { out: tau, rate: tau }", () => {
  const m = new ModelBuilder();
  const tau = m.random("tau", Gamma);
  m.factor(GammaNode, { out: tau, shape: 1, rate: tau }, { name: "tauPrior" });
  return m.build();
}, "INVALID_MODEL", ["'tauPrior'", "'tau'", "self-loop"]);
row("self-loop with a proper prior beside it", () => {
  const { m, mu } = base();
  m.factor(NormalNode, { out: mu, mean: mu, precision: 2 }, { name: "again" });
  return m.build();
}, "INVALID_MODEL", ["'again'", "'mu'", "self-loop"]);
row("cycle a ~ N(b, 1), b ~ N(a, 1) with no other prior", () => {
  const m = new ModelBuilder();
  const a = m.random("a", Normal), b = m.random("b", Normal);
  m.factor(NormalNode, { out: a, mean: b, precision: 1 });
  m.factor(NormalNode, { out: b, mean: a, precision: 1 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: m.plate("rows") }), mean: a, precision: 1 });
  return m.build();
}, "INVALID_MODEL", ["[a, b]", "a → b → a", "no proper prior"]);
row("three-variable cycle a → b → c → a", () => {
  const m = new ModelBuilder();
  const a = m.random("a", Normal), b = m.random("b", Normal), c = m.random("c", Normal);
  m.factor(NormalNode, { out: a, mean: c, precision: 1 });
  m.factor(NormalNode, { out: b, mean: a, precision: 1 });
  m.factor(NormalNode, { out: c, mean: b, precision: 1 });
  return m.build();
}, "INVALID_MODEL", ["[a, b, c]", "no proper prior"]);
row("cycle through a precision: mu ~ N(0, tau), tau ~ Gamma(1, ·) fed by an ungrounded rate", () => {
  const m = new ModelBuilder();
  const mu = m.random("mu", Normal), tau = m.random("tau", Gamma), r = m.random("r", Gamma);
  m.factor(NormalNode, { out: mu, mean: 0, precision: tau });
  m.factor(GammaNode, { out: tau, shape: 1, rate: r });
  m.factor(GammaNode, { out: r, shape: 1, rate: tau });
  return m.build();
}, "INVALID_MODEL", ["tau", "r", "no proper prior"]);
row("random variable with no prior factor (only a parameter)", () => {
  const m = new ModelBuilder();
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: m.plate("rows") }), mean: mu, precision: 1 }, { name: "lik" });
  return m.build();
}, "INVALID_MODEL", ["'mu' has no prior", "'lik'"]);
row("random precision with no prior factor", () => {
  const m = new ModelBuilder();
  const mu = m.random("mu", Normal), tau = m.random("tau", Gamma);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 1 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: m.plate("rows") }), mean: mu, precision: tau });
  return m.build();
}, "INVALID_MODEL", ["'tau' has no prior"]);
row("random regression weights with no prior factor", () => {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const w = m.random("w", MvNormal(2));
  m.factor(GaussianLinearNode, { out: m.observed("y", Normal, { plate: rows }), w, x: m.input("x", { plate: rows, size: 2 }), precision: 1 });
  return m.build();
}, "INVALID_MODEL", ["'w' has no prior"]);
row("random variable connected to nothing", () => {
  const { m } = base();
  m.random("orphan", Normal);
  return m.build();
}, "INVALID_MODEL", ["'orphan'", "not connected"]);
row("observed variable connected to nothing", () => {
  const { m } = base();
  m.observed("lonely", Normal);
  return m.build();
}, "INVALID_MODEL", ["'lonely'", "not connected"]);

// References from another builder.
const foreign = () => {
  const other = new ModelBuilder();
  const ref = other.random("mu", Normal);
  other.factor(NormalNode, { out: ref, mean: 0, precision: 1 });
  return ref;
};
row("VariableRef from another builder on 'out'", () => {
  const { m } = base();
  m.factor(NormalNode, { out: foreign(), mean: 0, precision: 1 });
}, "INVALID_MODEL", ["'mu'", "another ModelBuilder"]);
row("VariableRef from another builder on 'mean'", () => {
  const { m } = base();
  m.factor(NormalNode, { out: m.observed("z", Normal, { plate: "rows" }), mean: foreign(), precision: 1 });
}, "INVALID_MODEL", ["'mu'", "another ModelBuilder"]);
row("IndexedRef (.at) from another builder", () => {
  const { m } = base();
  m.factor(NormalNode, { out: m.observed("z", Normal, { plate: "rows" }), mean: foreign().at("idx"), precision: 1 });
}, "INVALID_MODEL", ["'mu'", "another ModelBuilder"]);
row("index column from another builder in .at()", () => {
  const { mu } = base();
  const other = new ModelBuilder();
  return mu.at(other.input("idx", { plate: other.plate("rows") }));
}, "INVALID_MODEL", ["'idx'", "another ModelBuilder"]);
row("mixture selector from another builder", () => {
  const m = new ModelBuilder();
  const other = new ModelBuilder();
  const z = other.random("z", Categorical(2), { plate: other.plate("rows") });
  const comps = m.plate("components", 2);
  const mu = m.random("mu", Normal, { plate: comps });
  m.mixture(NormalNode, { selector: z, out: m.observed("y", Normal, { plate: m.plate("rows") }), mean: mu, precision: 1 });
}, "INVALID_MODEL", ["'z'", "another ModelBuilder"]);

// Names.
for (const bad of ["", "1abc", "a b", "x;y", "mu\n"]) {
  row(`variable name ${JSON.stringify(bad)}`, () => new ModelBuilder().random(bad, Normal), "INVALID_MODEL", [JSON.stringify(bad), "use letters"]);
}
row("variable name that is not a string", () => new ModelBuilder().random(3 as unknown as string, Normal), "INVALID_MODEL", ["Invalid variable name 3"]);
row("variable name a BigInt (was a TypeError from JSON.stringify)", () => new ModelBuilder().random([0n] as unknown as string, Normal), "INVALID_MODEL", ["Invalid variable name of type object"]);
row("plate name a symbol", () => new ModelBuilder().plate(Symbol("rows") as unknown as string), "INVALID_MODEL", ["Invalid plate name of type symbol"]);
row("plate name with a space", () => new ModelBuilder().plate("my rows"), "INVALID_MODEL", ['"my rows"']);
row("factor name with a slash", () => new ModelBuilder().factor(NormalNode, { out: "a", mean: 0, precision: 1 }, { name: "a/b" }), "INVALID_MODEL", ['"a/b"']);
for (const dup of ["mu", "constructor", "__proto__", "toString", "hasOwnProperty"]) {
  row(`name '${dup}' declared twice`, () => {
    const m = new ModelBuilder();
    m.random(dup, Normal);
    m.random(dup, Normal);
  }, "DUPLICATE_NAME", [`'${dup}' is already declared (random variable)`]);
}
row("plate and variable with the same name", () => {
  const m = new ModelBuilder();
  m.plate("rows");
  m.random("rows", Normal);
}, "DUPLICATE_NAME", ["'rows' is already declared (a plate)"]);
row("unknown plate named 'constructor'", () => new ModelBuilder().random("x", Normal, { plate: "constructor" }), "UNKNOWN_NAME", ["unknown plate 'constructor'"]);
row("unknown plate named 'toString'", () => new ModelBuilder().observed("x", Normal, { plate: "toString" }), "UNKNOWN_NAME", ["unknown plate 'toString'"]);
row("edge bound to an unknown variable named 'hasOwnProperty'", () => {
  const { m } = base();
  m.factor(NormalNode, { out: m.observed("z", Normal, { plate: "rows" }), mean: "hasOwnProperty", precision: 1 });
  return m.build();
}, "UNKNOWN_NAME", ["unknown variable 'hasOwnProperty'"]);
row("edge bound to an unknown variable named 'valueOf'", () => {
  const { m } = base();
  m.factor(NormalNode, { out: "valueOf", mean: 0, precision: 1 });
  return m.build();
}, "UNKNOWN_NAME", ["unknown variable 'valueOf'"]);

// Plates and families.
for (const size of [0, -1, 1.5, NaN, Infinity, 2 ** 31]) {
  row(`plate size ${size}`, () => new ModelBuilder().plate("components", size), "INVALID_MODEL", ["'components'", "positive integer"]);
}
row("family dimension above the 7-digit limit", () => new ModelBuilder().random("z", Categorical(10_000_000)), "INVALID_MODEL", ["'z'", "Categorical(10000000)", "9999999"]);
row("family missing (undefined)", () => new ModelBuilder().random("x", undefined as unknown as ExponentialFamily), "INVALID_MODEL", ["'x'", "exponential family"]);
row("family given as a string", () => new ModelBuilder().observed("x", "Normal" as unknown as ExponentialFamily), "INVALID_MODEL", ["'x'", "exponential family"]);
row("mean-field factorisation on a Normal", () => new ModelBuilder().random("x", Normal, { factorisation: "mean-field" }), "INVALID_MODEL", ["'x'", "mean-field"]);

// Factors and edges.
row("node type undefined", () => new ModelBuilder().factor(undefined as unknown as NodeType, {}), "INVALID_NODE", ["node type"]);
row("node type null", () => new ModelBuilder().factor(null as unknown as NodeType, {}), "INVALID_NODE", ["null"]);
row("node type a plain object", () => new ModelBuilder().factor({} as NodeType, {}), "INVALID_NODE", ["node type"]);
row("node type by name without a registry", () => new ModelBuilder().factor("Normal", {}), "UNKNOWN_NAME", ["'Normal'", "no registry"]);
row("edges null", () => new ModelBuilder().factor(NormalNode, null as unknown as Record<string, EdgeValue>), "INVALID_MODEL", ["edges must be a record", "null"]);
row("edges an array", () => new ModelBuilder().factor(NormalNode, [] as unknown as Record<string, EdgeValue>), "INVALID_MODEL", ["an array"]);
row("unknown edge (typo)", () => {
  const m = new ModelBuilder();
  m.factor(NormalNode, { out: m.random("a", Normal), meen: 0, mean: 0, precision: 1 });
}, "INVALID_MODEL", ["'meen' is not an edge of Normal", "[out, mean, precision]"]);
row("edge left unconnected", () => {
  const m = new ModelBuilder();
  m.factor(NormalNode, { out: m.random("a", Normal), mean: 0 });
}, "INVALID_MODEL", ["edge 'precision'", "not connected"]);
row("Gamma variable on a Normal mean edge", () => {
  const m = new ModelBuilder();
  const t = m.random("t", Gamma);
  m.factor(GammaNode, { out: t, shape: 1, rate: 1 });
  m.factor(NormalNode, { out: m.observed("y", Normal), mean: t, precision: 1 });
  return m.build();
}, "INVALID_MODEL", ["edge 'mean'", "'t'"]);
row("random variable on an input edge", () => {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const w = m.random("w", MvNormal(2)), x = m.random("x", MvNormal(2), { plate: rows });
  m.factor(MvNormalNode, { out: w, mean: [0, 0], precision: [1, 0, 0, 1] });
  m.factor(MvNormalNode, { out: x, mean: [0, 0], precision: [1, 0, 0, 1] });
  m.factor(GaussianLinearNode, { out: m.observed("y", Normal, { plate: rows }), w, x, precision: 1 });
  return m.build();
}, "INVALID_MODEL", ["edge 'x'", "'x'", "random"]);
row("factor across two data plates", () => {
  const m = new ModelBuilder();
  const a = m.plate("a"), b = m.plate("b");
  const mu = m.random("mu", Normal, { plate: a });
  m.factor(NormalNode, { out: mu, mean: 0, precision: 1 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: b }), mean: mu, precision: 1 }, { name: "cross" });
  return m.build();
}, "INVALID_MODEL", ["'cross'", "different plates"]);

// Constants.
const constRow = (id: string, value: unknown, names: Row["names"], code: Row["code"] = "INVALID_DATA") =>
  row(`edge constant ${id}`, () => {
    const m = new ModelBuilder();
    m.factor(NormalNode, { out: m.random("a", Normal), mean: value as number, precision: 1 }, { name: "prior" });
  }, code, names);
constRow("null inside an array", [null], ["'prior'", "edge 'mean'", "null"]);
constRow("boolean", true, ["'prior'", "edge 'mean'"]);
constRow("NaN", NaN, ["'prior.mean'", "finite"]);
constRow("Infinity", Infinity, ["'prior.mean'", "finite"]);
constRow("an object", { a: 1 }, ["'prior'", "edge 'mean'"]);
row("edge constant precision ≤ 0", () => {
  const m = new ModelBuilder();
  m.factor(NormalNode, { out: m.random("a", Normal), mean: 0, precision: -1 }, { name: "prior" });
  return m.build();
}, "INVALID_DATA", ["prior.precision"]);
row("non-SPD MvNormal prior precision names the node and edge", () => {
  const m = new ModelBuilder();
  m.factor(MvNormalNode, { out: m.random("x", MvNormal(2)), mean: [0, 0], precision: [1, 2, 2, 1] }, { name: "xPrior" });
}, "INVALID_DATA", ["factor 'xPrior'", "edge 'precision'", "positive-definite"]);
row("non-SPD Wishart scale names the node", () => {
  const m = new ModelBuilder();
  const L = m.random("L", Wishart(2));
  m.factor(WishartNode, { out: L, df: 3, scale: [1, 3, 3, 1] }, { name: "LPrior" });
  m.factor(MvNormalNode, { out: m.observed("y", MvNormal(2), { plate: m.plate("rows") }), mean: [0, 0], precision: L });
  return cavi(m.build(), { data: { y: [[1, 2]] } });
}, "NOT_POSITIVE_DEFINITE", ["'LPrior'", "scale"]);
row("Dirichlet prior with a zero concentration", () => {
  const m = new ModelBuilder();
  const p = m.random("p", Dirichlet(3));
  m.factor(DirichletNode, { out: p, alpha: [1, 0, 1] }, { name: "pPrior" });
  m.factor(CategoricalNode, { out: m.observed("y", Categorical(3), { plate: m.plate("rows") }), p });
  return cavi(m.build(), { data: { y: [0, 1] } });
}, "INVALID_PARAMETER", ["'pPrior'", "alpha[1]"]);
row("named constant with a null entry", () => new ModelBuilder().constant("c", [1, null] as unknown as number[]), "INVALID_DATA", ["'c'", "null"]);
row("named constant given as a string", () => new ModelBuilder().constant("c", "1" as unknown as number), "INVALID_DATA", ["'c'", "string"]);
row("named Categorical constant out of range", () => {
  const m = new ModelBuilder();
  const p = m.random("p", Dirichlet(2));
  m.factor(DirichletNode, { out: p, alpha: [1, 1] });
  m.factor(CategoricalNode, { out: m.constant("c", 5, Categorical(2)), p });
  return m.build();
}, "INVALID_DATA", ["'c'", "support"]);

// Mixtures and deterministics.
row("mixture selector that is not Categorical", () => {
  const m = new ModelBuilder();
  const s = m.random("s", Normal);
  m.mixture(NormalNode, { selector: s, out: m.observed("y", Normal), mean: 0, precision: 1 });
}, "INVALID_MODEL", ["'selector'", "Categorical", "s"]);
row("mixture with no component plate", () => {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const z = m.random("z", Categorical(2), { plate: rows });
  const mu = m.random("mu", Normal);
  m.mixture(NormalNode, { selector: z, out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: 1 });
}, "INVALID_MODEL", ["K = 2", "plate of 2"]);
row("deterministic that depends on itself", () => {
  const { m } = base();
  m.deterministic("d", { plate: "rows", size: 1, from: ["d"], compute: () => {} });
  return m.build();
}, "INVALID_MODEL", ["cycle", "d → d"]);
row("deterministic reading a random variable", () => {
  const { m } = base();
  m.deterministic("d", { size: 1, from: ["mu"], compute: () => {} });
  return m.build();
}, "INVALID_MODEL", ["'d'", "'mu'", "random"]);
row("deterministic reading an unknown input", () => {
  const { m } = base();
  m.deterministic("d", { size: 1, from: ["nope"], compute: () => {} });
  return m.build();
}, "UNKNOWN_NAME", ["'d'", "'nope'"]);
row("Normal prior of a vector weight with 3 entries for MvNormal(2)", () => {
  const m = new ModelBuilder();
  const w = m.random("w", MvNormal(2));
  m.factor(MvNormalNode, { out: w, mean: [0, 0, 0], precision: [1, 0, 0, 1] }, { name: "wPrior" });
  m.factor(MvNormalNode, { out: m.observed("y", MvNormal(2), { plate: m.plate("rows") }), mean: w, precision: [1, 0, 0, 1] });
  return cavi(m.build(), { data: { y: [[1, 2]] } });
}, "INVALID_MODEL", ["'wPrior'", "edge 'mean'", "dimension 2"]);

// The conjugate-only entry leaves out the gradient machinery: a model that needs it is refused by name.
row("@vireo/runtime/conjugate given a gradient-fitted variable", () => {
  const m = new ModelBuilder();
  const w = m.random("slope", Normal, { q: meanFieldGaussian() });
  m.factor(NormalNode, { out: w, mean: 0, precision: 1 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: m.plate("rows") }), mean: w, precision: 1 });
  return conjugateCavi(m.build(), { data: { y: [1, 2] } });
}, "INVALID_MODEL", ["'slope'", "@vireo/runtime/conjugate", "Import cavi, svi and online from '@vireo/runtime'"]);
// The graph's joint gradient and discrete q.
row("jointGradient over a model with a closed-form variable", () => {
  const m = new ModelBuilder();
  const z = m.random("z", Categorical(3));
  m.factor(CategoricalNode, { out: z, p: [0.2, 0.3, 0.5] });
  return jointGradient(m.build());
}, "INVALID_MODEL", ["'z'", "fitted in closed form", "gradient-fitted"]);
row("jointGradient estimate with a λ of the wrong length", () => {
  const m = new ModelBuilder();
  const mu = m.random("mu", Normal, { q: meanFieldGaussian() });
  m.factor(densityNode("Flat", { edges: { mu: "Normal" } }, ({ mu }) => ad.scale(ad.sum(ad.square(mu!)), -0.5)), { mu });
  const jg = jointGradient(m.build());
  return jg.estimate(new Float64Array(3), new Float64Array(2), new Generator(1), new Float64Array(1));
}, "DIMENSION_MISMATCH", ["2 numbers", "'mu'"]);
row("discrete q with a continuous bijector", () => {
  const m = new ModelBuilder();
  const b = m.random("b", Bernoulli, { q: bernoulliQ(), bijector: logTransform });
  m.factor(densityNode("Flat", { edges: { b: "Bernoulli" } }, ({ b }) => ad.sum(b!)), { b });
  return cavi(m.build(), { data: {} });
}, "INVALID_MODEL", ["'b'", "discrete", "'log'"]);
row("density node with only a numeric log density in a sweep", () => {
  const m = new ModelBuilder();
  const mu = m.random("mu", Normal, { q: meanFieldGaussian() });
  m.factor(densityNode("Numeric", { edges: { mu: "Normal" }, logDensityValue: ({ mu }) => -0.5 * mu![0]! ** 2 }, undefined), { mu }, { name: "numericOnly" });
  return cavi(m.build(), { data: {}, maxIterations: 2 });
}, "INVALID_MODEL", ["'numericOnly'", "numeric logDensityValue", "on the tape"]);

export default rows;
