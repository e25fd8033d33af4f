/** Reads a small numeric CSV with a header row into named columns (examples only). */
import { readFileSync } from "node:fs";

export function readNumericCsv(path: string): { header: string[]; rows: number[][] } {
  const lines = readFileSync(path, "utf8").split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = lines[0]!.split(",").map((h) => h.replace(/^"|"$/g, ""));
  const rows = lines.slice(1).map((l, i) => {
    const r = l.split(",").map(Number);
    if (r.length !== header.length || r.some((v) => !Number.isFinite(v))) throw new Error(`${path}: line ${i + 2} is not ${header.length} numbers`);
    return r;
  });
  return { header, rows };
}
