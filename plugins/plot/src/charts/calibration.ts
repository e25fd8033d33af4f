/**
 * Calibration plots: how often the truth falls inside nominal credible intervals (coverage), or a
 * reliability diagram of predicted probabilities against observed frequencies. A calibrated
 * posterior sits on the diagonal.
 */
import type { TopLevelSpec } from "vega-lite";
import { fail, finiteArray } from "./check.js";

export interface CalibrationSeries {
  readonly label: string;
  /** Nominal level or predicted probability, in [0, 1]. */
  readonly expected: ArrayLike<number>;
  /** Observed coverage or frequency, in [0, 1]. */
  readonly observed: ArrayLike<number>;
  /** Binomial standard error of each observed value (whiskers ±2 se); optional. */
  readonly standardError?: ArrayLike<number>;
}

export interface CalibrationOptions {
  readonly title?: string;
  readonly xTitle?: string;
  readonly yTitle?: string;
  readonly size?: number;
}

export function calibration(series: readonly CalibrationSeries[], options: CalibrationOptions = {}): TopLevelSpec {
  const chart = "calibration";
  if (series.length === 0) fail(chart, "give at least one series.");
  const rows: { label: string; expected: number; observed: number; lo?: number; hi?: number }[] = [];
  for (const s of series) {
    const e = finiteArray(chart, `'${s.label}'.expected`, s.expected);
    const o = finiteArray(chart, `'${s.label}'.observed`, s.observed, e.length);
    const se = s.standardError === undefined ? null : finiteArray(chart, `'${s.label}'.standardError`, s.standardError, e.length);
    e.forEach((v, i) => {
      if (v < 0 || v > 1 || o[i]! < 0 || o[i]! > 1) fail(chart, `'${s.label}' entry ${i}: expected ${v}, observed ${o[i]} must lie in [0, 1].`);
      rows.push({ label: s.label, expected: v, observed: o[i]!, ...(se ? { lo: Math.max(0, o[i]! - 2 * se[i]!), hi: Math.min(1, o[i]! + 2 * se[i]!) } : {}) });
    });
  }
  const x = { field: "expected", type: "quantitative" as const, title: options.xTitle ?? "nominal level", scale: { domain: [0, 1] } };
  const color = { field: "label", type: "nominal" as const, title: null };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: options.title ?? "Calibration",
    width: options.size ?? 300,
    height: options.size ?? 300,
    layer: [
      { data: { values: [{ a: 0, b: 0 }, { a: 1, b: 1 }] }, mark: { type: "line", color: "#999", strokeDash: [4, 4] }, encoding: { x: { field: "a", type: "quantitative", scale: { domain: [0, 1] }, title: options.xTitle ?? "nominal level" }, y: { field: "b", type: "quantitative", scale: { domain: [0, 1] } } } },
      { data: { values: rows }, transform: [{ filter: "isValid(datum.lo)" }], mark: { type: "rule" }, encoding: { x, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" }, color } },
      { data: { values: rows }, mark: { type: "line", point: true }, encoding: { x, y: { field: "observed", type: "quantitative", title: options.yTitle ?? "observed coverage", scale: { domain: [0, 1] } }, color } },
    ],
  } as TopLevelSpec;
}
