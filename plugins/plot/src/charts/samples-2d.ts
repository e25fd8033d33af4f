/**
 * Draws of a 2-D q over the target density: the target as a heat map on a grid (e.g. an
 * unnormalised posterior evaluated by quadrature), q's draws as points. One panel per q, so
 * families can be compared side by side on the same target (mean-field vs full-rank vs flow).
 */
import type { TopLevelSpec } from "vega-lite";
import { fail, finiteArray } from "./check.js";

export interface DensityGrid {
  /** Cell centres along each axis, increasing and evenly spaced. */
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  /** Density at (x[i], y[j]) at index j·x.length + i (any scale: shown relative to its maximum). */
  readonly density: ArrayLike<number>;
}

export interface SamplePanel {
  readonly label: string;
  /** Draws as (x, y) pairs back to back. */
  readonly draws: ArrayLike<number>;
}

export interface Samples2dOptions {
  readonly title?: string;
  readonly xTitle?: string;
  readonly yTitle?: string;
  /** Size of each panel in pixels (default 220). */
  readonly size?: number;
  /** Panels per row (default: all in one row). */
  readonly columns?: number;
}

function evenGrid(chart: string, name: string, v: ArrayLike<number>): readonly number[] {
  const a = finiteArray(chart, `grid.${name}`, v);
  if (a.length < 2) fail(chart, `grid.${name} needs at least two points.`);
  for (let i = 1; i < a.length; i++) if (!(a[i]! > a[i - 1]!)) fail(chart, `grid.${name} must increase (${name}[${i}] = ${a[i]} after ${a[i - 1]}).`);
  return a;
}

export function samplesOverDensity(grid: DensityGrid, panels: readonly SamplePanel[], options: Samples2dOptions = {}): TopLevelSpec {
  const chart = "samplesOverDensity";
  if (panels.length === 0) fail(chart, "give at least one panel of draws.");
  const gx = evenGrid(chart, "x", grid.x), gy = evenGrid(chart, "y", grid.y);
  const d = finiteArray(chart, "grid.density", grid.density, gx.length * gy.length);
  let max = 0;
  for (const v of d) {
    if (v < 0) fail(chart, `grid.density must be ≥ 0, got ${v}.`);
    max = Math.max(max, v);
  }
  if (!(max > 0)) fail(chart, "grid.density is zero everywhere.");
  const hx = (gx[1]! - gx[0]!) / 2, hy = (gy[1]! - gy[0]!) / 2;
  const domainX = [gx[0]! - hx, gx[gx.length - 1]! + hx], domainY = [gy[0]! - hy, gy[gy.length - 1]! + hy];
  const cells: { panel: string; x: number; x2: number; y: number; y2: number; density: number }[] = [];
  const points: { panel: string; x: number; y: number }[] = [];
  for (const p of panels) {
    for (let j = 0; j < gy.length; j++) {
      for (let i = 0; i < gx.length; i++) {
        const v = d[j * gx.length + i]! / max;
        if (v > 1e-3) cells.push({ panel: p.label, x: gx[i]! - hx, x2: gx[i]! + hx, y: gy[j]! - hy, y2: gy[j]! + hy, density: v });
      }
    }
    const a = finiteArray(chart, `panel '${p.label}'.draws`, p.draws);
    if (a.length % 2 !== 0) fail(chart, `panel '${p.label}'.draws holds ${a.length} numbers, expected (x, y) pairs.`);
    for (let s = 0; s < a.length; s += 2) {
      // Draws outside the grid are clipped by the scale, not dropped silently from the count.
      points.push({ panel: p.label, x: a[s]!, y: a[s + 1]! });
    }
  }
  const size = options.size ?? 220;
  const x = { type: "quantitative" as const, title: options.xTitle ?? "θ₁", scale: { domain: domainX, nice: false } };
  const y = { type: "quantitative" as const, title: options.yTitle ?? "θ₂", scale: { domain: domainY, nice: false } };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: options.title ?? "Draws of q over the target density",
    data: { values: [...cells.map((c) => ({ ...c, kind: "cell" })), ...points.map((q) => ({ ...q, kind: "draw" }))] },
    facet: { field: "panel", type: "nominal", title: null, sort: panels.map((p) => p.label) },
    columns: options.columns ?? panels.length,
    spec: {
      width: size,
      height: size,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'cell'" }],
          mark: { type: "rect" },
          encoding: {
            x: { field: "x", ...x }, x2: { field: "x2" }, y: { field: "y", ...y }, y2: { field: "y2" },
            color: { field: "density", type: "quantitative", title: "target (relative)", scale: { scheme: "blues", domain: [0, 1] } },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'draw'" }],
          mark: { type: "circle", size: 6, opacity: 0.45, color: "#d62728", clip: true },
          encoding: { x: { field: "x", ...x }, y: { field: "y", ...y } },
        },
      ],
    },
  } as TopLevelSpec;
}
