/**
 * Variational families: reparameterised draws have the family's mean and variance (5 SE), the
 * closed-form entropy equals −E[log q] (5 SE), the score has mean zero (5 SE) and equals the finite-
 * difference gradient of log q, and the tape entropy's gradient passes the finite-difference check.
 */
import test from "ava";
import {
  Generator, Tape, checkGradient, meanFieldGaussian, fullRankGaussian, bernoulliQ, categoricalQ, type VariationalFamily,
} from "@vireo/core";

const Z = 5;
const families: [string, VariationalFamily, number[]][] = [
  ["mean-field Gaussian", meanFieldGaussian(3), [0.5, -1, 2, -0.3, 0.2, -1.1]],
  ["full-rank Gaussian", fullRankGaussian(3), [0.5, -1, 2, -0.3, 0.4, 0.2, -0.5, 0.3, -0.2]],
  ["Bernoulli", bernoulliQ(2), [0.7, -1.2]],
  ["Categorical", categoricalQ(4), [0.3, -0.5, 1.2, 0]],
];

function draws(fam: VariationalFamily, lam: Float64Array, rng: Generator, n: number, reparam: boolean): Float64Array[] {
  const out: Float64Array[] = [];
  const tape = new Tape(), eps = new Float64Array(fam.noiseSize);
  for (let i = 0; i < n; i++) {
    if (reparam) {
      tape.reset();
      fam.drawNoise(rng, eps);
      out.push(Float64Array.from(fam.reparam(fam.prepare(tape.constant(lam)), tape.constant(eps)).value));
    } else {
      const z = new Float64Array(fam.dim);
      fam.sample(lam, rng, z);
      out.push(z);
    }
  }
  return out;
}

for (const [name, fam, init] of families) {
  const lam = Float64Array.from(init);
  test(`${name}: draws match the mean and variance; entropy = −E[log q]; E[score] = 0`, (t) => {
    t.is(lam.length, fam.nParams);
    const rng = new Generator(77), n = 20000;
    const xs = draws(fam, lam, rng, n, fam.reparameterizable);
    const mean = new Float64Array(fam.dim), vari = new Float64Array(fam.dim);
    fam.mean(lam, mean);
    fam.variance(lam, vari);
    for (let i = 0; i < fam.dim; i++) {
      let s = 0, s2 = 0;
      for (const x of xs) {
        s += x[i]!;
        s2 += (x[i]! - mean[i]!) ** 2;
      }
      const m = s / n;
      t.true(Math.abs(m - mean[i]!) <= Z * Math.sqrt(vari[i]! / n), `${name} mean[${i}] ${m} vs ${mean[i]}`);
      // For these families the 4th central moment is at most 3σ⁴, so SE(s²) ≤ σ²·√(2/n).
      t.true(Math.abs(s2 / n - vari[i]!) <= Z * vari[i]! * Math.sqrt(2 / n), `${name} var[${i}] ${s2 / n} vs ${vari[i]}`);
    }
    const tape = new Tape();
    const H = fam.entropy(fam.prepare(tape.constant(lam))).value[0]!;
    let sl = 0, sl2 = 0;
    const sc = new Float64Array(fam.nParams), ssum = new Float64Array(fam.nParams), ssq = new Float64Array(fam.nParams);
    for (const x of xs) {
      const l = fam.logDensity(lam, x);
      sl += l;
      sl2 += l * l;
      fam.score(lam, x, sc);
      for (let k = 0; k < sc.length; k++) {
        ssum[k] += sc[k]!;
        ssq[k] += sc[k]! * sc[k]!;
      }
    }
    const ml = sl / n, seL = Math.sqrt((sl2 / n - ml * ml) / n);
    t.true(Math.abs(-ml - H) <= Z * seL + 1e-12, `${name}: entropy ${H} vs −E log q ${-ml} (SE ${seL})`);
    for (let k = 0; k < sc.length; k++) {
      const m = ssum[k]! / n, se = Math.sqrt((ssq[k]! / n - m * m) / n);
      t.true(Math.abs(m) <= Z * se + 1e-12, `${name}: E[score ${k}] = ${m} (SE ${se})`);
    }
  });

  test(`${name}: score equals the finite-difference gradient of log q; entropy gradient passes the check`, (t) => {
    const rng = new Generator(5), z = new Float64Array(fam.dim);
    fam.sample(lam, rng, z);
    const sc = new Float64Array(fam.nParams);
    fam.score(lam, z, sc);
    for (let k = 0; k < lam.length; k++) {
      const h = 1e-6, p = Float64Array.from(lam), m = Float64Array.from(lam);
      p[k] += h;
      m[k] -= h;
      const fd = (fam.logDensity(p, z) - fam.logDensity(m, z)) / (2 * h);
      t.true(Math.abs(fd - sc[k]!) < 1e-6 * (1 + Math.abs(fd)), `${name} score[${k}] ${sc[k]} vs ${fd}`);
    }
    const r = checkGradient((_t, [l]) => fam.entropy(fam.prepare(l!)), [{ value: Float64Array.from(lam) }]);
    t.true(r.maxError < 1e-6, `${name} entropy gradient error ${r.maxError}`);
  });
}

test("reparameterised draws are differentiable: z = μ + Lε passes the gradient check", (t) => {
  for (const fam of [meanFieldGaussian(2), fullRankGaussian(3)]) {
    const eps = Float64Array.from([0.3, -1.2, 0.8].slice(0, fam.dim));
    const lam = new Float64Array(fam.nParams).map((_, i) => 0.1 * i - 0.2);
    const r = checkGradient((tp, [l]) => fam.reparam(fam.prepare(l!), tp.constant(eps)), [{ value: lam }]);
    t.true(r.maxError < 1e-6, `${fam.name}: ${r.maxError}`);
  }
  const cov = fullRankGaussian(2).covariance(Float64Array.from([0, 0, Math.log(2), 1, Math.log(3)]));
  [4, 2, 2, 10].forEach((v, i) => t.true(Math.abs(cov[i]! - v) < 1e-12, `cov[${i}] = ${cov[i]}`));
});

test("invalid family arguments are typed errors", (t) => {
  t.is((t.throws(() => meanFieldGaussian(0)) as unknown as { code: string }).code, "INVALID_PARAMETER");
  t.is((t.throws(() => fullRankGaussian(2, { mean: [1, 2, 3] })) as unknown as { code: string }).code, "DIMENSION_MISMATCH");
  const e = t.throws(() => bernoulliQ().reparam()) as unknown as { code: string; message: string };
  t.is(e.code, "INVALID_OPTION");
  t.regex(e.message, /score-function estimator/);
});
