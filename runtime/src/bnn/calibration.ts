/**
 * Calibration of predictive distributions on held-out data, for any model that gives intervals
 * or probabilities:
 * - `intervalCoverage`: the fraction of responses inside each central interval, next to the
 *   nominal level and the binomial standard error √(level(1 − level)/N) a calibrated model's
 *   coverage would scatter by;
 * - `reliabilityTable`: predicted probabilities of y = 1 in equal-width bins, the observed
 *   frequency per bin, and the expected calibration error ECE = Σ_b (N_b/N) |freq_b − conf_b|.
 */
import { VireoError, fmt } from "@vireo/core";
import { checkTargets, type BnnTargets } from "./data.js";

export interface CoverageRow {
  /** Nominal level of the central interval, e.g. 0.95. */
  readonly level: number;
  /** Fraction of rows whose response lies in [lower, upper]. */
  readonly coverage: number;
  /** Rows inside. */
  readonly covered: number;
  readonly rows: number;
  /** √(level(1 − level)/rows): the scatter of a calibrated model's coverage. */
  readonly standardError: number;
  /** Mean interval width. */
  readonly meanWidth: number;
}

/** Coverage of central intervals at each level; `interval(level)` gives per-row bounds. */
export function intervalCoverage(
  interval: (level: number) => { readonly lower: ArrayLike<number>; readonly upper: ArrayLike<number> },
  y: BnnTargets,
  levels: readonly number[] = [0.5, 0.8, 0.95],
): CoverageRow[] {
  const yy = checkTargets(y, y?.length ?? 0, false, "intervalCoverage");
  return levels.map((level) => {
    if (!(level > 0 && level < 1)) {
      throw new VireoError("INVALID_OPTION", `intervalCoverage: every level must be in (0, 1), got ${fmt(level)}.`, { parameter: "levels" });
    }
    const { lower, upper } = interval(level);
    if (lower.length !== yy.length || upper.length !== yy.length) {
      throw new VireoError("DIMENSION_MISMATCH", `intervalCoverage: the ${level} interval has ${lower.length} lower and ${upper.length} upper bounds for ${yy.length} responses.`, { field: "y" });
    }
    let covered = 0, width = 0;
    for (let n = 0; n < yy.length; n++) {
      if (yy[n]! >= lower[n]! && yy[n]! <= upper[n]!) covered++;
      width += (upper[n]! - lower[n]!) / yy.length;
    }
    return { level, coverage: covered / yy.length, covered, rows: yy.length, standardError: Math.sqrt((level * (1 - level)) / yy.length), meanWidth: width };
  });
}

export interface ReliabilityBin {
  /** Bin edges of the predicted probability. */
  readonly lower: number;
  readonly upper: number;
  readonly rows: number;
  /** Mean predicted probability in the bin (NaN when empty). */
  readonly confidence: number;
  /** Observed frequency of y = 1 in the bin (NaN when empty). */
  readonly frequency: number;
}

export interface ReliabilityTable {
  readonly bins: readonly ReliabilityBin[];
  /** Expected calibration error Σ_b (N_b/N) |frequency_b − confidence_b|. */
  readonly ece: number;
  /** Brier score (1/N) Σ (p_n − y_n)². */
  readonly brier: number;
  /** Fraction of rows with (p ≥ 0.5) = y. */
  readonly accuracy: number;
}

/** Reliability table of predicted probabilities `p` of y = 1 against 0/1 labels, in `bins` equal-width bins. */
export function reliabilityTable(p: ArrayLike<number>, y: BnnTargets, bins = 10): ReliabilityTable {
  const yy = checkTargets(y, y?.length ?? 0, true, "reliabilityTable");
  if (!Number.isInteger(bins) || bins < 1) {
    throw new VireoError("INVALID_OPTION", `reliabilityTable: bins must be a positive integer, got ${fmt(bins)}.`, { parameter: "bins" });
  }
  if (p.length !== yy.length) {
    throw new VireoError("DIMENSION_MISMATCH", `reliabilityTable: ${p.length} probabilities for ${yy.length} labels; give one per row.`, { field: "p" });
  }
  const count = new Float64Array(bins), conf = new Float64Array(bins), freq = new Float64Array(bins);
  let brier = 0, correct = 0;
  for (let n = 0; n < yy.length; n++) {
    const pn = p[n]!;
    if (!(pn >= 0 && pn <= 1)) {
      throw new VireoError("INVALID_DATA", `reliabilityTable: probability ${fmt(pn)} at row ${n} is outside [0, 1].`, { row: n, field: "p" });
    }
    const b = Math.min(bins - 1, Math.floor(pn * bins));
    count[b]++;
    conf[b] += pn;
    freq[b] += yy[n]!;
    brier += (pn - yy[n]!) ** 2;
    if ((pn >= 0.5 ? 1 : 0) === yy[n]) correct++;
  }
  let ece = 0;
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const k = count[b]!;
    const confidence = k > 0 ? conf[b]! / k : NaN, frequency = k > 0 ? freq[b]! / k : NaN;
    if (k > 0) ece += (k / yy.length) * Math.abs(frequency - confidence);
    out.push({ lower: b / bins, upper: (b + 1) / bins, rows: k, confidence, frequency });
  }
  return { bins: out, ece, brier: brier / yy.length, accuracy: correct / yy.length };
}
