/**
 * Latent Dirichlet allocation trained by SVI, streamed over the Jane Austen corpus
 * (examples/data/austen_counts.csv: doc,word,count rows, read as a stream, never loaded whole).
 * Rows are regrouped into minibatches of whole documents; every 10th document is held out and
 * its held-out perplexity is printed as training goes, then the top words of each topic.
 *
 * Run: npx -y pnpm@10.34.9 example lda  (or: cd examples && npx tsx src/lda-austen.ts [K=10] [epochs=3])
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Observable, defer, repeat, lastValueFrom, map, tap, type OperatorFunction } from "rxjs";
import { SviEngine, svi, type Minibatch } from "@vireo/runtime";
import { fromCsvFile } from "@vireo/runtime/node";
import { ldaModel, perplexity, splitHalves, type Corpus } from "./lda/model.js";
import { AUSTEN_COUNTS, loadVocabulary } from "./lda/austen.js";
import { writePictures } from "./pictures/folder.js";
import { ldaCharts } from "./pictures/lda.js";

const K = Number(process.argv[2] ?? 10), epochs = Number(process.argv[3] ?? 3), DOCS_PER_BATCH = 64;
const vocab = loadVocabulary(), V = vocab.length;
const totalDocs = readFileSync(fileURLToPath(new URL("../data/austen_docs.csv", import.meta.url)), "utf8").trim().split("\n").length - 1;
const isHeldOut = (doc: number) => doc % 10 === 0;
/** Passes over the file so far (each epoch re-reads it). */
let passes = 0;

/**
 * Regroups a stream of row batches (sorted by document) into corpora of `n` whole documents,
 * renumbered 0..n−1; held-out documents are diverted to `heldOut`.
 */
function wholeDocuments(n: number, heldOut: Map<number, number[][]>): OperatorFunction<Minibatch, Corpus> {
  return (source) => new Observable<Corpus>((subscriber) => {
    const pass = ++passes;
    let rows: number[][] = [], docs: number[] = [];
    const flush = () => {
      const ids = new Map(docs.map((d, i) => [d, i]));
      subscriber.next({
        docs: docs.length,
        doc: Float64Array.from(rows, (r) => ids.get(r[0]!)!),
        word: Float64Array.from(rows, (r) => r[1]!),
        count: Float64Array.from(rows, (r) => r[2]!),
      });
      rows = [];
      docs = [];
    };
    return source.subscribe({
      next(b) {
        const { doc, word, count } = b.data;
        for (let i = 0; i < b.rows; i++) {
          const d = doc![i]!, row = [d, word![i]!, count![i]!];
          if (isHeldOut(d)) {
            if (!heldOut.has(d)) heldOut.set(d, []);
            heldOut.get(d)!.push(row);
            continue;
          }
          if (docs[docs.length - 1] !== d) {
            if (docs.length === n) flush();
            docs.push(d);
          }
          if (pass === 1) trainingRows.push([row[1]!, row[2]!]);
          rows.push(row);
        }
      },
      error: (e) => subscriber.error(e),
      complete: () => {
        if (docs.length > 0) flush();
        subscriber.complete();
      },
    });
  });
}

function heldOutCorpus(heldOut: Map<number, number[][]>): Corpus {
  const ids = [...heldOut.keys()].sort((a, b) => a - b);
  const rows = ids.flatMap((d, i) => heldOut.get(d)!.map((r) => [i, r[1]!, r[2]!]));
  return { docs: ids.length, doc: Float64Array.from(rows, (r) => r[0]!), word: Float64Array.from(rows, (r) => r[1]!), count: Float64Array.from(rows, (r) => r[2]!) };
}

const trainDocs = Array.from({ length: totalDocs }, (_, d) => d).filter((d) => !isHeldOut(d)).length;
// Priors: θ ~ Dir(1) and β ~ Dir(0.5). Sparser choices (α = 1/K, η = 0.01) fit topics that
// are too peaked to predict a document's unseen half: worse than the unigram baseline here.
const engine = new SviEngine(ldaModel(K, V, { alpha: 1, eta: 0.5 }), { plate: "docs", totalRows: trainDocs, tau: 10, kappa: 0.7, localTolerance: 1e-3, seed: 1 });
const heldOut = new Map<number, number[][]>();
let evaluation: { observed: Corpus; heldOut: Corpus } | null = null;
const evaluate = () => {
  evaluation ??= splitHalves(heldOutCorpus(heldOut));
  const topics = engine.posteriors().beta!.mean();
  return perplexity((c) => ({ theta: engine.runner.fitLocals({ doc: c.doc, word: c.word, count: c.count }).theta!.mean() }), topics, K, V, evaluation.observed, evaluation.heldOut);
};

/** The same held-out halves under one word distribution for all documents (training counts + 0.5). */
function unigramPerplexity(): number {
  const freq = new Float64Array(V).fill(0.5);
  for (const rows of trainingRows) freq[rows[0]!] += rows[1]!;
  const total = freq.reduce((a, b) => a + b, 0);
  let ll = 0, n = 0;
  const h = evaluation!.heldOut;
  for (let r = 0; r < h.word.length; r++) {
    ll += h.count[r]! * Math.log(freq[h.word[r]!]! / total);
    n += h.count[r]!;
  }
  return Math.exp(-ll / n);
}
/** (word, count) of every training row, recorded on the first pass, for the unigram baseline. */
const trainingRows: [number, number][] = [];

console.log(`LDA by SVI on Jane Austen: ${trainDocs} training documents (${totalDocs - trainDocs} held out), V = ${V}, K = ${K}, ${epochs} epochs, batches of ${DOCS_PER_BATCH} documents`);
const started = performance.now();
let tokens = 0;
const perplexities: { step: number; value: number }[] = [];
await lastValueFrom(
  defer(() => fromCsvFile(AUSTEN_COUNTS, { batchSize: 4096, columns: ["doc", "word", "count"] })).pipe(
    wholeDocuments(DOCS_PER_BATCH, heldOut),
    repeat(epochs),
    map((c) => {
      for (const x of c.count) tokens += x;
      return { doc: c.doc, word: c.word, count: c.count };
    }),
    svi(engine, { summaries: "none" }),
    tap((s) => {
      if (s.step % 10 === 0) {
        const heldOutPerplexity = evaluate();
        perplexities.push({ step: s.step, value: heldOutPerplexity });
        console.log(`  step ${String(s.step).padStart(3)}  ρ = ${s.rho.toFixed(3)}  ELBO estimate ${s.elbo.toExponential(4)}  held-out perplexity ${heldOutPerplexity.toFixed(1)}`);
      }
    }),
  ),
);
const seconds = (performance.now() - started) / 1000;
console.log(`\n${engine.steps} SVI steps over ${tokens} tokens in ${seconds.toFixed(1)} s; final held-out perplexity ${evaluate().toFixed(1)} (unigram baseline ${unigramPerplexity().toFixed(1)})\n`);

const beta = engine.posteriors().beta!.mean();
for (let k = 0; k < K; k++) {
  const row = beta.subarray(k * V, (k + 1) * V);
  const top = Array.from(row.keys()).sort((a, b) => row[b]! - row[a]!).slice(0, 10);
  console.log(`  topic ${String(k).padStart(2)}: ${top.map((w) => vocab[w]).join(" ")}`);
}

await writePictures("lda", ldaCharts(beta, K, vocab, perplexities));
