/**
 * defineNode with typed edges: the declaration's edge names type every other part, so a typo is a
 * compile error (the @ts-expect-error lines below fail the type-check if it ever stops being one),
 * and the definition is validated and frozen at load.
 */
import test from "ava";
import { Normal, Gamma, VireoError } from "@vireo/core";
import { defineNode, NormalNode, GammaNode, type TypedNodeContext } from "@vireo/nodes";

const edges = {
  out: { family: Normal, doc: "x" },
  mean: { family: Normal, doc: "μ" },
  precision: { family: Gamma, doc: "τ" },
} as const;

test("typos in edge names are compile errors", (t) => {
  const ok = defineNode({
    name: "TypedOk",
    edges,
    messages(ctx, edge, out) {
      if (edge === "precision") out[0] += ctx.edges.precision.stats.length;
    },
    rowTerm: (ctx) => (n) => ctx.edges.mean.stats[n] ?? 0,
    linearEdges: ["out"],
  });
  t.deepEqual(ok.edgeNames, ["out", "mean", "precision"]);
  t.deepEqual(ok.edges.map((e) => e.family), ["Normal", "Normal", "Gamma"]);
  t.is(ok.edges[0]!.families![0], Normal);

  const typoInContext = (ctx: TypedNodeContext<"out" | "mean" | "precision">) =>
    // @ts-expect-error 'maen' is not an edge
    ctx.edges.maen;
  void typoInContext;
  // (defineNode is overloaded, so the compiler reports these typos at the call.)
  const typoInLinearEdges = () =>
    // @ts-expect-error 'oot' is not an edge
    defineNode({ name: "TypoLinear", edges, messages: { out() {}, mean() {}, precision() {} }, logFactor: () => 0, linearEdges: ["oot"] });
  t.throws(typoInLinearEdges, { instanceOf: VireoError, message: /linearEdges has rules for \[oot\], which are not edges/ });
  const typoInRules = () =>
    // @ts-expect-error 'maen' is not an edge
    defineNode({ name: "TypoRule", edges, messages: { out() {}, maen() {}, precision() {} }, logFactor: () => 0 });
  t.throws(typoInRules, { instanceOf: VireoError, message: /no message rule for edge \[mean\]/ });
});

test("built-in nodes are defined through defineNode: frozen, with their families on the edges", (t) => {
  for (const node of [NormalNode, GammaNode]) {
    t.true(Object.isFrozen(node) && Object.isFrozen(node.messages) && Object.isFrozen(node.edges), node.name);
    for (const e of node.edges) if (e.family !== "input") t.true((e.families?.length ?? 0) > 0, `${node.name}.${e.name}`);
  }
  t.deepEqual(NormalNode.edgeNames, ["out", "mean", "precision"]);
});

test("a declaration needs an energy, and not two", (t) => {
  t.throws(() => defineNode({ name: "NoEnergy", edges, messages: { out() {}, mean() {}, precision() {} } }), { instanceOf: VireoError, message: /logFactor\(ctx\) is missing/ });
  t.throws(() => defineNode({ name: "TwoEnergies", edges, messages: { out() {}, mean() {}, precision() {} }, logFactor: () => 0, rowTerm: () => () => 0 }), { instanceOf: VireoError, message: /give rowTerm or logFactor, not both/ });
});
