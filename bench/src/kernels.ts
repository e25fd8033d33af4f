/**
 * Kernel suite: the dense kernels the families and chain nodes call: Cholesky 50×50 into a
 * preallocated `out`, a 50×50 SPD inverse from its factor, and logsumexp over 10⁶ values, with a
 * plain two-pass logsumexp loop in the same suite (the printed ratio is the kernel's time over the
 * bare loop's). A naive i-k-j matrix product builds the test matrices.
 */
import benny from "benny";
import type { CaseResult, Summary } from "benny/lib/internal/common-types";
import {
  Generator,
  sampleStandardNormal,
  choleskyInto,
  inverseFromCholesky,
  logsumexp,
} from "@vireo/core";

const { suite, add, cycle, complete, configure } = benny;

/** Per-case benchmark.js options: the whole suite stays well under 40 s. */
const CASE_OPTIONS = { minSamples: 5, maxTime: 2 };

/** Floating-point operations per call, for the cases where a GFLOP/s figure means something. */
const FLOPS: Record<string, number> = {};

function randomMatrix(rng: Generator, n: number, m: number): Float64Array {
  return Float64Array.from({ length: n * m }, () => sampleStandardNormal(rng));
}

/** C = A B with an i-k-j loop on dense row-major Float64Arrays. */
function plainMatMul(A: Float64Array, B: Float64Array, C: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const ci = i * n;
    for (let j = 0; j < n; j++) C[ci + j] = 0;
    for (let p = 0; p < n; p++) {
      const a = A[ci + p]!;
      const bp = p * n;
      for (let j = 0; j < n; j++) C[ci + j] = C[ci + j]! + a * B[bp + j]!;
    }
  }
}

/** log Σ exp with the max shift, as a bare loop: the baseline. */
function plainLogSumExp(x: Float64Array): number {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i]! > m) m = x[i]!;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i]! - m);
  return m + Math.log(s);
}

function fmtOps(ops: number): string {
  return ops.toLocaleString("en-US", { maximumFractionDigits: ops < 100 ? 2 : 0 });
}

/** One line per case: ops/s, its margin, milliseconds per op, and GFLOP/s where FLOPS knows the count. */
export function describeCase(r: CaseResult): string {
  const ms = 1000 / r.ops;
  const flops = FLOPS[r.name];
  const gflops = flops === undefined ? "" : `  ${((flops * r.ops) / 1e9).toFixed(2)} GFLOP/s`;
  return `  ${r.name.padEnd(34)} ${fmtOps(r.ops).padStart(12)} ops/s ±${r.margin.toFixed(2)}%  ${ms.toPrecision(4).padStart(9)} ms/op${gflops}  (${r.samples} samples)`;
}

export async function kernels(): Promise<Summary> {
  const rng = new Generator(20240601);

  // A 50×50 SPD matrix, B Bᵀ + 50·I.
  const B50 = randomMatrix(rng, 50, 50), B50t = Float64Array.from({ length: 2500 }, (_, i) => B50[(i % 50) * 50 + Math.floor(i / 50)]!);
  const spd = new Float64Array(2500);
  plainMatMul(B50, B50t, spd, 50);
  for (let i = 0; i < 50; i++) spd[i * 50 + i] = spd[i * 50 + i]! + 50;
  const cholOut = new Float64Array(2500), invOut = new Float64Array(2500), work = new Float64Array(50);

  const x = new Float64Array(1_000_000);
  for (let i = 0; i < x.length; i++) x[i] = 30 * sampleStandardNormal(rng);

  FLOPS["cholesky 50×50 into out"] = 50 ** 3 / 3;
  FLOPS["inverse 50×50 from its Cholesky factor"] = 50 ** 3;

  // Results land here so no case can be optimised away.
  let sink = 0;

  const summary = await suite(
    "kernels",
    configure({ cases: CASE_OPTIONS }),
    add("cholesky 50×50 into out", () => {
      choleskyInto(spd, 50, cholOut);
    }),
    add("inverse 50×50 from its Cholesky factor", () => {
      inverseFromCholesky(cholOut, 50, invOut, work);
    }),
    add("logsumexp 10^6", () => {
      sink += logsumexp(x);
    }),
    add("logsumexp 10^6, plain loop", () => {
      sink += plainLogSumExp(x);
    }),
    cycle((result) => {
      console.log(describeCase(result));
    }),
    complete((s) => {
      const ops = (name: string) => s.results.find((r) => r.name === name)?.ops ?? NaN;
      // Time of the kernel over time of the bare loop doing the same arithmetic (1.00 = no cost).
      console.log(`  logsumexp 10^6: kernel time / plain-loop time = ${(ops("logsumexp 10^6, plain loop") / ops("logsumexp 10^6")).toFixed(2)}`);
    }),
  );

  // Sanity: the kernels computed what the baselines computed (a benchmark of a wrong answer is useless).
  const identity = new Float64Array(2500);
  plainMatMul(invOut, spd, identity, 50);
  for (let i = 0; i < 50; i++) identity[i * 50 + i] = identity[i * 50 + i]! - 1;
  const invErr = maxAbsDiff(identity, new Float64Array(2500));
  const lseErr = Math.abs(logsumexp(x) - plainLogSumExp(x));
  if (!(invErr < 1e-9 && lseErr < 1e-9) || !Number.isFinite(sink)) {
    throw new Error(`kernels: results disagree with the references (A⁻¹A − I ${invErr}, logsumexp ${lseErr}).`);
  }
  return summary;
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}
