/** The CO2 forecast: observations, the predictive mean and its 95% band, the end of the data marked. */
import type { TopLevelSpec } from "@vireo/plot";

export function forecastChart(time: readonly number[], ppm: readonly number[], at: readonly number[], mean: Float64Array, sd: Float64Array, lastObserved: number): TopLevelSpec {
  const band = at.map((t, i) => ({ time: t, mean: mean[i]!, lo: mean[i]! - 1.96 * sd[i]!, hi: mean[i]! + 1.96 * sd[i]! }));
  const obs = time.map((t, i) => ({ time: t, ppm: ppm[i]! }));
  const x = { field: "time", type: "quantitative" as const, title: "year", scale: { zero: false }, axis: { format: "d" } };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Mauna Loa CO2: sparse GP (trend + seasonal + irregular), forecast with 95% intervals",
    width: 720,
    height: 320,
    layer: [
      { data: { values: band }, mark: { type: "area", opacity: 0.3, color: "#4c78a8" }, encoding: { x, y: { field: "lo", type: "quantitative", title: "CO2 (ppm)", scale: { zero: false } }, y2: { field: "hi" } } },
      { data: { values: obs }, mark: { type: "circle", size: 6, color: "#e45756", opacity: 0.8 }, encoding: { x, y: { field: "ppm", type: "quantitative" } } },
      { data: { values: band }, mark: { type: "line", color: "#4c78a8", strokeWidth: 1 }, encoding: { x, y: { field: "mean", type: "quantitative" } } },
      { data: { values: [{ time: lastObserved }] }, mark: { type: "rule", strokeDash: [4, 3], color: "#555" }, encoding: { x } },
    ],
  } as TopLevelSpec;
}
