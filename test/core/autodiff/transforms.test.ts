/**
 * Transforms: tape and numeric forms agree, log|det J| equals the log-determinant of the finite-
 * difference Jacobian, and both tape forms pass the gradient check.
 */
import test from "ava";
import { Tape, checkGradient, logTransform, stickBreaking, identityTransform, type Transform } from "@vireo/core";
import { luLogAbsDet } from "../helpers.js";
import { array } from "@vireo/core";

/** log|det| of the finite-difference Jacobian of z ↦ the first dim(z) outputs of T. */
function fdLogDet(tr: Transform, z: Float64Array): number {
  const m = z.length, n = tr.outputSize(m), J = new Float64Array(m * m), xp = new Float64Array(n), xm = new Float64Array(n);
  for (let j = 0; j < m; j++) {
    const h = 1e-6, zp = Float64Array.from(z), zm = Float64Array.from(z);
    zp[j] += h;
    zm[j] -= h;
    tr.forwardValue(zp, xp);
    tr.forwardValue(zm, xm);
    for (let i = 0; i < m; i++) J[i * m + j] = (xp[i]! - xm[i]!) / (2 * h);
  }
  return luLogAbsDet(array(J, [m, m]));
}

const cases: [Transform, number[]][] = [
  [logTransform, [0.3, -1.2, 2]],
  [stickBreaking, [0.3, -1.2, 2, 0.1]],
  [stickBreaking, [5, -4]],
  [identityTransform, [0.3, -1]],
];

for (const [tr, zs] of cases) {
  test(`${tr.name} (${zs.length}): log|det J| matches finite differences; tape = numeric; gradients check`, (t) => {
    const z = Float64Array.from(zs), x = new Float64Array(tr.outputSize(z.length));
    const ld = tr.forwardValue(z, x);
    t.true(Math.abs(ld - fdLogDet(tr, z)) < 1e-6, `${tr.name}: ${ld} vs ${fdLogDet(tr, z)}`);
    const tape = new Tape();
    const zn = tape.constant(z);
    const xt = tr.forward(zn), lt = tr.logDetJacobian(zn);
    for (let i = 0; i < x.length; i++) t.true(Math.abs(xt.value[i]! - x[i]!) < 1e-14);
    t.true(Math.abs(lt.value[0]! - ld) < 1e-12);
    if (tr === stickBreaking) {
      let s = 0;
      for (const v of x) {
        t.true(v > 0);
        s += v;
      }
      t.true(Math.abs(s - 1) < 1e-14, "stick-breaking lands on the simplex");
    }
    if (tr !== identityTransform) {
      t.true(checkGradient((_tp, [p]) => tr.forward(p!), [{ value: Float64Array.from(z) }]).maxError < 1e-6);
      t.true(checkGradient((_tp, [p]) => tr.logDetJacobian(p!), [{ value: Float64Array.from(z) }]).maxError < 1e-6);
    }
  });
}

test("stick-breaking maps 0 to the uniform point", (t) => {
  const x = new Float64Array(4);
  stickBreaking.forwardValue(new Float64Array(3), x);
  for (const v of x) t.true(Math.abs(v - 0.25) < 1e-15);
});
