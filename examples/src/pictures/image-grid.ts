/**
 * Grey-level images as one PNG grid (pngjs): `images` holds count × (height·width) values in
 * [0, 1], laid out row by row in a grid of `cols` columns, each pixel drawn as a scale × scale
 * block, with a one-block border between images.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { PNG } from "pngjs";

export interface GridOptions {
  readonly height: number;
  readonly width: number;
  readonly cols: number;
  /** Screen pixels per image pixel (default 4). */
  readonly scale?: number;
}

export function writeImageGrid(path: string, images: Float64Array, options: GridOptions): void {
  const { height: h, width: w, cols } = options, scale = options.scale ?? 4, size = h * w;
  const count = Math.floor(images.length / size), rows = Math.ceil(count / cols);
  const cellW = (w + 1) * scale, cellH = (h + 1) * scale;
  const png = new PNG({ width: cols * cellW + scale, height: rows * cellH + scale });
  png.data.fill(255);
  for (let k = 0; k < count; k++) {
    const x0 = (k % cols) * cellW + scale, y0 = Math.floor(k / cols) * cellH + scale;
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        // Dark ink on white paper.
        const v = Math.round(255 * (1 - Math.min(1, Math.max(0, images[k * size + r * w + c]!))));
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const o = ((y0 + r * scale + dy) * png.width + (x0 + c * scale + dx)) * 4;
            png.data[o] = v;
            png.data[o + 1] = v;
            png.data[o + 2] = v;
            png.data[o + 3] = 255;
          }
        }
      }
    }
  }
  mkdirSync(dirname(path), { recursive: true });
  const bytes = PNG.sync.write(png);
  writeFileSync(path, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}
