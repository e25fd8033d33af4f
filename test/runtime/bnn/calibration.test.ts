/** Calibration tables against hand-counted answers on small inputs. */
import test from "ava";
import { intervalCoverage, reliabilityTable } from "@vireo/runtime";

test("intervalCoverage counts responses inside each level's bounds (ends included) and reports the binomial scatter", (t) => {
  const y = [0, 1, 2, 3];
  const rows = intervalCoverage((level) => (level === 0.5 ? { lower: [0, 1.5, 1, 4], upper: [1, 2, 2, 5] } : { lower: [-1, 0, 0, 0], upper: [1, 2, 3, 3] }), y, [0.5, 0.9]);
  t.deepEqual(rows.map((r) => [r.level, r.covered, r.coverage]), [[0.5, 2, 0.5], [0.9, 4, 1]]);
  t.is(rows[0]!.standardError, Math.sqrt(0.25 / 4));
  t.is(rows[0]!.meanWidth, (1 + 0.5 + 1 + 1) / 4);
});

test("reliabilityTable bins probabilities, gives frequencies, ECE, Brier and accuracy", (t) => {
  const p = [0.05, 0.1, 0.45, 0.55, 0.9, 1], y = [0, 1, 0, 1, 1, 1];
  const r = reliabilityTable(p, y, 2);
  t.deepEqual(r.bins.map((b) => b.rows), [3, 3]);
  t.true(Math.abs(r.bins[0]!.confidence - 0.2) < 1e-12);
  t.true(Math.abs(r.bins[0]!.frequency - 1 / 3) < 1e-12);
  t.true(Math.abs(r.bins[1]!.confidence - 2.45 / 3) < 1e-12);
  t.is(r.bins[1]!.frequency, 1);
  const ece = 0.5 * Math.abs(1 / 3 - 0.2) + 0.5 * Math.abs(1 - 2.45 / 3);
  t.true(Math.abs(r.ece - ece) < 1e-12);
  const brier = p.reduce((a, pn, n) => a + (pn - y[n]!) ** 2, 0) / 6;
  t.true(Math.abs(r.brier - brier) < 1e-12);
  t.is(r.accuracy, 5 / 6);
  // p = 1 falls in the last bin; an empty bin has NaN confidence and frequency.
  const sparse = reliabilityTable([1], [1], 4);
  t.deepEqual(sparse.bins.map((b) => b.rows), [0, 0, 0, 1]);
  t.true(Number.isNaN(sparse.bins[0]!.confidence));
});
