/**
 * Rendering a Vega-Lite spec headless: Vega-Lite compiles it to Vega, a Vega View with no renderer
 * draws it to an SVG string (no DOM, no canvas), and resvg rasterises the SVG to PNG.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { Resvg } from "@resvg/resvg-js";
import { VireoError } from "@vireo/core";

export type { TopLevelSpec };

/** The fonts the charts ask for, in order; resvg falls back along the same list. */
export const FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif";

/** The shared look: white background, one font, quiet grid. */
export const THEME = {
  background: "white",
  font: FONT,
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: "#e6e6e6" },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
  title: { fontSize: 14, anchor: "start" as const },
  view: { stroke: "#ddd" },
};

/** Renders a Vega-Lite spec to an SVG document string. */
export async function toSvg(spec: TopLevelSpec): Promise<string> {
  const withTheme = { ...spec, config: { ...THEME, ...(spec.config ?? {}) } } as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(withTheme).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG document to PNG bytes at `scale` × its own size, with the system fonts. */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  if (!(scale > 0 && scale <= 8)) throw new VireoError("INVALID_OPTION", `svgToPng: scale must be in (0, 8], got ${scale}.`);
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
    background: "white",
  });
  const png = resvg.render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

export interface WrittenChart {
  readonly svg: string;
  readonly png: string;
}

/**
 * Renders `spec` and writes `<dir>/<name>.svg` and `<dir>/<name>.png` (the folder is created).
 * Returns the two paths.
 */
export async function writeChart(dir: string, name: string, spec: TopLevelSpec, options: { scale?: number } = {}): Promise<WrittenChart> {
  if (!/^[\w.-]+$/.test(name)) throw new VireoError("INVALID_OPTION", `writeChart: name '${name}' must be a plain file name (letters, digits, _ . -).`);
  mkdirSync(dir, { recursive: true });
  const svg = await toSvg(spec);
  const paths = { svg: join(dir, `${name}.svg`), png: join(dir, `${name}.png`) };
  writeFileSync(paths.svg, svg);
  writeFileSync(paths.png, svgToPng(svg, options.scale ?? 2));
  return paths;
}
