/**
 * Finite-difference verification of tape gradients. A non-scalar output is projected onto fixed
 * random weights first (Σ wᵢ outᵢ), which checks the whole vector-Jacobian product in one pass.
 */
import { VireoError } from "../errors.js";
import { Generator } from "../random/generator.js";
import { Tape, type TNode } from "./tape.js";
import { mul } from "./arith.js";
import { sum } from "./reduce.js";

export interface GradientInput {
  readonly value: Float64Array;
  readonly shape?: readonly number[];
}

export interface GradientCheckResult {
  /** max over inputs and elements of |analytic − numeric| / max(1, |analytic|, |numeric|). */
  readonly maxError: number;
  /** Where the worst element is: input index and flat element index. */
  readonly worst: { readonly input: number; readonly element: number; readonly analytic: number; readonly numeric: number };
  readonly analytic: Float64Array[];
  readonly numeric: Float64Array[];
}

/**
 * Compares the tape gradient of `build(tape, params)` with central differences of step
 * h·max(1, |x|). `build` must be deterministic; inputs are perturbed in place and restored.
 */
export function checkGradient(
  build: (tape: Tape, params: TNode[]) => TNode,
  inputs: readonly GradientInput[],
  options: { readonly h?: number; readonly seed?: number } = {},
): GradientCheckResult {
  const h = options.h ?? 1e-5;
  if (!(h > 0)) throw new VireoError("INVALID_OPTION", `checkGradient: h must be > 0, got ${h}.`, { parameter: "h" });
  const tape = new Tape();
  let weights: Float64Array | null = null;
  const evaluate = (): number => {
    tape.reset();
    const params = inputs.map((x) => tape.param(x.value, x.shape));
    let out = build(tape, params);
    if (out.size !== 1) {
      if (weights === null || weights.length !== out.size) {
        const rng = new Generator(options.seed ?? 12345);
        weights = new Float64Array(out.size);
        for (let i = 0; i < out.size; i++) weights[i] = 0.5 + rng.uniform();
      }
      out = sum(mul(out, tape.constant(weights, out.shape)));
    }
    return out.value[0]!;
  };
  evaluate(); // fixes the projection weights
  const analytic = inputs.map((x) => new Float64Array(x.value.length));
  {
    tape.reset();
    const params = inputs.map((x, i) => tape.param(x.value, x.shape, analytic[i]));
    let out = build(tape, params);
    if (out.size !== 1) out = sum(mul(out, tape.constant(weights!, out.shape)));
    tape.backward(out);
  }
  const numeric = inputs.map((x) => new Float64Array(x.value.length));
  let maxError = 0;
  let worst = { input: -1, element: -1, analytic: 0, numeric: 0 };
  inputs.forEach((x, k) => {
    for (let i = 0; i < x.value.length; i++) {
      const x0 = x.value[i]!, step = h * Math.max(1, Math.abs(x0));
      x.value[i] = x0 + step;
      const fp = evaluate();
      x.value[i] = x0 - step;
      const fm = evaluate();
      x.value[i] = x0;
      const d = (fp - fm) / (2 * step);
      numeric[k]![i] = d;
      const a = analytic[k]![i]!;
      const err = Math.abs(a - d) / Math.max(1, Math.abs(a), Math.abs(d));
      if (!(err <= maxError)) {
        maxError = Number.isNaN(err) ? Infinity : err;
        worst = { input: k, element: i, analytic: a, numeric: d };
      }
    }
  });
  return { maxError, worst, analytic, numeric };
}
