/** Loads the Jane Austen bag-of-words corpus shipped in examples/data (see its README). */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface AustenCorpus {
  readonly docs: number;
  readonly vocab: readonly string[];
  readonly rows: { readonly doc: Float64Array; readonly word: Float64Array; readonly count: Float64Array };
}

export const AUSTEN_COUNTS = fileURLToPath(new URL("../../data/austen_counts.csv", import.meta.url));
export const AUSTEN_VOCAB = fileURLToPath(new URL("../../data/austen_vocab.txt", import.meta.url));

export function loadVocabulary(): string[] {
  return readFileSync(AUSTEN_VOCAB, "utf8").split(/\r?\n/).filter((w) => w !== "");
}

/** The whole corpus in memory (for benchmarks and batch fits; the example streams the file). */
export function loadAusten(): AustenCorpus {
  const lines = readFileSync(AUSTEN_COUNTS, "utf8").split(/\r?\n/).filter((l) => l !== "");
  const n = lines.length - 1;
  const doc = new Float64Array(n), word = new Float64Array(n), count = new Float64Array(n);
  let docs = 0;
  for (let i = 0; i < n; i++) {
    const [d, w, c] = lines[i + 1]!.split(",").map(Number);
    doc[i] = d!;
    word[i] = w!;
    count[i] = c!;
    docs = Math.max(docs, d! + 1);
  }
  return { docs, vocab: loadVocabulary(), rows: { doc, word, count } };
}
