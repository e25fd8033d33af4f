/**
 * Online-updating runs in checkpoints. The state of an online (posterior-becomes-prior) run is
 * the globals' natural parameters, the accumulated evidence A of each global, the batch counter,
 * the options (forgetting γ, sweeps and tolerance per batch, local-step options) and the
 * generator. An engine resumed from a checkpoint and fed the same later batches continues
 * bit-identically.
 */
import { OnlineEngine, type OnlineOptions } from "../svi/online-engine.js";
import type { CheckpointState, EngineState } from "./checkpoint.js";
import { invalid, record, isMap, keysOf } from "./schema.js";
import { globalsOf, globalShapes, gradientGlobalsOf, readGradientGlobals, requireStarted, checkGlobals, checkGeneratorState, checkSteps, scalars, agree, build } from "./minibatch.js";
import type { GradientFitRecord } from "./gradient.js";

export interface OnlineEngineState extends EngineState {
  readonly kind: "online";
  /** Batches fitted when the checkpoint was made. */
  readonly t: number;
  /** [forgetting, maxIterations, tolerance], exactly. */
  readonly options: Float64Array;
  /** [localIterations, localTolerance]. */
  readonly local: Float64Array;
  /** The discounted sum of earlier batches' evidence, per global variable. */
  readonly evidence: Readonly<Record<string, Float64Array>>;
  /** Gradient-fitted globals: λ, optimiser state and counters (present only when the model has some). */
  readonly gradient?: Readonly<Record<string, GradientFitRecord>>;
}

const OPTIONS = ["forgetting", "maxIterations", "tolerance"] as const;
const LOCAL = ["localIterations", "localTolerance"] as const;

/** The checkpoint state of an online engine (after at least one batch); copies, so the engine may go on. */
export function onlineCheckpoint(engine: OnlineEngine): CheckpointState {
  requireStarted(engine.steps, "onlineCheckpoint");
  const p = engine.progress();
  const state: OnlineEngineState = {
    kind: "online", t: p.t,
    options: Float64Array.of(engine.forgetting, engine.maxIterations, engine.tolerance),
    local: Float64Array.of(engine.runner.localIterations, engine.runner.localTolerance),
    evidence: p.evidence,
    ...(engine.runner.gradientGlobals.length > 0 ? { gradient: gradientGlobalsOf(engine.runner) } : {}),
  };
  return { model: engine.runner.model, variational: globalsOf(engine.runner), engine: state, generator: engine.runner.generatorState() };
}

/**
 * An online engine continuing from a decoded checkpoint. Options the caller gives (forgetting,
 * maxIterations, tolerance, localIterations, localTolerance) must equal the stored ones; omitted
 * ones take the stored values; the seed is not used (the generator continues from the
 * checkpoint). Everything is checked before the engine is built: a refused checkpoint throws
 * INVALID_CHECKPOINT and changes nothing.
 */
export function resumeOnline(checkpoint: CheckpointState, options: OnlineOptions = {}): OnlineEngine {
  const e = checkpoint.engine;
  if (e.kind !== "online") throw invalid("checkpoint.engine.kind", `expected an online checkpoint (kind "online"), got kind ${JSON.stringify(e.kind)}.`);
  const r = record(e, "checkpoint.engine", ["kind", "t", "options", "local", "evidence"], ["gradient"]);
  const t = checkSteps(r("t"), "checkpoint.engine.t");
  const o = scalars(r("options"), "checkpoint.engine.options", OPTIONS);
  const local = scalars(r("local"), "checkpoint.engine.local", LOCAL);
  for (const k of OPTIONS) agree("online", k, o[k], options[k]);
  for (const k of LOCAL) agree("online", k, local[k], options[k]);
  const globals = checkGlobals(checkpoint.model, checkpoint.variational, "online");
  const raw = r("evidence");
  if (!isMap(raw)) throw invalid("checkpoint.engine.evidence", "expected a map of global variable name → Float64Array.");
  const shapes = globalShapes(checkpoint.model, true);
  const evidence: Record<string, Float64Array> = {};
  for (const n of keysOf(raw, "checkpoint.engine.evidence")) {
    if (!shapes.has(n)) throw invalid(`checkpoint.engine.evidence.${n}`, `not a global variable of the model; globals are [${[...shapes.keys()].join(", ")}].`);
  }
  for (const [n, length] of shapes) {
    const a = Object.prototype.hasOwnProperty.call(raw, n) ? raw[n] : undefined;
    if (!(a instanceof Float64Array) || a.length !== length) {
      throw invalid(`checkpoint.engine.evidence.${n}`, `expected a Float64Array of ${length} numbers, got ${a instanceof Float64Array ? `${a.length}` : a === undefined ? "nothing" : "another type"}.`);
    }
    if (!a.every(Number.isFinite)) throw invalid(`checkpoint.engine.evidence.${n}`, "holds a non-finite number.");
    evidence[n] = a;
  }
  const generator = checkGeneratorState(checkpoint.generator, "online");
  const engine = build("online", () => new OnlineEngine(checkpoint.model, { ...o, ...local, ...(options.gradient !== undefined ? { gradient: options.gradient } : {}) }));
  const loadGradient = readGradientGlobals(r("gradient"), engine.runner, "checkpoint.engine.gradient");
  engine.restore(globals, { kind: "online", t, forgetting: o.forgetting, evidence }, generator);
  loadGradient();
  return engine;
}
