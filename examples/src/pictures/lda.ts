/** Pictures of the LDA fit: the topic-word table and the held-out perplexity as training goes. */
import { topicWords, elboTrace } from "@vireo/plot";

export function ldaCharts(beta: Float64Array, K: number, vocabulary: readonly string[], perplexity: readonly { step: number; value: number }[]) {
  return {
    topics: topicWords(beta, K, vocabulary, { top: 12, title: "LDA on Jane Austen: top words per topic, E[β]" }),
    // The trace chart plots any per-step figure; here held-out perplexity (lower is better).
    perplexity: {
      ...elboTrace([{ label: "held-out perplexity", elbo: perplexity.map((p) => p.value) }], { title: "Held-out perplexity during SVI", xTitle: "evaluation (every 10 steps)" }),
    },
  };
}
