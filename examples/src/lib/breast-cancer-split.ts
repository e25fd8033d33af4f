/**
 * The breast-cancer biopsies (../data/breast_cancer.csv: 30 features, 0/1 diagnosis) split 70/30
 * by a seeded shuffle, features standardised with the training rows' means and sds: the split the
 * GP classification examples share, so their held-out figures compare.
 */
import { fileURLToPath } from "node:url";
import { Generator } from "@vireo/core";
import { readNumericCsv } from "./csv.js";

export interface BreastCancerSplit {
  readonly D: number;
  readonly xTrain: number[][];
  readonly yTrain: number[];
  readonly xTest: number[][];
  readonly yTest: number[];
}

export function breastCancerSplit(seed = 42): BreastCancerSplit {
  const { header, rows } = readNumericCsv(fileURLToPath(new URL("../../data/breast_cancer.csv", import.meta.url)));
  const D = header.length - 1;
  const rng = new Generator(seed), order = rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.integer(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const nTrain = Math.round(0.7 * rows.length), trainIdx = order.slice(0, nTrain), testIdx = order.slice(nTrain);
  const mean = new Float64Array(D), sd = new Float64Array(D);
  for (const i of trainIdx) for (let c = 0; c < D; c++) mean[c] += rows[i]![c]! / nTrain;
  for (const i of trainIdx) for (let c = 0; c < D; c++) sd[c] += (rows[i]![c]! - mean[c]!) ** 2 / nTrain;
  for (let c = 0; c < D; c++) sd[c] = Math.sqrt(sd[c]!);
  const features = (idx: number[]) => idx.map((i) => Array.from({ length: D }, (_, c) => (rows[i]![c]! - mean[c]!) / sd[c]!));
  const labels = (idx: number[]) => idx.map((i) => rows[i]![D]!);
  return { D, xTrain: features(trainIdx), yTrain: labels(trainIdx), xTest: features(testIdx), yTest: labels(testIdx) };
}
