/** Pictures of a Gaussian-mixture fit: the exact ELBO trace and the clusters' 2-sd ellipses over the data. */
import type { CaviResult } from "@vireo/runtime";
import { clusterEllipses, elboTrace, type EllipseCluster } from "@vireo/plot";

/**
 * `x` is the standardised N×2 data the model saw; `mean`/`sd` map it back to original units.
 * Components with posterior weight under 1% are left out.
 */
export function mixtureCharts(result: CaviResult, x: Float64Array, mean: readonly number[], sd: readonly number[], axes: readonly [string, string]) {
  const weights = result.posteriors.pi!.mean();
  const mu = result.posteriors.mu!.mean();
  const Lambda = result.posteriors.Lambda!.mean();
  const clusters: EllipseCluster[] = [];
  const kept: number[] = [];
  for (let k = 0; k < weights.length; k++) {
    if (weights[k]! < 0.01) continue;
    const L = Lambda.subarray(k * 4, k * 4 + 4);
    const det = L[0]! * L[3]! - L[1]! * L[2]!;
    const [s0, s1] = [sd[0]!, sd[1]!];
    kept.push(k);
    clusters.push({
      weight: weights[k]!,
      mean: [mu[2 * k]! * s0 + mean[0]!, mu[2 * k + 1]! * s1 + mean[1]!],
      covariance: [(L[3]! / det) * s0 * s0, (-L[1]! / det) * s0 * s1, (-L[2]! / det) * s0 * s1, (L[0]! / det) * s1 * s1],
    });
  }
  // Colour each point by its most responsible kept component.
  const N = x.length / 2;
  const resp = result.posteriors.z!.mean();
  const K = weights.length;
  const assignment = Array.from({ length: N }, (_, n) => {
    let best = 0;
    for (let j = 1; j < kept.length; j++) if (resp[n * K + kept[j]!]! > resp[n * K + kept[best]!]!) best = j;
    return best;
  });
  const points = Array.from(x, (v, i) => v * sd[i % 2]! + mean[i % 2]!);
  return {
    elbo: elboTrace([{ label: "CAVI (exact ELBO)", elbo: result.elbo }], { title: "ELBO per CAVI sweep (never decreasing)", xTitle: "sweep" }),
    clusters: clusterEllipses(points, clusters, { assignment, xTitle: axes[0], yTitle: axes[1], title: "Clusters: posterior means and 2-sd ellipses of E[Λ]⁻¹" }),
  };
}
