/**
 * imageGridPng: the PNG is decoded here by an independent reader (node:zlib inflate + the five PNG
 * row filters) and every pixel is compared with the grid layout computed by hand.
 */
import test from "ava";
import { inflateSync } from "node:zlib";
import { VireoError } from "@vireo/core";
import { imageGridPng } from "@vireo/plot";

/** Decodes an 8-bit grey, non-interlaced PNG. */
function decodeGrey(png: Uint8Array): { width: number; height: number; data: Uint8Array } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let at = 8, width = 0, height = 0;
  const idat: Uint8Array[] = [];
  while (at < png.length) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const body = png.subarray(at + 8, at + 8 + len);
    if (type === "IHDR") {
      const h = new DataView(body.buffer, body.byteOffset, body.byteLength);
      width = h.getUint32(0); height = h.getUint32(4);
      if (body[8] !== 8 || body[9] !== 0 || body[12] !== 0) throw new Error("expected 8-bit grey, not interlaced");
    } else if (type === "IDAT") idat.push(body);
    at += 12 + len;
  }
  const joined = new Uint8Array(idat.reduce((s, b) => s + b.length, 0));
  idat.reduce((o, b) => (joined.set(b, o), o + b.length), 0);
  const raw = new Uint8Array(inflateSync(joined));
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (width + 1)]!;
    for (let x = 0; x < width; x++) {
      const r = raw[y * (width + 1) + 1 + x]!;
      const a = x > 0 ? data[y * width + x - 1]! : 0, b = y > 0 ? data[(y - 1) * width + x]! : 0;
      const c = x > 0 && y > 0 ? data[(y - 1) * width + x - 1]! : 0;
      let p = 0;
      if (f === 1) p = a; else if (f === 2) p = b; else if (f === 3) p = (a + b) >> 1;
      else if (f === 4) { const q = a + b - c, pa = Math.abs(q - a), pb = Math.abs(q - b), pc = Math.abs(q - c); p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c; }
      data[y * width + x] = (r + p) & 255;
    }
  }
  return { width, height, data };
}

test("imageGridPng: every pixel where the grid puts it", (t) => {
  const rows = 2, cols = 3, w = 4, h = 5, n = 5, scale = 2, gap = 1;
  const images = new Float64Array(n * w * h);
  for (let k = 0; k < images.length; k++) images[k] = ((k * 37) % 101) / 100;
  const { width, height, data } = decodeGrey(imageGridPng(images, { rows, cols, width: w, height: h, scale, gap, background: 128 }));
  t.is(width, cols * w * scale + (cols - 1) * gap);
  t.is(height, rows * h * scale + (rows - 1) * gap);
  let checked = 0;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const cx = Math.floor(x / (w * scale + gap)), cy = Math.floor(y / (h * scale + gap));
    const ix = x - cx * (w * scale + gap), iy = y - cy * (h * scale + gap);
    const cell = cy * cols + cx;
    let expected = 128;
    if (ix < w * scale && iy < h * scale && cell < n) {
      expected = Math.round(images[cell * w * h + Math.floor(iy / scale) * w + Math.floor(ix / scale)]! * 255);
    }
    if (data[y * width + x] !== expected) { t.fail(`pixel (${x}, ${y}) is ${data[y * width + x]}, expected ${expected}`); return; }
    checked++;
  }
  t.is(checked, width * height);
});

test("imageGridPng: range maps intensities, bad input names the image and pixel", (t) => {
  const { data } = decodeGrey(imageGridPng(new Float64Array([-1, 0, 1, 0.5]), { rows: 1, cols: 1, width: 2, height: 2, scale: 1, range: [-1, 1] }));
  t.deepEqual([...data], [0, 128, 255, 191]);
  const e1 = t.throws(() => imageGridPng(new Float64Array([0, 2]), { rows: 1, cols: 2, width: 1, height: 1 }), { instanceOf: VireoError });
  t.regex(e1!.message, /image 1, pixel \(0, 0\) = 2 is outside the range \[0, 1\]/);
  const e2 = t.throws(() => imageGridPng(new Float64Array(7), { rows: 1, cols: 1, width: 2, height: 2 }), { instanceOf: VireoError });
  t.regex(e2!.message, /7 values, expected a positive multiple of width·height = 4/);
  const e3 = t.throws(() => imageGridPng(new Float64Array(12), { rows: 1, cols: 2, width: 2, height: 2 }), { instanceOf: VireoError });
  t.regex(e3!.message, /3 images do not fit a 1×2 grid/);
});
