/**
 * SviOptions.globalStart "random" (runtime/src/svi): LDA's topics start at α ~ Gamma(100, 1/100)
 * per entry, drawn from the engine's seeded generator, and the first step fits the locals to the
 * batch under those topics before the global step (no random start per row). Checked exactly:
 * the start against the same draws made by hand, and the first step against
 * λ₁ = (1 − ρ₁) λ₀ + ρ₁ (η_prior + N/|B| Σ_n c_n E[z_n] ⊗ e_word(n)) with E[z] from fitLocals under λ₀.
 */
import test from "ava";
import { Generator, sampleGamma, VireoError } from "@vireo/core";
import { SviEngine } from "@vireo/runtime";
import { ldaModel } from "../../examples/src/lda/model.js";
import { randomCorpus } from "./lda-corpus.js";

const K = 3, V = 8, N = 40, PRIOR = 0.2;

const batch = (docs: number, seed: number) => randomCorpus(docs, V, 3, seed);

const engine = (extra: object = {}) => new SviEngine(ldaModel(K, V, { alpha: 0.5, eta: PRIOR }), { plate: "docs", totalRows: N, tau: 1, kappa: 0.7, seed: 5, elboEvery: 0, globalStart: "random", ...extra });

test("globalStart 'random': the topics start at Gamma(100, 1/100) draws from the engine's generator, and the first step fits the locals under them", (t) => {
  const data = batch(10, 2);
  // The start: the same draws by hand (the locals start from their priors and draw nothing).
  const started = engine();
  started.runner.prepareBatch(data);
  const lambda0 = started.posteriors().beta!.natural;
  const rng = new Generator(5);
  for (let i = 0; i < K * V; i++) t.is(lambda0[i], sampleGamma(rng, 100, 100) - 1, `entry ${i}`);
  // E[z] of the batch under the starting topics.
  const z = started.runner.fitLocals(data).z!.mean();
  const rho = Math.pow(1 + 1, -0.7), scale = N / 10;
  const expected = new Float64Array(K * V);
  for (let i = 0; i < K * V; i++) expected[i] = (1 - rho) * lambda0[i]! + rho * (PRIOR - 1);
  for (let n = 0; n < data.doc.length; n++) for (let k = 0; k < K; k++) expected[k * V + data.word[n]!] += rho * scale * data.count[n]! * z[n * K + k]!;
  const stepped = engine();
  const report = stepped.step(data);
  t.true(report.localSweeps >= 1, "the first step fitted the locals");
  const lambda1 = stepped.posteriors().beta!.natural;
  let worst = 0;
  for (let i = 0; i < K * V; i++) worst = Math.max(worst, Math.abs(lambda1[i]! - expected[i]!));
  t.true(worst < 1e-9, `largest difference ${worst}`);
});

test("globalStart is validated", (t) => {
  const e = t.throws(() => engine({ globalStart: "sklearn" }), { instanceOf: VireoError });
  t.is(e!.code, "INVALID_OPTION");
  t.regex(e!.message, /globalStart/);
});
