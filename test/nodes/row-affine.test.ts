/** The rowAffine claim (a mixture's fused pass relies on it) is checked by verifyNode, and a wrong one is caught. */
import test from "ava";
import { Normal, Gamma, MvNormal, Wishart, NormalWishart, Generator, sampleStandardNormal } from "@vireo/core";
import { NormalNode, MvNormalNode, MvNormalJointNode, verifyNode, assertNodeVerified, type NodeType, type VerifyPoint } from "@vireo/nodes";

const rng = new Generator(17);
const N = 5, d = 2;
const rows = Float64Array.from({ length: N * d }, () => sampleStandardNormal(rng));
const eye = Float64Array.of(1, 0, 0, 1);
const mvnPoint: VerifyPoint = {
  rows: N,
  edges: {
    out: { family: MvNormal(d), values: rows, count: N },
    mean: { family: MvNormal(d), eta: MvNormal(d).toNatural({ mean: Float64Array.of(0.3, -1), covariance: Float64Array.of(2, 0.4, 0.4, 1) }) },
    precision: { family: Wishart(d), eta: Wishart(d).toNatural({ df: 5, scale: Float64Array.of(0.5, 0.1, 0.1, 0.8) }) },
  },
};

test("Normal: rowAffine holds row by row (observed and random per-row out)", (t) => {
  for (const out of [{ family: Normal, values: rows.subarray(0, N), count: N }, { family: Normal, eta: Float64Array.from({ length: 2 * N }, (_, i) => (i % 2 === 0 ? 0.3 * i : -0.5 - 0.1 * i)), count: N }]) {
    const report = verifyNode(NormalNode, {
      rows: N,
      edges: { out, mean: { family: Normal, eta: Normal.toNatural({ mean: 0.4, variance: 2 }) }, precision: { family: Gamma, eta: Gamma.toNatural({ shape: 3, rate: 2 }) } },
    });
    const claim = report.claims.find((c) => c.claim === "rowAffine");
    t.truthy(claim);
    t.true(claim!.passed, claim!.detail);
    t.true(report.passed);
  }
});

test("MvNormal and MvNormalJoint: rowAffine holds row by row", (t) => {
  const report = verifyNode(MvNormalNode, mvnPoint);
  const claim = report.claims.find((c) => c.claim === "rowAffine");
  t.truthy(claim, "the claim was checked");
  t.true(claim!.passed, claim!.detail);
  t.true(claim!.error < 1e-12, `${claim!.error}`);
  const joint = verifyNode(MvNormalJointNode, {
    rows: N,
    edges: {
      out: { family: MvNormal(d), values: rows, count: N },
      meanPrecision: { family: NormalWishart(d), eta: NormalWishart(d).toNatural({ mean: Float64Array.of(1, 2), precisionScale: 0.5, df: 4, scale: eye }) },
    },
  });
  const jc = joint.claims.find((c) => c.claim === "rowAffine");
  t.truthy(jc);
  t.true(jc!.passed, jc!.detail);
});

test("a wrong rowAffine (the constant off by 0.1) fails verification and names the claim", (t) => {
  const ra = MvNormalNode.rowAffine!;
  const wrong: NodeType = { ...MvNormalNode, name: "MvNormalWrongAffine", rowAffine: { edge: "out", coefficients: (ctx, a) => ra.coefficients(ctx, a) + 0.1 } };
  const claim = verifyNode(wrong, mvnPoint).claims.find((c) => c.claim === "rowAffine")!;
  t.false(claim.passed);
  const err = t.throws(() => assertNodeVerified(wrong, mvnPoint));
  t.regex(err!.message, /rowAffine on edge 'out'/);
});

test("rowAffine is not checked where the layout does not allow it (out broadcast)", (t) => {
  const report = verifyNode(MvNormalNode, { rows: 1, edges: { ...mvnPoint.edges, out: { family: MvNormal(d), values: rows.subarray(0, d), count: 1 } } });
  t.is(report.claims.filter((c) => c.claim === "rowAffine").length, 0);
});
