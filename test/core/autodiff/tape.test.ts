/**
 * Tape mechanics: pooled buffers are reused across resets (a warm step allocates no value
 * buffers), constants get no gradient, external gradient buffers are overwritten per backward, and
 * misuse fails with typed errors naming the op.
 */
import test from "ava";
import { Tape, ad } from "@vireo/core";

function build(t: Tape, w: Float64Array, X: Float64Array) {
  const p = t.param(w);
  return ad.sum(ad.softplus(ad.matmul(t.constant(X, [3, 2]), p)));
}

test("a reset tape rebuilding the same graph reuses every buffer", (t) => {
  const tape = new Tape();
  const w = Float64Array.from([0.5, -1]), X = Float64Array.from([1, 2, 3, 4, 5, 6]);
  const out1 = build(tape, w, X);
  tape.backward(out1);
  const n = tape.length;
  const out1Value = out1.value, out1Grad = out1.grad;
  tape.reset();
  const out2 = build(tape, w, X);
  tape.backward(out2);
  t.is(tape.length, n);
  t.is(out2, out1, "the same pooled node object");
  t.is(out2.value, out1Value, "the same value buffer");
  t.is(out2.grad, out1Grad, "the same gradient buffer");
  t.is(out2.grad[0], 1);
});

test("constants get no gradient; parameter gradients land in the caller's buffer, overwritten each time", (t) => {
  const tape = new Tape();
  const g = new Float64Array(2);
  const w = Float64Array.from([1, 2]);
  for (let rep = 0; rep < 2; rep++) {
    tape.reset();
    const c = tape.constant(Float64Array.from([3, 4]));
    const p = tape.param(w, [2], g);
    const out = ad.sum(ad.mul(c, p));
    tape.backward(out);
    t.false(c.needsGrad);
    t.is(c.grad.length, 0);
    t.deepEqual([...g], [3, 4]);
  }
});

test("misuse fails with typed errors that name the op and the fix", (t) => {
  const tape = new Tape(), other = new Tape();
  const a = tape.param(new Float64Array(3)), b = tape.constant(new Float64Array(2));
  let e = t.throws(() => ad.add(a, b)) as unknown as { code: string; message: string };
  t.is(e.code, "DIMENSION_MISMATCH");
  t.regex(e.message, /add: operand shapes .*\[3\].*\[2\]/);
  e = t.throws(() => ad.mul(a, other.constant(new Float64Array(3)))) as unknown as { code: string; message: string };
  t.is(e.code, "INVALID_PARAMETER");
  t.regex(e.message, /different tapes/);
  e = t.throws(() => tape.backward(a)) as unknown as { code: string; message: string };
  t.is(e.code, "DIMENSION_MISMATCH");
  t.regex(e.message, /Reduce it with sum or mean/);
  e = t.throws(() => tape.constant(new Float64Array(5), [2, 2])) as unknown as { code: string; message: string };
  t.is(e.code, "DIMENSION_MISMATCH");
  e = t.throws(() => ad.matmul(a, a)) as unknown as { code: string; message: string };
  t.regex(e.message, /matmul: expected A of shape \[m, k\]/);
  e = t.throws(() => ad.gather(a, Int32Array.from([3]))) as unknown as { code: string; message: string };
  t.regex(e.message, /index 3 .* outside/);
  e = t.throws(() => ad.sum(a, 1)) as unknown as { code: string; message: string };
  t.is(e.code, "INVALID_OPTION");
  const s = ad.sum(a);
  tape.reset();
  // A node kept across a reset is stale: the shorter new recording no longer reaches it.
  tape.param(new Float64Array(1));
  e = t.throws(() => tape.backward(s)) as unknown as { code: string; message: string };
  t.is(e.code, "INVALID_STATE");
});

test("broadcast and reductions compute the right values", (t) => {
  const tape = new Tape();
  const A = tape.constant(Float64Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
  t.deepEqual([...ad.sum(A, 0).value], [5, 7, 9]);
  t.deepEqual([...ad.sum(A, 1).value], [6, 15]);
  t.deepEqual([...ad.mean(A, 1).value], [2, 5]);
  t.deepEqual([...ad.sub(tape.scalar(10), A).value], [9, 8, 7, 6, 5, 4]);
  const l = ad.logsumexp(tape.constant(Float64Array.from([1000, 1000])));
  t.true(Math.abs(l.value[0]! - (1000 + Math.LN2)) < 1e-12);
  t.deepEqual(ad.matmul(A, tape.constant(Float64Array.from([1, 0, -1]))).shape, [2]);
});
