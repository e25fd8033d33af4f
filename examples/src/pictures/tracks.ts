/** Pictures of filtered tracks: each coordinate's filtered mean with a 2-sd band, the truth and the fixes. */
import { tracks } from "@vireo/plot";

export interface TrackPoint {
  readonly step: number;
  /** Filtered state mean and row-major covariance (position in the first two coordinates). */
  readonly mean: readonly number[];
  readonly covariance: readonly number[];
  readonly truth: readonly number[];
  readonly fix: readonly number[];
}

export function trackCharts(points: readonly TrackPoint[], d: number) {
  const time = points.map((p) => p.step);
  const axis = (j: number, name: string) => ({
    label: name,
    time,
    mean: points.map((p) => p.mean[j]!),
    sd: points.map((p) => Math.sqrt(p.covariance[j * d + j]!)),
    truth: points.map((p) => p.truth[j]!),
    // A dropped (NaN) fix is drawn at the truth's place in neither series: leave it out by repeating the mean.
    observed: points.map((p) => (Number.isFinite(p.fix[j]) ? p.fix[j]! : p.mean[j]!)),
  });
  return { tracks: tracks([axis(0, "position x"), axis(1, "position y")], { title: "Filtered position: mean ± 2 sd, truth (dashed), fixes (dots)" }) };
}
