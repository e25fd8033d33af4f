/**
 * A sparse GP in the model graph, with the kernel and the inducing inputs Z fixed:
 *
 *   GpPrior(out = u):                 u = f(Z) ~ N(0, K_ZZ)
 *   SparseGp(out = y | u, x, τ):      y_n ~ N(a_nᵀu, 1/τ) with a_n = K_ZZ⁻¹ k_Z(x_n), and the FITC-free
 *                                     variational correction −½ E[τ] c_n, c_n = k(x_n, x_n) − k_nᵀK_ZZ⁻¹k_n
 *
 * so E_q[log f] = ½E[log τ] − ½ log 2π − ½E[τ](E[(y − a_nᵀu)²] + c_n) (Titsias 2009). Both are
 * conjugate: q(u) (an MvNormal(M) variable) gets closed-form VMP updates, and under `svi()` the
 * natural-gradient steps of Hensman et al. (2013) with the N/|B| scaling; a Gamma noise precision
 * gets its closed-form update too. At the optimum with a known τ the ELBO is the collapsed bound.
 * Learning the kernel's hyperparameters by gradient is `sparseGp` (core) with `svi()`; these nodes
 * are the graph form for a kernel fixed in advance. Features a_n are computed per update from the
 * x column (O(M²) per row, like the message itself).
 */
import {
  LOG_2PI, Gamma, MvNormal, Normal, VireoError, inputRows, choleskyWithJitter,
  type Kernel, type GpInput,
} from "@vireo/core";
import { type NodeContext, type EdgeView, weightAt, instanceOf, sumRows } from "../contract/node.js";
import { defineNode, type TypedNode } from "../contract/define.js";
import { requireValueSize } from "../contract/edges.js";

export interface GpNodeOptions {
  readonly kernel: Kernel;
  /** Inducing inputs Z: M rows of `kernel.dim` numbers. */
  readonly inducing: GpInput;
  /** Jitter first tried on K_ZZ's diagonal (default 0, grown tenfold when Cholesky fails). */
  readonly jitter?: number;
}

/** K_ZZ, its factor and inverse for a fixed kernel and Z. */
class InducingSet {
  readonly M: number;
  readonly D: number;
  readonly Z: Float64Array;
  readonly L: Float64Array;
  readonly Kinv: Float64Array;
  readonly halfLogDet: number;
  readonly jitter: number;

  constructor(readonly kernel: Kernel, inducing: GpInput, jitter: number, what: string) {
    const Z = inputRows(inducing, kernel.dim, `${what}: inducing inputs 'inducing'`);
    if (Z.n < 1) throw new VireoError("DIMENSION_MISMATCH", `${what}: inducing inputs 'inducing' must hold at least one row.`, { parameter: "inducing" });
    this.M = Z.n;
    this.D = kernel.dim;
    this.Z = Float64Array.from(Z.data);
    const M = this.M, K = new Float64Array(M * M);
    kernel.matrix(this.Z, M, this.Z, M, true, K);
    this.L = new Float64Array(M * M);
    this.jitter = choleskyWithJitter(K, M, this.L, jitter, `${what}: K_ZZ`).jitter;
    this.Kinv = new Float64Array(M * M);
    for (let c = 0; c < M; c++) {
      // Column c of K⁻¹ by two triangular solves.
      const e = new Float64Array(M);
      e[c] = 1;
      this.solveLower(e);
      this.solveLowerT(e);
      for (let r = 0; r < M; r++) this.Kinv[r * M + c] = e[r]!;
    }
    let h = 0;
    for (let i = 0; i < M; i++) h += Math.log(this.L[i * M + i]!);
    this.halfLogDet = h;
  }

  solveLower(v: Float64Array): void {
    const M = this.M, L = this.L;
    for (let i = 0; i < M; i++) {
      let s = v[i]!;
      for (let k = 0; k < i; k++) s -= L[i * M + k]! * v[k]!;
      v[i] = s / L[i * M + i]!;
    }
  }

  solveLowerT(v: Float64Array): void {
    const M = this.M, L = this.L;
    for (let i = M - 1; i >= 0; i--) {
      let s = v[i]!;
      for (let k = i + 1; k < M; k++) s -= L[k * M + i]! * v[k]!;
      v[i] = s / L[i * M + i]!;
    }
  }
}

/** Per-context features: a_n (rows × M, row-major) and c_n, recomputed per call from the x column. */
interface Features {
  rows: number;
  a: Float64Array;
  c: Float64Array;
  x: Float64Array;
  k: Float64Array;
  kd: Float64Array;
  v: Float64Array;
}

function features(ctx: NodeContext, set: InducingSet, key: object): Features {
  const rows = ctx.rows, M = set.M, D = set.D, x = ctx.edges.x!;
  const f = ctx.scratch.get(key, (): Features => ({ rows: 0, a: new Float64Array(0), c: new Float64Array(0), x: new Float64Array(0), k: new Float64Array(0), kd: new Float64Array(1), v: new Float64Array(M) }));
  if (f.a.length < rows * M) {
    f.a = new Float64Array(rows * M);
    f.c = new Float64Array(rows);
    f.x = new Float64Array(rows * D);
  }
  f.rows = rows;
  if (f.k.length < M) f.k = new Float64Array(M);
  for (let n = 0; n < rows; n++) {
    const xo = instanceOf(x, n) * D;
    for (let d = 0; d < D; d++) f.x[n * D + d] = x.values[xo + d]!;
  }
  for (let n = 0; n < rows; n++) {
    const xn = f.x.subarray(n * D, (n + 1) * D), k = f.k, v = f.v;
    set.kernel.matrix(set.Z, M, xn, 1, false, k);
    set.kernel.diag(xn, 1, f.kd);
    for (let i = 0; i < M; i++) v[i] = k[i]!;
    set.solveLower(v);
    let q = 0;
    for (let i = 0; i < M; i++) q += v[i]! * v[i]!;
    f.c[n] = Math.max(0, f.kd[0]! - q);
    set.solveLowerT(v);
    f.a.set(v, n * M);
  }
  return f;
}

/** [aᵀE[u], aᵀE[uuᵀ]a] for row n. */
function projected(u: EdgeView, a: Float64Array, ao: number, M: number, n: number, out: Float64Array): void {
  const uo = instanceOf(u, n) * u.size, s = u.stats;
  let m1 = 0, m2 = 0;
  for (let i = 0; i < M; i++) {
    const ai = a[ao + i]!;
    m1 += ai * s[uo + i]!;
    let r = 0;
    for (let j = 0; j < M; j++) r += s[uo + M + i * M + j]! * a[ao + j]!;
    m2 += ai * r;
  }
  out[0] = m1;
  out[1] = m2;
}

/** The GP prior over inducing values: u ~ N(0, K_ZZ) for a fixed kernel and Z. */
export function gpPriorNode(options: GpNodeOptions): TypedNode<"out"> {
  const set = new InducingSet(options.kernel, options.inducing, options.jitter ?? 0, "GpPrior");
  const M = set.M, NAME = "GpPrior";
  return defineNode({
    name: NAME,
    edges: { out: { family: MvNormal, doc: `the inducing values u = f(Z), M = ${M}` } },
    check(info, nodeName) {
      const d = info.out!.family?.dim;
      if (d !== M) throw new VireoError("DIMENSION_MISMATCH", `${NAME} node '${nodeName}': edge 'out' must be an MvNormal(${M}) variable (one value per inducing input), got dimension ${String(d)}.`, { node: nodeName, edge: "out" });
    },
    messages: {
      out(ctx, out) {
        const u = ctx.edges.out;
        for (let n = 0; n < ctx.rows; n++) {
          const wn = weightAt(ctx.weights, n), o = instanceOf(u, n) * u.size + M;
          for (let i = 0; i < M * M; i++) out[o + i] -= 0.5 * wn * set.Kinv[i]!;
        }
      },
    },
    logFactor(ctx) {
      const u = ctx.edges.out;
      return sumRows(ctx, (n) => {
        const o = instanceOf(u, n) * u.size + M;
        let tr = 0;
        for (let i = 0; i < M * M; i++) tr += set.Kinv[i]! * u.stats[o + i]!;
        return -0.5 * M * LOG_2PI - set.halfLogDet - 0.5 * tr;
      });
    },
  });
}

/**
 * Rows of a sparse GP with a Gaussian likelihood: y_n ~ N(f(x_n), 1/τ) with f(x_n) given by the
 * inducing values u through the GP conditional. Edges: out (Normal, per row), u (MvNormal(M)),
 * x (input, kernel.dim per row), precision (Gamma, or a number).
 */
export function sparseGpNode(options: GpNodeOptions): TypedNode<"out" | "u" | "x" | "precision"> {
  const set = new InducingSet(options.kernel, options.inducing, options.jitter ?? 0, "SparseGp");
  const M = set.M, D = set.D, NAME = "SparseGp", FEATURES = {}, MOMENTS = {};
  const rowLog = (e: Readonly<Record<string, EdgeView>>, f: Features, n: number, mom: Float64Array): number => {
    const y = e.out!, t = e.precision!, yi = instanceOf(y, n), ti = instanceOf(t, n);
    projected(e.u!, f.a, n * M, M, n, mom);
    const res2 = Normal.ex2(y.stats, yi) - 2 * Normal.ex(y.stats, yi) * mom[0]! + mom[1]!;
    return 0.5 * Gamma.elog(t.stats, ti) - 0.5 * LOG_2PI - 0.5 * Gamma.ex(t.stats, ti) * (res2 + f.c[n]!);
  };
  return defineNode({
    name: NAME,
    edges: {
      out: { family: Normal, doc: "the response y" },
      u: { family: MvNormal, doc: `inducing values (M = ${M})` },
      x: { family: "input", doc: `inputs, ${D} per row` },
      precision: { family: Gamma, doc: "noise precision τ" },
    },
    check(info, nodeName) {
      const d = info.u!.family?.dim;
      if (d !== M) throw new VireoError("DIMENSION_MISMATCH", `${NAME} node '${nodeName}': edge 'u' must be an MvNormal(${M}) variable (one value per inducing input), got dimension ${String(d)}.`, { node: nodeName, edge: "u" });
      requireValueSize(info, "x", D, nodeName, NAME, `${D} inputs per row (the kernel's dim)`);
    },
    messages(ctx, edge, out) {
      const { out: y, u, precision: t } = ctx.edges;
      const f = features(ctx, set, FEATURES), mom = ctx.scratch.get(MOMENTS, () => new Float64Array(2));
      for (let n = 0; n < ctx.rows; n++) {
        const wn = weightAt(ctx.weights, n), Et = Gamma.ex(t.stats, instanceOf(t, n)), ao = n * M, a = f.a;
        if (edge === "out") {
          projected(u, a, ao, M, n, mom);
          const o = instanceOf(y, n) * 2;
          out[o] += wn * Et * mom[0]!;
          out[o + 1] -= 0.5 * wn * Et;
        } else if (edge === "u") {
          const o = instanceOf(u, n) * u.size, c = wn * Et, ey = Normal.ex(y.stats, instanceOf(y, n));
          for (let i = 0; i < M; i++) {
            const ai = a[ao + i]!;
            out[o + i] += c * ey * ai;
            const ci = 0.5 * c * ai, r = o + M + i * M;
            for (let j = 0; j < M; j++) out[r + j] -= ci * a[ao + j]!;
          }
        } else {
          projected(u, a, ao, M, n, mom);
          const yi = instanceOf(y, n), o = instanceOf(t, n) * 2;
          const res2 = Normal.ex2(y.stats, yi) - 2 * Normal.ex(y.stats, yi) * mom[0]! + mom[1]!;
          out[o] += 0.5 * wn;
          out[o + 1] -= 0.5 * wn * (res2 + f.c[n]!);
        }
      }
    },
    rowTerm(ctx) {
      const f = features(ctx, set, FEATURES), mom = ctx.scratch.get(MOMENTS, () => new Float64Array(2));
      return (n) => rowLog(ctx.edges, f, n, mom);
    },
  });
}
