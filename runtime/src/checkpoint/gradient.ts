/**
 * Gradient-fitted variables in checkpoints. What persists of one (its GradientFit) is q's
 * parameters λ, the optimiser's state (step count and moment buffers, e.g. Adam's m and v), the
 * variable's step and skip counts and its score-function baseline; a CAVI engine also keeps the
 * latest draws (values, statistics, log-Jacobians, entropy, E_q[T(x)]) that its neighbours and the
 * Monte Carlo ELBO read, and each density factor's log g at them. All of it is typed arrays, so a
 * resumed run continues bit-identically. Reading checks every name, kind and length against the
 * live fit before anything is copied: a refused checkpoint throws INVALID_CHECKPOINT and changes
 * nothing.
 */
import type { GradientFit, GradientVariable } from "../engine/gradient.js";
import type { CompiledState } from "../engine/state.js";
import { invalid, record, isMap, keysOf, str, array, f64 } from "./schema.js";
import { refreshJointDensities } from "../engine/joint-step.js";

/** The persisting part of one gradient-fitted variable. */
export interface GradientFitRecord {
  /** q's name at its size, e.g. "FullRankGaussian(5)": the resumed model must give the same. */
  readonly q: string;
  /** The optimiser's name, e.g. "adam": the resumed options must give the same. */
  readonly optimizer: string;
  readonly lambda: Float64Array;
  /** The optimiser's buffers (Adam: first and second moments). */
  readonly moments: readonly Float64Array[];
  /** [optimiser step, steps taken, steps skipped]. */
  readonly counters: Float64Array;
  /** Running score-function baseline (NaN before the first score step). */
  readonly baselines: Float64Array;
}

/** The latest draws of a gradient-fitted variable in a compiled state (CAVI). */
export interface GradientDrawsRecord {
  /** 1 when the variable has drawn (its statistics come from these draws), else 0; then [entropy]. */
  readonly flags: Float64Array;
  /** The S draws back to back (S × count × valueSize). */
  readonly draws: Float64Array;
  /** T(x_s) back to back (S × count × size). */
  readonly drawStats: Float64Array;
  readonly logDet: Float64Array;
  /** The statistics buffer E_q[T(x)] the neighbours read. */
  readonly stats: Float64Array;
}

export function fitRecord(fit: GradientFit): GradientFitRecord {
  return {
    q: fit.q.name, optimizer: fit.optimizer.name, lambda: fit.lambda.slice(),
    moments: fit.optimizerState.buffers.map((b) => b.slice()),
    counters: Float64Array.of(fit.optimizerState.step, fit.steps, fit.skipped),
    baselines: fit.baselines.slice(),
  };
}

export function drawsRecord(g: GradientVariable): GradientDrawsRecord {
  // A member whose redraw was deferred draws now (a no-op after a completed step).
  g.joint?.refresh();
  const concat = (parts: readonly Float64Array[]) => {
    const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  return {
    flags: Float64Array.of(g.drawn ? 1 : 0, g.entropy), draws: concat(g.draws), drawStats: concat(g.drawStats),
    logDet: g.logDet.slice(), stats: g.variable.stats.slice(),
  };
}

const count = (v: number, path: string): number => {
  if (!(Number.isInteger(v) && v >= 0)) throw invalid(path, `expected a step count (an integer ≥ 0), got ${v}.`);
  return v;
};

function exact(a: unknown, path: string, length: number, finite: boolean): Float64Array {
  const x = f64(a, path);
  if (x.length !== length) throw invalid(path, `expected ${length} numbers, got ${x.length}.`);
  if (finite && !x.every(Number.isFinite)) throw invalid(path, "holds a non-finite number.");
  return x;
}

/** Checks a stored fit against the live one (names and lengths); returns the record to load. */
export function readFitRecord(raw: unknown, fit: GradientFit, path: string): GradientFitRecord {
  const r = record(raw, path, ["q", "optimizer", "lambda", "moments", "counters", "baselines"]);
  const q = str(r("q"), `${path}.q`), optimizer = str(r("optimizer"), `${path}.optimizer`);
  if (q !== fit.q.name) throw invalid(`${path}.q`, `the checkpoint's variable was fitted with q ${q}, but the model gives ${fit.q.name}; resume with the model the checkpoint was made from.`);
  if (optimizer !== fit.optimizer.name) throw invalid(`${path}.optimizer`, `the checkpoint was made with the '${optimizer}' optimiser, but the options give '${fit.optimizer.name}'; resume with the run's own gradient options.`);
  const moments = array(r("moments"), `${path}.moments`);
  const live = fit.optimizerState.buffers;
  if (moments.length !== live.length) throw invalid(`${path}.moments`, `expected ${live.length} optimiser buffers (${fit.optimizer.name}), got ${moments.length}.`);
  const counters = exact(r("counters"), `${path}.counters`, 3, true);
  counters.forEach((c, i) => count(c, `${path}.counters[${i}]`));
  const baselines = f64(r("baselines"), `${path}.baselines`);
  if (baselines.length !== fit.baselines.length) throw invalid(`${path}.baselines`, `expected ${fit.baselines.length} numbers, got ${baselines.length}.`);
  return {
    q, optimizer, lambda: exact(r("lambda"), `${path}.lambda`, fit.lambda.length, true),
    moments: moments.map((m, i) => exact(m, `${path}.moments[${i}]`, live[i]!.length, true)),
    counters, baselines,
  };
}

/** Copies a checked record into the live fit. */
export function loadFit(fit: GradientFit, r: GradientFitRecord): void {
  fit.lambda.set(r.lambda);
  r.moments.forEach((m, i) => fit.optimizerState.buffers[i]!.set(m));
  fit.optimizerState.step = r.counters[0]!;
  fit.steps = r.counters[1]!;
  fit.skipped = r.counters[2]!;
  fit.baselines.set(r.baselines);
}

/** Checks stored draws against a live gradient variable's buffers. */
export function readDrawsRecord(raw: unknown, g: GradientVariable, path: string): GradientDrawsRecord {
  const r = record(raw, path, ["flags", "draws", "drawStats", "logDet", "stats"]);
  const S = g.samples;
  const flags = exact(r("flags"), `${path}.flags`, 2, false);
  if (flags[0] !== 0 && flags[0] !== 1) throw invalid(`${path}.flags[0]`, "expected 0 or 1.");
  return {
    flags,
    draws: exact(r("draws"), `${path}.draws`, S * g.draws[0]!.length, false),
    drawStats: exact(r("drawStats"), `${path}.drawStats`, S * g.drawStats[0]!.length, false),
    logDet: exact(r("logDet"), `${path}.logDet`, S, false),
    stats: exact(r("stats"), `${path}.stats`, g.variable.stats.length, false),
  };
}

/** Copies checked draws into the live variable (its statistics are marked changed). */
export function loadDraws(g: GradientVariable, r: GradientDrawsRecord): void {
  g.drawn = r.flags[0] === 1;
  g.entropy = r.flags[1]!;
  const n = g.draws[0]!.length, m = g.drawStats[0]!.length;
  g.draws.forEach((d, s) => d.set(r.draws.subarray(s * n, (s + 1) * n)));
  g.drawStats.forEach((d, s) => d.set(r.drawStats.subarray(s * m, (s + 1) * m)));
  g.logDet.set(r.logDet);
  g.variable.stats.set(r.stats);
  g.variable.changes.markChanged(g.variable.stats);
}

/** Density factors' log g at the latest draws, by factor name. */
export function densityRecords(state: CompiledState): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  refreshJointDensities(state);
  for (const f of state.factors) if (f.density !== null) out[f.name] = f.density.values.slice();
  return out;
}

/** Checks stored density values against the state's density factors (every one, nothing else). */
export function readDensityRecords(raw: unknown, state: CompiledState, path: string): Map<string, Float64Array> {
  if (!isMap(raw)) throw invalid(path, "expected a map of density factor name → Float64Array.");
  const live = new Map(state.factors.filter((f) => f.density !== null).map((f) => [f.name, f.density!.values]));
  for (const k of keysOf(raw, path)) if (!live.has(k)) throw invalid(`${path}.${k}`, `not a density factor of the model; density factors are [${[...live.keys()].join(", ")}].`);
  const out = new Map<string, Float64Array>();
  for (const [name, values] of live) {
    const at = `${path}.${name}`;
    if (!Object.prototype.hasOwnProperty.call(raw, name)) throw invalid(at, "missing.");
    out.set(name, exact(raw[name], at, values.length, false));
  }
  return out;
}
