/**
 * Where the examples write their pictures: examples/pictures/<example>/ (git-ignored), one SVG and
 * one PNG per chart. Each example names its folder and prints the files it wrote.
 */
import { fileURLToPath } from "node:url";
import { relative } from "node:path";
import { writeChart, type TopLevelSpec } from "@vireo/plot";

export function picturesFolder(example: string): string {
  return fileURLToPath(new URL(`../../pictures/${example}/`, import.meta.url));
}

/** Writes every chart of an example and prints where they went. */
export async function writePictures(example: string, charts: Readonly<Record<string, TopLevelSpec>>): Promise<string[]> {
  const dir = picturesFolder(example);
  const written: string[] = [];
  for (const [name, spec] of Object.entries(charts)) {
    const paths = await writeChart(dir, name, spec);
    written.push(paths.svg, paths.png);
  }
  console.log(`\npictures: ${Object.keys(charts).map((n) => `${n}.svg/.png`).join(", ")} in ${relative(process.cwd(), dir) || "."}`);
  return written;
}
