/** Filtered or smoothed tracks over time: the posterior mean with a band, the truth and the observations. */
import type { TopLevelSpec } from "vega-lite";
import { fail, finiteArray } from "./check.js";

export interface TrackSeries {
  /** Panel title, e.g. "position x". */
  readonly label: string;
  readonly time: ArrayLike<number>;
  readonly mean: ArrayLike<number>;
  /** Posterior standard deviation per time: the band is mean ± `bandSd` × sd. */
  readonly sd: ArrayLike<number>;
  readonly observed?: ArrayLike<number>;
  readonly truth?: ArrayLike<number>;
}

export interface TrackOptions {
  readonly title?: string;
  /** Band half-width in standard deviations (default 2). */
  readonly bandSd?: number;
  readonly width?: number;
  readonly height?: number;
}

export function tracks(series: readonly TrackSeries[], options: TrackOptions = {}): TopLevelSpec {
  const chart = "tracks";
  if (series.length === 0) fail(chart, "give at least one series.");
  const k = options.bandSd ?? 2;
  const panels = series.map((s) => {
    const t = finiteArray(chart, `'${s.label}'.time`, s.time);
    const m = finiteArray(chart, `'${s.label}'.mean`, s.mean, t.length);
    const sd = finiteArray(chart, `'${s.label}'.sd`, s.sd, t.length);
    const obs = s.observed === undefined ? null : finiteArray(chart, `'${s.label}'.observed`, s.observed, t.length);
    const truth = s.truth === undefined ? null : finiteArray(chart, `'${s.label}'.truth`, s.truth, t.length);
    const rows = t.map((time, i) => ({ time, mean: m[i]!, lo: m[i]! - k * sd[i]!, hi: m[i]! + k * sd[i]!, ...(obs ? { observed: obs[i]! } : {}), ...(truth ? { truth: truth[i]! } : {}) }));
    const x = { field: "time", type: "quantitative" as const, title: "time" };
    const y = (field: string) => ({ field, type: "quantitative" as const, title: s.label, scale: { zero: false } });
    const layer: object[] = [
      { mark: { type: "area", opacity: 0.25, color: "#4c78a8" }, encoding: { x, y: y("lo"), y2: { field: "hi" } } },
      { mark: { type: "line", color: "#4c78a8", strokeWidth: 2 }, encoding: { x, y: y("mean") } },
    ];
    if (truth) layer.push({ mark: { type: "line", color: "#222", strokeDash: [5, 3], strokeWidth: 1.5 }, encoding: { x, y: y("truth") } });
    if (obs) layer.push({ mark: { type: "circle", color: "#e45756", size: 12, opacity: 0.7 }, encoding: { x, y: y("observed") } });
    return { width: options.width ?? 480, height: options.height ?? 140, data: { values: rows }, layer };
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: options.title ?? `Tracks: mean ± ${k} sd (band), truth (dashed), observations (dots)`,
    vconcat: panels,
  } as TopLevelSpec;
}
