/**
 * Exponential families, table-driven over a few parameter settings each:
 *  - ∇A(η) (expectedStats) against Richardson-extrapolated central differences of A (logPartition);
 *  - entropy and KL(q‖p) against Monte Carlo estimates (5 SE), KL(p‖p) = 0;
 *  - natural ↔ standard round trips; log-densities that sum / integrate to 1;
 *  - mean / variance summaries against sample moments (5 SE);
 *  - exact cross-checks (closed-form KLs, MvNormal(1) = Normal, Wishart(1) = Gamma);
 *  - bad parameters and improper η raise typed errors naming the parameter and the value.
 */
import test, { type ExecutionContext } from "ava";
import {
  Generator,
  VireoError,
  type ExponentialFamily,
  Normal,
  Gamma,
  Beta,
  Bernoulli,
  Poisson,
  Categorical,
  Dirichlet,
  MvNormal,
  Wishart,
  NormalWishart,
  gammaln,
  digamma,
  spdInverseDense,
  spdLogDetDense,
} from "@vireo/core";
import { within, moments, checkMeanVar, relMax, simpson } from "./helpers.js";

type AnyFamily = ExponentialFamily<any, any>;

interface Case {
  /** Row label. */
  readonly label: string;
  readonly fam: AnyFamily;
  /** Standard parameters of q, and of p for KL(q‖p). */
  readonly q: unknown;
  readonly p: unknown;
  readonly seed: number;
  /** log-density normalisation check: sum over a finite support, or quadrature over an interval. */
  readonly norm?: { kind: "sum"; support: number[] } | { kind: "quad"; a: number; b: number; panels: number };
}

const f64 = (...x: number[]) => Float64Array.from(x);

let seed = 100;
const CASES: Case[] = [];
function add(fam: AnyFamily, q: unknown, p: unknown, norm?: Case["norm"]): void {
  CASES.push({ label: `${fam.key} ${describe(q)}`, fam, q, p, seed: seed++, ...(norm ? { norm } : {}) });
}
/** A readable one-line rendering of parameters, keeping NaN and ±Infinity visible. */
function describe(x: unknown): string {
  if (typeof x === "number") return String(x);
  if (x instanceof Float64Array || Array.isArray(x)) return `[${Array.from(x as ArrayLike<unknown>, describe).join(", ")}]`;
  if (x !== null && typeof x === "object") return `{${Object.entries(x).map(([k, v]) => `${k}: ${describe(v)}`).join(", ")}}`;
  return String(x);
}

add(Normal, { mean: 0, variance: 1 }, { mean: 1, variance: 2 }, { kind: "quad", a: -15, b: 15, panels: 3000 });
add(Normal, { mean: 3.5, variance: 0.25 }, { mean: 3, variance: 0.5 }, { kind: "quad", a: 3.5 - 7.5, b: 3.5 + 7.5, panels: 3000 });
add(Normal, { mean: -20, variance: 400 }, { mean: -15, variance: 300 }, { kind: "quad", a: -320, b: 280, panels: 3000 });
add(Gamma, { shape: 0.5, rate: 2 }, { shape: 1, rate: 1 });
add(Gamma, { shape: 3, rate: 0.5 }, { shape: 2.5, rate: 0.6 }, { kind: "quad", a: 0, b: 120, panels: 6000 });
add(Gamma, { shape: 40, rate: 10 }, { shape: 30, rate: 8 }, { kind: "quad", a: 0, b: 12, panels: 6000 });
add(Beta, { alpha: 0.5, beta: 0.5 }, { alpha: 1, beta: 1 });
add(Beta, { alpha: 2, beta: 5 }, { alpha: 3, beta: 4 }, { kind: "quad", a: 0, b: 1, panels: 2000 });
add(Beta, { alpha: 30, beta: 3 }, { alpha: 20, beta: 5 }, { kind: "quad", a: 0, b: 1, panels: 4000 });
add(Bernoulli, { p: 0.5 }, { p: 0.3 }, { kind: "sum", support: [0, 1] });
add(Bernoulli, { p: 0.05 }, { p: 0.2 }, { kind: "sum", support: [0, 1] });
add(Bernoulli, { p: 0.9 }, { p: 0.99 }, { kind: "sum", support: [0, 1] });
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
add(Poisson, { rate: 0.3 }, { rate: 1 }, { kind: "sum", support: range(60) });
add(Poisson, { rate: 7 }, { rate: 5 }, { kind: "sum", support: range(120) });
add(Poisson, { rate: 120 }, { rate: 130 }, { kind: "sum", support: range(800) });
add(Poisson, { rate: 2e5 }, { rate: 2.01e5 }); // the asymptotic-entropy branch (λ > 10⁵)
add(Categorical(2), { p: f64(0.3, 0.7) }, { p: f64(0.5, 0.5) }, { kind: "sum", support: range(2) });
add(Categorical(3), { p: f64(0.2, 0.5, 0.3) }, { p: f64(0.1, 0.1, 0.8) }, { kind: "sum", support: range(3) });
add(Categorical(5), { p: f64(0.05, 0.1, 0.15, 0.3, 0.4) }, { p: f64(0.2, 0.2, 0.2, 0.2, 0.2) }, { kind: "sum", support: range(5) });
add(Dirichlet(2), { alpha: f64(0.5, 2) }, { alpha: f64(1, 1) });
add(Dirichlet(3), { alpha: f64(1, 2, 3) }, { alpha: f64(2, 2, 2) });
add(Dirichlet(4), { alpha: f64(0.3, 5, 1.2, 10) }, { alpha: f64(0.5, 4, 1, 8) });
add(MvNormal(1), { mean: f64(1), covariance: f64(2) }, { mean: f64(0), covariance: f64(1) });
add(MvNormal(2), { mean: f64(1, -1), covariance: f64(2, 0.5, 0.5, 1) }, { mean: f64(0, 0), covariance: f64(1, 0.2, 0.2, 1.5) });
add(
  MvNormal(3),
  { mean: f64(1, -2, 0.5), covariance: f64(2, 0.6, -0.4, 0.6, 1, 0.3, -0.4, 0.3, 0.5) },
  { mean: f64(0.5, -1, 0), covariance: f64(1.5, 0.2, 0, 0.2, 1.2, 0.1, 0, 0.1, 0.7) },
);
add(Wishart(1), { df: 3, scale: f64(2) }, { df: 4, scale: f64(1) });
add(Wishart(2), { df: 4.5, scale: f64(1, 0.3, 0.3, 0.5) }, { df: 5, scale: f64(0.8, 0.2, 0.2, 0.6) });
add(
  Wishart(3),
  { df: 7, scale: f64(1, 0.2, -0.1, 0.2, 2, 0.4, -0.1, 0.4, 0.8) },
  { df: 6, scale: f64(1.2, 0.1, 0, 0.1, 1.5, 0.3, 0, 0.3, 1) },
);
// NormalWishart: ν > d + 3 so that μ (marginally Student-t with ν − d + 1 degrees of freedom) has
// the finite fourth moments the sample-variance check needs.
add(NormalWishart(1), { mean: f64(0.5), precisionScale: 2, df: 8, scale: f64(0.7) }, { mean: f64(0), precisionScale: 1, df: 6, scale: f64(1) });
add(
  NormalWishart(2),
  { mean: f64(1, -1), precisionScale: 3, df: 9, scale: f64(0.5, 0.1, 0.1, 0.3) },
  { mean: f64(0, 0.5), precisionScale: 1.5, df: 6, scale: f64(0.8, -0.1, -0.1, 0.6) },
);
// d < ν < d + 1, so η₁ < 0. (For d − 1 < ν < d the smallest Bartlett factor is χ²(ν − d + 1) with
// less than one degree of freedom: a few draws in 10⁴ are singular to round-off, and log|X| of such
// a draw is undefined in floating point, so Monte Carlo over log-densities is not meaningful there.)
add(Wishart(3), { df: 3.5, scale: f64(0.5, 0, 0.1, 0, 0.5, 0, 0.1, 0, 0.5) }, { df: 4, scale: f64(0.4, 0, 0, 0, 0.6, 0, 0, 0, 0.5) });

const MC = 50_000;

/** The sample as a vector matching the layout of fam.mean / fam.variance. */
function summary(fam: AnyFamily, x: unknown): ArrayLike<number> {
  if (typeof x === "number") {
    if (fam.name === "Categorical") {
      const v = new Float64Array(fam.size);
      v[x] = 1;
      return v;
    }
    return [x];
  }
  return x as Float64Array;
}

const asArray = (v: number | Float64Array): ArrayLike<number> => (typeof v === "number" ? [v] : v);

// ---------------------------------------------------------------- ∇A = E[T]

for (const c of CASES) {
  test(`${c.label}: expectedStats = finite differences of logPartition (1e-6 relative)`, (t) => {
    const eta = c.fam.toNatural(c.q);
    const g = c.fam.expectedStats(eta);
    t.is(g.length, c.fam.size);
    let scale = 0;
    for (const e of eta) scale = Math.max(scale, Math.abs(e));
    let gmax = 0;
    for (const x of g) gmax = Math.max(gmax, Math.abs(x));
    for (let i = 0; i < eta.length; i++) {
      const h = 1e-4 * (Math.max(Math.abs(eta[i]!), 1e-2 * scale) || 1);
      const central = (step: number): number => {
        const up = eta.slice(), down = eta.slice();
        up[i] = up[i]! + step;
        down[i] = down[i]! - step;
        return (c.fam.logPartition(up) - c.fam.logPartition(down)) / (2 * step);
      };
      const fd = (4 * central(h / 2) - central(h)) / 3; // Richardson: error O(h⁴)
      const err = Math.abs(fd - g[i]!);
      t.true(err <= 1e-6 * Math.max(Math.abs(g[i]!), 1e-6 * gmax), `component ${i}: ∇A = ${g[i]}, finite difference ${fd}, |Δ| = ${err}`);
    }
  });
}

for (const c of CASES.filter((c) => (c.fam.name === "MvNormal" || c.fam.name === "Wishart" || c.fam.name === "NormalWishart") && c.fam.dim > 1)) {
  test(`${c.label}: symmetric perturbations of η₂ give E[T]_ij + E[T]_ji`, (t) => {
    const eta = c.fam.toNatural(c.q);
    const g = c.fam.expectedStats(eta);
    const d = c.fam.dim;
    const off = c.fam.size - d * d;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < i; j++) {
        const a = off + i * d + j, b = off + j * d + i;
        const h = 1e-4 * Math.max(Math.abs(eta[a]!), 1e-3);
        const central = (step: number): number => {
          const up = eta.slice(), down = eta.slice();
          up[a] = up[a]! + step;
          up[b] = up[b]! + step;
          down[a] = down[a]! - step;
          down[b] = down[b]! - step;
          return (c.fam.logPartition(up) - c.fam.logPartition(down)) / (2 * step);
        };
        const fd = (4 * central(h / 2) - central(h)) / 3;
        const expected = g[a]! + g[b]!;
        t.true(Math.abs(fd - expected) <= 1e-6 * Math.max(Math.abs(expected), 1e-3), `(${i},${j}): ${fd} vs ${expected}`);
        t.true(Math.abs(g[a]! - g[b]!) <= 1e-14 * Math.max(1, Math.abs(g[a]!)), "E[T] is symmetric");
      }
    }
  });
}

// ---------------------------------------------------------------- entropy, KL: Monte Carlo

for (const c of CASES) {
  test(`${c.label}: entropy = E[−log p(x)] and KL(q‖p) = E_q[log q − log p] within 5 SE; KL(q‖q) = 0`, (t) => {
    const etaQ = c.fam.toNatural(c.q);
    const etaP = c.fam.toNatural(c.p);
    const rng = new Generator(c.seed);
    const negLog = new Float64Array(MC);
    const ratio = new Float64Array(MC);
    for (let k = 0; k < MC; k++) {
      const x = c.fam.sample(etaQ, rng);
      const lq = c.fam.logDensity(etaQ, x);
      negLog[k] = -lq;
      ratio[k] = lq - c.fam.logDensity(etaP, x);
    }
    const h = moments(negLog);
    within(t, h.mean, c.fam.entropy(etaQ), Math.sqrt(h.variance / MC), "entropy");
    const r = moments(ratio);
    const kl = c.fam.kl(etaQ, etaP);
    t.true(kl > 0);
    within(t, r.mean, kl, Math.sqrt(r.variance / MC), "KL(q‖p)");
    t.true(Math.abs(c.fam.kl(etaQ, etaQ)) <= 1e-12);
    t.true(Math.abs(c.fam.kl(etaP, etaP)) <= 1e-12);
  });
}

// ---------------------------------------------------------------- mean / variance summaries

for (const c of CASES) {
  test(`${c.label}: mean and variance summaries agree with sample moments within 5 SE`, (t) => {
    const eta = c.fam.toNatural(c.q);
    const mean = asArray(c.fam.mean(eta));
    const variance = asArray(c.fam.variance(eta));
    t.is(mean.length, variance.length);
    const rng = new Generator(c.seed + 10_000);
    const cols = Array.from({ length: mean.length }, () => new Float64Array(MC));
    for (let k = 0; k < MC; k++) {
      const s = summary(c.fam, c.fam.sample(eta, rng));
      for (let i = 0; i < mean.length; i++) cols[i]![k] = s[i]!;
    }
    const indicator = c.fam.name === "Bernoulli" || c.fam.name === "Categorical";
    for (let i = 0; i < mean.length; i++) {
      if (indicator) {
        // For a 0/1 indicator the variance is a function of the mean, m(1 − m), and the sample
        // variance is degenerate as a test statistic (at m = ½ its first-order SE vanishes); so
        // check the frequency against the mean and the variance summary against m(1 − m) exactly.
        within(t, moments(cols[i]!).mean, mean[i]!, Math.sqrt(variance[i]! / MC), `component ${i} frequency`);
        t.true(Math.abs(variance[i]! - mean[i]! * (1 - mean[i]!)) <= 1e-15);
      } else {
        checkMeanVar(t, cols[i]!, mean[i]!, variance[i]!, `component ${i}`);
      }
    }
    // The mean summary is the expected sufficient statistic where T(x) = x.
    const g = c.fam.expectedStats(eta);
    if (c.fam.name === "Normal" || c.fam.name === "Bernoulli" || c.fam.name === "Poisson" || c.fam.name === "Categorical") {
      t.true(Math.abs(g[0]! - mean[0]!) <= 1e-12 * Math.max(1, Math.abs(mean[0]!)));
    }
  });
}

/** Mean and variance summaries written out from the standard parameters (independent formulas). */
function closedFormSummaries(c: Case): { mean: number[]; variance: number[] } {
  const q = c.q as Record<string, number & Float64Array>;
  switch (c.fam.name) {
    case "Normal":
      return { mean: [q.mean], variance: [q.variance] };
    case "Gamma":
      return { mean: [q.shape / q.rate], variance: [q.shape / q.rate ** 2] };
    case "Beta": {
      const s = q.alpha + q.beta;
      return { mean: [q.alpha / s], variance: [(q.alpha * q.beta) / (s * s * (s + 1))] };
    }
    case "Bernoulli":
      return { mean: [q.p], variance: [q.p * (1 - q.p)] };
    case "Poisson":
      return { mean: [q.rate], variance: [q.rate] };
    case "Categorical":
      return { mean: Array.from(q.p), variance: Array.from(q.p, (p) => p * (1 - p)) };
    case "Dirichlet": {
      const a0 = q.alpha.reduce((x, y) => x + y, 0);
      return { mean: Array.from(q.alpha, (a) => a / a0), variance: Array.from(q.alpha, (a) => (a * (a0 - a)) / (a0 * a0 * (a0 + 1))) };
    }
    case "MvNormal": {
      const d = c.fam.dim;
      return { mean: Array.from(q.mean), variance: Array.from({ length: d }, (_, i) => q.covariance[i * d + i]!) };
    }
    case "Wishart": {
      const d = c.fam.dim, V = q.scale, nu = q.df;
      const variance: number[] = [];
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) variance.push(nu * (V[i * d + j]! ** 2 + V[i * d + i]! * V[j * d + j]!));
      return { mean: Array.from(V, (v) => nu * v), variance };
    }
    case "NormalWishart": {
      // μ is Student-t with covariance W⁻¹ / (β(ν − d − 1)); Λ is Wishart(ν, W).
      const d = c.fam.dim, W = q.scale, nu = q.df, Winv = spdInverseDense(W, d);
      const variance: number[] = Array.from({ length: d }, (_, i) => Winv[i * d + i]! / (q.precisionScale * (nu - d - 1)));
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) variance.push(nu * (W[i * d + j]! ** 2 + W[i * d + i]! * W[j * d + j]!));
      return { mean: [...Array.from(q.mean), ...Array.from(W, (v) => nu * v)], variance };
    }
  }
  throw new Error(`no closed form for ${c.fam.name}`);
}

for (const c of CASES) {
  test(`${c.label}: mean and variance summaries equal the closed forms (1e-12 relative)`, (t) => {
    const eta = c.fam.toNatural(c.q);
    const want = closedFormSummaries(c);
    const mean = asArray(c.fam.mean(eta)), variance = asArray(c.fam.variance(eta));
    t.is(mean.length, want.mean.length);
    t.is(variance.length, want.variance.length);
    for (let i = 0; i < mean.length; i++) {
      t.true(Math.abs(mean[i]! - want.mean[i]!) <= 1e-12 * Math.max(Math.abs(want.mean[i]!), 1e-300) + 1e-15, `mean[${i}] ${mean[i]} vs ${want.mean[i]}`);
      t.true(Math.abs(variance[i]! - want.variance[i]!) <= 1e-12 * Math.abs(want.variance[i]!), `variance[${i}] ${variance[i]} vs ${want.variance[i]}`);
    }
  });
}

// ---------------------------------------------------------------- round trips

function sameParams(t: ExecutionContext, a: unknown, b: unknown, label: string): void {
  const ra = a as Record<string, number | Float64Array>, rb = b as Record<string, number | Float64Array>;
  t.deepEqual(Object.keys(ra).sort(), Object.keys(rb).sort());
  for (const k of Object.keys(rb)) {
    const d = relMax(asArray(ra[k]!), asArray(rb[k]!));
    t.true(d <= 1e-12, `${label} ${k}: relative difference ${d}`);
  }
}

for (const c of CASES) {
  test(`${c.label}: natural → standard → natural and standard → natural → standard round trips (1e-12)`, (t) => {
    for (const params of [c.q, c.p]) {
      const eta = c.fam.toNatural(params);
      t.true(eta instanceof Float64Array && eta.length === c.fam.size);
      c.fam.validate(eta);
      t.true(c.fam.isProper(eta));
      const back = c.fam.toNatural(c.fam.fromNatural(eta));
      t.true(relMax(back, eta) <= 1e-12, `η round trip: ${relMax(back, eta)}`);
      sameParams(t, c.fam.fromNatural(eta), params, "parameter round trip");
    }
  });
}

// ---------------------------------------------------------------- batched rows

for (const fam of [...new Set(CASES.map((c) => c.fam))]) {
  test(`${fam.key}: expectedStatsRows / entropyRows agree with the per-instance methods`, (t) => {
    const rows = CASES.filter((c) => c.fam === fam).flatMap((c) => [c.fam.toNatural(c.q), c.fam.toNatural(c.p)]);
    const k = fam.size, count = rows.length;
    const eta = new Float64Array(count * k);
    rows.forEach((r, i) => eta.set(r, i * k));
    const out = new Float64Array(count * k);
    const logNorm = fam.expectedStatsRows(eta, out, count, true);
    t.is(fam.expectedStatsRows(eta, new Float64Array(count * k), count), 0, "0 unless asked for the log-normaliser");
    let wantNorm = 0, wantH = 0;
    rows.forEach((r, i) => {
      const g = fam.expectedStats(r);
      t.true(relMax(out.subarray(i * k, (i + 1) * k), g) <= 1e-14, `row ${i}`);
      wantNorm += fam.logPartition(r) - fam.expectedLogBase(r);
      wantH += fam.entropy(r);
    });
    t.true(Math.abs(logNorm - wantNorm) <= 1e-12 * Math.max(1, Math.abs(wantNorm)), `Σ(A − E[log h]) ${logNorm} vs ${wantNorm}`);
    const h = fam.entropyRows(eta, count);
    t.true(Math.abs(h - wantH) <= 1e-12 * Math.max(1, Math.abs(wantH)), `Σ H ${h} vs ${wantH}`);
  });
}

// ---------------------------------------------------------------- normalisation

for (const c of CASES.filter((c) => c.norm)) {
  test(`${c.label}: the density ${c.norm!.kind === "sum" ? "sums" : "integrates"} to 1`, (t) => {
    const eta = c.fam.toNatural(c.q);
    const norm = c.norm!;
    let total: number;
    if (norm.kind === "sum") {
      total = 0;
      for (const x of norm.support) total += Math.exp(c.fam.logDensity(eta, x));
    } else {
      const f = (x: number) => (x <= 0 && c.fam.name !== "Normal") || (x >= 1 && c.fam.name === "Beta") ? 0 : Math.exp(c.fam.logDensity(eta, x));
      total = simpson(f, norm.a, norm.b, norm.panels);
    }
    t.true(Math.abs(total - 1) <= 1e-9, `total ${total}`);
  });
}

test("MvNormal(2): the density integrates to 1 (2-D Simpson)", (t) => {
  const fam = MvNormal(2);
  const eta = fam.toNatural({ mean: f64(1, -1), covariance: f64(2, 0.5, 0.5, 1) });
  const x = new Float64Array(2);
  const inner = (u: number) =>
    simpson((v) => {
      x[0] = u;
      x[1] = v;
      return Math.exp(fam.logDensity(eta, x));
    }, -1 - 12, -1 + 12, 240);
  const total = simpson(inner, 1 - 16, 1 + 16, 240);
  t.true(Math.abs(total - 1) <= 1e-8, `total ${total}`);
});

// ---------------------------------------------------------------- exact cross-checks

const NORMAL_KL: Array<[number, number, number, number]> = [[0, 1, 1, 2], [3.5, 0.25, 3, 0.5], [-20, 400, 0, 1]];
for (const [m1, v1, m2, v2] of NORMAL_KL) {
  test(`Normal: KL and entropy equal the closed forms (q = N(${m1}, ${v1}), p = N(${m2}, ${v2}))`, (t) => {
    const kl = 0.5 * (Math.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1);
    const got = Normal.kl(Normal.toNatural({ mean: m1, variance: v1 }), Normal.toNatural({ mean: m2, variance: v2 }));
    t.true(Math.abs(got - kl) <= 1e-12 * Math.max(1, kl), `${got} vs ${kl}`);
    const eta = Normal.toNatural({ mean: m1, variance: v1 });
    const generic = Normal.logPartition(eta) - (eta[0]! * Normal.expectedStats(eta)[0]! + eta[1]! * Normal.expectedStats(eta)[1]!) - Normal.expectedLogBase();
    t.true(Math.abs(Normal.entropy(eta) - 0.5 * Math.log(2 * Math.PI * Math.E * v1)) <= 1e-14 * 10);
    t.true(Math.abs(Normal.entropy(eta) - generic) <= 1e-10 * Math.max(1, Math.abs(generic)), "override = generic formula");
  });
}

for (const c of CASES.filter((c) => c.fam.name === "MvNormal")) {
  test(`${c.label}: KL equals ½[tr(Σp⁻¹Σq) + Δμᵀ Σp⁻¹ Δμ − d + log |Σp|/|Σq|]`, (t) => {
    const d = c.fam.dim;
    const q = c.q as { mean: Float64Array; covariance: Float64Array };
    const p = c.p as { mean: Float64Array; covariance: Float64Array };
    const Pi = spdInverseDense(p.covariance, d);
    let tr = 0, quad = 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        tr += Pi[i * d + j]! * q.covariance[j * d + i]!;
        quad += (p.mean[i]! - q.mean[i]!) * Pi[i * d + j]! * (p.mean[j]! - q.mean[j]!);
      }
    }
    const expected = 0.5 * (tr + quad - d + spdLogDetDense(p.covariance, d) - spdLogDetDense(q.covariance, d));
    const got = c.fam.kl(c.fam.toNatural(q), c.fam.toNatural(p));
    t.true(Math.abs(got - expected) <= 1e-12 * Math.max(1, expected), `${got} vs ${expected}`);
  });
}

test("Gamma and Beta entropies equal their closed forms", (t) => {
  for (const [a, b] of [[0.5, 2], [3, 0.5], [40, 10]] as const) {
    const h = a - Math.log(b) + gammaln(a) + (1 - a) * digamma(a);
    const got = Gamma.entropy(Gamma.toNatural({ shape: a, rate: b }));
    t.true(Math.abs(got - h) <= 1e-12 * Math.max(1, Math.abs(h)), `Gamma(${a}, ${b}): ${got} vs ${h}`);
  }
  for (const [a, b] of [[0.5, 0.5], [2, 5], [30, 3]] as const) {
    const lnB = gammaln(a) + gammaln(b) - gammaln(a + b);
    const h = lnB - (a - 1) * digamma(a) - (b - 1) * digamma(b) + (a + b - 2) * digamma(a + b);
    const got = Beta.entropy(Beta.toNatural({ alpha: a, beta: b }));
    t.true(Math.abs(got - h) <= 1e-12 * Math.max(1, Math.abs(h)), `Beta(${a}, ${b}): ${got} vs ${h}`);
  }
});

test("MvNormal(1) agrees with Normal: log-density, entropy, KL, expected statistics", (t) => {
  const m1 = MvNormal(1);
  const q = { mean: 1.5, variance: 0.7 }, p = { mean: -0.5, variance: 2.2 };
  const eq = m1.toNatural({ mean: f64(q.mean), covariance: f64(q.variance) });
  const ep = m1.toNatural({ mean: f64(p.mean), covariance: f64(p.variance) });
  const nq = Normal.toNatural(q), np = Normal.toNatural(p);
  t.true(relMax(eq, nq) <= 1e-15);
  for (const x of [-3, 0, 1.5, 4]) t.true(Math.abs(m1.logDensity(eq, f64(x)) - Normal.logDensity(nq, x)) <= 1e-13);
  t.true(Math.abs(m1.entropy(eq) - Normal.entropy(nq)) <= 1e-14);
  t.true(Math.abs(m1.kl(eq, ep) - Normal.kl(nq, np)) <= 1e-13);
  t.true(relMax(m1.expectedStats(eq), Normal.expectedStats(nq)) <= 1e-14);
});

test("Wishart(1) agrees with Gamma(ν/2, rate 1/(2V)) on log x and x: log-density, entropy, KL", (t) => {
  const w1 = Wishart(1);
  const cases = [[3, 2], [0.7, 0.5], [10, 0.1]] as const;
  for (const [nu, V] of cases) {
    const ew = w1.toNatural({ df: nu, scale: f64(V) });
    const eg = Gamma.toNatural({ shape: nu / 2, rate: 1 / (2 * V) });
    t.true(relMax(ew, eg) <= 1e-15, `η: Wishart ${Array.from(ew)} vs Gamma ${Array.from(eg)}`);
    for (const x of [0.01, 0.5, 2, 10]) {
      t.true(Math.abs(w1.logDensity(ew, f64(x)) - Gamma.logDensity(eg, x)) <= 1e-12 * Math.max(1, Math.abs(Gamma.logDensity(eg, x))));
    }
    t.true(Math.abs(w1.entropy(ew) - Gamma.entropy(eg)) <= 1e-12 * Math.max(1, Math.abs(Gamma.entropy(eg))));
  }
  const [a, b] = [cases[0], cases[2]];
  const kw = w1.kl(w1.toNatural({ df: a[0], scale: f64(a[1]) }), w1.toNatural({ df: b[0], scale: f64(b[1]) }));
  const kg = Gamma.kl(Gamma.toNatural({ shape: a[0] / 2, rate: 1 / (2 * a[1]) }), Gamma.toNatural({ shape: b[0] / 2, rate: 1 / (2 * b[1]) }));
  t.true(Math.abs(kw - kg) <= 1e-12 * Math.max(1, kg));
});

// Entropies of Poisson(λ) from −Σ p_k log p_k in 40-digit arithmetic (mpmath, support λ ± 50√λ ± 50).
const POISSON_ENTROPY: Array<[number, number]> = [
  [0.3, 0.69114395909277894848],
  [7, 2.3788759150252927908],
  [120, 3.8119870355332632555],
  [1000, 4.8727327976428506462],
  [10000, 6.0241003854427113208],
  [99999.9999999, 7.1754004323517868944],
];
for (const [lam, h] of POISSON_ENTROPY) {
  test(`Poisson(${lam}): entropy matches a 40-digit reference, directly and through E[log h] (1e-10 relative)`, (t) => {
    const eta = f64(Math.log(lam));
    const got = Poisson.entropy(eta);
    t.true(Math.abs(got - h) <= 1e-11 * h, `entropy ${got} vs ${h}: |Δ| = ${Math.abs(got - h)}`);
    // The generic route A − ηᵀE[T] − E[log h] (what an ELBO assembled from parts computes).
    const m = Math.exp(eta[0]!);
    const generic = Poisson.logPartition(eta) - eta[0]! * m - Poisson.expectedLogBase(eta);
    t.true(Math.abs(generic - h) <= 1e-10 * h, `A − ηE[T] − E[log h] = ${generic} vs ${h}: |Δ| = ${Math.abs(generic - h)}`);
  });
}

test("Poisson: the entropy is continuous across the switch to the asymptotic series at λ = 10⁵", (t) => {
  const lo = Poisson.entropy(f64(Math.log(1e5 * (1 - 1e-12))));
  const hi = Poisson.entropy(f64(Math.log(1e5 * (1 + 1e-12))));
  t.true(Math.abs(lo - hi) <= 1e-9, `${lo} vs ${hi}`);
});

test("Categorical: η is over-complete (adding a constant changes nothing)", (t) => {
  const fam = Categorical(3);
  const eta = fam.toNatural({ p: f64(0.2, 0.5, 0.3) });
  const shifted = eta.map((e) => e + 123.4);
  t.true(relMax(fam.expectedStats(shifted), fam.expectedStats(eta)) <= 1e-12);
  t.true(Math.abs(fam.entropy(shifted) - fam.entropy(eta)) <= 1e-12);
  t.true(Math.abs(fam.kl(shifted, eta)) <= 1e-12);
  t.true(Math.abs(fam.logDensity(shifted, 1) - Math.log(0.5)) <= 1e-12);
});

test("families: keys, dimensions and one shared instance per dimension", (t) => {
  t.is(Normal.key, "Normal");
  t.is(Poisson.key, "Poisson");
  t.is(MvNormal(1).key, "MvNormal(1)");
  t.is(MvNormal(3).key, "MvNormal(3)");
  t.is(Wishart(2).key, "Wishart(2)");
  t.is(Categorical(4).key, "Categorical(4)");
  t.is(Dirichlet(3).key, "Dirichlet(3)");
  t.is(MvNormal(3), MvNormal(3));
  t.is(MvNormal(3).size, 3 + 9);
  t.is(Wishart(3).size, 1 + 9);
  t.is(Categorical(4).size, 4);
  for (const [name, make] of [
    ["Categorical", () => Categorical(1)],
    ["Dirichlet", () => Dirichlet(2.5)],
    ["MvNormal", () => MvNormal(0)],
    ["Wishart", () => Wishart(-1)],
  ] as const) {
    const e = t.throws(make, { instanceOf: VireoError });
    t.is(e?.code, "INVALID_PARAMETER");
    t.regex(e?.message ?? "", new RegExp(name));
  }
});

// ---------------------------------------------------------------- bad standard parameters

interface Bad {
  readonly fam: AnyFamily;
  readonly params: unknown;
  readonly code: "INVALID_PARAMETER" | "DIMENSION_MISMATCH" | "NOT_POSITIVE_DEFINITE";
  /** The message must name the parameter and the offending value. */
  readonly message: RegExp;
  /** context.parameter, where the error carries one. */
  readonly parameter?: string;
}

const I2 = f64(1, 0, 0, 1);
const BAD: Bad[] = [
  { fam: Normal, params: { mean: NaN, variance: 1 }, code: "INVALID_PARAMETER", message: /'mean' = NaN/, parameter: "mean" },
  { fam: Normal, params: { mean: Infinity, variance: 1 }, code: "INVALID_PARAMETER", message: /'mean' = Infinity/, parameter: "mean" },
  { fam: Normal, params: { mean: 0, variance: -1 }, code: "INVALID_PARAMETER", message: /'variance' = -1\b/, parameter: "variance" },
  { fam: Normal, params: { mean: 0, variance: 0 }, code: "INVALID_PARAMETER", message: /'variance' = 0\b/, parameter: "variance" },
  { fam: Normal, params: { mean: 0, variance: NaN }, code: "INVALID_PARAMETER", message: /'variance' = NaN/, parameter: "variance" },
  { fam: Normal, params: { mean: 0, variance: Infinity }, code: "INVALID_PARAMETER", message: /'variance' = Infinity/, parameter: "variance" },
  { fam: Gamma, params: { shape: 0, rate: 1 }, code: "INVALID_PARAMETER", message: /'shape' = 0\b/, parameter: "shape" },
  { fam: Gamma, params: { shape: -2.5, rate: 1 }, code: "INVALID_PARAMETER", message: /'shape' = -2\.5/, parameter: "shape" },
  { fam: Gamma, params: { shape: NaN, rate: 1 }, code: "INVALID_PARAMETER", message: /'shape' = NaN/, parameter: "shape" },
  { fam: Gamma, params: { shape: Infinity, rate: 1 }, code: "INVALID_PARAMETER", message: /'shape' = Infinity/, parameter: "shape" },
  { fam: Gamma, params: { shape: 1, rate: -0.5 }, code: "INVALID_PARAMETER", message: /'rate' = -0\.5/, parameter: "rate" },
  { fam: Gamma, params: { shape: 1, rate: 0 }, code: "INVALID_PARAMETER", message: /'rate' = 0\b/, parameter: "rate" },
  { fam: Gamma, params: { shape: 1, rate: NaN }, code: "INVALID_PARAMETER", message: /'rate' = NaN/, parameter: "rate" },
  { fam: Beta, params: { alpha: 0, beta: 1 }, code: "INVALID_PARAMETER", message: /'alpha' = 0\b/, parameter: "alpha" },
  { fam: Beta, params: { alpha: 1, beta: -0.5 }, code: "INVALID_PARAMETER", message: /'beta' = -0\.5/, parameter: "beta" },
  { fam: Beta, params: { alpha: NaN, beta: 1 }, code: "INVALID_PARAMETER", message: /'alpha' = NaN/, parameter: "alpha" },
  { fam: Beta, params: { alpha: 1, beta: Infinity }, code: "INVALID_PARAMETER", message: /'beta' = Infinity/, parameter: "beta" },
  { fam: Bernoulli, params: { p: 0 }, code: "INVALID_PARAMETER", message: /'p' = 0\b/, parameter: "p" },
  { fam: Bernoulli, params: { p: 1 }, code: "INVALID_PARAMETER", message: /'p' = 1\b/, parameter: "p" },
  { fam: Bernoulli, params: { p: 1.5 }, code: "INVALID_PARAMETER", message: /'p' = 1\.5/, parameter: "p" },
  { fam: Bernoulli, params: { p: -0.1 }, code: "INVALID_PARAMETER", message: /'p' = -0\.1/, parameter: "p" },
  { fam: Bernoulli, params: { p: NaN }, code: "INVALID_PARAMETER", message: /'p' = NaN/, parameter: "p" },
  { fam: Poisson, params: { rate: 0 }, code: "INVALID_PARAMETER", message: /'rate' = 0\b/, parameter: "rate" },
  { fam: Poisson, params: { rate: -3 }, code: "INVALID_PARAMETER", message: /'rate' = -3\b/, parameter: "rate" },
  { fam: Poisson, params: { rate: NaN }, code: "INVALID_PARAMETER", message: /'rate' = NaN/, parameter: "rate" },
  { fam: Poisson, params: { rate: Infinity }, code: "INVALID_PARAMETER", message: /'rate' = Infinity/, parameter: "rate" },
  { fam: Categorical(3), params: { p: f64(0.5, 0.5) }, code: "DIMENSION_MISMATCH", message: /'p' has length 2, expected 3/, parameter: "p" },
  { fam: Categorical(3), params: { p: f64(0.5, -0.1, 0.6) }, code: "INVALID_PARAMETER", message: /'p\[1\]' = -0\.1/, parameter: "p[1]" },
  { fam: Categorical(3), params: { p: f64(NaN, 0.5, 0.5) }, code: "INVALID_PARAMETER", message: /'p\[0\]' = NaN/, parameter: "p[0]" },
  { fam: Categorical(3), params: { p: f64(0, 0.5, 0.5) }, code: "INVALID_PARAMETER", message: /'p\[0\]' = 0\b/, parameter: "p[0]" },
  { fam: Categorical(3), params: { p: f64(0.2, 0.2, 0.2) }, code: "INVALID_PARAMETER", message: /'sum\(p\)' = 0\.6/, parameter: "sum(p)" },
  { fam: Dirichlet(3), params: { alpha: f64(1, 1, 1, 1) }, code: "DIMENSION_MISMATCH", message: /'alpha' has length 4, expected 3/, parameter: "alpha" },
  { fam: Dirichlet(3), params: { alpha: f64(1, 0, 1) }, code: "INVALID_PARAMETER", message: /'alpha\[1\]' = 0\b/, parameter: "alpha[1]" },
  { fam: Dirichlet(3), params: { alpha: f64(1, 1, NaN) }, code: "INVALID_PARAMETER", message: /'alpha\[2\]' = NaN/, parameter: "alpha[2]" },
  { fam: Dirichlet(3), params: { alpha: f64(-1, 1, 1) }, code: "INVALID_PARAMETER", message: /'alpha\[0\]' = -1\b/, parameter: "alpha[0]" },
  { fam: Dirichlet(3), params: { alpha: f64(1, Infinity, 1) }, code: "INVALID_PARAMETER", message: /'alpha\[1\]' = Infinity/, parameter: "alpha[1]" },
  { fam: MvNormal(2), params: { mean: f64(0, 0, 0), covariance: I2 }, code: "DIMENSION_MISMATCH", message: /'mean' has length 3, expected 2/, parameter: "mean" },
  { fam: MvNormal(2), params: { mean: f64(0, 0), covariance: f64(1, 0, 1) }, code: "DIMENSION_MISMATCH", message: /'covariance' has length 3, expected 4/, parameter: "covariance" },
  { fam: MvNormal(2), params: { mean: f64(0, NaN), covariance: I2 }, code: "INVALID_PARAMETER", message: /'mean\[1\]' = NaN/, parameter: "mean[1]" },
  { fam: MvNormal(2), params: { mean: f64(0, 0), covariance: f64(1, 0, Infinity, 1) }, code: "INVALID_PARAMETER", message: /'covariance\[2\]' = Infinity/, parameter: "covariance[2]" },
  { fam: MvNormal(2), params: { mean: f64(0, 0), covariance: f64(1, 2, 2, 1) }, code: "NOT_POSITIVE_DEFINITE", message: /2×2 MvNormal covariance .*pivot 1 .* -3\b/ },
  { fam: MvNormal(2), params: { mean: f64(0, 0), covariance: f64(-1, 0, 0, 1) }, code: "NOT_POSITIVE_DEFINITE", message: /2×2 MvNormal covariance .*pivot 0 .* -1\b/ },
  { fam: MvNormal(3), params: { mean: f64(0, 0, 0), covariance: f64(1, 1, 0, 1, 1, 0, 0, 0, 1) }, code: "NOT_POSITIVE_DEFINITE", message: /3×3 MvNormal covariance .*pivot 1 .* 0\b/ },
  { fam: MvNormal(2), params: { mean: f64(0, 0), covariance: f64(1, 0.9, -0.9, 1) }, code: "INVALID_PARAMETER", message: /'covariance' must be a symmetric matrix.*covariance\[1,0\] = -0\.9.*covariance\[0,1\] = 0\.9/, parameter: "covariance" },
  { fam: Wishart(2), params: { df: 1, scale: I2 }, code: "INVALID_PARAMETER", message: /'df' = 1\b.*d − 1 = 1/, parameter: "df" },
  { fam: Wishart(2), params: { df: 0.5, scale: I2 }, code: "INVALID_PARAMETER", message: /'df' = 0\.5/, parameter: "df" },
  { fam: Wishart(3), params: { df: 2, scale: f64(1, 0, 0, 0, 1, 0, 0, 0, 1) }, code: "INVALID_PARAMETER", message: /'df' = 2\b.*d − 1 = 2/, parameter: "df" },
  { fam: Wishart(2), params: { df: NaN, scale: I2 }, code: "INVALID_PARAMETER", message: /'df' = NaN/, parameter: "df" },
  { fam: Wishart(2), params: { df: Infinity, scale: I2 }, code: "INVALID_PARAMETER", message: /'df' = Infinity/, parameter: "df" },
  { fam: Wishart(2), params: { df: 3, scale: f64(1, 0, 0) }, code: "DIMENSION_MISMATCH", message: /'scale' has length 3, expected 4/, parameter: "scale" },
  { fam: Wishart(2), params: { df: 3, scale: f64(1, NaN, NaN, 1) }, code: "INVALID_PARAMETER", message: /'scale\[1\]' = NaN/, parameter: "scale[1]" },
  { fam: Wishart(2), params: { df: 3, scale: f64(1, 3, 3, 1) }, code: "NOT_POSITIVE_DEFINITE", message: /2×2 Wishart scale .*pivot 1 .* -8\b/ },
  { fam: Wishart(2), params: { df: 3, scale: f64(1, 0.5, 0, 1) }, code: "INVALID_PARAMETER", message: /'scale' must be a symmetric matrix/, parameter: "scale" },
  { fam: NormalWishart(2), params: { mean: f64(0, 0), precisionScale: 0, df: 3, scale: I2 }, code: "INVALID_PARAMETER", message: /'precisionScale' = 0\b/, parameter: "precisionScale" },
  { fam: NormalWishart(2), params: { mean: f64(0, NaN), precisionScale: 1, df: 3, scale: I2 }, code: "INVALID_PARAMETER", message: /'mean\[1\]' = NaN/, parameter: "mean[1]" },
  { fam: NormalWishart(2), params: { mean: f64(0, 0), precisionScale: 1, df: 1, scale: I2 }, code: "INVALID_PARAMETER", message: /'df' = 1\b.*d − 1 = 1/, parameter: "df" },
  { fam: NormalWishart(2), params: { mean: f64(0), precisionScale: 1, df: 3, scale: I2 }, code: "DIMENSION_MISMATCH", message: /'mean' has length 1, expected 2/, parameter: "mean" },
  { fam: NormalWishart(2), params: { mean: f64(0, 0), precisionScale: 1, df: 3, scale: f64(1, 3, 3, 1) }, code: "NOT_POSITIVE_DEFINITE", message: /2×2 NormalWishart scale .*pivot 1/ },
  { fam: NormalWishart(2), params: { mean: f64(0, 0), precisionScale: 1, df: 3, scale: f64(1, 0.5, 0, 1) }, code: "INVALID_PARAMETER", message: /'scale' must be a symmetric matrix/, parameter: "scale" },
];

for (const b of BAD) {
  test(`${b.fam.key}.toNatural(${describe(b.params)}) throws ${b.code}`, (t) => {
    const e = t.throws(() => b.fam.toNatural(b.params), { instanceOf: VireoError });
    t.is(e?.code, b.code);
    t.regex(e?.message ?? "", b.message);
    t.regex(e?.message ?? "", new RegExp(b.fam.name), "the message names the family");
    if (b.parameter !== undefined) t.is(e?.context.parameter, b.parameter);
  });
}

// ---------------------------------------------------------------- validate(η)

interface BadEta {
  readonly fam: AnyFamily;
  readonly eta: Float64Array | number[];
  readonly code: "INVALID_PARAMETER" | "DIMENSION_MISMATCH";
  readonly message: RegExp;
  readonly parameter?: string;
}

const BAD_ETA: BadEta[] = [
  { fam: Normal, eta: f64(0, 0), code: "INVALID_PARAMETER", message: /η₂ = −precision\/2 must be < 0, got 0\b/, parameter: "precision" },
  { fam: Normal, eta: f64(1, 0.5), code: "INVALID_PARAMETER", message: /precision.*got 0\.5/, parameter: "precision" },
  { fam: Normal, eta: f64(NaN, -1), code: "INVALID_PARAMETER", message: /η\[0\] is NaN/, parameter: "eta[0]" },
  { fam: Normal, eta: f64(0, -Infinity), code: "INVALID_PARAMETER", message: /η\[1\] is -Infinity/, parameter: "eta[1]" },
  { fam: Normal, eta: f64(0, -1, 0), code: "DIMENSION_MISMATCH", message: /length 2, got length 3/ },
  { fam: Normal, eta: [0, -1], code: "DIMENSION_MISMATCH", message: /Float64Array of length 2/ },
  { fam: Gamma, eta: f64(-1, -1), code: "INVALID_PARAMETER", message: /shape = η₁ \+ 1 must be > 0, got 0\b/, parameter: "shape" },
  { fam: Gamma, eta: f64(-3, -1), code: "INVALID_PARAMETER", message: /shape .* got -2\b/, parameter: "shape" },
  { fam: Gamma, eta: f64(1, 0), code: "INVALID_PARAMETER", message: /rate = −η₂ must be > 0, got 0\b/, parameter: "rate" },
  { fam: Gamma, eta: f64(1, 2), code: "INVALID_PARAMETER", message: /rate .* got -2\b/, parameter: "rate" },
  { fam: Gamma, eta: f64(1, NaN), code: "INVALID_PARAMETER", message: /η\[1\] is NaN/, parameter: "eta[1]" },
  { fam: Beta, eta: f64(-1, 0), code: "INVALID_PARAMETER", message: /alpha .* got 0\b/, parameter: "alpha" },
  { fam: Beta, eta: f64(0, -1.5), code: "INVALID_PARAMETER", message: /beta .* got -0\.5/, parameter: "beta" },
  { fam: Bernoulli, eta: f64(Infinity), code: "INVALID_PARAMETER", message: /η\[0\] is Infinity/, parameter: "eta[0]" },
  { fam: Poisson, eta: f64(NaN), code: "INVALID_PARAMETER", message: /η\[0\] is NaN/, parameter: "eta[0]" },
  { fam: Categorical(3), eta: f64(0, NaN, 0), code: "INVALID_PARAMETER", message: /η\[1\] is NaN/, parameter: "eta[1]" },
  { fam: Categorical(3), eta: f64(0, 0), code: "DIMENSION_MISMATCH", message: /length 3, got length 2/ },
  { fam: Dirichlet(3), eta: f64(0, -1, 0), code: "INVALID_PARAMETER", message: /alpha\[1\] .* got 0\b/, parameter: "alpha[1]" },
  { fam: Dirichlet(3), eta: f64(0, 0, -2), code: "INVALID_PARAMETER", message: /alpha\[2\] .* got -1\b/, parameter: "alpha[2]" },
  { fam: MvNormal(2), eta: f64(0, 0, 0.5, 0, 0, -0.5), code: "INVALID_PARAMETER", message: /MvNormal precision is not positive definite.*pivot 0/, parameter: "precision" },
  { fam: MvNormal(2), eta: f64(0, 0, 0, 0, 0, 0), code: "INVALID_PARAMETER", message: /precision/, parameter: "precision" },
  { fam: MvNormal(2), eta: f64(0, 0, -0.5, -1, -1, -0.5), code: "INVALID_PARAMETER", message: /2×2 MvNormal precision .*pivot 1/, parameter: "precision" },
  { fam: Wishart(2), eta: f64(-1, -0.5, 0, 0, -0.5), code: "INVALID_PARAMETER", message: /df = 2η₁ \+ d \+ 1 must be > d − 1 = 1, got 1\b/, parameter: "df" },
  { fam: Wishart(2), eta: f64(0, 0.5, 0, 0, -0.5), code: "INVALID_PARAMETER", message: /Wishart inverse scale is not positive definite/, parameter: "scale" },
  { fam: Wishart(2), eta: f64(0, -0.5, 0, 0), code: "DIMENSION_MISMATCH", message: /length 5, got length 4/ },
  // NormalWishart(2) η = [βm (2), −β/2, (ν − d)/2, vec(−½W⁻¹ − (β/2)mmᵀ) (4)].
  { fam: NormalWishart(2), eta: f64(0, 0, 0.5, 0.5, -0.5, 0, 0, -0.5), code: "INVALID_PARAMETER", message: /precisionScale β = −2η\[2\] must be > 0, got -1\b/, parameter: "precisionScale" },
  { fam: NormalWishart(2), eta: f64(0, 0, -0.5, -1, -0.5, 0, 0, -0.5), code: "INVALID_PARAMETER", message: /df ν = 2η\[3\] \+ d must be > d − 1 = 1, got 0\b/, parameter: "df" },
  { fam: NormalWishart(2), eta: f64(0, 0, -0.5, 0.5, 0.5, 0, 0, -0.5), code: "INVALID_PARAMETER", message: /NormalWishart inverse scale is not positive definite/, parameter: "scale" },
  // β m mᵀ is subtracted from −2 sym(η_Λ): a large βm with a small η_Λ leaves W⁻¹ indefinite.
  { fam: NormalWishart(2), eta: f64(3, 0, -0.5, 0.5, -0.5, 0, 0, -0.5), code: "INVALID_PARAMETER", message: /NormalWishart inverse scale is not positive definite.*pivot 0/, parameter: "scale" },
];

for (const b of BAD_ETA) {
  test(`${b.fam.key}.validate([${Array.from(b.eta)}]) throws ${b.code}`, (t) => {
    const e = t.throws(() => b.fam.validate(b.eta as Float64Array), { instanceOf: VireoError });
    t.is(e?.code, b.code);
    t.regex(e?.message ?? "", b.message);
    t.regex(e?.message ?? "", new RegExp(b.fam.key.replace(/[()]/g, "\\$&")), "the message names where");
    if (b.parameter !== undefined) t.is(e?.context.parameter, b.parameter);
    t.false(b.fam.isProper(b.eta as Float64Array));
  });
}

test("validate: the `where` argument prefixes the message", (t) => {
  const e = t.throws(() => Normal.validate(f64(0, 1), "node 'y', edge 'mean'"), { instanceOf: VireoError });
  t.regex(e?.message ?? "", /^node 'y', edge 'mean': /);
});
