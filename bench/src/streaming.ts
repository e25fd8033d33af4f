/**
 * Streaming suites.
 * - online: online updating of a scalar conjugate model (Normal mean, known precision) through
 *   the whole RxJS pipeline (source → online() → snapshots): observations per second with
 *   batches of 1 and of 1,000.
 * - lda-svi: SVI on LDA over the Jane Austen corpus (examples/data), K = 10 and K = 50, batches of
 *   64 documents: token-passes per second, one token-pass being one token's local update in one
 *   local sweep (tokens counted with their multiplicity; distinct (document, word) rows also shown).
 */
import benny from "benny";
import { range, map, lastValueFrom } from "rxjs";
import { Normal } from "@vireo/core";
import { NormalNode } from "@vireo/nodes";
import { ModelBuilder, OnlineEngine, SviEngine, online } from "@vireo/runtime";
import { ldaModel, selectDocs, rowsByDoc, type Corpus } from "../../examples/src/lda/model.js";
import { loadAusten } from "../../examples/src/lda/austen.js";
import { describeCase } from "./kernels.js";

const { suite, add, cycle, configure } = benny;

/** μ ~ N(0, 100), y_n ~ N(μ, 1/4): the conjugate model the streaming suites update. */
export function normalMean() {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: 4 });
  return m.build();
}

export async function onlineStreaming(): Promise<void> {
  const model = normalMean();
  const OBS = 20_000;
  for (const batchSize of [1, 1000]) {
    const batches = OBS / batchSize;
    const y = new Float64Array(batchSize);
    await suite(
      `online updating through RxJS, batches of ${batchSize}`,
      configure({ cases: { minSamples: 5, maxTime: 3 } }),
      add(`${OBS} observations in batches of ${batchSize}`, async () => {
        const engine = new OnlineEngine(model);
        await lastValueFrom(range(0, batches).pipe(map((b) => {
          for (let i = 0; i < batchSize; i++) y[i] = Math.sin(b * batchSize + i);
          return { y };
        }), online(engine)));
      }),
      cycle((r) => {
        console.log(describeCase(r));
        console.log(`  → ${((r.ops * OBS) / 1e6).toFixed(3)} million observations/s (batches of ${batchSize}, snapshot with posterior summary per batch)`);
      }),
    );
  }
}

export async function ldaSvi(): Promise<void> {
  const corpus = loadAusten();
  const V = corpus.vocab.length, B = 64;
  const byDoc = rowsByDoc(corpus.rows.doc, corpus.docs);
  const batches: Corpus[] = [];
  for (let b = 0; b + B <= corpus.docs; b += B) batches.push(selectDocs(corpus.rows, byDoc, Array.from({ length: B }, (_, i) => b + i)));
  console.log(`  Austen corpus: ${corpus.docs} documents, V = ${V}, ${corpus.rows.doc.length} (document, word) rows, batches of ${B} documents`);
  for (const K of [10, 50]) {
    const engine = new SviEngine(ldaModel(K, V), { plate: "docs", totalRows: corpus.docs, tau: 64, kappa: 0.7, localTolerance: 1e-3 });
    // Warm-up step (the first step keeps the random start and does no local sweep).
    engine.step({ doc: batches[0]!.doc, word: batches[0]!.word, count: batches[0]!.count });
    let next = 1, tokenPasses = 0, rowPasses = 0, seconds = 0;
    await suite(
      `SVI on LDA, K = ${K}`,
      configure({ cases: { minSamples: 5, maxTime: 5 } }),
      add(`SVI step, ${B} documents, K = ${K}`, () => {
        const c = batches[next++ % batches.length]!;
        let tokens = 0;
        for (let i = 0; i < c.count.length; i++) tokens += c.count[i]!;
        const t0 = performance.now();
        const r = engine.step({ doc: c.doc, word: c.word, count: c.count });
        seconds += (performance.now() - t0) / 1000;
        tokenPasses += tokens * r.localSweeps;
        rowPasses += c.doc.length * r.localSweeps;
      }),
      cycle((r) => {
        console.log(describeCase(r));
        console.log(`  → K = ${K}: ${(tokenPasses / seconds / 1e6).toFixed(2)} million token-passes/s (${(rowPasses / seconds / 1e6).toFixed(2)} million row-passes/s)${K === 10 ? "; target ≥ 1.5 million" : ""}`);
      }),
    );
  }
}
