/**
 * Held-out scores of a binary classifier, printed the same way by every classification example:
 * accuracy, log loss against a base-rate guess, and a 5-bin reliability table (the library's
 * `reliabilityTable`).
 */
import { reliabilityTable, type ReliabilityTable } from "@vireo/runtime";

export function printClassifierReport(label: string, p: ArrayLike<number>, yTest: readonly number[], yTrain: readonly number[]): ReliabilityTable {
  const clamp = (v: number) => Math.min(1 - 1e-12, Math.max(1e-12, v));
  let logLoss = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = clamp(p[i]!), y = yTest[i]!;
    logLoss -= (y * Math.log(pi) + (1 - y) * Math.log(1 - pi)) / p.length;
  }
  const rate = yTrain.reduce((s, v) => s + v, 0) / yTrain.length;
  const baseRate = -yTest.reduce((s, y) => s + y * Math.log(rate) + (1 - y) * Math.log(1 - rate), 0) / yTest.length;
  const table = reliabilityTable(Array.from(p, clamp), yTest, 5);
  console.log(`${label}held-out (${p.length} cases): accuracy ${(100 * table.accuracy).toFixed(1)}%, log loss ${logLoss.toFixed(3)} (a constant base-rate guess scores ${baseRate.toFixed(3)})`);
  console.log("  calibration  bin       cases  mean p  observed");
  for (const b of table.bins) {
    if (b.rows > 0) console.log(`               ${b.lower.toFixed(1)}–${b.upper.toFixed(1)}  ${String(b.rows).padStart(5)}  ${b.confidence.toFixed(3)}   ${b.frequency.toFixed(3)}`);
  }
  return table;
}
