/**
 * Latent Dirichlet allocation as a Vireo graph (Blei, Ng & Jordan 2003; the SVI form of Hoffman
 * et al. 2013). Data are bag-of-words rows (doc, word, count) in a `tokens` plate whose rows
 * count `count` times:
 *   β_k ~ Dirichlet(η)            K topics over V words (global)
 *   θ_d ~ Dirichlet(α)            topic proportions of document d (local)
 *   z_n ~ Categorical(θ_doc[n])   topic of token row n (local)
 *   w_n ~ Categorical(β_z[n])     its word: a mixture over topics of Categorical nodes
 */
import { Dirichlet, Categorical } from "@vireo/core";
import { DirichletNode, CategoricalNode } from "@vireo/nodes";
import { ModelBuilder, type Model } from "@vireo/runtime";

export interface LdaPriors {
  /** Dirichlet concentration of topic proportions (default 1/K). */
  readonly alpha?: number;
  /** Dirichlet concentration of topic-word distributions (default 1/K). */
  readonly eta?: number;
}

export function ldaModel(K: number, V: number, priors: LdaPriors = {}): Model {
  const m = new ModelBuilder();
  const topics = m.plate("topics", K);
  const docs = m.plate("docs");
  const tokens = m.plate("tokens", { multiplicity: "count" });
  const beta = m.random("beta", Dirichlet(V), { plate: topics });
  m.factor(DirichletNode, { out: beta, alpha: new Float64Array(V).fill(priors.eta ?? 1 / K) }, { name: "beta_prior" });
  const theta = m.random("theta", Dirichlet(K), { plate: docs });
  m.factor(DirichletNode, { out: theta, alpha: new Float64Array(K).fill(priors.alpha ?? 1 / K) }, { name: "theta_prior" });
  const doc = m.input("doc", { plate: tokens });
  m.input("count", { plate: tokens });
  const z = m.random("z", Categorical(K), { plate: tokens });
  m.factor(CategoricalNode, { out: z, p: theta.at(doc) }, { name: "topic" });
  m.mixture(CategoricalNode, { selector: z, out: m.observed("word", Categorical(V), { plate: tokens }), p: beta }, { name: "words" });
  return m.build();
}

/** A set of documents as bag-of-words rows, docs numbered 0..docs−1 within the set. */
export interface Corpus {
  readonly docs: number;
  readonly doc: Float64Array;
  readonly word: Float64Array;
  readonly count: Float64Array;
}

/** Selects documents (by original id) into a corpus renumbered 0..n−1, in the given order. */
export function selectDocs(rows: { doc: ArrayLike<number>; word: ArrayLike<number>; count: ArrayLike<number> }, rowsOfDoc: readonly (readonly number[])[], ids: readonly number[]): Corpus {
  let n = 0;
  for (const d of ids) n += rowsOfDoc[d]!.length;
  const doc = new Float64Array(n), word = new Float64Array(n), count = new Float64Array(n);
  let o = 0;
  ids.forEach((d, i) => {
    for (const r of rowsOfDoc[d]!) {
      doc[o] = i;
      word[o] = rows.word[r]!;
      count[o++] = rows.count[r]!;
    }
  });
  return { docs: ids.length, doc, word, count };
}

/** Row indices of each document. */
export function rowsByDoc(doc: ArrayLike<number>, docs: number): number[][] {
  const out: number[][] = Array.from({ length: docs }, () => []);
  for (let r = 0; r < doc.length; r++) out[doc[r]!]!.push(r);
  return out;
}

/**
 * Held-out perplexity (Hoffman et al. 2013, §4): for each held-out document, the topic
 * proportions are fitted on its `observed` half with the topics fixed, then
 *   perplexity = exp(− Σ count · log Σ_k E[θ_dk] E[β_kw] / Σ count) over its `heldOut` half.
 */
export function perplexity(fitLocals: (c: Corpus) => { theta: Float64Array }, topicMeans: Float64Array, K: number, V: number, observed: Corpus, heldOut: Corpus): number {
  const theta = fitLocals(observed).theta;
  let ll = 0, n = 0;
  for (let r = 0; r < heldOut.doc.length; r++) {
    const d = heldOut.doc[r]!, w = heldOut.word[r]!, c = heldOut.count[r]!;
    let p = 0;
    for (let k = 0; k < K; k++) p += theta[d * K + k]! * topicMeans[k * V + w]!;
    ll += c * Math.log(p);
    n += c;
  }
  return Math.exp(-ll / n);
}

/** Splits each document's rows into two halves by alternating tokens (for held-out perplexity). */
export function splitHalves(c: Corpus): { observed: Corpus; heldOut: Corpus } {
  const take = (keep: (i: number) => boolean): Corpus => {
    const idx: number[] = [];
    for (let r = 0; r < c.doc.length; r++) if (keep(r)) idx.push(r);
    return { docs: c.docs, doc: Float64Array.from(idx, (r) => c.doc[r]!), word: Float64Array.from(idx, (r) => c.word[r]!), count: Float64Array.from(idx, (r) => c.count[r]!) };
  };
  return { observed: take((r) => r % 2 === 0), heldOut: take((r) => r % 2 === 1) };
}
