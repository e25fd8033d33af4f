/**
 * A grid of grey-scale images straight to PNG bytes (e.g. a VAE's samples or reconstructions):
 * one pixel block per image pixel, no chart spec and no SVG, so a 10×10 grid of 28×28 digits is
 * cheap. Encoded by fast-png. For a captioned chart use `imageGrid` (a Vega-Lite spec) instead.
 */
import { encode } from "fast-png";
import { VireoError } from "@vireo/core";

export interface ImageGridPngOptions {
  /** Rows and columns of the grid; `rows · cols` images are read (missing cells stay background). */
  readonly rows: number;
  readonly cols: number;
  /** Width and height of each image in pixels; image n is `images[n·w·h, (n+1)·w·h)`, row-major. */
  readonly width: number;
  readonly height: number;
  /** Screen pixels per image pixel (default 3). */
  readonly scale?: number;
  /** Background pixels between images (default 2). */
  readonly gap?: number;
  /** Intensities mapped to black and white (default [0, 1]); values outside are an error. */
  readonly range?: readonly [number, number];
  /** Grey level of the gaps, 0 (black) to 255 (white) (default 255). */
  readonly background?: number;
}

function fail(message: string): never {
  throw new VireoError("INVALID_DATA", `imageGridPng: ${message}`);
}

function positiveInteger(name: string, v: number, max: number): void {
  if (!(Number.isInteger(v) && v > 0 && v <= max)) fail(`${name} must be an integer in [1, ${max}], got ${v}.`);
}

/**
 * PNG bytes (8-bit grey) of `images` (n images of `height × width`, back to back, n ≤ rows·cols)
 * laid out in a `rows × cols` grid, row by row.
 */
export function imageGridPng(images: Float64Array | Float32Array | readonly number[], options: ImageGridPngOptions): Uint8Array {
  const { rows, cols, width, height } = options;
  const scale = options.scale ?? 3, gap = options.gap ?? 2, background = options.background ?? 255;
  positiveInteger("rows", rows, 1000);
  positiveInteger("cols", cols, 1000);
  positiveInteger("width", width, 4096);
  positiveInteger("height", height, 4096);
  positiveInteger("scale", scale, 64);
  if (!(Number.isInteger(gap) && gap >= 0 && gap <= 64)) fail(`gap must be an integer in [0, 64], got ${gap}.`);
  if (!(Number.isInteger(background) && background >= 0 && background <= 255)) fail(`background must be an integer in [0, 255], got ${background}.`);
  const [lo, hi] = options.range ?? [0, 1];
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo)) fail(`range must be two finite numbers [lo, hi] with hi > lo, got [${lo}, ${hi}].`);
  const pixels = width * height;
  if (images.length === 0 || images.length % pixels !== 0) fail(`images has ${images.length} values, expected a positive multiple of width·height = ${pixels}.`);
  const count = images.length / pixels;
  if (count > rows * cols) fail(`${count} images do not fit a ${rows}×${cols} grid; raise rows or cols.`);

  const cellW = width * scale, cellH = height * scale;
  const W = cols * cellW + (cols - 1) * gap, H = rows * cellH + (rows - 1) * gap;
  if (W * H > 64e6) fail(`the picture would be ${W}×${H} pixels; lower scale or the grid size.`);
  const out = new Uint8Array(W * H).fill(background);
  const span = hi - lo;
  for (let n = 0; n < count; n++) {
    const x0 = (n % cols) * (cellW + gap), y0 = Math.floor(n / cols) * (cellH + gap);
    const base = n * pixels;
    for (let i = 0; i < height; i++) {
      for (let j = 0; j < width; j++) {
        const v = images[base + i * width + j]!;
        if (!(v >= lo && v <= hi)) fail(`image ${n}, pixel (${i}, ${j}) = ${v} is outside the range [${lo}, ${hi}]; pass options.range.`);
        const grey = Math.round(((v - lo) / span) * 255);
        for (let a = 0; a < scale; a++) {
          const row = (y0 + i * scale + a) * W + x0 + j * scale;
          out.fill(grey, row, row + scale);
        }
      }
    }
  }
  return encode({ width: W, height: H, data: out, channels: 1, depth: 8 });
}
