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
  type Kernel, type GpInput, type GpLikelihood,
} from "@vireo/core";
import { checkDamping } from "../nonconjugate/gauss-hermite.js";
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

export interface GpLikelihoodNodeOptions extends GpNodeOptions {
  /** A GP likelihood: bernoulliLogitLikelihood(), bernoulliProbitLikelihood(), poissonLogLikelihood(), … (its parameters, if any, held fixed). */
  readonly likelihood: GpLikelihood;
  /** CVI step size: q(u) moves this fraction towards its new natural parameters per update (default 0.5). */
  readonly damping?: number;
}

/** The data family of a GP likelihood's targets (the `out` edge). */
function outFamilyOf(lik: GpLikelihood): string {
  if (lik.name.startsWith("bernoulli")) return "Bernoulli";
  if (lik.name.startsWith("poisson")) return "Poisson";
  return "Normal";
}

/**
 * Rows of a sparse GP with any GP likelihood (Bernoulli-logit/probit, Poisson-log, …), next to
 * `gpPriorNode` on the same u: y_n ~ p(y | f(x_n)) with q(f_n) = N(m_n, v_n) given q(u),
 *   m_n = a_nᵀE[u],  v_n = a_nᵀE[uuᵀ]a_n − m_n² + c_n,  a_n = K_ZZ⁻¹k_Z(x_n),  c_n = k_nn − k_nᵀK_ZZ⁻¹k_n.
 * E_q[log f] = Σ_n E_{N(m_n, v_n)}[log p(y_n | f)] (the likelihood's Gauss–Hermite or closed-form
 * expectation); the message to u is its gradient in (E[u], E[uuᵀ]) — one conjugate-computation VI
 * step (Khan & Lin 2017), damped like the other non-conjugate nodes — so q(u) stays a closed-form
 * MvNormal under cavi and takes natural-gradient steps under svi (N/|B| scaling): a GP classifier
 * or count model as a ModelBuilder model. Edges: out (observed targets), u (MvNormal(M)), x (inputs).
 */
export function gpLikelihoodNode(options: GpLikelihoodNodeOptions): TypedNode<"out" | "u" | "x"> {
  const lik = options?.likelihood;
  if (lik === undefined || typeof (lik as GpLikelihood).expectations !== "function") {
    throw new VireoError("INVALID_OPTION", "GpLikelihood: give { kernel, inducing, likelihood } with a GP likelihood, e.g. bernoulliLogitLikelihood().", { parameter: "likelihood" });
  }
  const set = new InducingSet(options.kernel, options.inducing, options.jitter ?? 0, "GpLikelihood");
  const M = set.M, D = set.D, NAME = "GpLikelihood", FEATURES = {}, MOMENTS = {};
  const damping = checkDamping(options.damping ?? 0.5, NAME);
  /** Per-row q(f_n) moments and the expectation's derivatives, over the whole plate at once. */
  const rowsOf = (ctx: NodeContext) => {
    const f = features(ctx, set, FEATURES), rows = ctx.rows;
    const b = ctx.scratch.get(MOMENTS, () => ({ mom: new Float64Array(2), y: new Float64Array(0), mu: new Float64Array(0), s: new Float64Array(0), g: new Float64Array(0), h: new Float64Array(0), e1: new Float64Array(1) }));
    if (b.mu.length < rows) {
      b.y = new Float64Array(rows);
      b.mu = new Float64Array(rows);
      b.s = new Float64Array(rows);
      b.g = new Float64Array(rows);
      b.h = new Float64Array(rows);
    }
    const { out: y, u } = ctx.edges;
    for (let n = 0; n < rows; n++) {
      projected(u, f.a, n * M, M, n, b.mom);
      b.y[n] = y.values[instanceOf(y, n)]!;
      b.mu[n] = b.mom[0]!;
      b.s[n] = Math.max(0, b.mom[1]! - b.mom[0]! * b.mom[0]!) + f.c[n]!;
    }
    return { f, b, rows };
  };
  return defineNode({
    name: NAME,
    edges: {
      out: { family: outFamilyOf(lik), doc: `observed targets of the ${lik.name} likelihood`, knownOnly: true },
      u: { family: MvNormal, doc: `inducing values (M = ${M})` },
      x: { family: "input", doc: `inputs, ${D} per row` },
    },
    damping,
    check(info, nodeName) {
      const d = info.u!.family?.dim;
      if (d !== M) throw new VireoError("DIMENSION_MISMATCH", `${NAME} node '${nodeName}': edge 'u' must be an MvNormal(${M}) variable (one value per inducing input), got dimension ${String(d)}.`, { node: nodeName, edge: "u" });
      requireValueSize(info, "x", D, nodeName, NAME, `${D} inputs per row (the kernel's dim)`);
    },
    checkData(ctx) {
      lik.checkTargets(ctx.edges.out.values, `${NAME} node '${ctx.nodeName}': targets 'out'`);
    },
    messages: {
      u(ctx, out) {
        const { f, b, rows } = rowsOf(ctx), u = ctx.edges.u;
        lik.expectations(b.y, b.mu, b.s, rows, b.g, b.h, 1, null, 0);
        for (let n = 0; n < rows; n++) {
          const wn = weightAt(ctx.weights, n), o = instanceOf(u, n) * u.size, ao = n * M, a = f.a;
          const lin = wn * (b.g[n]! - 2 * b.h[n]! * b.mu[n]!), quad = wn * b.h[n]!;
          for (let i = 0; i < M; i++) {
            const ai = a[ao + i]!;
            out[o + i] += lin * ai;
            const r = o + M + i * M, c = quad * ai;
            for (let j = 0; j < M; j++) out[r + j] += c * a[ao + j]!;
          }
        }
      },
    },
    rowTerm(ctx) {
      const { b } = rowsOf(ctx);
      return (n) => lik.expectations(b.y.subarray(n, n + 1), b.mu.subarray(n, n + 1), b.s.subarray(n, n + 1), 1, b.g.subarray(n, n + 1), b.h.subarray(n, n + 1), 1, null, 0);
    },
  });
}
