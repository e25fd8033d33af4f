/**
 * k̂ in SVI snapshots: y_n ~ N(θ, Λ⁻¹) with a strongly correlated Λ (ρ = 0.95), θ ~ N(0, I), θ
 * fitted by gradients. The posterior is Gaussian with correlation ≈ ρ: a full-rank q can match it
 * (k̂ small), the reverse-KL mean-field q is under-dispersed along the ridge and PSIS flags it
 * (k̂ > 0.7). The check runs at step 1 and every `every` steps, and each snapshot carries the latest.
 * The target is the batch's N/|B|-scaled one, so the batches here hold every row (the scaled batch
 * target is then the posterior itself; with small batches it is a narrower, shifted posterior).
 */
import test from "ava";
import { from, lastValueFrom, toArray } from "rxjs";
import { MvNormal, Generator, sampleStandardNormal, adam, exponentialDecay, fullRankGaussian, meanFieldGaussian, type VariationalChoice } from "@vireo/core";
import { MvNormalNode } from "@vireo/nodes";
import { ModelBuilder, svi } from "@vireo/runtime";

const rho = 0.95, N = 40, B = 40;
const c = 1 / (1 - rho * rho), precision = new Float64Array([c, -rho * c, -rho * c, c]);

function model(q: VariationalChoice) {
  const m = new ModelBuilder();
  const theta = m.random("theta", MvNormal(2), { q });
  m.factor(MvNormalNode, { out: theta, mean: new Float64Array(2), precision: new Float64Array([1, 0, 0, 1]) });
  m.factor(MvNormalNode, { out: m.observed("y", MvNormal(2), { plate: m.plate("rows") }), mean: theta, precision });
  return m.build();
}

function batches(epochs: number) {
  const rng = new Generator(5), y = new Float64Array(2 * N);
  for (let n = 0; n < N; n++) {
    const a = sampleStandardNormal(rng), b = sampleStandardNormal(rng);
    y[2 * n] = 1 + a;
    y[2 * n + 1] = -0.5 + rho * a + Math.sqrt(1 - rho * rho) * b;
  }
  const out: { y: Float64Array }[] = [];
  for (let e = 0; e < epochs; e++) for (let s = 0; s < N; s += B) out.push({ y: y.subarray(2 * s, 2 * (s + B)) });
  return out;
}

async function run(q: VariationalChoice) {
  const stream = batches(400);
  return lastValueFrom(from(stream).pipe(svi(model(q), {
    totalRows: N, psis: { every: 100, draws: 1000 }, summaries: "none",
    gradient: { samples: 8, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.05, stream.length) },
  }), toArray()));
}

test("svi snapshots carry k̂: a full-rank q of a Gaussian posterior is trusted, the mean-field q is flagged", async (t) => {
  const full = await run(fullRankGaussian({ sd: 0.05 })), mf = await run(meanFieldGaussian({ sd: 0.05 }));
  t.is(full.length, 400);
  t.is(full[0]!.psis!.step, 1);
  t.is(full[150]!.psis!.step, 100);
  t.is(full[399]!.psis!.step, 400);
  const last = full[399]!.psis!, flagged = mf[399]!.psis!;
  t.log(`full-rank k̂ ${last.khat}; mean-field k̂ ${flagged.khat}: ${flagged.warning}`);
  t.true(last.reliable, `full-rank k̂ ${last.khat} ≤ ${last.threshold}`);
  t.true(!flagged.reliable && flagged.khat > 0.7, `mean-field k̂ ${flagged.khat}`);
  t.regex(flagged.warning ?? "", /k̂ = .* at step 400: q of 'theta' is too far/);
  t.true(Object.isFrozen(mf[399]!.psis), "snapshots stay immutable");
});
