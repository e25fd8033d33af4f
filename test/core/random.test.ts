/**
 * The generator (determinism, saved and restored state) and the samplers (moments within 5
 * standard errors over tables of parameters, 200,000 draws each, fixed seeds).
 */
import test from "ava";
import {
  Generator,
  VireoError,
  type GeneratorState,
  sampleStandardNormal,
  sampleNormal,
  sampleGamma,
  sampleBeta,
  sampleDirichlet,
  sampleCategorical,
  sampleBernoulli,
  samplePoisson,
  sampleMvNormalCov,
  sampleMvNormalPrecision,
  sampleWishart,
  spdInverseDense,
  gammaln,
  digamma,
  trigamma,
} from "@vireo/core";
import { checkMeanVar, within, moments, betaMoments } from "./helpers.js";

const N = 200_000;

// ---------------------------------------------------------------- generator

/** A mixed stream: integers, uniforms, normals (exercising the spare), gammas, Poissons. */
function draws(rng: Generator, n = 200): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(rng.nextUint32(), rng.uniform(), sampleStandardNormal(rng), sampleGamma(rng, 0.3 + (i % 5)), samplePoisson(rng, i % 2 ? 3 : 40));
    if (i % 3 === 0) out.push(sampleStandardNormal(rng));
  }
  return out;
}

test("generator: the same seed gives the same stream; different seeds differ", (t) => {
  for (const seed of [0, 1, 42, -7, 0xffffffff, 123456789]) {
    t.deepEqual(draws(new Generator(seed)), draws(new Generator(seed)));
  }
  t.notDeepEqual(draws(new Generator(1), 10), draws(new Generator(2), 10));
});

test("generator: the seeded stream is pinned (changing seeding or algorithm must be deliberate)", (t) => {
  // Values of this implementation (splitmix32 seeding, xoshiro128**); the next test checks the
  // xoshiro128** step itself against an independent reference.
  const a = new Generator(42);
  t.deepEqual(Array.from({ length: 4 }, () => a.nextUint32()), [2837322924, 544945897, 479756282, 3500138142]);
  const b = new Generator(0);
  t.deepEqual(Array.from({ length: 4 }, () => b.nextUint32()), [3809008728, 1133695204, 53579671, 2891528803]);
  // uniform() = (hi >>> 5) · 2²⁶ + (lo >>> 6), over 2⁵³.
  t.is(new Generator(0).uniform(), ((3809008728 >>> 5) * 2 ** 26 + (1133695204 >>> 6)) / 2 ** 53);
});

test("generator: nextUint32 is xoshiro128** (independent BigInt reference from the same state)", (t) => {
  const rng = new Generator(2024);
  const s = rng.getState().words.map((w) => BigInt(w));
  const M = 0xffffffffn;
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M;
  const got: number[] = [], want: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const expected = (rotl((s[1]! * 5n) & M, 7n) * 9n) & M;
    const tt = (s[1]! << 9n) & M;
    s[2] = s[2]! ^ s[0]!;
    s[3] = s[3]! ^ s[1]!;
    s[1] = s[1]! ^ s[2]!;
    s[0] = s[0]! ^ s[3]!;
    s[2] = s[2]! ^ tt;
    s[3] = rotl(s[3]!, 11n);
    got.push(rng.nextUint32());
    want.push(Number(expected));
  }
  t.deepEqual(got, want);
});

test("generator: uniform() is in [0, 1), uniformOpen() in (0, 1), integer(n) in {0..n−1} with equal frequencies", (t) => {
  const rng = new Generator(9);
  const counts = new Array<number>(7).fill(0);
  let su = 0;
  let outside = 0;
  for (let i = 0; i < N; i++) {
    const u = rng.uniform();
    const o = rng.uniformOpen();
    if (!(u >= 0 && u < 1 && o > 0 && o < 1)) outside++;
    su += u;
    counts[rng.integer(7)]!++;
  }
  t.is(outside, 0);
  within(t, su / N, 0.5, Math.sqrt(1 / 12 / N), "uniform mean");
  for (const c of counts) within(t, c / N, 1 / 7, Math.sqrt((1 / 7) * (6 / 7) / N), "integer(7) frequency");
});

test("generator: getState / setState / fromState / clone / JSON continue bit-identically, spare normal included", (t) => {
  const rng = new Generator(31337);
  draws(rng, 17);
  sampleStandardNormal(rng); // leaves the second deviate of the pair cached
  const state = rng.getState();
  t.is(state.algorithm, "xoshiro128**");
  t.not(state.spareNormal, null, "a spare normal is cached in the saved state");
  const viaJson = JSON.parse(JSON.stringify(state)) as GeneratorState;

  const expected = draws(rng);
  t.deepEqual(draws(Generator.fromState(state)), expected, "fromState");
  t.deepEqual(draws(Generator.fromState(viaJson)), expected, "JSON round trip");
  t.deepEqual(draws(new Generator(5).setState(state)), expected, "setState on another generator");
  t.deepEqual(draws(rng.setState(state)), expected, "setState rewinds the generator itself");

  // The saved state is a snapshot: later draws do not change it, and it does not alias the generator.
  const again = rng.setState(state).getState();
  t.deepEqual(again, state);
  const c = rng.clone();
  t.deepEqual(draws(c, 50), draws(rng, 50), "clone is at the same point");
  t.deepEqual(state, viaJson);

  // And without a spare.
  const fresh = new Generator(8);
  t.is(fresh.getState().spareNormal, null);
  const st = fresh.getState();
  t.deepEqual(draws(Generator.fromState(JSON.parse(JSON.stringify(st)) as GeneratorState)), draws(fresh));
});

const GARBAGE: Array<[string, unknown]> = [
  ["null", null],
  ["undefined", undefined],
  ["a number", 42],
  ["a string", "xoshiro128**"],
  ["an empty object", {}],
  ["another algorithm", { algorithm: "mt19937", words: [1, 2, 3, 4], spareNormal: null }],
  ["three words", { algorithm: "xoshiro128**", words: [1, 2, 3], spareNormal: null }],
  ["five words", { algorithm: "xoshiro128**", words: [1, 2, 3, 4, 5], spareNormal: null }],
  ["words not an array", { algorithm: "xoshiro128**", words: "1,2,3,4", spareNormal: null }],
  ["a negative word", { algorithm: "xoshiro128**", words: [1, -2, 3, 4], spareNormal: null }],
  ["a word ≥ 2³²", { algorithm: "xoshiro128**", words: [1, 2, 2 ** 32, 4], spareNormal: null }],
  ["a fractional word", { algorithm: "xoshiro128**", words: [1, 2.5, 3, 4], spareNormal: null }],
  ["a NaN word", { algorithm: "xoshiro128**", words: [1, NaN, 3, 4], spareNormal: null }],
  ["a string word", { algorithm: "xoshiro128**", words: [1, "2", 3, 4], spareNormal: null }],
  ["all-zero words", { algorithm: "xoshiro128**", words: [0, 0, 0, 0], spareNormal: null }],
  ["NaN spare", { algorithm: "xoshiro128**", words: [1, 2, 3, 4], spareNormal: NaN }],
  ["infinite spare", { algorithm: "xoshiro128**", words: [1, 2, 3, 4], spareNormal: Infinity }],
  ["string spare", { algorithm: "xoshiro128**", words: [1, 2, 3, 4], spareNormal: "0.5" }],
  ["missing spare", { algorithm: "xoshiro128**", words: [1, 2, 3, 4] }],
];

for (const [name, bad] of GARBAGE) {
  test(`generator: setState rejects ${name} with INVALID_STATE and keeps the live state`, (t) => {
    const rng = new Generator(77);
    sampleStandardNormal(rng);
    const before = rng.getState();
    const e1 = t.throws(() => rng.setState(bad as GeneratorState), { instanceOf: VireoError });
    t.is(e1?.code, "INVALID_STATE");
    t.regex(e1?.message ?? "", /setState/);
    t.deepEqual(rng.getState(), before, "a failed setState leaves the generator untouched");
    const e2 = t.throws(() => Generator.fromState(bad as GeneratorState), { instanceOf: VireoError });
    t.is(e2?.code, "INVALID_STATE");
  });
}

test("generator: a non-integer seed is INVALID_PARAMETER", (t) => {
  for (const seed of [0.5, NaN, Infinity]) {
    const e = t.throws(() => new Generator(seed), { instanceOf: VireoError });
    t.is(e?.code, "INVALID_PARAMETER");
    t.regex(e?.message ?? "", /seed/);
  }
});

// ---------------------------------------------------------------- scalar samplers

const NORMAL: Array<[number, number, number]> = [[0, 1, 1], [3, 0.5, 2], [-2, 10, 3], [1e3, 1e-3, 4]];
for (const [mean, sd, seed] of NORMAL) {
  test(`sampleNormal(${mean}, ${sd}): mean and variance within 5 SE`, (t) => {
    const rng = new Generator(seed);
    const xs = new Float64Array(N);
    for (let i = 0; i < N; i++) xs[i] = sampleNormal(rng, mean, sd);
    const v = sd * sd;
    checkMeanVar(t, xs, mean, v, "normal", 3 * v * v); // μ₄ = 3σ⁴, so SE(s²) = √(2/n)·σ²
    // Symmetric tails: P(|x − μ| > 2σ) = erfc(√2) ≈ 0.0455.
    let tail = 0;
    for (const x of xs) if (Math.abs(x - mean) > 2 * sd) tail++;
    const p = 0.04550026389635842;
    within(t, tail / N, p, Math.sqrt((p * (1 - p)) / N), "two-sided 2σ tail");
  });
}

const SHAPES = [0.1, 0.5, 1, 2.5, 30];
const RATES = [0.5, 2];
for (const [i, shape] of SHAPES.entries()) {
  for (const [j, rate] of RATES.entries()) {
    test(`sampleGamma(shape=${shape}, rate=${rate}): mean, variance and E[log x] within 5 SE`, (t) => {
      const rng = new Generator(1000 + 10 * i + j);
      const xs = new Float64Array(N);
      const logs = new Float64Array(N);
      let bad = 0;
      for (let k = 0; k < N; k++) {
        const x = sampleGamma(rng, shape, rate);
        if (!(x > 0 && x < Infinity)) bad++;
        xs[k] = x;
        logs[k] = Math.log(x);
      }
      t.is(bad, 0, "every draw is finite and > 0");
      // Central moments of Gamma(a, b): σ² = a/b², μ₄ = 3a(a + 2)/b⁴.
      checkMeanVar(t, xs, shape / rate, shape / rate ** 2, "gamma", (3 * shape * (shape + 2)) / rate ** 4);
      // E[log x] = ψ(a) − log b, Var[log x] = ψ₁(a): checks the lower tail that small shapes live in.
      within(t, moments(logs).mean, digamma(shape) - Math.log(rate), Math.sqrt(trigamma(shape) / N), "gamma E[log x]");
    });
  }
}

const BETA: Array<[number, number]> = [[0.5, 0.5], [2, 5], [10, 1], [0.2, 3], [40, 60]];
for (const [i, [a, b]] of BETA.entries()) {
  test(`sampleBeta(${a}, ${b}): mean and variance within 5 SE`, (t) => {
    const rng = new Generator(2000 + i);
    const xs = new Float64Array(N);
    for (let k = 0; k < N; k++) xs[k] = sampleBeta(rng, a, b);
    const m = betaMoments(a, b);
    checkMeanVar(t, xs, m.mean, m.variance, "beta", m.mu4);
  });
}

const DIRICHLET: number[][] = [[1, 1], [0.5, 2, 3.5], [10, 0.3, 1, 4.2], [0.1, 0.1, 0.1, 0.1, 0.1]];
for (const [i, alpha] of DIRICHLET.entries()) {
  test(`sampleDirichlet([${alpha}]): per-component mean and variance within 5 SE, draws on the simplex`, (t) => {
    const rng = new Generator(3000 + i);
    const K = alpha.length;
    const a0 = alpha.reduce((s, x) => s + x, 0);
    const cols = alpha.map(() => new Float64Array(N));
    const out = new Float64Array(K);
    for (let k = 0; k < N; k++) {
      t.is(sampleDirichlet(rng, alpha, out), out);
      let s = 0;
      for (let c = 0; c < K; c++) {
        cols[c]![k] = out[c]!;
        s += out[c]!;
      }
      if (!(Math.abs(s - 1) < 1e-12)) t.fail(`draw ${k} sums to ${s}`);
    }
    for (let c = 0; c < K; c++) {
      // The marginal of component c is Beta(α_c, α₀ − α_c).
      const m = betaMoments(alpha[c]!, a0 - alpha[c]!);
      checkMeanVar(t, cols[c]!, m.mean, m.variance, `dirichlet component ${c}`, m.mu4);
    }
  });
}

const CATEGORICAL: Array<{ w: number[]; offset?: number; n?: number }> = [
  { w: [1, 1] },
  { w: [0.2, 0.5, 0.3] },
  { w: [3, 0, 1, 6] }, // unnormalised, with an impossible category
  { w: [0.001, 0.999] },
  { w: [9, 9, 1, 2, 3, 9], offset: 2, n: 3 }, // a sub-range of a longer buffer
];
for (const [i, c] of CATEGORICAL.entries()) {
  test(`sampleCategorical([${c.w}]${c.offset !== undefined ? ` range ${c.offset}+${c.n}` : ""}): frequencies within 5 SE`, (t) => {
    const rng = new Generator(4000 + i);
    const offset = c.offset ?? 0;
    const n = c.n ?? c.w.length - offset;
    const w = c.w.slice(offset, offset + n);
    const total = w.reduce((s, x) => s + x, 0);
    const counts = new Array<number>(n).fill(0);
    for (let k = 0; k < N; k++) {
      const x = c.offset === undefined ? sampleCategorical(rng, c.w) : sampleCategorical(rng, c.w, offset, n);
      counts[x]!++;
    }
    for (let k = 0; k < n; k++) {
      const p = w[k]! / total;
      within(t, counts[k]! / N, p, Math.sqrt((p * (1 - p)) / N), `category ${k}`);
    }
  });
}

const BERNOULLI = [0, 0.01, 0.3, 0.5, 0.97, 1];
for (const [i, p] of BERNOULLI.entries()) {
  test(`sampleBernoulli(${p}): frequency within 5 SE`, (t) => {
    const rng = new Generator(5000 + i);
    let ones = 0;
    for (let k = 0; k < N; k++) {
      const x = sampleBernoulli(rng, p);
      if (x !== 0 && x !== 1) t.fail(`draw ${x}`);
      ones += x;
    }
    within(t, ones / N, p, Math.sqrt((p * (1 - p)) / N), "frequency of 1");
  });
}

const POISSON = [0.5, 4, 25, 500];
for (const [i, lambda] of POISSON.entries()) {
  test(`samplePoisson(${lambda}): mean, variance and the pmf near the mode within 5 SE`, (t) => {
    const rng = new Generator(6000 + i);
    const xs = new Float64Array(N);
    const counts = new Map<number, number>();
    for (let k = 0; k < N; k++) {
      const x = samplePoisson(rng, lambda);
      if (!(Number.isInteger(x) && x >= 0)) t.fail(`draw ${x}`);
      xs[k] = x;
      counts.set(x, (counts.get(x) ?? 0) + 1);
    }
    // Central moments of Poisson(λ): σ² = λ, μ₄ = λ(1 + 3λ).
    checkMeanVar(t, xs, lambda, lambda, "poisson", lambda * (1 + 3 * lambda));
    // The shape, not only two moments: P(X = k) for k within 2 standard deviations of λ.
    const lo = Math.max(0, Math.floor(lambda - 2 * Math.sqrt(lambda)));
    const hi = Math.ceil(lambda + 2 * Math.sqrt(lambda));
    for (let k = lo; k <= hi; k++) {
      const p = Math.exp(k * Math.log(lambda) - lambda - gammaln(k + 1));
      within(t, (counts.get(k) ?? 0) / N, p, Math.sqrt((p * (1 - p)) / N), `P(X = ${k})`);
    }
  });
}

// ---------------------------------------------------------------- multivariate samplers

const MV_MEAN = Float64Array.of(1, -2, 0.5);
const MV_COV = Float64Array.of(2, 0.6, -0.4, 0.6, 1, 0.3, -0.4, 0.3, 0.5);

for (const form of ["covariance", "precision"] as const) {
  test(`sampleMvNormal from ${form}: mean and covariance entries within 5 SE`, (t) => {
    const d = 3;
    const rng = new Generator(form === "covariance" ? 7001 : 7002);
    const P = spdInverseDense(MV_COV, d);
    const xs = Array.from({ length: d }, () => new Float64Array(N));
    const out = new Float64Array(d);
    for (let k = 0; k < N; k++) {
      if (form === "covariance") sampleMvNormalCov(rng, MV_MEAN, MV_COV, out);
      else sampleMvNormalPrecision(rng, MV_MEAN, P, out);
      for (let i = 0; i < d; i++) xs[i]![k] = out[i]!;
    }
    const means = xs.map((x) => moments(x).mean);
    for (let i = 0; i < d; i++) within(t, means[i]!, MV_MEAN[i]!, Math.sqrt(MV_COV[i * d + i]! / N), `mean[${i}]`);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let k = 0; k < N; k++) s += (xs[i]![k]! - means[i]!) * (xs[j]![k]! - means[j]!);
        const c = s / (N - 1);
        // For Gaussian data Var(sample cov_ij) ≈ (Σ_ii Σ_jj + Σ_ij²)/n.
        const sij = MV_COV[i * d + j]!;
        const se = Math.sqrt((MV_COV[i * d + i]! * MV_COV[j * d + j]! + sij * sij) / N);
        within(t, c, sij, se, `cov[${i},${j}]`);
      }
    }
  });
}

const WISHART: Array<{ d: number; df: number; V: number[] }> = [
  { d: 1, df: 3, V: [2] },
  { d: 1, df: 0.7, V: [0.5] },
  { d: 2, df: 4.5, V: [1, 0.3, 0.3, 0.5] },
  { d: 3, df: 7, V: [1, 0.2, -0.1, 0.2, 2, 0.4, -0.1, 0.4, 0.8] },
  { d: 3, df: 2.2, V: [0.5, 0, 0.1, 0, 0.5, 0, 0.1, 0, 0.5] },
];

for (const [idx, w] of WISHART.entries()) {
  test(`sampleWishart(d=${w.d}, ν=${w.df}): mean νV and Var(X_ij) = ν(V_ij² + V_ii V_jj) within 5 SE`, (t) => {
    const { d, df } = w;
    const V = Float64Array.from(w.V);
    const rng = new Generator(8000 + idx);
    const xs = Array.from({ length: d * d }, () => new Float64Array(N));
    const out = new Float64Array(d * d);
    for (let k = 0; k < N; k++) {
      sampleWishart(rng, df, V, d, out);
      for (let e = 0; e < d * d; e++) xs[e]![k] = out[e]!;
      if (k < 100) {
        for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) t.is(out[i * d + j], out[j * d + i]);
      }
    }
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        const mean = df * V[i * d + j]!;
        const variance = df * (V[i * d + j]! ** 2 + V[i * d + i]! * V[j * d + j]!);
        checkMeanVar(t, xs[i * d + j]!, mean, variance, `X[${i},${j}]`);
      }
    }
  });
}

// ---------------------------------------------------------------- sampler errors

test("samplers: invalid parameters are INVALID_PARAMETER naming the values", (t) => {
  const rng = new Generator(1);
  const cases: Array<[() => unknown, RegExp]> = [
    [() => sampleGamma(rng, 0, 1), /shape=0/],
    [() => sampleGamma(rng, -1, 1), /shape=-1/],
    [() => sampleGamma(rng, NaN, 1), /shape=NaN/],
    [() => sampleGamma(rng, 1, 0), /rate=0/],
    [() => sampleGamma(rng, 1, Infinity), /rate=Infinity/],
    [() => sampleWishart(rng, 1, Float64Array.of(1, 0, 0, 1), 2), /d - 1 = 1.*got 1/],
    [() => sampleWishart(rng, NaN, Float64Array.of(1), 1), /NaN/],
  ];
  for (const [f, re] of cases) {
    const e = t.throws(f, { instanceOf: VireoError });
    t.is(e?.code, "INVALID_PARAMETER");
    t.regex(e?.message ?? "", re);
  }
  const e = t.throws(() => sampleMvNormalCov(rng, [0, 0], Float64Array.of(1, 2, 2, 1)), { instanceOf: VireoError });
  t.is(e?.code, "NOT_POSITIVE_DEFINITE");
  t.regex(e?.message ?? "", /2×2 covariance/);
  const e2 = t.throws(() => sampleWishart(rng, 3, Float64Array.of(-1, 0, 0, 1), 2), { instanceOf: VireoError });
  t.is(e2?.code, "NOT_POSITIVE_DEFINITE");
  t.regex(e2?.message ?? "", /Wishart scale/);
});
