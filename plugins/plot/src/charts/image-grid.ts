/** A grid of small grey-scale images (e.g. a VAE's reconstructions or samples), one rect per pixel. */
import type { TopLevelSpec } from "vega-lite";
import { fail, finiteArray } from "./check.js";

export interface ImageGridOptions {
  readonly title?: string;
  /** Images per row of the grid (default 8). */
  readonly columns?: number;
  /** Caption under each image. */
  readonly captions?: readonly string[];
  /** Pixel size on screen (default 4). */
  readonly pixel?: number;
}

/** `images`: each a row-major height×width array of intensities in [0, 1]. */
export function imageGrid(images: readonly ArrayLike<number>[], height: number, width: number, options: ImageGridOptions = {}): TopLevelSpec {
  const chart = "imageGrid";
  if (images.length === 0) fail(chart, "give at least one image.");
  if (!(Number.isInteger(height) && height > 0 && Number.isInteger(width) && width > 0)) fail(chart, `height and width must be positive integers, got ${height}×${width}.`);
  const cols = Math.min(options.columns ?? 8, images.length);
  const px = options.pixel ?? 4;
  const gap = 2;
  const rows: { x: number; y: number; v: number }[] = [];
  const captions: { x: number; y: number; text: string }[] = [];
  images.forEach((img, n) => {
    const a = finiteArray(chart, `images[${n}]`, img, height * width);
    const gx = (n % cols) * (width + gap), gy = Math.floor(n / cols) * (height + gap + (options.captions ? 3 : 0));
    for (let i = 0; i < height; i++) for (let j = 0; j < width; j++) {
      const v = a[i * width + j]!;
      if (v < 0 || v > 1) fail(chart, `images[${n}][${i * width + j}] = ${v} is outside [0, 1].`);
      rows.push({ x: gx + j, y: gy + i, v });
    }
    if (options.captions?.[n] !== undefined) captions.push({ x: gx + width / 2, y: gy + height + 1.5, text: options.captions[n]! });
  });
  const gridRows = Math.ceil(images.length / cols);
  const W = cols * (width + gap) - gap, H = gridRows * (height + gap + (options.captions ? 3 : 0)) - gap;
  const x = { field: "x", type: "quantitative" as const, axis: null, scale: { domain: [0, W] } };
  const y = { field: "y", type: "quantitative" as const, axis: null, scale: { domain: [0, H], reverse: true } };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: options.title ?? "Images",
    width: W * px,
    height: H * px,
    config: { view: { stroke: null } },
    layer: [
      {
        data: { values: rows },
        transform: [{ calculate: "datum.x + 1", as: "x2" }, { calculate: "datum.y + 1", as: "y2" }],
        mark: { type: "rect" },
        encoding: { x, x2: { field: "x2" }, y, y2: { field: "y2" }, color: { field: "v", type: "quantitative", scale: { domain: [0, 1], range: ["#000000", "#ffffff"] }, legend: null } },
      },
      ...(captions.length > 0 ? [{ data: { values: captions }, mark: { type: "text", fontSize: 10, baseline: "top" }, encoding: { x, y, text: { field: "text" } } }] : []),
    ],
  } as TopLevelSpec;
}
