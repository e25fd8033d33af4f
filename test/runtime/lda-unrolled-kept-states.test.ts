/**
 * Issue 17 (LDA speed):
 * - the document kernel's accumulation generated with K unrolled gives kernelAccumulate's sums
 *   (to round-off: rows are added one at a time instead of four), and reports underflow the same;
 * - the document iterations' ψ memo (topics whose α_k did not change) gives the same numbers;
 * - an SVI runner keeps the compiled state of each batch shape: a run whose batches come back
 *   (epochs of minibatches of unequal token rows, a batch of another's shape, held-out fits in between) steps exactly as a
 *   fresh engine restored to the same globals before each step.
 */
import test from "ava";
import { Generator } from "@vireo/core";
import { SviEngine } from "@vireo/runtime";
import { kernelAccumulate, kernelExpElog, kernelUnrolledAccumulator, UNROLL_MAX_K } from "../../runtime/src/engine/document-kernel.js";
import { ldaModel } from "../../examples/src/lda/model.js";

test("the unrolled accumulation equals kernelAccumulate for every K it covers, and reports underflow", (t) => {
  const rng = new Generator(21);
  for (let K = 1; K <= UNROLL_MAX_K; K++) {
    const unrolled = kernelUnrolledAccumulator(K);
    if (unrolled === null) return t.fail(`K = ${K}: no unrolled accumulator`);
    t.is(kernelUnrolledAccumulator(K), unrolled, "made once per K");
    const rows = 3 + ((K * 7) % 11), from = 2, to = rows;
    const fixed = new Float64Array(rows * K), rowWeight = new Float64Array(rows), e = new Float64Array(K);
    for (let i = 0; i < fixed.length; i++) fixed[i] = 1e-3 + rng.uniform();
    for (let r = 0; r < rows; r++) rowWeight[r] = 1 + Math.floor(rng.uniform() * 6);
    for (let k = 0; k < K; k++) e[k] = Math.exp(-8 * rng.uniform());
    const want = new Float64Array(K), got = new Float64Array(K).fill(NaN);
    t.true(kernelAccumulate(fixed, rowWeight, from, to, K, e, want));
    t.true(unrolled(fixed, rowWeight, from, to, e, got));
    for (let k = 0; k < K; k++) t.true(Math.abs(got[k]! - want[k]!) <= 1e-13 * want[k]!, `K = ${K}, topic ${k}: ${got[k]} vs ${want[k]}`);
    // A row whose sum underflows: both hand the document back.
    for (let k = 0; k < K; k++) fixed[(to - 1) * K + k] = 1e-300;
    for (let k = 0; k < K; k++) e[k] = 1e-10;
    t.false(kernelAccumulate(fixed, rowWeight, from, to, K, e, want));
    t.false(unrolled(fixed, rowWeight, from, to, e, got));
  }
  t.is(kernelUnrolledAccumulator(UNROLL_MAX_K + 1), null);
});

test("E[log θ] with the ψ memo equals E[log θ] without it, bit for bit, as α changes in some topics only", (t) => {
  const K = 50, rng = new Generator(5), eta = new Float64Array(3 * K);
  for (let i = 0; i < eta.length; i++) eta[i] = -0.98 + (rng.uniform() < 0.3 ? 20 * rng.uniform() : 0);
  const memoA = new Float64Array(K).fill(NaN), memoPsi = new Float64Array(K);
  const e1 = new Float64Array(K), l1 = new Float64Array(K), e2 = new Float64Array(K), l2 = new Float64Array(K);
  let hits = 0;
  for (let round = 0; round < 20; round++) {
    const o = (round % 3) * K;
    // Some topics move, the others keep their α to the bit.
    for (let k = 0; k < K; k++) if (eta[o + k]! > -0.98 && rng.uniform() < 0.5) eta[o + k] = eta[o + k]! * (1 + 0.01 * rng.uniform());
    for (let k = 0; k < K; k++) if (memoA[k] === eta[o + k]! + 1) hits++;
    const m1 = kernelExpElog(eta, o, K, e1, l1), m2 = kernelExpElog(eta, o, K, e2, l2, memoA, memoPsi);
    t.is(m2, m1);
    t.deepEqual(Array.from(e2), Array.from(e1));
    t.deepEqual(Array.from(l2), Array.from(l1));
  }
  t.true(hits > 100, `the memo was used (${hits} hits)`);
});

/** Documents of unequal lengths: batches of equal documents but different token rows. */
function batch(docs: number, V: number, seed: number) {
  const rng = new Generator(seed);
  const doc: number[] = [], word: number[] = [], count: number[] = [];
  for (let d = 0; d < docs; d++) {
    for (let w = 0; w < V; w++) {
      if (rng.uniform() < 0.45 || w === (d * 3 + seed) % V) {
        doc.push(d);
        word.push(w);
        count.push(1 + Math.floor(rng.uniform() * 3));
      }
    }
  }
  return { doc: Float64Array.from(doc), word: Float64Array.from(word), count: Float64Array.from(count) };
}

test("SVI on LDA: batches whose compiled state is kept step exactly as a fresh engine restored to the same globals", (t) => {
  const K = 4, V = 14;
  const first = batch(6, V, 1);
  // The last batch has the first one's shape and other words: its kept state must take the new data.
  const batches = [first, batch(6, V, 2), batch(6, V, 3), { ...first, word: first.word.map((w) => (w + 5) % V) }];
  t.true(new Set(batches.map((b) => b.doc.length)).size === 3, "three shapes among four batches");
  const heldOut = batch(5, V, 9);
  const options = { plate: "docs", totalRows: 60, tau: 2, kappa: 0.7, localTolerance: 1e-8, seed: 4, elboEvery: 0, globalStart: "random" as const };
  const engine = new SviEngine(ldaModel(K, V, { alpha: 0.3, eta: 0.2 }), options);
  engine.step(batches[0]!);
  for (let s = 1; s < 3 * batches.length; s++) {
    const b = batches[s % batches.length]!;
    // The reference: a fresh engine (nothing compiled yet) at the same globals, step count and generator.
    const fresh = new SviEngine(ldaModel(K, V, { alpha: 0.3, eta: 0.2 }), options);
    fresh.restore({ beta: engine.posteriors().beta!.natural }, engine.progress(), engine.runner.generatorState());
    engine.step(b);
    fresh.step(b);
    t.deepEqual(Array.from(engine.posteriors().beta!.natural), Array.from(fresh.posteriors().beta!.natural), `step ${s + 1}`);
    // Held-out fits in between (another shape) leave the training steps unchanged.
    if (s % 2 === 0) engine.runner.fitLocals(heldOut);
  }
  // And the held-out fit on a kept state equals the fresh engine's.
  const fresh = new SviEngine(ldaModel(K, V, { alpha: 0.3, eta: 0.2 }), options);
  fresh.restore({ beta: engine.posteriors().beta!.natural }, engine.progress(), engine.runner.generatorState());
  t.deepEqual(Array.from(engine.runner.fitLocals(heldOut).theta!.natural), Array.from(fresh.runner.fitLocals(heldOut).theta!.natural));
});

test("SVI on LDA: past the runner's limit of kept states (the oldest dropped), a batch of a dropped shape still steps as a fresh engine", (t) => {
  const K = 3, V = 10;
  const options = { plate: "docs", totalRows: 400, tau: 2, kappa: 0.7, localTolerance: 1e-8, seed: 2, elboEvery: 0, globalStart: "random" as const };
  const engine = new SviEngine(ldaModel(K, V, { alpha: 0.3, eta: 0.2 }), options);
  // 40 batches of 1–40 documents: 40 shapes, more than the 32 kept.
  const batches = Array.from({ length: 40 }, (_, i) => batch(i + 1, V, 100 + i));
  for (const b of batches) engine.step(b);
  for (const b of [batches[0]!, batches[39]!, batches[5]!]) {
    const fresh = new SviEngine(ldaModel(K, V, { alpha: 0.3, eta: 0.2 }), options);
    fresh.restore({ beta: engine.posteriors().beta!.natural }, engine.progress(), engine.runner.generatorState());
    engine.step(b);
    fresh.step(b);
    t.deepEqual(Array.from(engine.posteriors().beta!.natural), Array.from(fresh.posteriors().beta!.natural));
  }
});
