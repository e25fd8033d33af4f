/** Every bad model or bad data raises its documented error, naming what is wrong and where. */
import test from "ava";
import { Normal, Gamma, Beta, Poisson, MvNormal, Categorical, Dirichlet, Bernoulli, VireoError, type VireoErrorCode } from "@vireo/core";
import { NormalNode, GammaNode, MvNormalNode, CategoricalNode, DirichletNode, GaussianLinearNode, BernoulliNode, BetaNode, PoissonNode, type NodeType } from "@vireo/nodes";
import { ModelBuilder, cavi, type Model } from "@vireo/runtime";

function expectError(t: import("ava").ExecutionContext, fn: () => unknown, code: VireoErrorCode, message: RegExp): void {
  const err = t.throws(fn, { instanceOf: VireoError });
  t.is(err?.code, code, err?.message);
  t.regex(err?.message ?? "", message);
}

function normalModel(): Model {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 1 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: 1 });
  return m.build();
}

test("unknown names: variable on an edge, edge of a node, data for an undeclared variable", (t) => {
  const m = new ModelBuilder();
  const mu = m.random("mu", Normal);
  expectError(t, () => {
    m.factor(NormalNode, { out: mu, mean: "nope", precision: 1 });
    m.build();
  }, "UNKNOWN_NAME", /edge 'mean': unknown variable 'nope'; declared variables are \[mu/);
  const m2 = new ModelBuilder();
  expectError(t, () => m2.factor(NormalNode, { out: m2.random("a", Normal), meen: 0, mean: 0, precision: 1 }), "INVALID_MODEL", /'meen' is not an edge of Normal; its edges are \[out, mean, precision\]/);
  expectError(t, () => cavi(normalModel(), { data: { y: [1, 2], z: [3] } }), "UNKNOWN_NAME", /unknown variable 'z'; the model's data variables are \[y\]/);
  expectError(t, () => new ModelBuilder().random("x", Normal, { plate: "rows" }), "UNKNOWN_NAME", /Variable 'x': unknown plate 'rows'/);
});

test("an edge left unconnected names the edge and what it needs", (t) => {
  const m = new ModelBuilder();
  expectError(t, () => m.factor(NormalNode, { out: m.random("a", Normal), mean: 0 }), "INVALID_MODEL", /edge 'precision' \(Gamma, its precision \(1\/variance\)\) is not connected/);
});

test("an edge whose family does not fit the node's interface", (t) => {
  const m = new ModelBuilder();
  const tau = m.random("tau", Gamma);
  const mu = m.random("mu", Normal);
  m.factor(GammaNode, { out: tau, shape: 1, rate: 1 });
  m.factor(NormalNode, { out: mu, mean: tau, precision: 1 });
  expectError(t, () => m.build(), "INVALID_MODEL", /edge 'mean' expects a Normal variable, but 'tau' \(random Gamma\) is Gamma/);
  const m2 = new ModelBuilder();
  const w = m2.random("w", MvNormal(3));
  m2.factor(MvNormalNode, { out: w, mean: [0, 0], precision: [1, 0, 0, 1] });
  expectError(t, () => m2.build(), "INVALID_MODEL", /edge 'mean' has a MvNormal\(2\) variable but edge 'out' has dimension 3/);
  const m3 = new ModelBuilder();
  const rows = m3.plate("rows");
  const ww = m3.random("w", MvNormal(2));
  m3.factor(MvNormalNode, { out: ww, mean: [0, 0], precision: [1, 0, 0, 1] });
  m3.factor(GaussianLinearNode, { out: m3.observed("y", Normal, { plate: rows }), w: ww, x: m3.input("x", { plate: rows, size: 3 }), precision: 1 });
  expectError(t, () => m3.build(), "INVALID_MODEL", /edge 'x' must hold D = 2 covariates matching w \(2 values per row\), got 3/);
});

test("an observed variable without data", (t) => {
  expectError(t, () => cavi(normalModel(), { data: {} }), "INVALID_DATA", /Observed variable 'y' has no data; pass it as data: \{ y: \.\.\. \}/);
});

test("a variable declared or observed twice, and data for a random variable", (t) => {
  const m = new ModelBuilder();
  m.observed("y", Normal);
  expectError(t, () => m.observed("y", Normal), "DUPLICATE_NAME", /'y' is already declared \(observed variable\)/);
  expectError(t, () => m.random("y", Normal), "DUPLICATE_NAME", /'y' is already declared/);
  expectError(t, () => cavi(normalModel(), { data: { y: [1], mu: [2] } }), "INVALID_DATA", /Data given for 'mu', which is random\. Declare it with model\.observed\(\)/);
});

test("plate and data shape mismatches", (t) => {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const w = m.random("w", MvNormal(2));
  m.factor(MvNormalNode, { out: w, mean: [0, 0], precision: [1, 0, 0, 1] });
  m.factor(GaussianLinearNode, { out: m.observed("y", Normal, { plate: rows }), w, x: m.input("x", { plate: rows, size: 2 }), precision: 1 });
  const model = m.build();
  expectError(t, () => cavi(model, { data: { y: [1, 2, 3], x: [[1, 2], [3, 4]] } }), "DIMENSION_MISMATCH", /Data 'x' has 2 rows but plate 'rows' has 3 \(from 'y'\)/);
  expectError(t, () => cavi(model, { data: { y: [1, 2], x: [[1, 2, 3], [3, 4, 5]] } }), "DIMENSION_MISMATCH", /Data 'x': expected 2 values per row, got 3/);
  expectError(t, () => cavi(model, { data: { y: [1, 2], x: [[1, 2], [3]] } }), "DIMENSION_MISMATCH", /Data 'x': row 1 has 1 values, expected 2/);
  const m2 = new ModelBuilder();
  const comps = m2.plate("components", 3);
  const p = m2.random("p", Dirichlet(3));
  m2.factor(DirichletNode, { out: p, alpha: [1, 1, 1] });
  m2.factor(CategoricalNode, { out: m2.observed("c", Categorical(3), { plate: comps }), p });
  expectError(t, () => cavi(m2.build(), { data: { c: [0, 1] } }), "DIMENSION_MISMATCH", /Data 'c' has 2 rows but plate 'components' has 3 \(from its declared size\)/);
});

test("a factor across two plates without an index", (t) => {
  const m = new ModelBuilder();
  const a = m.plate("a"), b = m.plate("b");
  const x = m.random("x", Normal, { plate: a });
  m.factor(NormalNode, { out: x, mean: 0, precision: 1 });
  expectError(t, () => {
    m.factor(NormalNode, { out: m.observed("y", Normal, { plate: b }), mean: x, precision: 1 });
    m.build();
  }, "INVALID_MODEL", /connects variables in different plates \[b, a\]/);
});

test("cycles through deterministic nodes, and deterministics of random variables", (t) => {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 1 });
  m.deterministic("f1", { plate: rows, size: 1, from: ["f2"], compute: (_i, out) => out.fill(0) });
  m.deterministic("f2", { plate: rows, size: 1, from: ["f1"], compute: (_i, out) => out.fill(0) });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: 1 });
  expectError(t, () => m.build(), "INVALID_MODEL", /Deterministic variables form a cycle: f1 → f2 → f1/);
  const m2 = new ModelBuilder();
  const mu2 = m2.random("mu", Normal);
  m2.factor(NormalNode, { out: mu2, mean: 0, precision: 1 });
  m2.deterministic("g", { size: 1, from: ["mu"], compute: (_i, out) => out.fill(0) });
  expectError(t, () => m2.build(), "INVALID_MODEL", /Deterministic 'g' depends on 'mu' \(random Normal\), which is random/);
});

test("deterministic features are computed from data when it is bound", (t) => {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const w = m.random("w", MvNormal(2));
  m.factor(MvNormalNode, { out: w, mean: [0, 0], precision: [1e-6, 0, 0, 1e-6] });
  m.input("t", { plate: rows });
  const x = m.deterministic("features", {
    plate: rows, size: 2, from: ["t"],
    compute: ([tv], out, n) => { for (let i = 0; i < n; i++) { out[2 * i] = 1; out[2 * i + 1] = tv![i]!; } },
  });
  m.factor(GaussianLinearNode, { out: m.observed("y", Normal, { plate: rows }), w, x, precision: 100 });
  const tv = [0, 1, 2, 3, 4], y = tv.map((v) => 2 + 3 * v);
  const r = cavi(m.build(), { data: { t: tv, y } });
  const mean = r.posteriors.w!.mean();
  t.true(Math.abs(mean[0]! - 2) < 1e-6 && Math.abs(mean[1]! - 3) < 1e-6);
});

test("NaN, infinite or out-of-support data names the variable and the row", (t) => {
  expectError(t, () => cavi(normalModel(), { data: { y: [1, 2, NaN, 4] } }), "INVALID_DATA", /Data 'y': row 2 is NaN; data must be finite numbers/);
  expectError(t, () => cavi(normalModel(), { data: { y: [1, Infinity] } }), "INVALID_DATA", /Data 'y': row 1 is Infinity/);
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const p = m.random("p", Dirichlet(3));
  m.factor(DirichletNode, { out: p, alpha: [1, 1, 1] });
  m.factor(CategoricalNode, { out: m.observed("c", Categorical(3), { plate: rows }), p });
  expectError(t, () => cavi(m.build(), { data: { c: [0, 2, 3] } }), "INVALID_DATA", /Data 'c': row 2 is 3, expected a category index in 0\.\.2/);
});

test("constants outside their family's support and a Bernoulli outcome of 2", (t) => {
  const m = new ModelBuilder();
  const mu = m.random("mu", Normal);
  expectError(t, () => m.factor(NormalNode, { out: mu, mean: 0, precision: -1 }), "INVALID_DATA",
    /Constant 'Normal_0\.precision' \(factor 'Normal_0', edge 'precision'\) is outside the support of Gamma: row 0 is -1, expected a positive number/);
  const m2 = new ModelBuilder();
  const rows = m2.plate("rows");
  const p = m2.random("p", Beta);
  m2.factor(BetaNode, { out: p, a: 1, b: 1 });
  m2.factor(BernoulliNode, { out: m2.observed("x", Bernoulli, { plate: rows }), p });
  expectError(t, () => cavi(m2.build(), { data: { x: [0, 1, 2] } }), "INVALID_DATA", /Data 'x': row 2 is 2, expected 0 or 1/);
});

test("an improper update names the variable and the factors that sent messages", (t) => {
  // A node whose message to its output has a positive η₂ (negative precision): the update is
  // improper and must be reported, not silently written into q.
  const bad: NodeType = {
    name: "BadPrior",
    edges: [{ name: "out", family: "Normal" }],
    messages: { out: (_ctx, out) => { out[1] += 1; } },
    logFactor: () => 0,
  };
  const m = new ModelBuilder();
  const mu = m.random("mu", Normal);
  m.factor(bad, { out: mu }, { name: "prior" });
  const err = t.throws(() => cavi(m.build(), { data: {} }), { instanceOf: VireoError });
  t.is(err?.code, "NUMERICAL_FAILURE");
  t.regex(err?.message ?? "", /Update of 'mu' gave an improper Normal.*Messages came from 'prior' \(BadPrior, edge 'out'\)/);
});

test("an ELBO decrease is reported with the update and the nodes that caused it", (t) => {
  // Normal node whose message to the precision is off by a factor: its updates no longer
  // maximise the ELBO, so some sweep lowers it.
  const skewed: NodeType = {
    ...NormalNode,
    name: "SkewedNormal",
    messages: {
      ...NormalNode.messages,
      precision(ctx, out) {
        const tmp = new Float64Array(out.length);
        NormalNode.messages.precision!(ctx, tmp);
        for (let i = 0; i < out.length; i += 2) {
          out[i] += 3 * tmp[i]!;
          out[i + 1] += 0.3 * tmp[i + 1]!;
        }
      },
    },
  };
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal), tau = m.random("tau", Gamma);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 }, { name: "mu_prior" });
  m.factor(GammaNode, { out: tau, shape: 1, rate: 1 }, { name: "tau_prior" });
  m.factor(skewed, { out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: tau }, { name: "likelihood" });
  const y = Array.from({ length: 50 }, (_, i) => Math.sin(i) * 3 + 1);
  const r = cavi(m.build(), { data: { y }, maxIterations: 50 });
  t.true(r.diagnostics.length > 0);
  const d = r.diagnostics[0]!;
  t.is(d.variable, "tau");
  t.deepEqual([...d.factors].sort(), ["likelihood", "tau_prior"]);
  t.regex(d.message, /the update of 'tau' lowered the ELBO by .*\[tau_prior, likelihood\]/);
});

test("bad options", (t) => {
  expectError(t, () => cavi(normalModel(), { data: { y: [1] }, restarts: 0 }), "INVALID_OPTION", /option 'restarts' must be a positive integer/);
  expectError(t, () => cavi(normalModel(), { data: { y: [1] }, schedule: ["tau"] }), "INVALID_OPTION", /schedule: 'tau' is not a random variable; random variables are \[mu\]/);
  expectError(t, () => cavi(normalModel(), { data: { y: [1] }, init: { mu: Float64Array.of(0, 1) } }), "INVALID_PARAMETER", /init\.mu\[0\]: Normal η₂/);
});

test("a random variable on an edge without a message rule gets a ready-to-fill stub", (t) => {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const rate = m.random("rate", Gamma);
  m.factor(GammaNode, { out: rate, shape: 1, rate: 1 });
  const counts = m.random("counts", Poisson, { plate: rows });
  m.factor(PoissonNode, { out: counts, rate }, { name: "likelihood" });
  const err = t.throws(() => m.build(), { instanceOf: VireoError });
  t.is(err?.code, "MISSING_RULE");
  t.regex(err!.message, /'counts' is random, but Poisson has no message rule for edge 'out' \(the edge takes observed or constant values only\)/);
  t.regex(err!.message, /Possible fix, define:\n  messages: \{\n    \.\.\.PoissonNode\.messages,\n    out\(ctx: NodeContext, out: Float64Array\): void \{/);
  t.regex(err!.message, /Rules that exist for Poisson: \[rate\]/);
});
