/**
 * Bishop's Bayesian Gaussian mixture (PRML §10.2) against a direct implementation of the book's
 * updates written here: the M-step 10.51–10.53 and 10.58–10.63, the E-step 10.46 and 10.64–10.66 with
 * 10.49, and the bound term by term, 10.71–10.77 (with B.79 and B.82). From the same starting
 * responsibilities, every CAVI sweep of the graph (NormalWishart q per component) must give the
 * same q and the same seven ELBO terms; CAVI reaches Bishop's fixed point. A one-component model
 * has the exact posterior in its family: CAVI gives it, and the ELBO equals the log evidence.
 */
import test, { type ExecutionContext } from "ava";
import { fileURLToPath } from "node:url";
import { Generator, NormalWishart, MvNormal, Wishart, Dirichlet, Categorical, sampleStandardNormal, sampleCategorical, sampleDirichlet, gammaln, digamma, type NormalWishartParams } from "@vireo/core";
import { NormalWishartNode, MvNormalJointNode, ScaledMvNormalNode, WishartNode, DirichletNode, CategoricalNode, MvNormalNode } from "@vireo/nodes";
import {
  CaviEngine, ModelBuilder, bindData, cavi, compile, elboTerms, initialise, caviCheckpoint, encodeCheckpoint, decodeCheckpoint, resumeCavi,
  createRegistry, type CompiledState,
} from "@vireo/runtime";
import { normalWishartMixture } from "../../examples/src/normal-wishart-mixture.js";
import { readNumericCsv } from "../../examples/src/lib/csv.js";

// ------------------------------------------------------------------ small dense helpers (reference only)

type Mat = number[][];
const zerosM = (d: number): Mat => Array.from({ length: d }, () => new Array<number>(d).fill(0));
/** Inverse and log-determinant by Gauss–Jordan with partial pivoting. */
function invLogDet(A: Mat): { inv: Mat; logDet: number } {
  const d = A.length, M = A.map((r, i) => [...r, ...Array.from({ length: d }, (_, j) => (i === j ? 1 : 0))]);
  let logDet = 0;
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    const piv = M[c]![c]!;
    if (!(piv > 0) && p === c && d === 1) throw new Error("not SPD");
    logDet += Math.log(Math.abs(piv));
    for (let j = 0; j < 2 * d; j++) M[c]![j] = M[c]![j]! / piv;
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = M[r]![c]!;
      for (let j = 0; j < 2 * d; j++) M[r]![j] = M[r]![j]! - f * M[c]![j]!;
    }
  }
  return { inv: M.map((r) => r.slice(d)), logDet };
}
const quad = (A: Mat, u: number[], v: number[] = u) => A.reduce((s, r, i) => s + r.reduce((t, a, j) => t + u[i]! * a * v[j]!, 0), 0);
const traceProd = (A: Mat, B: Mat) => A.reduce((s, r, i) => s + r.reduce((t, a, j) => t + a * B[j]![i]!, 0), 0);
const lnGammaD = (a: number, d: number) => (d * (d - 1) / 4) * Math.log(Math.PI) + Array.from({ length: d }, (_, i) => gammaln(a - i / 2)).reduce((s, v) => s + v, 0);

// ------------------------------------------------------------------ PRML §10.2

interface Priors { alpha0: number; m0: number[]; beta0: number; W0: Mat; nu0: number }
interface Params { alpha: number[]; beta: number[]; m: number[][]; W: Mat[]; nu: number[] }

/** N_k, x̄_k, S_k (10.51–10.53). */
function statistics(X: number[][], r: number[][], K: number) {
  const d = X[0]!.length;
  const Nk = Array.from({ length: K }, (_, k) => r.reduce((s, rn) => s + rn[k]!, 0));
  // A component whose responsibilities all underflow to 0 has N_k = 0: x̄_k and S_k only ever
  // appear multiplied by N_k, so any finite value does (0 here).
  const per = (k: number, v: number) => (Nk[k]! > 0 ? v / Nk[k]! : 0);
  const xbar = Array.from({ length: K }, (_, k) => Array.from({ length: d }, (_, i) => per(k, X.reduce((s, x, n) => s + r[n]![k]! * x[i]!, 0))));
  const S = Array.from({ length: K }, (_, k) => {
    const Sk = zerosM(d);
    X.forEach((x, n) => { for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) Sk[i]![j] += r[n]![k]! * (x[i]! - xbar[k]![i]!) * (x[j]! - xbar[k]![j]!); });
    return Sk.map((row) => row.map((v) => per(k, v)));
  });
  return { Nk, xbar, S };
}

/** The M-step, 10.58 and 10.60–10.63. */
function mStep(X: number[][], r: number[][], K: number, p: Priors): Params {
  const d = X[0]!.length, { Nk, xbar, S } = statistics(X, r, K), W0inv = invLogDet(p.W0).inv;
  const alpha = Nk.map((n) => p.alpha0 + n), beta = Nk.map((n) => p.beta0 + n), nu = Nk.map((n) => p.nu0 + n);
  const m = Nk.map((n, k) => Array.from({ length: d }, (_, i) => (p.beta0 * p.m0[i]! + n * xbar[k]![i]!) / beta[k]!));
  const W = Nk.map((n, k) => {
    const Winv = zerosM(d), c = (p.beta0 * n) / (p.beta0 + n);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
      Winv[i]![j] = W0inv[i]![j]! + n * S[k]![i]![j]! + c * (xbar[k]![i]! - p.m0[i]!) * (xbar[k]![j]! - p.m0[j]!);
    }
    return invLogDet(Winv).inv;
  });
  return { alpha, beta, m, W, nu };
}

/** ln Λ̃_k (10.65) and ln π̃_k (10.66). */
function expectations(q: Params, d: number) {
  const aHat = q.alpha.reduce((s, a) => s + a, 0);
  const lnLambda = q.W.map((W, k) => Array.from({ length: d }, (_, i) => digamma((q.nu[k]! - i) / 2)).reduce((s, v) => s + v, 0) + d * Math.LN2 + invLogDet(W).logDet);
  const lnPi = q.alpha.map((a) => digamma(a) - digamma(aHat));
  return { lnLambda, lnPi };
}

/** The E-step, 10.46 with 10.64 and 10.49. */
function eStep(X: number[][], q: Params): number[][] {
  const d = X[0]!.length, K = q.alpha.length, { lnLambda, lnPi } = expectations(q, d);
  return X.map((x) => {
    const lnRho = Array.from({ length: K }, (_, k) => {
      const diff = x.map((v, i) => v - q.m[k]![i]!);
      return lnPi[k]! + 0.5 * lnLambda[k]! - 0.5 * d * Math.log(2 * Math.PI) - 0.5 * (d / q.beta[k]! + q.nu[k]! * quad(q.W[k]!, diff));
    });
    const mx = Math.max(...lnRho), e = lnRho.map((v) => Math.exp(v - mx)), s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });
}

const lnB = (W: Mat, nu: number) => -0.5 * nu * invLogDet(W).logDet - 0.5 * nu * W.length * Math.LN2 - lnGammaD(nu / 2, W.length); // B.79
const lnC = (a: number[]) => gammaln(a.reduce((s, v) => s + v, 0)) - a.reduce((s, v) => s + gammaln(v), 0);

/** The seven terms of the bound, 10.71–10.77, at q(Z) = r and q(π, μ, Λ) = q. */
function boundTerms(X: number[][], r: number[][], q: Params, p: Priors) {
  const d = X[0]!.length, K = q.alpha.length, { Nk, xbar, S } = statistics(X, r, K), { lnLambda, lnPi } = expectations(q, d);
  const W0inv = invLogDet(p.W0).inv;
  const sum = (f: (k: number) => number) => Array.from({ length: K }, (_, k) => f(k)).reduce((s, v) => s + v, 0);
  const diff = (a: number[], b: number[]) => a.map((v, i) => v - b[i]!);
  const lik = 0.5 * sum((k) => Nk[k]! * (lnLambda[k]! - d / q.beta[k]! - q.nu[k]! * traceProd(S[k]!, q.W[k]!) -
    q.nu[k]! * quad(q.W[k]!, diff(xbar[k]!, q.m[k]!)) - d * Math.log(2 * Math.PI)));                         // 10.71
  const zPrior = r.reduce((s, rn) => s + sum((k) => (rn[k]! > 0 ? rn[k]! * lnPi[k]! : 0)), 0);                 // 10.72
  const piPrior = lnC(new Array<number>(K).fill(p.alpha0)) + (p.alpha0 - 1) * sum((k) => lnPi[k]!);          // 10.73
  const thetaPrior = 0.5 * sum((k) => d * Math.log(p.beta0 / (2 * Math.PI)) + lnLambda[k]! - (d * p.beta0) / q.beta[k]! -
    p.beta0 * q.nu[k]! * quad(q.W[k]!, diff(q.m[k]!, p.m0))) + K * lnB(p.W0, p.nu0) +
    0.5 * (p.nu0 - d - 1) * sum((k) => lnLambda[k]!) - 0.5 * sum((k) => q.nu[k]! * traceProd(W0inv, q.W[k]!));  // 10.74
  const lnqZ = r.reduce((s, rn) => s + sum((k) => (rn[k]! > 0 ? rn[k]! * Math.log(rn[k]!) : 0)), 0);          // 10.75
  const lnqPi = sum((k) => (q.alpha[k]! - 1) * lnPi[k]!) + lnC(q.alpha);                                       // 10.76
  const entropyLambda = (k: number) => -lnB(q.W[k]!, q.nu[k]!) - 0.5 * (q.nu[k]! - d - 1) * lnLambda[k]! + 0.5 * q.nu[k]! * d; // B.82
  const lnqTheta = sum((k) => 0.5 * lnLambda[k]! + 0.5 * d * Math.log(q.beta[k]! / (2 * Math.PI)) - 0.5 * d - entropyLambda(k)); // 10.77
  return { likelihood: lik, z_prior: zPrior, pi_prior: piPrior, theta_prior: thetaPrior, z: -lnqZ, pi: -lnqPi, theta: -lnqTheta };
}

// ------------------------------------------------------------------ Vireo side

function vireoParams(state: CompiledState, K: number, d: number): Params {
  const fam = NormalWishart(d), theta = state.variables.get("theta")!, pi = state.variables.get("pi")!;
  const q: Params = { alpha: Array.from(pi.eta, (e) => e + 1), beta: [], m: [], W: [], nu: [] };
  for (let k = 0; k < K; k++) {
    const p = fam.fromNatural(theta.eta.subarray(k * fam.size, (k + 1) * fam.size));
    q.beta.push(p.precisionScale);
    q.nu.push(p.df);
    q.m.push(Array.from(p.mean));
    q.W.push(Array.from({ length: d }, (_, i) => Array.from(p.scale.subarray(i * d, (i + 1) * d))));
  }
  return q;
}
function vireoResponsibilities(state: CompiledState, K: number): number[][] {
  const z = state.variables.get("z")!;
  return Array.from({ length: z.count }, (_, n) => Array.from(z.stats.subarray(n * K, (n + 1) * K)));
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));
function sameParams(t: ExecutionContext, a: Params, b: Params, tol: number, label: string): void {
  const flat = (q: Params) => [...q.alpha, ...q.beta, ...q.nu, ...q.m.flat(), ...q.W.flat(2)];
  const fa = flat(a), fb = flat(b);
  let worst = 0;
  for (let i = 0; i < fa.length; i++) worst = Math.max(worst, rel(fa[i]!, fb[i]!));
  t.true(worst <= tol, `${label}: parameters differ by ${worst.toExponential(2)} (relative)`);
}
function sameResponsibilities(t: ExecutionContext, a: number[][], b: number[][], tol: number, label: string): void {
  let worst = 0;
  a.forEach((row, n) => row.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - b[n]![k]!)))));
  t.true(worst <= tol, `${label}: responsibilities differ by ${worst.toExponential(2)}`);
}

// ------------------------------------------------------------------ data sets

function faithful(): number[][] {
  const { rows } = readNumericCsv(fileURLToPath(new URL("../../examples/data/faithful.csv", import.meta.url)));
  const N = rows.length, mean = [0, 1].map((j) => rows.reduce((s, r) => s + r[j]!, 0) / N);
  const sd = [0, 1].map((j) => Math.sqrt(rows.reduce((s, r) => s + (r[j]! - mean[j]!) ** 2, 0) / N));
  return rows.map((r) => r.map((v, j) => (v - mean[j]!) / sd[j]!));
}
function synthetic(): number[][] {
  const rng = new Generator(77);
  const centres = [[-4, 0, 1], [3, 3, -1], [2, -4, 0]], scales = [1, 0.6, 1.4];
  return Array.from({ length: 400 }, () => {
    const k = sampleCategorical(rng, [0.5, 0.3, 0.2]);
    return centres[k]!.map((c) => c + scales[k]! * sampleStandardNormal(rng));
  });
}

interface Setting { name: string; X: number[][]; K: number; priors: Priors; sweeps: number }
const eye = (d: number, s: number): Mat => Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? s : 0)));
const SETTINGS: Setting[] = [
  // Bishop's Fig. 10.6 setting: standardised Old Faithful, K = 6, α₀ = 10⁻³.
  { name: "Old Faithful (standardised), K = 6", X: faithful(), K: 6, priors: { alpha0: 1e-3, m0: [0, 0], beta0: 1, W0: eye(2, 1), nu0: 2 }, sweeps: 30 },
  { name: "synthetic 3-D, K = 4", X: synthetic(), K: 4, priors: { alpha0: 0.5, m0: [0.5, 0, -0.5], beta0: 0.1, W0: [[0.5, 0.1, 0], [0.1, 0.4, 0.05], [0, 0.05, 0.6]], nu0: 4 }, sweeps: 30 },
];

function start(N: number, K: number, seed: number): number[][] {
  const rng = new Generator(seed), ones = new Float64Array(K).fill(1), p = new Float64Array(K);
  return Array.from({ length: N }, () => Array.from(sampleDirichlet(rng, ones, p)));
}
function buildState(s: Setting, r0: number[][]): CompiledState {
  const d = s.X[0]!.length, W0 = s.priors.W0.flat();
  const model = normalWishartMixture(s.K, d, { alpha: s.priors.alpha0, mean: s.priors.m0, precisionScale: s.priors.beta0, df: s.priors.nu0, scale: W0 });
  const state = compile(model, bindData(model, { x: Float64Array.from(s.X.flat()) }));
  initialise(state, new Generator(0), { z: Float64Array.from(r0.flat().map(Math.log)) });
  return state;
}

for (const s of SETTINGS) {
  test(`${s.name}: every sweep equals PRML 10.46–10.63, and the ELBO terms equal 10.71–10.77`, (t) => {
    const d = s.X[0]!.length, r0 = start(s.X.length, s.K, 5);
    const state = buildState(s, r0);
    const engine = new CaviEngine(state);
    t.deepEqual(engine.schedule.map((v) => v.name), ["pi", "theta", "z"], "M-step (π, then μ and Λ), then E-step");
    let r = r0;
    for (let sweep = 0; sweep < s.sweeps; sweep++) {
      const total = engine.sweep();
      const q = mStep(s.X, r, s.K, s.priors);
      r = eStep(s.X, q);
      sameParams(t, vireoParams(state, s.K, d), q, 1e-9, `sweep ${sweep}`);
      sameResponsibilities(t, vireoResponsibilities(state, s.K), r, 1e-9, `sweep ${sweep}`);
      const want = boundTerms(s.X, r, q, s.priors), got = elboTerms(state);
      for (const f of ["likelihood", "z_prior", "pi_prior", "theta_prior"] as const) {
        t.true(rel(got.factors[f]!, want[f]) <= 1e-9, `sweep ${sweep}, E[log ${f}]: ${got.factors[f]} vs ${want[f]}`);
      }
      for (const v of ["z", "pi", "theta"] as const) {
        t.true(rel(got.entropies[v]!, want[v]) <= 1e-9, `sweep ${sweep}, H[q(${v})]: ${got.entropies[v]} vs ${want[v]}`);
      }
      const bound = Object.values(want).reduce((a, b) => a + b, 0);
      t.true(rel(total, bound) <= 1e-9, `sweep ${sweep}: ELBO ${total} vs PRML ${bound}`);
    }
  });

  test(`${s.name}: cavi() reaches Bishop's fixed point`, (t) => {
    const d = s.X[0]!.length, r0 = start(s.X.length, s.K, 6);
    const W0 = s.priors.W0.flat();
    const model = normalWishartMixture(s.K, d, { alpha: s.priors.alpha0, mean: s.priors.m0, precisionScale: s.priors.beta0, df: s.priors.nu0, scale: W0 });
    const result = cavi(model, { data: { x: Float64Array.from(s.X.flat()) }, init: { z: Float64Array.from(r0.flat().map(Math.log)) }, maxIterations: 5000, tolerance: 1e-15 });
    t.true(result.converged);
    t.deepEqual(result.diagnostics, []);
    for (let i = 1; i < result.elbo.length; i++) t.true(result.elbo[i]! >= result.elbo[i - 1]! - 1e-9 * Math.abs(result.elbo[i - 1]!), `ELBO fell at sweep ${i}`);
    // The posterior q(π, μ, Λ) found by the graph, mapped through one more E- and M-step of
    // the book's algorithm, comes back unchanged: a fixed point of PRML 10.46–10.63.
    const fam = NormalWishart(d), theta = result.posteriors.theta!;
    const q: Params = { alpha: Array.from(result.posteriors.pi!.natural, (e) => e + 1), beta: [], m: [], W: [], nu: [] };
    for (let k = 0; k < s.K; k++) {
      const p = theta.params(k) as ReturnType<typeof fam.fromNatural>;
      q.beta.push(p.precisionScale);
      q.nu.push(p.df);
      q.m.push(Array.from(p.mean));
      q.W.push(Array.from({ length: d }, (_, i) => Array.from(p.scale.subarray(i * d, (i + 1) * d))));
    }
    const again = mStep(s.X, eStep(s.X, q), s.K, s.priors);
    sameParams(t, again, q, 1e-6, "one more Bishop iteration");
    // And the bound at that point is the one the book's iteration converges to from the same start.
    let r = r0, q2 = mStep(s.X, r, s.K, s.priors);
    for (let i = 0; i < result.iterations; i++) {
      r = eStep(s.X, q2);
      q2 = mStep(s.X, r, s.K, s.priors);
    }
    const want = Object.values(boundTerms(s.X, eStep(s.X, q2), q2, s.priors)).reduce((a, b) => a + b, 0);
    t.true(rel(result.elbo[result.elbo.length - 1]!, want) <= 1e-9, `ELBO ${result.elbo[result.elbo.length - 1]} vs PRML ${want}`);
  });
}

test("one component: CAVI gives the exact Normal–Wishart posterior and the ELBO equals the log evidence", (t) => {
  const rng = new Generator(11), d = 2, N = 60;
  const X = Array.from({ length: N }, () => [1 + sampleStandardNormal(rng), -2 + 0.5 * sampleStandardNormal(rng) + 0.3 * sampleStandardNormal(rng)]);
  const m0 = [0.5, -1], beta0 = 0.7, nu0 = 3.5, W0: Mat = [[0.8, 0.2], [0.2, 0.5]];
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const theta = m.random("theta", NormalWishart(d));
  m.factor(NormalWishartNode, { out: theta, mean: m0, precisionScale: beta0, df: nu0, scale: W0.flat() });
  m.factor(MvNormalJointNode, { out: m.observed("x", MvNormal(d), { plate: rows }), meanPrecision: theta });
  const r = cavi(m.build(), { data: { x: Float64Array.from(X.flat()) } });

  // Conjugate update (PRML 2.155 with 10.60–10.63 at r ≡ 1) and the evidence (Murphy 2007, eq. 266):
  // p(X) = π^{−Nd/2} Γ_d(ν_N/2)/Γ_d(ν₀/2) |W₀⁻¹|^{ν₀/2} / |W_N⁻¹|^{ν_N/2} (β₀/β_N)^{d/2}.
  const q = mStep(X, X.map(() => [1]), 1, { alpha0: 1, m0, beta0, W0, nu0 });
  const post = r.posteriors.theta!.params() as { mean: Float64Array; precisionScale: number; df: number; scale: Float64Array };
  t.true(rel(post.precisionScale, q.beta[0]!) <= 1e-12 && rel(post.df, q.nu[0]!) <= 1e-12);
  for (let i = 0; i < d; i++) t.true(rel(post.mean[i]!, q.m[0]![i]!) <= 1e-12);
  for (let i = 0; i < d * d; i++) t.true(rel(post.scale[i]!, q.W[0]!.flat()[i]!) <= 1e-10);
  const logEvidence = -0.5 * N * d * Math.log(Math.PI) + lnGammaD(q.nu[0]! / 2, d) - lnGammaD(nu0 / 2, d) -
    0.5 * nu0 * invLogDet(W0).logDet + 0.5 * q.nu[0]! * invLogDet(q.W[0]!).logDet + 0.5 * d * Math.log(beta0 / q.beta[0]!);
  const elbo = r.elbo[r.elbo.length - 1]!;
  t.true(Math.abs(elbo - logEvidence) <= 1e-9 * Math.abs(logEvidence), `ELBO ${elbo} vs log evidence ${logEvidence}`);
  t.true(r.converged);
});

test("Old Faithful: with K = 6 and a sparse prior two clusters stay, and K = 2 has the best ELBO of K = 1..4 under the same priors", (t) => {
  const X = faithful(), x = Float64Array.from(X.flat());
  const priors = { alpha: 0.01, precisionScale: 1, df: 2, scale: 1 };
  const fit = (K: number) => cavi(normalWishartMixture(K, 2, priors), { data: { x }, seed: 1, restarts: 3, maxIterations: 2000 });
  const six = fit(6);
  const weights = Array.from(six.posteriors.pi!.mean()).filter((w) => w > 0.01).sort();
  t.is(weights.length, 2);
  t.true(Math.abs(weights[0]! - 0.357) < 0.01 && Math.abs(weights[1]! - 0.643) < 0.01, `weights ${weights}`);
  const elbos = [1, 2, 3, 4].map((K) => fit(K).elbo.at(-1)!);
  t.is(elbos.indexOf(Math.max(...elbos)), 1, `ELBOs ${elbos}`);
});

test("a Normal–Wishart mixture checkpoints through the built-in registry and resumes bit-identically", (t) => {
  const s = SETTINGS[1]!, r0 = start(s.X.length, s.K, 9);
  const state = buildState(s, r0), engine = new CaviEngine(state);
  const trace = [engine.sweep(), engine.sweep()];
  const bytes = encodeCheckpoint(caviCheckpoint(engine, { sweeps: 2, elbo: trace }));
  const resumed = resumeCavi(decodeCheckpoint(bytes, createRegistry()), { x: Float64Array.from(s.X.flat()) });
  t.deepEqual(resumed.elbo, trace);
  for (let i = 0; i < 3; i++) t.is(resumed.engine.sweep(), engine.sweep());
});

test("the same model with q(μ_k)q(Λ_k) apart (ScaledMvNormal prior): same clusters, one degree of freedom more, a lower ELBO", (t) => {
  const X = faithful(), x = Float64Array.from(X.flat()), K = 2, d = 2;
  const p = { alpha: 1, m0: [0, 0], beta0: 1, nu0: 2, W0: [1, 0, 0, 1] };
  const m = new ModelBuilder();
  const rows = m.plate("rows"), comps = m.plate("components", K);
  const pi = m.random("pi", Dirichlet(K));
  m.factor(DirichletNode, { out: pi, alpha: [p.alpha, p.alpha] });
  const Lambda = m.random("Lambda", Wishart(d), { plate: comps });
  m.factor(WishartNode, { out: Lambda, df: p.nu0, scale: p.W0 });
  const mu = m.random("mu", MvNormal(d), { plate: comps });
  m.factor(ScaledMvNormalNode, { out: mu, mean: p.m0, precision: Lambda, scale: p.beta0 });
  const z = m.random("z", Categorical(K), { plate: rows });
  m.factor(CategoricalNode, { out: z, p: pi });
  m.mixture(MvNormalNode, { selector: z, out: m.observed("x", MvNormal(d), { plate: rows }), mean: mu, precision: Lambda });
  const r0 = start(X.length, K, 12), init = { z: Float64Array.from(r0.flat().map(Math.log)) };
  const apart = cavi(m.build(), { data: { x }, init, tolerance: 1e-14, maxIterations: 2000 });
  const joint = cavi(normalWishartMixture(K, d, { alpha: p.alpha, mean: p.m0, precisionScale: p.beta0, df: p.nu0, scale: p.W0 }), { data: { x }, init, tolerance: 1e-14, maxIterations: 2000 });
  t.true(apart.converged && joint.converged);
  t.deepEqual(apart.diagnostics, []);
  for (let k = 0; k < K; k++) {
    const nw = joint.posteriors.theta!.params(k) as { mean: Float64Array; df: number };
    const w = apart.posteriors.Lambda!.params(k) as { df: number };
    const muK = apart.posteriors.mu!.mean().subarray(k * d, (k + 1) * d);
    t.true(Math.hypot(muK[0]! - nw.mean[0]!, muK[1]! - nw.mean[1]!) < 0.01, `component ${k}: means ${muK} vs ${nw.mean}`);
    // Mean-field: Λ_k also collects ½ log|Λ_k| from μ_k's prior, so ν_k = ν₀ + N_k + 1 (PRML 10.63 has ν₀ + N_k).
    t.true(Math.abs(w.df - nw.df - 1) < 0.05, `component ${k}: ν ${w.df} (apart) vs ${nw.df} (joint)`);
  }
  t.true(apart.elbo.at(-1)! < joint.elbo.at(-1)!, `ELBO ${apart.elbo.at(-1)} (apart) vs ${joint.elbo.at(-1)} (joint)`);
});

test("seeded starts locate each Normal–Wishart component at a data row (random starts leave them all at the global mean)", (t) => {
  const X = synthetic(), x = Float64Array.from(X.flat()), d = 3, K = 3;
  const model = normalWishartMixture(K, d, { alpha: 1, precisionScale: 0.1, df: d + 1, scale: 1 });
  const spreadAfterOneSweep = (mixtureStart: "seeded" | "random") => {
    const r = cavi(model, { data: { x }, mixtureStart, maxIterations: 1, seed: 4 });
    const means = Array.from({ length: K }, (_, k) => Array.from((r.posteriors.theta!.params(k) as NormalWishartParams).mean));
    let widest = 0;
    for (const a of means) for (const b of means) widest = Math.max(widest, Math.hypot(...a.map((v, i) => v - b[i]!)));
    return widest;
  };
  // The synthetic clusters' centres are 5 to 8 apart; soft random responsibilities average them away.
  t.true(spreadAfterOneSweep("seeded") > 3, `seeded: ${spreadAfterOneSweep("seeded")}`);
  t.true(spreadAfterOneSweep("random") < 1, `random: ${spreadAfterOneSweep("random")}`);
});
