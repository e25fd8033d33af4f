/**
 * Values on known edges are validated once, when data is bound (NodeType.checkData), not inside
 * the nodes' row loops: the error comes from compile()/rebind() and names node, edge and row.
 */
import test from "ava";
import { Beta, Normal, Gamma, VireoError } from "@vireo/core";
import { GammaNode, BinomialNode, BetaNode, NormalNode, StudentTNode } from "@vireo/nodes";
import { ModelBuilder, compile, bindData } from "@vireo/runtime";

function errorOf(t: import("ava").ExecutionContext, f: () => unknown): VireoError {
  return t.throws(f, { instanceOf: VireoError }) as VireoError;
}

test("a non-positive Gamma shape given as data is reported at binding, with its row", (t) => {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const rate = m.random("rate", Gamma);
  m.factor(GammaNode, { out: rate, shape: 1, rate: 1 });
  m.factor(GammaNode, { out: m.observed("x", Gamma, { plate: rows }), shape: m.input("a", { plate: rows }), rate }, { name: "lik" });
  const model = m.build();
  const e = errorOf(t, () => compile(model, bindData(model, { x: [1, 2, 3], a: [2, 0, 1] })));
  t.is(e.code, "INVALID_PARAMETER");
  t.is(e.message, "Node 'lik' (Gamma): shape at row 1 is 0, expected a finite number > 0.");
  t.deepEqual(e.context, { node: "lik", edge: "shape", row: 1 });
});

test("Binomial counts above the trials, and a Student-t scale ≤ 0, are reported at binding", (t) => {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const p = m.random("p", Beta);
  m.factor(BetaNode, { out: p, a: 1, b: 1 });
  m.factor(BinomialNode, { out: m.input("k", { plate: rows }), trials: m.input("n", { plate: rows }), p }, { name: "lik" });
  const model = m.build();
  const e = errorOf(t, () => compile(model, bindData(model, { k: [1, 5], n: [3, 4] })));
  t.is(e.code, "INVALID_DATA");
  t.regex(e.message, /Node 'lik' \(Binomial\), row 1: expected integer counts 0 ≤ out ≤ trials, got out = 5, trials = 4/);

  const s = new ModelBuilder();
  const mu = s.random("mu", Normal);
  s.factor(NormalNode, { out: mu, mean: 0, precision: 1 });
  s.factor(StudentTNode, { out: s.observed("y", Normal, { plate: s.plate("rows") }), mean: mu, df: 3, scale: s.input("s", { plate: "rows" }) }, { name: "t" });
  const sm = s.build();
  const e2 = errorOf(t, () => compile(sm, bindData(sm, { y: [1, 2], s: [1, -2] })));
  t.is(e2.code, "INVALID_DATA");
  t.regex(e2.message, /Node 't' \(StudentT\): 'scale' must be a finite number > 0, got -2 at row 1/);
});
