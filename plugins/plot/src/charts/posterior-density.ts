/** Posterior marginal densities on a grid, each with its credible interval shaded and its mean marked. */
import type { TopLevelSpec } from "vega-lite";
import { fail, finiteArray } from "./check.js";

export interface DensityCurve {
  readonly label: string;
  /** Grid points, increasing. */
  readonly x: ArrayLike<number>;
  /** Density at each grid point. */
  readonly density: ArrayLike<number>;
  /** Central credible interval [lower, upper], shaded under the curve. */
  readonly interval?: readonly [number, number];
  /** Posterior mean, drawn as a rule. */
  readonly mean?: number;
}

export interface DensityOptions {
  readonly title?: string;
  readonly xTitle?: string;
  /** One panel per curve (default) or all curves on one set of axes. */
  readonly layout?: "panels" | "overlay";
  readonly width?: number;
  readonly height?: number;
}

export function posteriorDensities(curves: readonly DensityCurve[], options: DensityOptions = {}): TopLevelSpec {
  const chart = "posteriorDensities";
  if (curves.length === 0) fail(chart, "give at least one curve.");
  const rows: { label: string; x: number; density: number; inside: boolean }[] = [];
  const marks: { label: string; mean?: number; lower?: number; upper?: number }[] = [];
  for (const c of curves) {
    const x = finiteArray(chart, `curve '${c.label}'.x`, c.x);
    const d = finiteArray(chart, `curve '${c.label}'.density`, c.density, x.length);
    if (x.length < 2) fail(chart, `curve '${c.label}' needs at least two grid points.`);
    for (let i = 1; i < x.length; i++) if (!(x[i]! > x[i - 1]!)) fail(chart, `curve '${c.label}'.x must increase (x[${i}] = ${x[i]} after ${x[i - 1]}).`);
    const [lo, hi] = c.interval ?? [Infinity, -Infinity];
    if (c.interval && !(lo <= hi)) fail(chart, `curve '${c.label}'.interval [${lo}, ${hi}] is not ordered.`);
    for (let i = 0; i < x.length; i++) rows.push({ label: c.label, x: x[i]!, density: d[i]!, inside: x[i]! >= lo && x[i]! <= hi });
    marks.push({ label: c.label, ...(c.mean !== undefined ? { mean: c.mean } : {}), ...(c.interval ? { lower: lo, upper: hi } : {}) });
  }
  const x = { field: "x", type: "quantitative" as const, title: options.xTitle ?? "value", scale: { zero: false } };
  const overlay = options.layout === "overlay" || curves.length === 1;
  const color = overlay && curves.length > 1 ? { color: { field: "label", type: "nominal" as const, title: null } } : {};
  const layers = [
    {
      data: { values: rows },
      transform: [{ filter: "datum.inside" }],
      mark: { type: "area", opacity: 0.3, ...(overlay && curves.length > 1 ? {} : { color: "#4c78a8" }) },
      encoding: { x, y: { field: "density", type: "quantitative", title: "density" }, ...color },
    },
    {
      data: { values: rows },
      mark: { type: "line", strokeWidth: 2, ...(overlay && curves.length > 1 ? {} : { color: "#4c78a8" }) },
      encoding: { x, y: { field: "density", type: "quantitative", title: "density" }, ...color },
    },
    {
      data: { values: marks.filter((m) => m.mean !== undefined) },
      mark: { type: "rule", strokeDash: [4, 3], color: "#e45756" },
      encoding: { x: { field: "mean", type: "quantitative" } },
    },
  ];
  const base = { $schema: "https://vega.github.io/schema/vega-lite/v6.json", title: options.title ?? "Posterior densities" };
  if (overlay) return { ...base, width: options.width ?? 420, height: options.height ?? 220, layer: layers } as TopLevelSpec;
  // One panel per curve: each panel filters its own rows.
  return {
    ...base,
    vconcat: curves.map((c) => ({
      title: c.label,
      width: options.width ?? 420,
      height: options.height ?? 120,
      layer: layers.map((l) => ({ ...l, transform: [...(l.transform ?? []), { filter: { field: "label", equal: c.label } }] })),
    })),
  } as TopLevelSpec;
}
