/** Topic-word table: the top words of each topic, as a grid of words shaded by their probability. */
import type { TopLevelSpec } from "vega-lite";
import { fail, finiteArray } from "./check.js";

export interface TopicWordsOptions {
  readonly title?: string;
  /** Words shown per topic (default 10). */
  readonly top?: number;
  /** Topic names (default "topic 1", …). */
  readonly topicNames?: readonly string[];
}

/**
 * `topics` holds K rows of V word probabilities (row-major K×V, e.g. the posterior mean of β);
 * `vocabulary` names the V words.
 */
export function topicWords(topics: ArrayLike<number>, K: number, vocabulary: readonly string[], options: TopicWordsOptions = {}): TopLevelSpec {
  const chart = "topicWords";
  const V = vocabulary.length;
  if (!(Number.isInteger(K) && K >= 1)) fail(chart, `K must be a positive integer, got ${K}.`);
  const w = finiteArray(chart, "topics", topics, K * V);
  const top = Math.min(options.top ?? 10, V);
  const rows: { topic: string; rank: number; word: string; p: number }[] = [];
  for (let k = 0; k < K; k++) {
    const idx = Array.from({ length: V }, (_, v) => v).sort((a, b) => w[k * V + b]! - w[k * V + a]!);
    const name = options.topicNames?.[k] ?? `topic ${k + 1}`;
    for (let r = 0; r < top; r++) rows.push({ topic: name, rank: r + 1, word: vocabulary[idx[r]!]!, p: w[k * V + idx[r]!]! });
  }
  const maxP = rows.reduce((m, r) => Math.max(m, r.p), 0);
  const x = { field: "topic", type: "nominal" as const, title: null, sort: null, axis: { orient: "top" as const, labelAngle: 0 } };
  const y = { field: "rank", type: "ordinal" as const, title: "rank" };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: options.title ?? "Top words per topic",
    data: { values: rows },
    width: { step: 110 },
    height: { step: 20 },
    layer: [
      { mark: "rect", encoding: { x, y, color: { field: "p", type: "quantitative", title: "p(word | topic)", scale: { scheme: "blues" } } } },
      // Light text on the darkest cells, so every word stays readable.
      { mark: { type: "text", fontSize: 11 }, encoding: { x, y, text: { field: "word" }, color: { condition: { test: `datum.p > ${0.6 * maxP}`, value: "white" }, value: "#111" } } },
    ],
  } as TopLevelSpec;
}
