/**
 * LDA trained by SVI on a synthetic corpus drawn from known topics: it recovers them, and its
 * held-out perplexity is within 5% of batch CAVI's.
 */
import test from "ava";
import { Generator, sampleDirichlet, sampleCategorical } from "@vireo/core";
import { SviEngine, cavi, MinibatchRunner } from "@vireo/runtime";
import { ldaModel, selectDocs, rowsByDoc, perplexity, splitHalves, type Corpus } from "../../examples/src/lda/model.js";

const K = 5, V = 60, D = 600, LEN = 80;

/** Draws a corpus: topics β_k ~ Dir(0.05), proportions θ_d ~ Dir(0.3), words aggregated to counts. */
function synthetic(seed: number) {
  const rng = new Generator(seed);
  const topics = Array.from({ length: K }, () => sampleDirichlet(rng, new Float64Array(V).fill(0.05)));
  const doc: number[] = [], word: number[] = [], count: number[] = [];
  for (let d = 0; d < D; d++) {
    const theta = sampleDirichlet(rng, new Float64Array(K).fill(0.3));
    const counts = new Map<number, number>();
    for (let i = 0; i < LEN; i++) {
      const w = sampleCategorical(rng, topics[sampleCategorical(rng, theta)]!);
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    for (const [w, c] of [...counts].sort((a, b) => a[0] - b[0])) {
      doc.push(d);
      word.push(w);
      count.push(c);
    }
  }
  return { topics, rows: { doc, word, count } };
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

/** Mean over true topics of the best cosine similarity with a fitted topic. */
function bestMatch(truth: readonly Float64Array[], fitted: Float64Array): number {
  let s = 0;
  for (const t of truth) {
    let best = -1;
    for (let k = 0; k < K; k++) best = Math.max(best, cosine(t, fitted.subarray(k * V, (k + 1) * V)));
    s += best;
  }
  return s / truth.length;
}

const binding = (c: Corpus) => ({ doc: c.doc, word: c.word, count: c.count });

test("SVI recovers known topics and matches batch CAVI's held-out perplexity", (t) => {
  const { topics, rows } = synthetic(31);
  const byDoc = rowsByDoc(rows.doc, D);
  const trainIds = Array.from({ length: 500 }, (_, i) => i), testIds = Array.from({ length: 100 }, (_, i) => 500 + i);
  const { observed, heldOut } = splitHalves(selectDocs(rows, byDoc, testIds));
  const model = ldaModel(K, V, { alpha: 0.3, eta: 0.05 });

  // SVI: minibatches of 25 documents in a seeded random order, 6 epochs.
  const engine = new SviEngine(model, { plate: "docs", totalRows: trainIds.length, tau: 1, kappa: 0.6, seed: 2, localTolerance: 1e-4 });
  const order = new Generator(8);
  for (let epoch = 0; epoch < 6; epoch++) {
    const ids = trainIds.slice();
    for (let i = ids.length - 1; i > 0; i--) {
      const j = order.integer(i + 1);
      [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    }
    for (let b = 0; b < ids.length; b += 25) engine.step(binding(selectDocs(rows, byDoc, ids.slice(b, b + 25))));
  }
  const sviTopics = engine.posteriors().beta!.mean();
  const sviMatch = bestMatch(topics, sviTopics);
  t.true(sviMatch >= 0.9, `SVI mean best-match cosine ${sviMatch}`);
  const sviPerp = perplexity((c) => ({ theta: engine.runner.fitLocals(binding(c)).theta!.mean() }), sviTopics, K, V, observed, heldOut);

  // Batch CAVI on all training documents.
  const full = cavi(model, { data: binding(selectDocs(rows, byDoc, trainIds)), seed: 2, maxIterations: 200, tolerance: 1e-7 });
  const caviTopics = full.posteriors.beta!.mean();
  t.true(bestMatch(topics, caviTopics) >= 0.9);
  const runner = new MinibatchRunner(model, 0);
  runner.restoreGlobals(new Map([["beta", full.posteriors.beta!.natural]]));
  runner.markStarted();
  const caviPerp = perplexity((c) => ({ theta: runner.fitLocals(binding(c)).theta!.mean() }), caviTopics, K, V, observed, heldOut);

  t.log(`best-match cosine: SVI ${sviMatch.toFixed(3)}; held-out perplexity: SVI ${sviPerp.toFixed(2)}, CAVI ${caviPerp.toFixed(2)}`);
  t.true(Math.abs(sviPerp - caviPerp) / caviPerp < 0.05, `held-out perplexity: SVI ${sviPerp.toFixed(2)}, CAVI ${caviPerp.toFixed(2)}`);
  t.true(full.diagnostics.length === 0);
});
