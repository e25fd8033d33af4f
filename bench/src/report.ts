/**
 * Figures for tracking: a suite records each side-by-side row (Vireo's figure, the peer's or the
 * plain loop's, their ratio) as it prints it; `bench --json[=file]` writes every recorded row of
 * the run to a JSON file (default bench-results.json in the working directory).
 */

export interface BenchRow {
  readonly suite: string;
  /** What the row measures, e.g. "LDA SVI K = 10, seconds per epoch". */
  readonly row: string;
  /** Unit of both figures (e.g. "s", "ms/sweep", "perplexity"). */
  readonly unit: string;
  readonly vireo: number;
  /** The peer's figure, or null when the peer did not run (the reason is in `note`). */
  readonly peer: number | null;
  /** Who the peer is ("scikit-learn 1.2.1 LatentDirichletAllocation(online)", "plain loop"). */
  readonly peerName: string | null;
  /** vireo / peer (for times: below 1 is faster than the peer). */
  readonly ratio: number | null;
  readonly note?: string;
}

const rows: BenchRow[] = [];
let currentSuite = "";

/** Set by the runner before each suite. */
export function startSuite(name: string): void {
  currentSuite = name;
}

/** Records a row (and returns it); ratio is computed when both figures are there. */
export function recordRow(row: Omit<BenchRow, "suite" | "ratio">): BenchRow {
  const ratio = row.peer !== null && row.peer !== 0 ? row.vireo / row.peer : null;
  const r: BenchRow = { suite: currentSuite, ...row, ratio };
  rows.push(r);
  return r;
}

/** Every row recorded so far in this run. */
export function recordedRows(): readonly BenchRow[] {
  return rows;
}
