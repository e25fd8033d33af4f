/**
 * Amortised Gaussian q and the per-row likelihoods on the tape: batched finite-difference
 * gradient checks of every op (column split, stacked copies, Bernoulli-logit and Gaussian rows,
 * the per-row triangular factors) and of the whole amortised q (draws, entropy, log density, KL)
 * for diagonal and full covariance; values against hand-written formulas.
 */
import test from "ava";
import {
  Tape, Generator, checkGradient, sampleStandardNormal, ad, mlp, amortised, columns, repeatRows, bernoulliLogitRows, gaussianRows,
  trilTimesRows, trilLogDetAndTrace, trilSize, VireoError,
} from "@vireo/core";

const randn = (rng: Generator, n: number, s = 1) => Float64Array.from({ length: n }, () => s * sampleStandardNormal(rng));

test("columns and repeatRows: values and batched gradients", (t) => {
  const rng = new Generator(1), X = randn(rng, 4 * 5);
  const tape = new Tape();
  const c = columns(tape.constant(X, [4, 5]), 1, 3);
  t.deepEqual(Array.from(c.value.subarray(0, 3)), Array.from(X.subarray(1, 4)));
  t.deepEqual(c.shape, [4, 3]);
  const r = repeatRows(tape.constant(X, [4, 5]), 3);
  t.deepEqual(r.shape, [12, 5]);
  t.deepEqual(Array.from(r.value.subarray(40, 60)), Array.from(X));
  t.true(checkGradient((_t, [x]) => columns(x!, 2, 3), [{ value: X, shape: [4, 5] }]).maxError < 1e-8);
  t.true(checkGradient((_t, [x]) => repeatRows(x!, 3), [{ value: X, shape: [4, 5] }]).maxError < 1e-8);
});

test("bernoulliLogitRows and gaussianRows: per-row log-likelihoods equal the formulas, gradients match finite differences, data reused across stacked draws", (t) => {
  const rng = new Generator(2), m = 3, S = 2, D = 4;
  const logits = randn(rng, S * m * D, 2), x = Float64Array.from({ length: m * D }, () => (rng.uniform() < 0.5 ? 0 : rng.uniform()));
  const tape = new Tape();
  const b = bernoulliLogitRows(tape.constant(logits, [S * m, D]), tape.constant(x, [m, D])).value;
  for (let r = 0; r < S * m; r++) {
    let s = 0;
    for (let j = 0; j < D; j++) {
      const p = 1 / (1 + Math.exp(-logits[r * D + j]!)), xv = x[(r % m) * D + j]!;
      s += xv * Math.log(p) + (1 - xv) * Math.log(1 - p);
    }
    t.true(Math.abs(s - b[r]!) < 1e-12, `bernoulli row ${r}`);
  }
  const means = randn(rng, S * m * D), lv = Float64Array.from([0.3, -0.2, 0.1, 0.5]);
  for (const logVar of [Float64Array.from([0.4]), lv]) {
    const g = gaussianRows(tape.constant(means, [S * m, D]), tape.constant(logVar), tape.constant(x, [m, D])).value;
    for (let r = 0; r < S * m; r++) {
      let s = 0;
      for (let j = 0; j < D; j++) {
        const v = Math.exp(logVar.length === 1 ? logVar[0]! : logVar[j]!), d = x[(r % m) * D + j]! - means[r * D + j]!;
        s += -0.5 * Math.log(2 * Math.PI * v) - (d * d) / (2 * v);
      }
      t.true(Math.abs(s - g[r]!) < 1e-12, `gaussian row ${r}`);
    }
    const r = checkGradient((tp, [mu, v]) => gaussianRows(mu!, v!, tp.constant(x, [m, D])), [{ value: means, shape: [S * m, D] }, { value: logVar }]);
    t.true(r.maxError < 1e-7, JSON.stringify(r.worst));
  }
  const rb = checkGradient((tp, [l]) => bernoulliLogitRows(l!, tp.constant(x, [m, D])), [{ value: logits, shape: [S * m, D] }]);
  t.true(rb.maxError < 1e-7, JSON.stringify(rb.worst));
});

test("per-row triangular factors: L ε and [log|L|, ‖L‖²] against dense formulas, batched gradients", (t) => {
  const rng = new Generator(3), m = 3, K = 3, S = 2, P = trilSize(K);
  const packed = randn(rng, m * P, 0.5), eps = randn(rng, S * m * K);
  const tape = new Tape();
  const z = trilTimesRows(tape.constant(packed, [m, P]), tape.constant(eps, [S * m, K]), K).value;
  const dt = trilLogDetAndTrace(tape.constant(packed, [m, P]), K).value;
  for (let r = 0; r < S * m; r++) {
    const i = r % m;
    const L = (a: number, b: number) => (b > a ? 0 : a === b ? Math.exp(packed[i * P + (a * (a + 1)) / 2 + a]!) : packed[i * P + (a * (a + 1)) / 2 + b]!);
    for (let a = 0; a < K; a++) {
      let s = 0;
      for (let b = 0; b < K; b++) s += L(a, b) * eps[r * K + b]!;
      t.true(Math.abs(s - z[r * K + a]!) < 1e-12);
    }
    if (r < m) {
      let ld = 0, tr = 0;
      for (let a = 0; a < K; a++) { ld += Math.log(L(a, a)); for (let b = 0; b < K; b++) tr += L(a, b) ** 2; }
      t.true(Math.abs(ld - dt[2 * i]!) < 1e-12 && Math.abs(tr - dt[2 * i + 1]!) < 1e-12);
    }
  }
  t.true(checkGradient((_t, [p, e]) => trilTimesRows(p!, e!, K), [{ value: packed, shape: [m, P] }, { value: eps, shape: [S * m, K] }]).maxError < 1e-8);
  t.true(checkGradient((_t, [p]) => trilLogDetAndTrace(p!, K), [{ value: packed, shape: [m, P] }]).maxError < 1e-8);
});

for (const covariance of ["diagonal", "full"] as const) {
  test(`amortised ${covariance} Gaussian: KL to N(0, I) and entropy against dense formulas; draws, log density and KL differentiate through the encoder`, (t) => {
    const K = 2, D = 4, m = 3, S = 2;
    const out = covariance === "diagonal" ? 2 * K : K + trilSize(K);
    const q = amortised(mlp([D, 5, out], { activation: "tanh" }), { covariance });
    t.is(q.latent, K);
    const rng = new Generator(4), theta = q.encoder.initialise(rng), X = randn(rng, m * D), eps = randn(rng, S * m * K);
    const tape = new Tape();
    const parts = q.encode(tape.constant(theta), 0, tape.constant(X, [m, D]));
    const kl = q.klStandardNormalRows(parts).value, H = q.entropyRows(parts).value;
    const { mean, variance } = q.moments(theta, X, m);
    for (let i = 0; i < m; i++) {
      // Dense Σ = LLᵀ from the parts; KL = ½(tr Σ + μᵀμ − K − log|Σ|), H = ½ log|2πe Σ|.
      const s = parts.scale.value, L = new Float64Array(K * K);
      for (let a = 0; a < K; a++) {
        for (let b = 0; b <= a; b++) {
          if (covariance === "diagonal") L[a * K + b] = a === b ? Math.exp(s[i * K + a]!) : 0;
          else L[a * K + b] = a === b ? Math.exp(s[i * trilSize(K) + (a * (a + 1)) / 2 + a]!) : s[i * trilSize(K) + (a * (a + 1)) / 2 + b]!;
        }
      }
      let tr = 0, logDet = 0, mu2 = 0;
      for (let a = 0; a < K; a++) { logDet += 2 * Math.log(L[a * K + a]!); mu2 += mean[i * K + a]! ** 2; for (let b = 0; b < K; b++) tr += L[a * K + b]! ** 2; }
      t.true(Math.abs(kl[i]! - 0.5 * (tr + mu2 - K - logDet)) < 1e-12, `KL row ${i}`);
      t.true(Math.abs(H[i]! - 0.5 * (K * (1 + Math.log(2 * Math.PI)) + logDet)) < 1e-12, `entropy row ${i}`);
      for (let a = 0; a < K; a++) {
        let v = 0;
        for (let b = 0; b < K; b++) v += L[a * K + b]! ** 2;
        t.true(Math.abs(v - variance[i * K + a]!) < 1e-12);
      }
    }
    const objective = (th: ReturnType<Tape["param"]>, x: ReturnType<Tape["param"]>, e: ReturnType<Tape["param"]>) => {
      const p = q.encode(th, 0, x);
      const z = q.draw(p, e);
      return ad.add(ad.add(ad.sum(ad.square(z)), ad.sum(q.logDensityRows(p, e))), ad.sum(q.klStandardNormalRows(p)));
    };
    const r = checkGradient((_t, [th, x, e]) => objective(th!, x!, e!), [{ value: theta }, { value: X, shape: [m, D] }, { value: eps, shape: [S * m, K] }]);
    t.true(r.maxError < 1e-6, JSON.stringify(r.worst));
  });
}

test("amortised: an encoder whose output fits no latent size is refused with the sizes to use", (t) => {
  t.throws(() => amortised(mlp([4, 3])), { instanceOf: VireoError, message: /outputs 3 values.*2K/ });
  t.throws(() => amortised(mlp([4, 4]), { covariance: "full" }), { instanceOf: VireoError, message: /K \+ K\(K\+1\)\/2/ });
});
