/**
 * The streaming filter's learnt full observation-noise precision (Wishart): with a correlated true
 * R, E[Λ] after 5,000 steps is within 10% of R⁻¹ entry by entry (relative to its largest entry),
 * the degrees of freedom count exactly one residual per observation that left the smoothing window,
 * and E[Λ] stays symmetric.
 */
import test from "ava";
import { from, lastValueFrom } from "rxjs";
import { spdInverseDense } from "@vireo/core";
import { kalmanFilter } from "@vireo/runtime";
import { cvSpec, simulateCv } from "./models.js";

const rows = (y: Float64Array) => Array.from({ length: y.length / 2 }, (_, s) => [y[2 * s]!, y[2 * s + 1]!]);

test("a full (Wishart) observation-noise precision is learnt online within 10% of the true R⁻¹", async (t) => {
  const R = [0.2, 0.12, 0.12, 0.3], truth = spdInverseDense(Float64Array.from(R), 2, "R");
  const { y } = simulateCv(31, 5000, 0.05, R);
  const last = await lastValueFrom(from(rows(y)).pipe(kalmanFilter(cvSpec(0.05, { wishart: { df: 3, scale: [1, 0, 0, 1] } }), { lag: 2 })));
  const q = last.observationPrecision!;
  t.is(q.kind, "Wishart");
  if (q.kind !== "Wishart") return;
  t.is(q.df, 3 + 5000 - 2, "one residual per observation that has left the smoothing window");
  const scale = Math.max(...Array.from(truth, Math.abs));
  for (let i = 0; i < 4; i++) {
    t.true(Math.abs(q.mean[i]! - truth[i]!) / scale < 0.1, `E[Λ][${i}] = ${q.mean[i]}, true ${truth[i]}`);
  }
  t.true(Math.abs(q.mean[1]! - q.mean[2]!) < 1e-12 * scale, "E[Λ] is symmetric");
});
