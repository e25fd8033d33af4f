/**
 * Support bijectors of gradient-fitted variables: tape gradients of the forward map and of
 * log|det J| against finite differences, the numeric forms against the tape forms, and log|det J|
 * against a finite-difference Jacobian determinant (logit: the derivative; Cholesky: the d(d+1)/2
 * square Jacobian of z ↦ lower triangle of X).
 */
import test from "ava";
import { Tape, checkGradient, choleskyTransform, logitTransform, ad } from "@vireo/core";

function logAbsDet(J: Float64Array, n: number): number {
  const a = Float64Array.from(J);
  let s = 0;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[p * n + c]!)) p = r;
    if (p !== c) for (let k = 0; k < n; k++) [a[c * n + k], a[p * n + k]] = [a[p * n + k]!, a[c * n + k]!];
    const piv = a[c * n + c]!;
    s += Math.log(Math.abs(piv));
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c]! / piv;
      for (let k = c; k < n; k++) a[r * n + k] -= f * a[c * n + k]!;
    }
  }
  return s;
}

test("Cholesky bijector: X = LLᵀ is SPD, tape and numeric forms agree, log|det J| matches finite differences", (t) => {
  const d = 3, m = 6, T = choleskyTransform(d);
  const z = Float64Array.from([0.2, -0.4, 0.1, 0.7, 0.3, -0.2]);
  const tape = new Tape(), X = new Float64Array(d * d);
  const xt = T.forward(tape.constant(z)).value, ld = T.forwardValue(z, X);
  for (let i = 0; i < d * d; i++) t.true(Math.abs(xt[i]! - X[i]!) < 1e-12);
  t.true(Math.abs(T.logDetJacobian(tape.constant(z)).value[0]! - ld) < 1e-12);
  // Jacobian of z ↦ lower triangle of X by central differences.
  const J = new Float64Array(m * m), h = 1e-6, a = new Float64Array(d * d), b = new Float64Array(d * d);
  for (let c = 0; c < m; c++) {
    const zp = Float64Array.from(z), zm = Float64Array.from(z);
    zp[c] += h;
    zm[c] -= h;
    T.forwardValue(zp, a);
    T.forwardValue(zm, b);
    for (let i = 0, r = 0; i < d; i++) for (let j = 0; j <= i; j++, r++) J[r * m + c] = (a[i * d + j]! - b[i * d + j]!) / (2 * h);
  }
  t.true(Math.abs(logAbsDet(J, m) - ld) < 1e-6, `log|det J| ${ld} vs finite differences ${logAbsDet(J, m)}`);
  const w = Float64Array.from({ length: d * d }, (_, i) => Math.cos(i));
  const g = checkGradient((tp, [zz]) => ad.sum(ad.mul(T.forward(zz!), tp.constant(w))), [{ value: Float64Array.from(z) }]);
  t.true(g.maxError < 1e-6, `forward gradient error ${g.maxError}`);
  const gl = checkGradient((_tp, [zz]) => T.logDetJacobian(zz!), [{ value: Float64Array.from(z) }]);
  t.true(gl.maxError < 1e-6, `log-det gradient error ${gl.maxError}`);
});

test("logit bijector: x = σ(z), log|det J| = Σ log σ'(z), gradients", (t) => {
  const z = Float64Array.from([-3, 0.2, 5]), x = new Float64Array(3);
  const ld = logitTransform.forwardValue(z, x);
  let ref = 0;
  for (let i = 0; i < 3; i++) ref += Math.log(x[i]! * (1 - x[i]!));
  t.true(Math.abs(ld - ref) < 1e-12);
  const g = checkGradient((_tp, [zz]) => ad.add(ad.sum(logitTransform.forward(zz!)), logitTransform.logDetJacobian(zz!)), [{ value: Float64Array.from(z) }]);
  t.true(g.maxError < 1e-6, `gradient error ${g.maxError}`);
});
