/** ELBO against iteration, with a ±2 standard-error band where the ELBO is a Monte Carlo estimate. */
import type { TopLevelSpec } from "vega-lite";
import { fail, finiteArray } from "./check.js";

export interface ElboSeries {
  /** Legend label, e.g. "CAVI" or "BBVI, 8 samples". */
  readonly label: string;
  readonly elbo: ArrayLike<number>;
  /** Monte Carlo standard error per iteration (same length as elbo); omit for exact ELBOs. */
  readonly standardError?: ArrayLike<number>;
}

export interface ElboTraceOptions {
  readonly title?: string;
  /** Iterations before this one are left out (the first sweeps can dwarf the rest). */
  readonly from?: number;
  readonly xTitle?: string;
  readonly width?: number;
  readonly height?: number;
}

export function elboTrace(series: readonly ElboSeries[], options: ElboTraceOptions = {}): TopLevelSpec {
  const chart = "elboTrace";
  if (series.length === 0) fail(chart, "give at least one series.");
  const from = options.from ?? 0;
  const rows: { label: string; step: number; elbo: number; lo?: number; hi?: number }[] = [];
  for (const s of series) {
    const e = finiteArray(chart, `series '${s.label}'.elbo`, s.elbo);
    const se = s.standardError === undefined ? null : finiteArray(chart, `series '${s.label}'.standardError`, s.standardError, e.length);
    for (let i = from; i < e.length; i++) {
      rows.push(se ? { label: s.label, step: i + 1, elbo: e[i]!, lo: e[i]! - 2 * se[i]!, hi: e[i]! + 2 * se[i]! } : { label: s.label, step: i + 1, elbo: e[i]! });
    }
  }
  const color = { field: "label", type: "nominal" as const, title: null, legend: { symbolType: "stroke", symbolStrokeWidth: 3, symbolOpacity: 1 } };
  const x = { field: "step", type: "quantitative" as const, title: options.xTitle ?? "iteration" };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: options.title ?? "ELBO",
    width: options.width ?? 420,
    height: options.height ?? 240,
    data: { values: rows },
    layer: [
      {
        transform: [{ filter: "isValid(datum.lo)" }],
        mark: { type: "area", opacity: 0.25 },
        encoding: { x, y: { field: "lo", type: "quantitative", title: "ELBO", scale: { zero: false } }, y2: { field: "hi" }, color },
      },
      {
        mark: { type: "line", strokeWidth: 2 },
        encoding: { x, y: { field: "elbo", type: "quantitative", title: "ELBO", scale: { zero: false } }, color },
      },
    ],
  } as TopLevelSpec;
}
