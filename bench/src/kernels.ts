/**
 * Kernel suite: the dense kernels the families and chain nodes call: Cholesky 50×50 into a
 * preallocated `out`, a 50×50 SPD inverse from its factor, and logsumexp over 10⁶ values, with a
 * plain two-pass logsumexp loop in the same suite (the printed ratio is the kernel's time over the
 * bare loop's). A naive i-k-j matrix product builds the test matrices. The tape's matmul (packed,
 * register-tiled GEMM, linalg/gemm.ts) at 256×256×256 and 1000×784×400 (a minibatch of 1000 MNIST
 * rows through a 784→400 layer), forward alone and forward + both gradients, with GFLOP/s, against
 * the plain i-k-j loop at 256.
 */
import benny from "benny";
import type { CaseResult, Summary } from "benny/lib/internal/common-types";
import {
  Generator,
  sampleStandardNormal,
  choleskyInto,
  inverseFromCholesky,
  logsumexp,
  Tape,
  ad,
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

  // Tape matmuls: C = A·B and, with backward, dA = G·Bᵀ and dB = Aᵀ·G (three products).
  const mm = (m: number, k: number, n: number) => {
    const A = randomMatrix(rng, m, k), Bm = randomMatrix(rng, k, n), tape = new Tape();
    return {
      forward: () => { tape.reset(); return ad.matmul(tape.constant(A, [m, k]), tape.constant(Bm, [k, n])); },
      both: () => { tape.reset(); tape.backward(ad.sum(ad.matmul(tape.param(A, [m, k]), tape.param(Bm, [k, n])))); },
      A, B: Bm,
    };
  };
  const mm256 = mm(256, 256, 256), mmMnist = mm(1000, 784, 400), plain256 = new Float64Array(256 * 256);
  FLOPS["tape matmul 256×256×256"] = 2 * 256 ** 3;
  FLOPS["tape matmul 256³ + backward"] = 3 * 2 * 256 ** 3;
  FLOPS["plain i-k-j loop 256×256×256"] = 2 * 256 ** 3;
  FLOPS["tape matmul 1000×784×400"] = 2 * 1000 * 784 * 400;
  FLOPS["tape matmul 1000×784×400 + backward"] = 3 * 2 * 1000 * 784 * 400;
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
    add("tape matmul 256×256×256", () => {
      sink += mm256.forward().value[7]!;
    }),
    add("tape matmul 256³ + backward", () => {
      mm256.both();
    }),
    add("plain i-k-j loop 256×256×256", () => {
      plainMatMul(mm256.A, mm256.B, plain256, 256);
    }),
    add("tape matmul 1000×784×400", () => {
      sink += mmMnist.forward().value[7]!;
    }),
    add("tape matmul 1000×784×400 + backward", () => {
      mmMnist.both();
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
      console.log(`  matmul 256³: tape (packed GEMM) time / plain i-k-j loop time = ${(ops("plain i-k-j loop 256×256×256") / ops("tape matmul 256×256×256")).toFixed(2)}`);
    }),
  );

  // Sanity: the kernels computed what the baselines computed (a benchmark of a wrong answer is useless).
  const identity = new Float64Array(2500);
  plainMatMul(invOut, spd, identity, 50);
  for (let i = 0; i < 50; i++) identity[i * 50 + i] = identity[i * 50 + i]! - 1;
  const invErr = maxAbsDiff(identity, new Float64Array(2500));
  const lseErr = Math.abs(logsumexp(x) - plainLogSumExp(x));
  plainMatMul(mm256.A, mm256.B, plain256, 256);
  const mmErr = maxAbsDiff(mm256.forward().value, plain256);
  if (!(invErr < 1e-9 && lseErr < 1e-9 && mmErr < 1e-9) || !Number.isFinite(sink)) {
    throw new Error(`kernels: results disagree with the references (A⁻¹A − I ${invErr}, logsumexp ${lseErr}, matmul ${mmErr}).`);
  }
  return summary;
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}
