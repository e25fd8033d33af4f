/**
 * Small random LDA corpora for the LDA tests: `docs` documents over a vocabulary of V words, each
 * holding every word with probability 1/2 (and word d mod V always), with counts 1..maxCount, in
 * the (doc, word, count) columns of examples/src/lda/model.ts; drawn from `seed`.
 */
import { Generator } from "@vireo/core";

export function randomCorpus(docs: number, V: number, maxCount: number, seed: number) {
  const rng = new Generator(seed);
  const doc: number[] = [], word: number[] = [], count: number[] = [];
  for (let d = 0; d < docs; d++) {
    for (let w = 0; w < V; w++) {
      if (rng.uniform() < 0.5 || w === d % V) {
        doc.push(d);
        word.push(w);
        count.push(1 + Math.floor(rng.uniform() * maxCount));
      }
    }
  }
  return { doc: Float64Array.from(doc), word: Float64Array.from(word), count: Float64Array.from(count) };
}
