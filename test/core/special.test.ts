/**
 * Special functions at known values, identities between them, and overflow-free behaviour of
 * softplus / sigmoid at extreme arguments.
 */
import test from "ava";
import {
  gammaP,
  gammaQ,
  gammaln,
  digamma,
  trigamma,
  betaln,
  erf,
  erfc,
  log1p,
  expm1,
  mvgammaln,
  mvdigamma,
  softplus,
  sigmoid,
  LOG_2PI,
  LOG_PI,
  LN2,
} from "@vireo/core";

const EULER_GAMMA = 0.5772156649015329;

function close(actual: number, expected: number, rel: number): boolean {
  return Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected));
}

const KNOWN: Array<[string, () => number, number]> = [
  ["digamma(1) = −γ", () => digamma(1), -EULER_GAMMA],
  ["digamma(0.5) = −γ − 2 log 2", () => digamma(0.5), -EULER_GAMMA - 2 * Math.LN2],
  ["digamma(2) = 1 − γ", () => digamma(2), 1 - EULER_GAMMA],
  ["trigamma(1) = π²/6", () => trigamma(1), Math.PI ** 2 / 6],
  ["trigamma(0.5) = π²/2", () => trigamma(0.5), Math.PI ** 2 / 2],
  ["gammaln(0.5) = log √π", () => gammaln(0.5), 0.5 * Math.log(Math.PI)],
  ["gammaln(1) = 0", () => gammaln(1), 0],
  ["gammaln(2) = 0", () => gammaln(2), 0],
  ["gammaln(10) = log 9!", () => gammaln(10), Math.log(362880)],
  ["gammaln(1.5) = log(√π / 2)", () => gammaln(1.5), Math.log(Math.sqrt(Math.PI) / 2)],
  ["erf(0) = 0", () => erf(0), 0],
  ["erf(1)", () => erf(1), 0.8427007929497149],
  ["erf(−1) = −erf(1)", () => erf(-1), -0.8427007929497149],
  ["erfc(1) = 1 − erf(1)", () => erfc(1), 1 - 0.8427007929497149],
  ["erfc(10) ≈ 2.088487583762545e-45", () => erfc(10) / 2.088487583762545e-45, 1],
  ["log1p(1e-20) = 1e-20", () => log1p(1e-20) / 1e-20, 1],
  ["expm1(1e-20) = 1e-20", () => expm1(1e-20) / 1e-20, 1],
  ["betaln(1, 1) = 0", () => betaln(1, 1), 0],
  ["betaln(0.5, 0.5) = log π", () => betaln(0.5, 0.5), Math.log(Math.PI)],
  ["betaln(2, 3) = log(1/12)", () => betaln(2, 3), Math.log(1 / 12)],
  ["LOG_2PI", () => LOG_2PI, Math.log(2 * Math.PI)],
  ["LOG_PI", () => LOG_PI, Math.log(Math.PI)],
  ["LN2", () => LN2, Math.log(2)],
];

for (const [name, f, expected] of KNOWN) {
  test(`special value: ${name}`, (t) => {
    const got = f();
    t.true(close(got, expected, 1e-14), `got ${got}, expected ${expected}`);
  });
}

const AB: Array<[number, number]> = [[0.5, 0.5], [1, 1], [2, 3], [0.1, 7.5], [30, 40], [1e-3, 2], [250.5, 0.75]];
for (const [a, b] of AB) {
  test(`betaln(${a}, ${b}) = gammaln(a) + gammaln(b) − gammaln(a + b), and is symmetric`, (t) => {
    const expected = gammaln(a) + gammaln(b) - gammaln(a + b);
    t.true(close(betaln(a, b), expected, 1e-12), `${betaln(a, b)} vs ${expected}`);
    t.is(betaln(a, b), betaln(b, a));
  });
}

for (const x of [0.3, 1, 2.5, 7, 40]) {
  test(`recurrences at x=${x}: Γ(x+1) = xΓ(x), ψ(x+1) = ψ(x) + 1/x, ψ₁(x+1) = ψ₁(x) − 1/x²`, (t) => {
    t.true(close(gammaln(x + 1), gammaln(x) + Math.log(x), 1e-13));
    t.true(close(digamma(x + 1), digamma(x) + 1 / x, 1e-13));
    t.true(close(trigamma(x + 1), trigamma(x) - 1 / (x * x), 1e-12));
    // digamma is the derivative of gammaln, trigamma of digamma (central differences).
    const h = 1e-5 * Math.max(1, x);
    t.true(close((gammaln(x + h) - gammaln(x - h)) / (2 * h), digamma(x), 1e-8));
    t.true(close((digamma(x + h) - digamma(x - h)) / (2 * h), trigamma(x), 1e-7));
  });
}

for (const a of [0.5, 1, 2.5, 10]) {
  test(`mvgammaln(a, 1) = gammaln(a) and mvdigamma(a, 1) = digamma(a) (a=${a})`, (t) => {
    t.is(mvgammaln(a, 1), gammaln(a));
    t.is(mvdigamma(a, 1), digamma(a));
  });
}

const MV: Array<[number, number]> = [[1.7, 2], [2.2, 3], [5, 4], [30.5, 3], [3.1, 6]];
for (const [a, d] of MV) {
  test(`mvgammaln / mvdigamma (a=${a}, d=${d}): definition, recursion and finite differences`, (t) => {
    // Γ_d(a) = π^{(d−1)/2} Γ(a) Γ_{d−1}(a − ½).
    const rec = ((d - 1) / 2) * Math.log(Math.PI) + gammaln(a) + mvgammaln(a - 0.5, d - 1);
    t.true(close(mvgammaln(a, d), rec, 1e-13), `${mvgammaln(a, d)} vs ${rec}`);
    // Direct definition.
    let direct = (d * (d - 1) / 4) * Math.log(Math.PI);
    for (let j = 0; j < d; j++) direct += gammaln(a - j / 2);
    t.true(close(mvgammaln(a, d), direct, 1e-13));
    // mvdigamma is the a-derivative of mvgammaln: Richardson-extrapolated central differences.
    const c = (h: number) => (mvgammaln(a + h, d) - mvgammaln(a - h, d)) / (2 * h);
    const h = 1e-3;
    const fd = (4 * c(h / 2) - c(h)) / 3;
    t.true(close(fd, mvdigamma(a, d), 1e-9), `finite difference ${fd} vs mvdigamma ${mvdigamma(a, d)}`);
  });
}

const SOFTPLUS: Array<[number, number]> = [
  [0, Math.LN2],
  [1000, 1000],
  [-1000, 0],
  [710, 710],
  [-710, Math.exp(-710)],
  [40, 40 + Math.exp(-40)],
  [-40, Math.exp(-40)],
  [1e-10, Math.LN2 + 0.5e-10],
  [1e308, 1e308],
  [-1e308, 0],
];

for (const [x, expected] of SOFTPLUS) {
  test(`softplus(${x}) = ${expected} without overflow`, (t) => {
    const y = softplus(x);
    t.true(Number.isFinite(y) && y >= 0);
    t.true(Math.abs(y - expected) <= 1e-15 * Math.max(Math.abs(expected), 1e-300) || y === expected, `${y}`);
    // softplus(x) − softplus(−x) = x.
    if (Math.abs(x) < 1e300) t.true(Math.abs(softplus(x) - softplus(-x) - x) <= 1e-15 * Math.max(1, Math.abs(x)));
  });
}

const SIGMOID: Array<[number, number]> = [
  [0, 0.5],
  [1000, 1],
  [-1000, 0],
  [-745, Math.exp(-745)],
  [-40, Math.exp(-40) / (1 + Math.exp(-40))],
  [40, 1 / (1 + Math.exp(-40))],
  [Infinity, 1],
  [-Infinity, 0],
  [2, 1 / (1 + Math.exp(-2))],
];

for (const [x, expected] of SIGMOID) {
  test(`sigmoid(${x}) = ${expected} without overflow`, (t) => {
    const y = sigmoid(x);
    t.false(Number.isNaN(y));
    t.true(y >= 0 && y <= 1);
    t.true(Math.abs(y - expected) <= 1e-15 * Math.max(Math.abs(expected), 1e-300) || y === expected, `${y}`);
    if (Number.isFinite(x)) t.true(Math.abs(sigmoid(x) + sigmoid(-x) - 1) <= 1e-15);
  });
}

test("softplus' = sigmoid (central differences)", (t) => {
  for (const x of [-30, -3, -0.2, 0, 0.7, 5, 30]) {
    const h = 1e-5;
    t.true(close((softplus(x + h) - softplus(x - h)) / (2 * h), sigmoid(x), 1e-9), `x=${x}`);
  }
});

test("incomplete gammas: P + Q = 1, closed forms at a = 1 (e^−x) and a = ½ (erfc √x), tails kept", (t) => {
  for (const x of [1e-3, 0.1, 0.7, 1.5, 3, 10, 40]) {
    t.true(Math.abs(gammaQ(1, x) / Math.exp(-x) - 1) < 1e-12, `Q(1, ${x})`);
    t.true(Math.abs(gammaQ(0.5, x) / erfc(Math.sqrt(x)) - 1) < 1e-12, `Q(½, ${x})`);
    for (const a of [0.3, 2, 7.5]) t.true(Math.abs(gammaP(a, x) + gammaQ(a, x) - 1) < 1e-14, `P + Q at (${a}, ${x})`);
  }
  // A χ² tail far below 1 − P's resolution is still resolved: Q(1, 50) = e^−50.
  t.true(Math.abs(gammaQ(1, 50) / Math.exp(-50) - 1) < 1e-12);
  t.is(gammaQ(2, 0), 1);
  t.is(gammaP(2, 0), 0);
});
