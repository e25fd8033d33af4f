/** Pictures of a Gaussian-mixture fit: the exact ELBO trace and the clusters' 2-sd ellipses over the data. */
import type { CaviResult } from "@vireo/runtime";
import { clusterEllipses, elboTrace, type EllipseCluster } from "@vireo/plot";

/** A kept component: its index in the model and its ellipse in original units. */
export interface KeptCluster extends EllipseCluster {
  readonly component: number;
}

/**
 * `x` is the standardised N×2 data the model saw; `mean`/`sd` map it back to original units.
 * `clusters` are the components to draw (the caller leaves out empty ones); each point is
 * coloured by its most responsible kept component (the per-row Categorical `z`).
 */
export function mixtureCharts(result: CaviResult, x: Float64Array, mean: readonly number[], sd: readonly number[], clusters: readonly KeptCluster[], axes: readonly [string, string]) {
  const N = x.length / 2;
  const resp = result.posteriors.z!.mean();
  const K = resp.length / N;
  const assignment = Array.from({ length: N }, (_, n) => {
    let best = 0;
    for (let j = 1; j < clusters.length; j++) if (resp[n * K + clusters[j]!.component]! > resp[n * K + clusters[best]!.component]!) best = j;
    return best;
  });
  const points = Array.from(x, (v, i) => v * sd[i % 2]! + mean[i % 2]!);
  return {
    elbo: elboTrace([{ label: "CAVI (exact ELBO)", elbo: result.elbo }], { title: "ELBO per CAVI sweep (never decreasing)", xTitle: "sweep" }),
    clusters: clusterEllipses(points, [...clusters], { assignment, xTitle: axes[0], yTitle: axes[1], title: "Clusters: posterior means and 2-sd ellipses of E[Λ]⁻¹" }),
  };
}
