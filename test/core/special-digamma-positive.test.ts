/**
 * digammaPositive (core/src/special/digamma-positive.ts) against @stdlib's digamma over the range
 * Dirichlet statistics use (α from 1e-4 to 1e8: LDA's topic-word α near its prior 0.01–1 and its
 * totals in the 1e5s), to 1e-13 (relative where |ψ| > 1, absolute below), and at closed forms.
 */
import test from "ava";
import { digamma, digammaPositive } from "@vireo/core";

const EULER = 0.5772156649015329;

function worst(xs: Iterable<number>): { x: number; err: number } {
  let out = { x: NaN, err: 0 };
  for (const x of xs) {
    const a = digammaPositive(x), b = digamma(x);
    const err = Math.abs(a - b) / Math.max(1, Math.abs(b));
    if (!(err <= out.err)) out = { x, err };
  }
  return out;
}

function* logGrid(from: number, to: number, n: number): Generator<number> {
  for (let i = 0; i <= n; i++) yield from * Math.pow(to / from, i / n);
}

function* linGrid(from: number, to: number, n: number): Generator<number> {
  for (let i = 0; i <= n; i++) yield from + ((to - from) * i) / n;
}

test("digammaPositive matches stdlib's digamma to 1e-13 from 1e-4 to 1e8", (t) => {
  const w = worst(logGrid(1e-4, 1e8, 20000));
  t.true(w.err < 1e-13, `worst at x = ${w.x}: ${w.err}`);
});

test("digammaPositive matches stdlib's digamma to 1e-13 on a fine grid over (0, 30], across the switch to the series at 10 and near the root 1.4616", (t) => {
  const w = worst(linGrid(1e-3, 30, 60000));
  t.true(w.err < 1e-13, `worst at x = ${w.x}: ${w.err}`);
  const root = 1.4616321449683622;
  const r = worst(linGrid(root - 1e-6, root + 1e-6, 2000));
  t.true(r.err < 1e-13, `worst near the root at x = ${r.x}: ${r.err}`);
});

test("digammaPositive at closed forms: ψ(1) = −γ, ψ(1/2) = −γ − 2 log 2, ψ(n + 1) = −γ + H_n", (t) => {
  t.true(Math.abs(digammaPositive(1) + EULER) < 1e-15);
  t.true(Math.abs(digammaPositive(0.5) + EULER + 2 * Math.LN2) < 1e-15);
  let h = 0;
  for (let n = 1; n <= 40; n++) {
    h += 1 / n;
    t.true(Math.abs(digammaPositive(n + 1) - (h - EULER)) < 1e-14 * Math.max(1, h), `n = ${n}`);
  }
});

test("digammaPositive is NaN off its domain (x ≤ 0, NaN) and +∞ at +∞", (t) => {
  for (const x of [0, -0.5, -3, -Infinity, NaN]) t.true(Number.isNaN(digammaPositive(x)), `x = ${x}`);
  t.is(digammaPositive(Infinity), Infinity);
});
