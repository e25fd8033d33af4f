/** A small synthetic LDA corpus drawn from known topics, split into training minibatches and held-out halves. */
import { Generator, sampleDirichlet, sampleCategorical } from "@vireo/core";
import { selectDocs, rowsByDoc, splitHalves, type Corpus } from "../../../examples/src/lda/model.js";

export interface LdaSetup {
  readonly K: number;
  readonly V: number;
  readonly trainDocs: number;
  /** Training minibatches (documents renumbered within each), in stream order, with ids. */
  readonly batches: readonly { readonly id: string; readonly corpus: Corpus }[];
  readonly observed: Corpus;
  readonly heldOut: Corpus;
}

export const binding = (c: Corpus) => ({ doc: c.doc, word: c.word, count: c.count });

export function ldaSetup(seed: number, opts: { K: number; V: number; train: number; test: number; length: number; batchDocs: number; epochs: number }): LdaSetup {
  const { K, V } = opts, D = opts.train + opts.test;
  const rng = new Generator(seed);
  const topics = Array.from({ length: K }, () => sampleDirichlet(rng, new Float64Array(V).fill(0.05)));
  const doc: number[] = [], word: number[] = [], count: number[] = [];
  for (let d = 0; d < D; d++) {
    const theta = sampleDirichlet(rng, new Float64Array(K).fill(0.3));
    const counts = new Map<number, number>();
    for (let i = 0; i < opts.length; i++) {
      const w = sampleCategorical(rng, topics[sampleCategorical(rng, theta)]!);
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    for (const [w, c] of [...counts].sort((a, b) => a[0] - b[0])) {
      doc.push(d);
      word.push(w);
      count.push(c);
    }
  }
  const rows = { doc, word, count };
  const byDoc = rowsByDoc(doc, D);
  const trainIds = Array.from({ length: opts.train }, (_, i) => i), testIds = Array.from({ length: opts.test }, (_, i) => opts.train + i);
  const order = new Generator(seed + 1);
  const batches: { id: string; corpus: Corpus }[] = [];
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const ids = trainIds.slice();
    for (let i = ids.length - 1; i > 0; i--) {
      const j = order.integer(i + 1);
      [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    }
    for (let b = 0; b < ids.length; b += opts.batchDocs) batches.push({ id: `e${epoch}-b${b / opts.batchDocs}`, corpus: selectDocs(rows, byDoc, ids.slice(b, b + opts.batchDocs)) });
  }
  const { observed, heldOut } = splitHalves(selectDocs(rows, byDoc, testIds));
  return { K, V, trainDocs: opts.train, batches, observed, heldOut };
}
