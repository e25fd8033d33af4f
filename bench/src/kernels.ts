/**
 * Kernel suite: gemm 64×64 and 256×256, Cholesky 50×50 into a preallocated `out`, logsumexp over
 * 10⁶ values. Two plain hand-written loops doing the same arithmetic on raw Float64Arrays (the naive
 * i-k-j matrix product, the two-pass logsumexp) run in the same suite: the printed ratio is the
 * kernel's time over the bare loop's (below 1 for gemm, whose kernel is register-blocked).
 */
import benny from "benny";
import type { CaseResult, Summary } from "benny/lib/internal/common-types";
import {
  Generator,
  sampleStandardNormal,
  zeros,
  gemm,
  choleskyFactor,
  logsumexp,
  type Arr,
} from "@vireo/core";

const { suite, add, cycle, complete, configure } = benny;

/** Per-case benchmark.js options: the whole suite stays well under 40 s. */
const CASE_OPTIONS = { minSamples: 5, maxTime: 2 };

/** Floating-point operations per call, for the cases where a GFLOP/s figure means something. */
const FLOPS: Record<string, number> = {};

function randomMatrix(rng: Generator, n: number, m: number): Arr {
  const a = zeros([n, m]);
  for (let i = 0; i < a.data.length; i++) a.data[i] = sampleStandardNormal(rng);
  return a;
}

/** C = A B with the same i-k-j loop as gemm, on dense row-major Float64Arrays: the baseline. */
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

  const g64 = { A: randomMatrix(rng, 64, 64), B: randomMatrix(rng, 64, 64), C: zeros([64, 64]) };
  const g256 = { A: randomMatrix(rng, 256, 256), B: randomMatrix(rng, 256, 256), C: zeros([256, 256]) };
  const plainC = new Float64Array(256 * 256);

  // A 50×50 SPD matrix, B Bᵀ + 50·I.
  const B50 = randomMatrix(rng, 50, 50);
  const spd = zeros([50, 50]);
  gemm(1, B50, B50.transpose(1, 0), 0, spd);
  for (let i = 0; i < 50; i++) spd.data[i * 50 + i] = spd.data[i * 50 + i]! + 50;
  const cholOut = zeros([50, 50]);

  const x = new Float64Array(1_000_000);
  for (let i = 0; i < x.length; i++) x[i] = 30 * sampleStandardNormal(rng);
  const xArr = zeros([x.length]);
  xArr.data.set(x);

  FLOPS["gemm 64×64"] = 2 * 64 ** 3;
  FLOPS["gemm 256×256"] = 2 * 256 ** 3;
  FLOPS["gemm 256×256, plain loop"] = 2 * 256 ** 3;

  // Results land here so no case can be optimised away.
  let sink = 0;

  const summary = await suite(
    "kernels",
    configure({ cases: CASE_OPTIONS }),
    add("gemm 64×64", () => {
      gemm(1, g64.A, g64.B, 0, g64.C);
    }),
    add("gemm 256×256", () => {
      gemm(1, g256.A, g256.B, 0, g256.C);
    }),
    add("gemm 256×256, plain loop", () => {
      plainMatMul(g256.A.data, g256.B.data, plainC, 256);
    }),
    add("cholesky 50×50 into out", () => {
      choleskyFactor(spd, cholOut);
    }),
    add("logsumexp 10^6", () => {
      sink += logsumexp(xArr);
    }),
    add("logsumexp 10^6, plain loop", () => {
      sink += plainLogSumExp(x);
    }),
    cycle((result) => {
      console.log(describeCase(result));
    }),
    complete((s) => {
      const ops = (name: string) => s.results.find((r) => r.name === name)?.ops ?? NaN;
      // Time of the Arr kernel over time of the bare loop doing the same arithmetic (1.00 = no cost).
      console.log(`  gemm 256×256: kernel time / plain-loop time = ${(ops("gemm 256×256, plain loop") / ops("gemm 256×256")).toFixed(2)}`);
      console.log(`  logsumexp 10^6: kernel time / plain-loop time = ${(ops("logsumexp 10^6, plain loop") / ops("logsumexp 10^6")).toFixed(2)}`);
    }),
  );

  // Sanity: the kernels computed what the baselines computed (a benchmark of a wrong answer is useless).
  const gemmErr = maxAbsDiff(g256.C.data, plainC);
  const lseErr = Math.abs(logsumexp(xArr) - plainLogSumExp(x));
  if (!(gemmErr < 1e-9 && lseErr < 1e-9) || !Number.isFinite(sink)) {
    throw new Error(`kernels: results disagree with the plain loops (gemm ${gemmErr}, logsumexp ${lseErr}).`);
  }
  return summary;
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}
