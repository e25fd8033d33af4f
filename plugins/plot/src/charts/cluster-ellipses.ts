/** 2-D data with each mixture component's mean and k-standard-deviation ellipse drawn over it. */
import type { TopLevelSpec } from "vega-lite";
import { fail, finiteArray } from "./check.js";

export interface EllipseCluster {
  readonly mean: readonly [number, number];
  /** Row-major 2×2 covariance (symmetric positive definite). */
  readonly covariance: readonly [number, number, number, number];
  /** Mixture weight, shown in the legend. */
  readonly weight?: number;
  readonly label?: string;
}

export interface ClusterOptions {
  readonly title?: string;
  readonly xTitle?: string;
  readonly yTitle?: string;
  /** Ellipse radius in standard deviations (default 2). */
  readonly sd?: number;
  /** Per-point cluster index (e.g. the most responsible component) to colour the data; optional. */
  readonly assignment?: ArrayLike<number>;
  readonly width?: number;
  readonly height?: number;
}

/** Points (x, y) of the ellipse {v : (v − μ)ᵀ Σ⁻¹ (v − μ) = sd²}, closed, `n` segments. */
export function ellipsePoints(mean: readonly [number, number], cov: readonly [number, number, number, number], sd = 2, n = 72): [number, number][] {
  const [a, b, , d] = cov;
  // Cholesky of Σ maps the unit circle onto the ellipse.
  if (!(a > 0) || !(a * d - b * b > 0)) fail("clusterEllipses", `covariance [${cov.join(", ")}] is not positive definite.`);
  const l11 = Math.sqrt(a), l21 = b / l11, l22 = Math.sqrt(d - l21 * l21);
  const out: [number, number][] = [];
  for (let i = 0; i <= n; i++) {
    const t = (2 * Math.PI * i) / n, u = sd * Math.cos(t), v = sd * Math.sin(t);
    out.push([mean[0] + l11 * u, mean[1] + l21 * u + l22 * v]);
  }
  return out;
}

export function clusterEllipses(points: ArrayLike<number>, clusters: readonly EllipseCluster[], options: ClusterOptions = {}): TopLevelSpec {
  const chart = "clusterEllipses";
  const p = finiteArray(chart, "points", points);
  if (p.length % 2 !== 0) fail(chart, `points holds ${p.length} numbers; give N×2 row-major (x0, y0, x1, y1, …).`);
  const N = p.length / 2;
  const assignment = options.assignment === undefined ? null : finiteArray(chart, "assignment", options.assignment, N);
  const name = (c: EllipseCluster, k: number) => c.label ?? `component ${k + 1}${c.weight !== undefined ? ` (${(100 * c.weight).toFixed(0)}%)` : ""}`;
  const data = Array.from({ length: N }, (_, i) => ({ x: p[2 * i]!, y: p[2 * i + 1]!, ...(assignment ? { cluster: name(clusters[assignment[i]!]!, assignment[i]!) } : {}) }));
  const outlines = clusters.flatMap((c, k) => ellipsePoints(c.mean, c.covariance, options.sd ?? 2).map(([x, y], order) => ({ x, y, order, cluster: name(c, k) })));
  const centres = clusters.map((c, k) => ({ x: c.mean[0], y: c.mean[1], cluster: name(c, k) }));
  const x = { field: "x", type: "quantitative" as const, title: options.xTitle ?? "x", scale: { zero: false } };
  const y = { field: "y", type: "quantitative" as const, title: options.yTitle ?? "y", scale: { zero: false } };
  const color = { field: "cluster", type: "nominal" as const, title: null };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: options.title ?? "Clusters",
    width: options.width ?? 420,
    height: options.height ?? 320,
    layer: [
      { data: { values: data }, mark: { type: "circle", size: 14, opacity: 0.55, ...(assignment ? {} : { color: "#888" }) }, encoding: { x, y, ...(assignment ? { color } : {}) } },
      { data: { values: outlines }, mark: { type: "line", strokeWidth: 2 }, encoding: { x, y, order: { field: "order", type: "quantitative" }, color, detail: { field: "cluster" } } },
      { data: { values: centres }, mark: { type: "point", shape: "cross", size: 120, filled: true }, encoding: { x, y, color } },
    ],
  } as TopLevelSpec;
}
