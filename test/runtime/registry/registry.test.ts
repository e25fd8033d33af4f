/** Registries: packs, duplicates, atomic registration, node validation, look-ups by name, rule errors. */
import test from "ava";
import { Normal, Gamma, MvNormal, Categorical, Poisson, VireoError, type VireoErrorCode } from "@vireo/core";
import { NormalNode, GammaNode, PoissonNode, type NodeType } from "@vireo/nodes";
import { Registry, createRegistry, builtinPack, defineNode, validateNodeType, ModelBuilder, cavi, type Pack } from "@vireo/runtime";
import { studentTPack, logisticPack, StudentTLinearNode } from "@vireo/plugins";

function expectError(t: import("ava").ExecutionContext, fn: () => unknown, code: VireoErrorCode, message: RegExp): VireoError {
  const err = t.throws(fn, { instanceOf: VireoError })!;
  t.is(err.code, code, err.message);
  t.regex(err.message, message);
  return err;
}

test("createRegistry starts with the built-in pack; registries are independent instances", (t) => {
  const a = createRegistry(), b = createRegistry(studentTPack);
  t.deepEqual(a.packs(), ["builtin"]);
  t.deepEqual(b.packs(), ["builtin", "student-t"]);
  t.true(b.hasNode("StudentTLinear"));
  t.false(a.hasNode("StudentTLinear"));
  t.is(a.node("Normal"), NormalNode);
  t.is(new Registry().nodeNames().length, 0);
  t.deepEqual(a.familyNames(), ["Normal", "Gamma", "Beta", "Bernoulli", "Poisson", "Categorical", "Dirichlet", "MvNormal", "Wishart", "GaussMarkovChain", "CategoricalChain", "NormalWishart"]);
  t.is(builtinPack.nodes!.length, a.nodeNames().length);
});

test("family keys resolve through the registry, dimensioned ones per dimension", (t) => {
  const r = createRegistry();
  t.is(r.family("Normal"), Normal);
  t.is(r.family("MvNormal(3)"), MvNormal(3));
  t.is(r.family("Categorical(4)").key, "Categorical(4)");
  expectError(t, () => r.family("Normal(2)"), "UNKNOWN_NAME", /Family 'Normal' has no dimension/);
  expectError(t, () => r.family("MvNormal"), "UNKNOWN_NAME", /needs a dimension: write "MvNormal\(d\)"/);
  expectError(t, () => r.family("StudentT"), "UNKNOWN_NAME", /Unknown family "StudentT"; registered families are \[Normal, Gamma, .*MvNormal\(d\), Wishart\(d\), GaussMarkovChain\(d\), CategoricalChain\(d\), NormalWishart\(d\)\]/);
  expectError(t, () => r.family("MvNormal(0)"), "UNKNOWN_NAME", /Unknown family/);
  expectError(t, () => r.family("__proto__"), "UNKNOWN_NAME", /Unknown family/);
});

test("a duplicate name throws and registers nothing from the failing pack", (t) => {
  const r = createRegistry(studentTPack);
  const before = r.nodeNames();
  const clash: Pack = { name: "clash", families: { Extra: (d: number) => MvNormal(d) }, nodes: [{ ...NormalNode, name: "Fresh" }, { ...GammaNode }] };
  expectError(t, () => r.use(clash), "DUPLICATE_NAME", /node type 'Gamma' in pack 'clash' is already registered \(packs: \[builtin, student-t\]\)/);
  t.deepEqual(r.nodeNames(), before);
  t.false(r.familyNames().includes("Extra"));
  expectError(t, () => r.use(studentTPack), "DUPLICATE_NAME", /pack 'student-t' is already registered/);
  expectError(t, () => new Registry().use({ name: "twice", nodes: [NormalNode, NormalNode] }), "DUPLICATE_NAME", /node type 'Normal' appears twice in pack 'twice'/);
  expectError(t, () => new Registry().use(builtinPack).use({ name: "fam", families: { Normal } }), "DUPLICATE_NAME", /family 'Normal' in pack 'fam' is already registered/);
});

test("a node lacking messages for its edges is rejected at registration, listing every missing edge with a stub", (t) => {
  const { mean: _m, precision: _p, ...onlyOut } = NormalNode.messages;
  const partial: NodeType = { ...NormalNode, name: "HalfNormal", messages: onlyOut };
  const r = createRegistry();
  const err = expectError(t, () => r.use({ name: "half", nodes: [partial] }), "INVALID_NODE", /Node type 'HalfNormal' in pack 'half': no message rule for edges \[mean, precision\]/);
  t.regex(err.message, /Possible fix, define:\n  messages: \{\n    mean\(ctx: NodeContext, out: Float64Array\): void \{/);
  t.regex(err.message, /precision\(ctx: NodeContext, out: Float64Array\): void \{/);
  t.regex(err.message, /Rules that exist: \[out\]/);
  t.false(r.hasNode("HalfNormal"));
  // Known-only and input edges need no rule (Poisson's out is knownOnly).
  t.notThrows(() => validateNodeType(PoissonNode));
});

test("node validation: names, unique edges, logFactor, rules for edges that do not exist", (t) => {
  expectError(t, () => validateNodeType({ ...NormalNode, name: "Bad Name" }), "INVALID_NODE", /the name must be letters/);
  expectError(t, () => validateNodeType({ ...NormalNode, edges: [...NormalNode.edges, NormalNode.edges[0]!] }), "INVALID_NODE", /edge 'out' is declared twice/);
  expectError(t, () => validateNodeType({ ...NormalNode, logFactor: undefined }), "INVALID_NODE", /logFactor\(ctx\) is missing/);
  expectError(t, () => validateNodeType({ ...NormalNode, messages: { ...NormalNode.messages, precison: NormalNode.messages.precision } }), "INVALID_NODE", /messages has rules for \[precison\], which are not edges/);
  expectError(t, () => validateNodeType({ ...NormalNode, linearEdges: ["nope"] }), "INVALID_NODE", /linearEdges has rules for \[nope\]/);
  expectError(t, () => validateNodeType({ ...NormalNode, structured: { out: { joint: ["mean"], message: () => {} } } }), "INVALID_NODE", /'structured' rules are not read by any engine/);
  expectError(t, () => validateNodeType({ ...NormalNode, beliefPropagation: { mean: 3 } }), "INVALID_NODE", /'beliefPropagation' rules are not read by any engine/);
  expectError(t, () => validateNodeType(null), "INVALID_NODE", /must be an object/);
  const ok = defineNode({ ...NormalNode, name: "Normal2" });
  t.true(Object.isFrozen(ok));
  t.notThrows(() => new Registry().use({ name: "n2", nodes: [ok] }));
});

test("codecs: extension types 16..127, unique names and types", (t) => {
  const codec = { name: "c", type: 20, test: (v: unknown): v is Date => v instanceof Date, encode: () => new Uint8Array(0), decode: () => new Date(0) };
  const r = new Registry().use({ name: "codecs", codecs: [codec] });
  t.is(r.codec("c"), codec);
  expectError(t, () => r.use({ name: "again", codecs: [{ ...codec, name: "d" }] }), "DUPLICATE_NAME", /codec extension type '20'/);
  expectError(t, () => r.use({ name: "low", codecs: [{ ...codec, name: "e", type: 3 }] }), "INVALID_OPTION", /type: 16\.\.127/);
  expectError(t, () => r.codec("zzz"), "UNKNOWN_NAME", /registered codecs are \[c\]/);
});

test("ModelBuilder resolves node types by name through its registry", (t) => {
  const registry = createRegistry(studentTPack, logisticPack);
  const m = new ModelBuilder({ registry });
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal);
  m.factor("Normal", { out: mu, mean: 0, precision: 1 });
  m.factor("Normal", { out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: 4 });
  const model = m.build();
  t.is(model.factors[0]!.type, NormalNode);
  const r = cavi(model, { data: { y: [1, 2, 3] } });
  t.true(Math.abs((r.posteriors.mu!.params() as { mean: number }).mean - 24 / 13) < 1e-12);
  expectError(t, () => new ModelBuilder({ registry }).factor("StudentT", {}), "UNKNOWN_NAME", /Unknown node type "StudentT"; registered node types are \[Normal, .*StudentTLinear, JaakkolaJordanLogit\]/);
  expectError(t, () => new ModelBuilder().factor("Normal", {}), "UNKNOWN_NAME", /has no registry/);
  t.is(registry.node("StudentTLinear"), StudentTLinearNode);
  expectError(t, () => registry.node("Mixture(Normal)"), "UNKNOWN_NAME", /registry\.mixture\(inner, componentEdges\)/);
  t.is(registry.mixture("Normal", ["mean"]).name, "Mixture(Normal)");
});

test("a random variable on an edge without a rule: the stub, the node's rules and the registry's rules for that family", (t) => {
  const registry = createRegistry();
  const m = new ModelBuilder({ registry });
  const rows = m.plate("rows");
  const rate = m.random("rate", Gamma);
  m.factor("Gamma", { out: rate, shape: 1, rate: 1 });
  m.factor("Poisson", { out: m.random("counts", Poisson, { plate: rows }), rate }, { name: "likelihood" });
  const err = expectError(t, () => m.build(), "MISSING_RULE", /Possible fix, define:\n  messages: \{\n    \.\.\.PoissonNode\.messages,\n    out\(ctx: NodeContext/);
  t.regex(err.message, /Rules that exist for Poisson: \[rate\]/);
  t.regex(err.message, /Registered nodes with a rule for a Poisson edge: \[\]/);
  t.is(err.context.variable, "counts");
  // Registry look-up of a rule that does not exist: stub plus every rule for that family.
  const e2 = expectError(t, () => registry.rule("Poisson", "out"), "MISSING_RULE", /Node type Poisson has no message rule for edge 'out' \(Poisson\)/);
  t.regex(e2.message, /Rules that exist for Poisson: \[rate\]/);
  const e3 = expectError(t, () => registry.rule("Categorical", "nope"), "UNKNOWN_NAME", /has no edge 'nope'; its edges are \[out, p\]/);
  t.truthy(e3);
  t.true(registry.rulesForFamily("Categorical").includes("Categorical.out"));
  void Categorical;
});
