/**
 * A plugin family is a first-class citizen: the LogNormal family and node of ./lognormal (written
 * from docs/writing-a-node.md, against the public API only) verify, take inline constants, report
 * bad data and bad constants with the same code and row as a built-in family, fit exactly like
 * the equivalent Normal model on log y, and survive a checkpoint round trip through a registry.
 * A node that wrongly declares an edge linear is rejected by verifyNode.
 */
import test from "ava";
import { Normal, Gamma, Generator, sampleStandardNormal, sampleGamma, VireoError } from "@vireo/core";
import { NormalNode, GammaNode, verifyNode, assertNodeVerified, type VerifyEdge, type VerifyPoint } from "@vireo/nodes";
import {
  ModelBuilder, cavi, createRegistry, compile, bindData, initialise, CaviEngine, encodeCheckpoint, decodeCheckpoint,
  caviCheckpoint, resumeCavi, modelToData, type Model,
} from "@vireo/runtime";
import { LogNormal } from "./lognormal/family.js";
import { LogNormalNode, WrongLinearLogNormalNode, logNormalPack } from "./lognormal/node.js";

const rng = new Generator(2024);
const N = 6;

function edge(family: typeof Normal | typeof Gamma | typeof LogNormal, count: number): VerifyEdge {
  const eta = new Float64Array(2 * count);
  for (let i = 0; i < count; i++) {
    eta.set(family === Gamma
      ? Gamma.toNatural({ shape: 1 + sampleGamma(rng, 3), rate: 0.5 + sampleGamma(rng, 2) })
      : Normal.toNatural({ mean: sampleStandardNormal(rng), variance: 0.2 + sampleGamma(rng, 2) }), 2 * i);
  }
  return { family, count, eta, ...(count > 1 ? { layout: "row" as const } : {}) };
}

const points = (): [string, VerifyPoint][] => [
  ["every edge random", { rows: N, edges: { out: edge(LogNormal, N), mean: edge(Normal, 1), precision: edge(Gamma, 1) } }],
  ["observed data, row weights", {
    rows: N,
    edges: { out: { family: LogNormal, count: N, values: Float64Array.from({ length: N }, () => Math.exp(sampleStandardNormal(rng))), layout: "row" }, mean: edge(Normal, 1), precision: edge(Gamma, 1) },
    weights: Float64Array.from({ length: N }, () => 0.5 + sampleGamma(rng, 1)),
  }],
];

test("the plugin LogNormal node passes every verifyNode check", (t) => {
  for (const [title, point] of points()) {
    const report = assertNodeVerified(LogNormalNode, point);
    t.true(report.passed, title);
    t.true(report.edges.length > 0 && report.claims.some((c) => c.claim === "rowLogFactor"), title);
  }
});

test("a node that wrongly declares an edge linear fails verifyNode, loudly", (t) => {
  for (const [title, point] of points()) {
    const report = verifyNode(WrongLinearLogNormalNode, point);
    t.false(report.passed, title);
    // Its messages are right: only the linearEdges claim is wrong.
    t.true(report.edges.every((e) => e.passed), title);
    const bad = report.claims.filter((c) => !c.passed);
    t.deepEqual(bad.map((c) => [c.claim, c.edge]), [["linearEdges", "out"]], title);
    t.true(bad[0]!.error > 1e-3, `${title}: leftover ${bad[0]!.detail}`);
    const e = t.throws(() => assertNodeVerified(WrongLinearLogNormalNode, point), { instanceOf: VireoError });
    t.is((e as VireoError).code, "INVALID_NODE");
    t.regex(e!.message, /edge 'out' is declared in linearEdges, but E_q\[log f\] is not ⟨message, E\[T\]⟩ with nothing left over/);
  }
});

test("the wrong claim is what makes the collapsed ELBO wrong: the correct node's ELBO is exact", (t) => {
  // One LogNormal latent x with prior LogNormal(μ = 0.3, τ = 2) and nothing else: q(x) is the
  // prior, so the exact ELBO is 0 (log evidence of an empty data set). The wrong claim lets the
  // engine take E[log f] + H[q] from the log-partition and report something else.
  const elboOf = (node: typeof LogNormalNode) => {
    const m = new ModelBuilder();
    m.factor(node, { out: m.random("x", LogNormal), mean: 0.3, precision: 2 });
    const r = cavi(m.build(), { data: {} });
    return r.elbo[r.elbo.length - 1]!;
  };
  t.true(Math.abs(elboOf(LogNormalNode)) < 1e-12, `ELBO ${elboOf(LogNormalNode)}`);
  t.log(`the wrong claim gives ELBO ${elboOf(WrongLinearLogNormalNode)} where the exact value is 0`);
  t.true(Math.abs(elboOf(WrongLinearLogNormalNode)) > 0.1);
});

/** y_n ~ LogNormal(μ, τ) with priors written as inline constants; and the Normal model on log y. */
function models(): { logNormal: Model; normal: Model } {
  const build = (family: typeof LogNormal | typeof Normal, node: typeof LogNormalNode | typeof NormalNode) => {
    const m = new ModelBuilder();
    const rows = m.plate("rows");
    const mu = m.random("mu", Normal), tau = m.random("tau", Gamma);
    m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
    m.factor(GammaNode, { out: tau, shape: 2, rate: 1 });
    m.factor(node, { out: m.observed("y", family, { plate: rows }), mean: mu, precision: tau }, { name: "lik" });
    return m.build();
  };
  return { logNormal: build(LogNormal, LogNormalNode), normal: build(Normal, NormalNode) };
}

const data = Array.from({ length: 30 }, () => Math.exp(0.8 + 0.5 * sampleStandardNormal(rng)));

test("a plugin-family model fits exactly like the built-in Normal model on log y", (t) => {
  const { logNormal, normal } = models();
  const a = cavi(logNormal, { data: { y: data }, maxIterations: 300, tolerance: 1e-12 });
  const b = cavi(normal, { data: { y: data.map(Math.log) }, maxIterations: 300, tolerance: 1e-12 });
  for (const v of ["mu", "tau"]) {
    const pa = a.posteriors[v]!.natural, pb = b.posteriors[v]!.natural;
    for (let i = 0; i < pa.length; i++) t.true(Math.abs(pa[i]! - pb[i]!) <= 1e-9 * Math.max(1, Math.abs(pb[i]!)), `${v}[${i}]: ${pa[i]} vs ${pb[i]}`);
  }
  // log p_LogNormal(y) = log p_Normal(log y) − log y: the ELBOs differ by Σ log y exactly.
  const shift = data.reduce((s, y) => s + Math.log(y), 0);
  const ea = a.elbo[a.elbo.length - 1]!, eb = b.elbo[b.elbo.length - 1]!;
  t.true(Math.abs(ea - (eb - shift)) <= 1e-9 * Math.abs(eb), `ELBO ${ea} vs ${eb - shift}`);
});

/** Runs `f`, returning the VireoError it throws. */
function errorOf(t: import("ava").ExecutionContext, f: () => unknown): VireoError {
  const e = t.throws(f, { instanceOf: VireoError });
  return e as VireoError;
}

test("bad data gets the same error from a plugin family as from a built-in one", (t) => {
  const bad = [1.5, 2, -1, 3];
  const plugin = errorOf(t, () => cavi(models().logNormal, { data: { y: bad } }));
  const m = new ModelBuilder();
  const tau = m.random("tau", Gamma);
  m.factor(GammaNode, { out: tau, shape: 2, rate: 1 });
  m.factor(GammaNode, { out: m.observed("y", Gamma, { plate: m.plate("rows") }), shape: 2, rate: tau });
  const builtin = errorOf(t, () => cavi(m.build(), { data: { y: bad } }));
  t.is(plugin.code, "INVALID_DATA");
  t.is(plugin.code, builtin.code);
  t.deepEqual(plugin.context, builtin.context);
  t.is(plugin.message, "Data 'y': row 2 is -1, expected a positive number.");
  t.is(plugin.message, builtin.message);
});

test("inline constants: a plugin family's constant is built, and a bad one is named like a built-in's", (t) => {
  // A LogNormal constant written inline on the node's own edge.
  const m = new ModelBuilder();
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 1 });
  m.factor(LogNormalNode, { out: Math.E, mean: mu, precision: 1 }, { name: "obs" });
  const model = m.build();
  t.is(model.variables["obs.out"]!.family, LogNormal);
  // log x = 1 with unit precision and a N(0, 1) prior: posterior N(½, ½).
  const p = cavi(model, { data: {} }).posteriors.mu!.params() as { mean: number; variance: number };
  t.true(Math.abs(p.mean - 0.5) < 1e-12 && Math.abs(p.variance - 0.5) < 1e-12);

  // Refused where it is written (the factor call), through the family's own support check.
  const badPlugin = new ModelBuilder();
  const mu2 = badPlugin.random("mu", Normal);
  const plugin = errorOf(t, () => badPlugin.factor(LogNormalNode, { out: -1, mean: mu2, precision: 1 }, { name: "obs" }));
  const badBuiltin = new ModelBuilder();
  const rate = badBuiltin.random("rate", Gamma);
  const builtin = errorOf(t, () => badBuiltin.factor(GammaNode, { out: -1, shape: 2, rate }, { name: "obs" }));
  t.is(plugin.code, "INVALID_DATA");
  t.is(plugin.code, builtin.code);
  t.is(plugin.message, "Constant 'obs.out' (factor 'obs', edge 'out') is outside the support of LogNormal: row 0 is -1, expected a positive number.");
  t.is(builtin.message, "Constant 'obs.out' (factor 'obs', edge 'out') is outside the support of Gamma: row 0 is -1, expected a positive number.");
  t.deepEqual(plugin.context, builtin.context);
});

test("a plugin-family model goes through a checkpoint and resumes bit-identically", (t) => {
  const registry = createRegistry(logNormalPack);
  const m = new ModelBuilder({ registry });
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal), tau = m.random("tau", Gamma);
  m.factor("Normal", { out: mu, mean: 0, precision: 0.01 });
  m.factor("Gamma", { out: tau, shape: 2, rate: 1 });
  m.factor("LogNormal", { out: m.observed("y", registry.family("LogNormal"), { plate: rows }), mean: mu, precision: tau });
  const model = m.build();
  const state = compile(model, bindData(model, { y: data }));
  initialise(state, new Generator(1));
  const reference = new CaviEngine(state);
  const trace = [reference.sweep(), reference.sweep()];
  const bytes = encodeCheckpoint(caviCheckpoint(reference, { sweeps: 2, elbo: trace }));
  const after = [reference.sweep(), reference.sweep(), reference.sweep()];

  const decoded = decodeCheckpoint(bytes, createRegistry(logNormalPack));
  t.deepEqual(modelToData(decoded.model), modelToData(model));
  t.is(decoded.model.variables.y!.family, LogNormal);
  const { engine } = resumeCavi(decoded, { y: data });
  const resumed = [engine.sweep(), engine.sweep(), engine.sweep()];
  t.deepEqual(resumed, after);
  t.deepEqual(engine.state.random.map((v) => Array.from(v.eta)), reference.state.random.map((v) => Array.from(v.eta)));
  // And the decoded model still checks its data through the plugin family.
  t.is(errorOf(t, () => resumeCavi(decoded, { y: [1, -2] })).message, "Data 'y': row 1 is -2, expected a positive number.");
});
