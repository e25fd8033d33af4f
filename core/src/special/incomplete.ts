/**
 * Regularised incomplete gamma and beta functions and CDF inversion, for exact quantiles of
 * posterior marginals. Written here rather than taken from @stdlib: its gammainc (and everything
 * built on it: gammaincinv, betaincinv, the Gamma and Beta quantile packages) pulls in an eval-based
 * feature check that a strict Content-Security-Policy refuses in the browser.
 */
import { gammaln, betaln, erfc } from "./functions.js";

const TINY = 1e-300;

/**
 * Both regularised incomplete gammas, P(a, x) = γ(a, x)/Γ(a) and Q = 1 − P, each computed
 * directly where it is accurate: the series for P below a + 1, Lentz's continued fraction for Q
 * above (so a tiny tail probability is not lost to 1 − P).
 */
function incompleteGamma(a: number, x: number): { readonly lower: boolean; readonly value: number } {
  const logPrefactor = a * Math.log(x) - x - gammaln(a);
  if (x < a + 1) {
    let term = 1 / a, sum = term;
    for (let n = 1; n < 100_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-17) break;
    }
    return { lower: true, value: Math.min(1, sum * Math.exp(logPrefactor)) };
  }
  let b = x + 1 - a, c = 1 / TINY, d = 1 / b, h = d;
  for (let n = 1; n < 100_000; n++) {
    const an = -n * (n - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-17) break;
  }
  return { lower: false, value: Math.min(1, Math.exp(logPrefactor) * h) };
}

/** Regularised lower incomplete gamma P(a, x) = γ(a, x)/Γ(a). */
export function gammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  if (!Number.isFinite(x)) return 1;
  const r = incompleteGamma(a, x);
  return r.lower ? r.value : Math.max(0, 1 - r.value);
}

/** Regularised upper incomplete gamma Q(a, x) = Γ(a, x)/Γ(a) = 1 − P(a, x) (e.g. a χ² tail probability). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (!Number.isFinite(x)) return 0;
  const r = incompleteGamma(a, x);
  return r.lower ? Math.max(0, 1 - r.value) : r.value;
}

/** Continued fraction of the incomplete beta (modified Lentz), valid for x < (a + 1)/(a + b + 2). */
function betaFraction(a: number, b: number, x: number): number {
  const qab = a + b, qap = a + 1, qam = a - 1;
  let c = 1, d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < 100_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b) = P(X ≤ x) for X ~ Beta(a, b). */
export function betaInc(a: number, b: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = a * Math.log(x) + b * Math.log1p(-x) - betaln(a, b);
  if (x < (a + 1) / (a + b + 2)) return Math.exp(logFront) * betaFraction(a, b, x) / a;
  return 1 - (Math.exp(logFront) * betaFraction(b, a, 1 - x)) / b;
}

/** Φ((x − m)/s) through erfc (accurate in both tails). */
export function normalCdf(x: number, mean: number, sd: number): number {
  return 0.5 * erfc(-(x - mean) / (sd * Math.SQRT2));
}

/**
 * The p-quantile of a continuous, increasing CDF by bisection on [lo, hi] (widened while the CDF
 * at hi is below p when `open` says the support is unbounded above), to the last representable
 * value: no tolerance to tune, about 60 to 1100 CDF calls.
 */
export function invertCdf(cdf: (x: number) => number, p: number, lo: number, hi: number, openAbove = false): number {
  if (p <= 0) return lo;
  if (p >= 1 && !openAbove) return hi;
  if (openAbove) while (cdf(hi) < p && hi < 1e300) hi *= 2;
  for (let i = 0; i < 2000; i++) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (cdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}
