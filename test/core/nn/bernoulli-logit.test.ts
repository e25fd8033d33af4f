/**
 * The fused Bernoulli-logit log-likelihoods: `bernoulliLogit` (one scalar over every element) and
 * `bernoulliLogitRows` (one value per row) equal the composed tape ops Σ y η − softplus(η) and
 * the closed form log σ(η) / log(1 − σ(η)) per element, including far in both tails; their
 * gradients match central differences and the composed ops' gradients.
 */
import test from "ava";
import { Tape, Generator, checkGradient, sampleStandardNormal, ad, bernoulliLogit, bernoulliLogitRows, VireoError } from "@vireo/core";

function problem(n: number, seed: number): { eta: Float64Array; y: Float64Array } {
  const rng = new Generator(seed);
  const eta = Float64Array.from({ length: n }, () => 4 * sampleStandardNormal(rng));
  // Tails where softplus must not overflow or lose its small part.
  eta[0] = 40; eta[1] = -40; eta[2] = 750; eta[3] = -750; eta[4] = 0;
  const y = Float64Array.from({ length: n }, () => (rng.uniform() < 0.5 ? 1 : 0));
  return { eta, y };
}

test("bernoulliLogit equals the composed ops and the per-element closed form", (t) => {
  const { eta, y } = problem(257, 3), tape = new Tape();
  const e = tape.constant(eta), l = tape.constant(y);
  const fused = bernoulliLogit(e, l).value[0]!;
  const composed = ad.sum(ad.sub(ad.mul(l, e), ad.softplus(e))).value[0]!;
  let closed = 0;
  for (let i = 0; i < eta.length; i++) {
    const z = eta[i]!;
    // log σ(z) = −softplus(−z), log(1 − σ(z)) = −softplus(z); softplus(z) = log(1 + e^z) computed two ways by sign.
    const softplus = (x: number) => (x > 0 ? x + Math.log(1 + Math.exp(-x)) : Math.log(1 + Math.exp(x)));
    closed += y[i] === 1 ? -softplus(-z) : -softplus(z);
  }
  t.true(Math.abs(fused - composed) <= 1e-12 * Math.abs(composed), `${fused} vs ${composed}`);
  t.true(Math.abs(fused - closed) <= 1e-12 * Math.abs(closed), `${fused} vs ${closed}`);
});

test("bernoulliLogit: gradient matches central differences and the composed ops' gradient", (t) => {
  const { eta, y } = problem(40, 5);
  eta[2] = 30; eta[3] = -30; // central differences need finite neighbourhoods
  const r = checkGradient((tape, [e]) => bernoulliLogit(e!, tape.constant(y)), [{ value: eta }]);
  t.true(r.maxError < 1e-7, JSON.stringify(r.worst));
  const tape = new Tape(), gf = new Float64Array(eta.length), gc = new Float64Array(eta.length);
  tape.backward(bernoulliLogit(tape.param(eta, undefined, gf), tape.constant(y)));
  tape.reset();
  const e = tape.param(eta, undefined, gc), l = tape.constant(y);
  tape.backward(ad.sum(ad.sub(ad.mul(l, e), ad.softplus(e))));
  for (let i = 0; i < eta.length; i++) t.true(Math.abs(gf[i]! - gc[i]!) < 1e-15, `element ${i}: ${gf[i]} vs ${gc[i]}`);
});

test("bernoulliLogitRows: per-row values and gradients equal the scalar form row by row, with stacked draws", (t) => {
  const rows = 6, D = 9, S = 2;
  const { eta } = problem(S * rows * D, 7), { y } = problem(rows * D, 8);
  const tape = new Tape(), g = new Float64Array(eta.length);
  const out = bernoulliLogitRows(tape.param(eta, [S * rows, D], g), tape.constant(y, [rows, D]));
  const values = out.value.slice();
  tape.backward(ad.sum(out));
  for (let r = 0; r < S * rows; r++) {
    const t2 = new Tape(), gr = new Float64Array(D);
    const v = bernoulliLogit(t2.param(eta.slice(r * D, (r + 1) * D), undefined, gr), t2.constant(y.slice((r % rows) * D, (r % rows + 1) * D)));
    t2.backward(v);
    t.is(values[r], v.value[0]);
    for (let j = 0; j < D; j++) t.is(g[r * D + j], gr[j]);
  }
});

test("bernoulliLogit refuses labels of another size and labels that would need a gradient, naming what to pass", (t) => {
  const tape = new Tape();
  const e = tape.constant(new Float64Array(3));
  const size = t.throws(() => bernoulliLogit(e, tape.constant(new Float64Array(4))), { instanceOf: VireoError });
  t.is(size!.code, "DIMENSION_MISMATCH");
  t.regex(size!.message, /labels/);
  const grad = t.throws(() => bernoulliLogit(e, tape.param(new Float64Array(3))), { instanceOf: VireoError });
  t.is(grad!.code, "INVALID_PARAMETER");
  t.regex(grad!.message, /labels/);
});
