/**
 * Optimisers, schedules and convergence: each optimiser minimises a badly scaled quadratic; a
 * non-finite gradient is never applied; schedules give their documented rates; the convergence
 * monitor fires on a flat noisy sequence and not on a trending one; bad options are typed errors.
 */
import test from "ava";
import {
  adam, sgd, adagrad, guardedStep, constantSchedule, exponentialDecay, stepDecay, robbinsMonro, cosineDecay,
  ConvergenceMonitor, Generator, sampleStandardNormal, type Optimizer,
} from "@vireo/core";

const opts: [string, Optimizer][] = [
  ["adam", adam({ lr: 0.05 })],
  ["sgd with momentum", sgd({ lr: 0.01, momentum: 0.9 })],
  ["sgd with Nesterov momentum", sgd({ lr: 0.01, momentum: 0.9, nesterov: true })],
  ["adagrad", adagrad({ lr: 0.5 })],
];

for (const [label, opt] of opts) {
  test(`${label} minimises a badly scaled quadratic`, (t) => {
    const steps = 3000;
    const scales = Float64Array.from([1, 10, 0.5]), target = Float64Array.from([1, -2, 3]);
    const x = new Float64Array(3), g = new Float64Array(3), state = opt.init(3);
    for (let s = 0; s < steps; s++) {
      for (let i = 0; i < 3; i++) g[i] = scales[i]! * (x[i]! - target[i]!);
      t.true(guardedStep(opt, x, g, state).applied);
    }
    for (let i = 0; i < 3; i++) t.true(Math.abs(x[i]! - target[i]!) < 1e-3, `${opt.name} x[${i}] = ${x[i]}`);
    t.is(state.step, steps);
  });
}

test("a non-finite gradient is never applied and names its index", (t) => {
  for (const opt of [adam(), sgd({ momentum: 0.5 }), adagrad()]) {
    const x = Float64Array.from([1, 2, 3]), state = opt.init(3);
    guardedStep(opt, x, Float64Array.from([0.1, 0.2, 0.3]), state);
    const before = Float64Array.from(x), buf = state.buffers.map((b) => Float64Array.from(b));
    const r = guardedStep(opt, x, Float64Array.from([0.1, Infinity, NaN]), state);
    t.false(r.applied);
    t.is(r.badIndex, 1);
    t.is(r.badValue, Infinity);
    t.deepEqual([...x], [...before]);
    t.deepEqual(state.buffers.map((b) => [...b]), buf.map((b) => [...b]));
    t.is(state.step, 1);
  }
});

test("schedules give their documented rates", (t) => {
  const close = (a: number, b: number) => t.true(Math.abs(a - b) < 1e-12 * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
  close(constantSchedule(0.1).rate(1000), 0.1);
  close(exponentialDecay(0.1, 0.5, 100).rate(200), 0.025);
  close(stepDecay(0.1, 0.5, 100).rate(199), 0.05);
  close(robbinsMonro(1, 10, 0.75).rate(150), Math.pow(16, -0.75));
  close(cosineDecay(1, 100, 0.1).rate(50), 0.55);
  close(cosineDecay(1, 100, 0.1).rate(500), 0.1);
  for (const f of [() => robbinsMonro(1, 10, 0.4), () => exponentialDecay(-1, 0.5), () => stepDecay(1, 0.5, 0.5), () => adam({ beta1: 1 }), () => sgd({ lr: 0 })]) {
    t.is((t.throws(f) as unknown as { code: string }).code, "INVALID_OPTION");
  }
});

test("convergence fires on a flat noisy sequence, not on a trending one, and ignores NaN", (t) => {
  const rng = new Generator(3);
  const flat = new ConvergenceMonitor({ window: 50, tolerance: 1e-3, patience: 2 });
  let at = -1;
  for (let i = 0; i < 1000 && at < 0; i++) {
    if (i === 10) flat.push(NaN);
    if (flat.push(-100 + 0.1 * sampleStandardNormal(rng))) at = i;
  }
  t.is(at, 149, "three full windows: two consecutive calm comparisons");
  const trend = new ConvergenceMonitor({ window: 50, tolerance: 1e-3 });
  let fired = false;
  for (let i = 0; i < 5000; i++) fired = trend.push(-100 + 0.01 * i) || fired;
  t.false(fired);
  t.true(trend.lastChange > 1e-3);
  t.is((t.throws(() => new ConvergenceMonitor({ window: 0 })) as unknown as { code: string }).code, "INVALID_OPTION");
  // The old option name is refused with the new one named (one name for a tolerance everywhere).
  t.throws(() => new ConvergenceMonitor({ tol: 1e-3 } as never), { code: "INVALID_OPTION", message: /'tol' is now called 'tolerance'/ } as never);
});
