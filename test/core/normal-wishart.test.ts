/**
 * NormalWishart against its two halves: Λ ~ Wishart(ν, W) and μ | Λ ~ N(m, (βΛ)⁻¹). The
 * log-density, entropy and KL are recomputed from the Wishart and MvNormal families (exact
 * cross-checks); the table-driven battery in families.test.ts covers ∇A, Monte Carlo, round trips.
 */
import test from "ava";
import { NormalWishart, Wishart, MvNormal, Generator, VireoError, mvdigamma, LN2, spdLogDetDense, type NormalWishartParams } from "@vireo/core";

const f64 = (...x: number[]) => Float64Array.from(x);
const close = (a: number, b: number, tol = 1e-12) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

const Q: NormalWishartParams = { mean: f64(1, -1), precisionScale: 3, df: 5.5, scale: f64(0.5, 0.1, 0.1, 0.3) };
const P: NormalWishartParams = { mean: f64(0, 0.5), precisionScale: 1.5, df: 4, scale: f64(0.8, -0.1, -0.1, 0.6) };
const d = 2;
const fam = NormalWishart(d);

test("log-density = log N(μ | m, (βΛ)⁻¹) + log Wishart(Λ | ν, W)", (t) => {
  const eta = fam.toNatural(Q);
  const rng = new Generator(3);
  for (let k = 0; k < 20; k++) {
    const x = fam.sample(eta, rng);
    const mu = x.subarray(0, d), lambda = x.subarray(d);
    const cov = MvNormal(d).fromNatural(MvNormal(d).fromMeanPrecision(Q.mean, lambda.map((v) => Q.precisionScale * v))).covariance;
    const want = MvNormal(d).logDensity(MvNormal(d).toNatural({ mean: Q.mean, covariance: cov }), mu) +
      Wishart(d).logDensity(Wishart(d).toNatural({ df: Q.df, scale: Q.scale }), lambda.slice());
    t.true(close(fam.logDensity(eta, x), want, 1e-10), `${fam.logDensity(eta, x)} vs ${want}`);
  }
});

test("entropy = H[Wishart] + E_Λ[H[N(m, (βΛ)⁻¹)]] and KL = KL[Wishart] + E_Λ[KL of the conditionals]", (t) => {
  const wq = Wishart(d).toNatural({ df: Q.df, scale: Q.scale }), wp = Wishart(d).toNatural({ df: P.df, scale: P.scale });
  const eLogDet = mvdigamma(Q.df / 2, d) + d * LN2 + spdLogDetDense(Q.scale, d);
  const hGauss = 0.5 * d * (1 + Math.log(2 * Math.PI)) - 0.5 * d * Math.log(Q.precisionScale) - 0.5 * eLogDet;
  t.true(close(fam.entropy(fam.toNatural(Q)), Wishart(d).entropy(wq) + hGauss), "entropy");
  // Both conditionals share Λ: E_Λ KL = ½[d βp/βq − d + d log(βq/βp) + βp ν_q (mq − mp)ᵀ Wq (mq − mp)].
  let quad = 0;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) quad += (Q.mean[i]! - P.mean[i]!) * Q.scale[i * d + j]! * (Q.mean[j]! - P.mean[j]!);
  const bq = Q.precisionScale, bp = P.precisionScale;
  const klGauss = 0.5 * ((d * bp) / bq - d + d * Math.log(bq / bp) + bp * Q.df * quad);
  const want = Wishart(d).kl(wq, wp) + klGauss;
  t.true(close(fam.kl(fam.toNatural(Q), fam.toNatural(P)), want), `${fam.kl(fam.toNatural(Q), fam.toNatural(P))} vs ${want}`);
});

test("layout names the statistics blocks; the starting point is m = 0, β = 1, ν = d + 1, W = I", (t) => {
  t.deepEqual({ ...fam.layout }, { precisionTimesMean: 0, quadratic: 2, logDetPrecision: 3, precision: 4 });
  t.is(fam.size, 8);
  t.is(fam.valueSize, 6);
  t.is(fam.key, "NormalWishart(2)");
  const start = fam.fromNatural(fam.startingPoint());
  t.deepEqual(Array.from(start.mean), [0, 0]);
  t.is(start.precisionScale, 1);
  t.is(start.df, 3);
  t.deepEqual(Array.from(start.scale), [1, 0, 0, 1]);
  // E[μᵀΛμ] = d/β + ν mᵀWm; E[Λμ] = νWm.
  const eta = fam.toNatural(Q), s = fam.expectedStats(eta);
  const Wm = [0.5 * 1 + 0.1 * -1, 0.1 * 1 + 0.3 * -1];
  t.true(close(s[0]!, Q.df * Wm[0]!) && close(s[1]!, Q.df * Wm[1]!));
  t.true(close(s[2]!, d / Q.precisionScale + Q.df * (Wm[0]! * 1 + Wm[1]! * -1)));
});

test("firstImproperRow finds the improper instance; checkSupport names row and column of a bad value", (t) => {
  const good = fam.toNatural(Q), bad = good.slice();
  bad[d] = 0.1; // β < 0
  const rows = new Float64Array(3 * fam.size);
  rows.set(good, 0);
  rows.set(good, fam.size);
  rows.set(bad, 2 * fam.size);
  t.is(fam.firstImproperRow(rows, 2), -1);
  t.is(fam.firstImproperRow(rows, 3), 2);
  const values = f64(0, 1, 2, 0.5, 0.5, 1, /* row 1 */ 0, 1, 1, 2, 2, 1, /* row 2 */ 0, NaN, 1, 0, 0, 1, /* row 3 */ 0, 0, 1, 0.3, 0, 1);
  t.notThrows(() => fam.checkSupport(values, 1, "Data 'theta'"));
  const e1 = t.throws(() => fam.checkSupport(values, 2, "Data 'theta'", "theta"), { instanceOf: VireoError });
  t.is(e1?.code, "INVALID_DATA");
  t.regex(e1?.message ?? "", /Data 'theta': row 1 is \[0, 1, 1, 2, 2, 1\], expected \[μ \(2 numbers\), vec Λ \(2×2 symmetric positive definite/);
  t.is(e1?.context.variable, "theta");
  const e2 = t.throws(() => fam.checkSupport(values.subarray(12), 1, "x"), { instanceOf: VireoError });
  t.regex(e2?.message ?? "", /x: row 0, column 1 is NaN, expected a finite number/);
  const e3 = t.throws(() => fam.checkSupport(values.subarray(18), 1, "x"), { instanceOf: VireoError });
  t.regex(e3?.message ?? "", /row 0, column 4 is 0, expected a symmetric precision block Λ \(entry Λ\[0,1\] is 0\.30*\)/);
});

test("seedAt moves the location m to a data point and keeps β, ν, W; inline constants pick d", (t) => {
  const eta = fam.toNatural(Q);
  t.true(fam.seedAt(eta, f64(9, 3, -2), 1));
  const p = fam.fromNatural(eta);
  t.deepEqual(Array.from(p.mean), [3, -2]);
  t.true(close(p.precisionScale, Q.precisionScale) && close(p.df, Q.df));
  for (let i = 0; i < d * d; i++) t.true(close(p.scale[i]!, Q.scale[i]!, 1e-10));
  t.is(NormalWishart.constantFamily(6, "edge 'theta'"), NormalWishart(2));
  t.is(NormalWishart.constantFamily(12, "edge 'theta'"), NormalWishart(3));
  const e = t.throws(() => NormalWishart.constantFamily(5, "edge 'theta'"), { instanceOf: VireoError });
  t.regex(e?.message ?? "", /edge 'theta': a NormalWishart constant is \[μ \(d\), vec Λ \(d×d\)\], d \+ d² values; 5 is not of that form/);
});
