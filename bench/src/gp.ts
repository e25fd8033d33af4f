/**
 * GP suite: SVGP epochs (M = 100 inducing inputs, batches of 1000, one natural-gradient step on
 * q(u) plus the hyperparameter gradient and an Adam step per batch, through SvgpEngine as svi()
 * runs it) at N = 10⁴, 10⁵, 10⁶ synthetic rows with 1-D and 8-D inputs, against the exact GP's
 * log marginal likelihood and gradient (one O(N³) optimiser step) at N = 2000 in the same run.
 *
 * Printed per epoch row: seconds per epoch, points/s (linear in N means constant points/s), the
 * GFLOP/s the O(M²) work implies, and its ratio to core's packed GEMM (linalg/gemm.ts, the kernel
 * `bench kernels` reports) timed at 256³ between the row's batches (about 20 calls per epoch), so the ratio holds up
 * when the machine is shared. The O(M²) work is 6 M² flops per point: the triangular solve L⁻¹K_ZX
 * (M²), S·A (2M²), the lower triangle of the rows' weighted Gram matrix for the natural-gradient
 * target (M²), the solve L⁻ᵀĀ (M²) and the lower triangle of Ā Aᵀ for L̄ (M²). The same ratio from
 * process CPU time is printed beside it (wall time counts the time other processes hold the cores).
 * Then the N where one SVGP epoch costs as much as one exact step (t_exact ∝ N³).
 *
 * GP_BENCH_QUICK=1 stops the epochs at N = 10⁵ (the full run, the default, goes to 10⁶).
 * benny times single steps (many samples); the epochs are timed once each with performance.now.
 */
import benny from "benny";
import type { CaseResult } from "benny/lib/internal/common-types";
import { Generator, sampleNormal, squaredExponential, sparseGp, exactGp, gaussianLikelihood, gemmNN } from "@vireo/core";
import { SvgpEngine } from "@vireo/runtime";
import { recordRow } from "./report.js";

const { suite, add, cycle, configure } = benny;
const M = 100, BATCH = 1000, FLOPS_PER_POINT = 6 * M * M, GEMM_N = 256;
const QUICK = process.env.GP_BENCH_QUICK === "1";

function synthetic(n: number, d: number, seed: number): { x: Float64Array; y: Float64Array } {
  const rng = new Generator(seed), x = new Float64Array(n * d), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let f = 0;
    for (let c = 0; c < d; c++) {
      const v = 10 * rng.uniform();
      x[i * d + c] = v;
      f += Math.sin(v) / Math.sqrt(d);
    }
    y[i] = f + sampleNormal(rng, 0, 0.1);
  }
  return { x, y };
}

function makeEngine(d: number, n: number): SvgpEngine {
  const rng = new Generator(7 + d), Z = Float64Array.from({ length: M * d }, () => 10 * rng.uniform());
  const model = sparseGp({ kernel: squaredExponential({ dim: d, lengthscale: d === 1 ? 1 : new Array(d).fill(2) }), likelihood: gaussianLikelihood(0.1), inducing: Z, jitter: 1e-6 });
  return new SvgpEngine(model, { totalRows: n });
}

/** C = A B, i-k-j, row-major: the plain peer for the GFLOP/s figure. */
function plainGemm(A: Float64Array, B: Float64Array, C: Float64Array, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    C.fill(0, ci, ci + n);
    for (let p = 0; p < k; p++) {
      const a = A[i * k + p]!, bp = p * n;
      for (let j = 0; j < n; j++) C[ci + j] += a * B[bp + j]!;
    }
  }
}

function line(r: CaseResult, flops?: number): string {
  const ms = 1000 / r.ops, g = flops ? `  ${((flops * r.ops) / 1e9).toFixed(2)} GFLOP/s` : "";
  return `  ${r.name.padEnd(44)} ${ms.toPrecision(4).padStart(9)} ms/op ±${r.margin.toFixed(1)}%${g}  (${r.samples} samples)`;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Wall and process CPU seconds spent in the GEMM probes of one epoch. */
interface ProbeTotals {
  wall: number;
  cpu: number;
  calls: number;
}

/** One core GEMM at 256³, its wall and CPU time added to `t`. */
function gemmProbe(A: Float64Array, B: Float64Array, C: Float64Array, t: ProbeTotals): void {
  const t0 = performance.now(), c0 = cpuSeconds();
  gemmNN(GEMM_N, GEMM_N, GEMM_N, A, B, C);
  t.wall += (performance.now() - t0) / 1000;
  t.cpu += cpuSeconds() - c0;
  t.calls++;
}

export async function gp(): Promise<void> {
  const rng = new Generator(1);
  const A = Float64Array.from({ length: M * M }, () => rng.uniform()), Bm = Float64Array.from({ length: M * BATCH }, () => rng.uniform()), C = new Float64Array(M * BATCH);
  const G1 = Float64Array.from({ length: GEMM_N * GEMM_N }, () => rng.uniform()), G2 = Float64Array.from({ length: GEMM_N * GEMM_N }, () => rng.uniform()), G3 = new Float64Array(GEMM_N * GEMM_N);
  const one = { d1: synthetic(BATCH, 1, 11), d8: synthetic(BATCH, 8, 12) };
  const e1 = makeEngine(1, 1e5), e8 = makeEngine(8, 1e5);
  const flops: Record<string, number> = {
    "core GEMM 256×256×256": 2 * GEMM_N ** 3,
    "core GEMM 100×100 · 100×1000": 2 * M * M * BATCH,
    "plain gemm 100×100 · 100×1000": 2 * M * M * BATCH,
    "SVGP step M=100 batch 1000, 1-D": FLOPS_PER_POINT * BATCH,
    "SVGP step M=100 batch 1000, 8-D": FLOPS_PER_POINT * BATCH,
  };
  await suite(
    "gp",
    configure({ cases: { minSamples: 5, maxTime: 3 } }),
    add("core GEMM 256×256×256", () => gemmNN(GEMM_N, GEMM_N, GEMM_N, G1, G2, G3)),
    add("core GEMM 100×100 · 100×1000", () => gemmNN(M, BATCH, M, A, Bm, C)),
    add("plain gemm 100×100 · 100×1000", () => plainGemm(A, Bm, C, M, M, BATCH)),
    add("SVGP step M=100 batch 1000, 1-D", () => e1.stepBatch({ x: one.d1.x, y: one.d1.y })),
    add("SVGP step M=100 batch 1000, 8-D", () => e8.stepBatch({ x: one.d8.x, y: one.d8.y })),
    cycle((r) => {
      console.log(line(r, flops[r.name]));
    }),
  );

  // Exact GP at N = 2000: log marginal likelihood and its gradient (Cholesky N³/3, K⁻¹ N³).
  const exactSeconds: Record<number, number> = {};
  for (const d of [1, 8]) {
    const data = synthetic(2000, d, 21 + d);
    const ex = exactGp({ kernel: squaredExponential({ dim: d, lengthscale: d === 1 ? 1 : new Array(d).fill(2) }), likelihood: gaussianLikelihood(0.1), x: data.x, y: data.y });
    const g = new Float64Array(ex.layout.size);
    const t0 = performance.now();
    ex.logMarginalLikelihood(g);
    exactSeconds[d] = (performance.now() - t0) / 1000;
    console.log(`  exact GP N=2000, ${d}-D: ${exactSeconds[d]!.toFixed(2)} s per log-likelihood + gradient (${((4 / 3) * 2000 ** 3 / exactSeconds[d]! / 1e9).toFixed(2)} GFLOP/s on its N³ work)`);
  }

  const sizes = QUICK ? [1e4, 1e5] : [1e4, 1e5, 1e6];
  console.log(`  SVGP epochs (M=${M}, batch ${BATCH}; ${FLOPS_PER_POINT / (M * M)} M² flops per point; points/s constant = linear in N; GEMM = core packed GEMM ${GEMM_N}³ timed between the row's batches)${QUICK ? " [GP_BENCH_QUICK: N ≤ 1e5]" : ""}:`);
  for (const d of [1, 8]) {
    let perPoint = 0;
    for (const n of sizes) {
      const data = synthetic(n, d, 100 + d), engine = makeEngine(d, n);
      // GEMM probes interleaved with the batches (about 20 per epoch, timed apart from them) see
      // the same load as the epoch, so the ratio holds up on a shared machine.
      const batches = Math.ceil(n / BATCH), every = Math.max(1, Math.floor(batches / 20)), probes: ProbeTotals = { wall: 0, cpu: 0, calls: 0 };
      let wall = 0, cpu = 0;
      for (let b = 0; b < batches; b++) {
        if (b % every === 0) gemmProbe(G1, G2, G3, probes);
        const start = b * BATCH, t0 = performance.now(), c0 = cpuSeconds();
        engine.stepBatch({ x: data.x.subarray(start * d, (start + BATCH) * d), y: data.y.subarray(start, start + BATCH) });
        wall += (performance.now() - t0) / 1000;
        cpu += cpuSeconds() - c0;
      }
      const gemmFlops = 2 * GEMM_N ** 3 * probes.calls, probe = { wall: gemmFlops / probes.wall / 1e9, cpu: gemmFlops / Math.max(probes.cpu, 1e-9) / 1e9 };
      const s = wall, pps = n / s, gf = (FLOPS_PER_POINT * pps) / 1e9, gfCpu = (FLOPS_PER_POINT * n) / Math.max(cpu, 1e-9) / 1e9;
      perPoint = s / n;
      console.log(
        `    ${d}-D N=${n.toExponential(0).padEnd(5)} ${s.toFixed(2).padStart(8)} s/epoch  ${Math.round(pps).toLocaleString("en-US").padStart(9)} points/s  ${gf.toFixed(2)} GFLOP/s = ${(gf / probe.wall).toFixed(2)} × GEMM's ${probe.wall.toFixed(2)}` +
          `  (CPU time: ${gfCpu.toFixed(2)} GFLOP/s = ${(gfCpu / probe.cpu).toFixed(2)} × GEMM's ${probe.cpu.toFixed(2)})`,
      );
      recordRow({ row: `SVGP ${d}-D N=${n.toExponential(0)} M=${M} batch ${BATCH}, GFLOP/s of the O(M²) work`, unit: "GFLOP/s", vireo: gf, peer: probe.wall, peerName: `core packed GEMM ${GEMM_N}³ (same run)`, note: `${s.toFixed(2)} s/epoch, ${Math.round(pps)} points/s` });
    }
    // One SVGP epoch at N costs perPoint·N; one exact step costs t₂₀₀₀ (N/2000)³: equal at N*.
    const crossover = Math.sqrt((perPoint * 2000 ** 3) / exactSeconds[d]!);
    console.log(`    ${d}-D: an SVGP epoch over N rows costs less than one exact GP step for N > ${Math.round(crossover).toLocaleString("en-US")}`);
  }
}
