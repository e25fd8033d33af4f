/**
 * SVI runs in checkpoints. The state of a stochastic variational inference run is the globals'
 * natural parameters, the step counter t with the step-size schedule (N, plate, τ, κ), the
 * local-step options and the generator the locals' random starts draw from. An engine resumed
 * from a checkpoint and fed the same later minibatches takes bit-identical steps.
 */
import { SviEngine, type SviOptions, type SviProgress, type SviPsis } from "../svi/svi-engine.js";
import type { CheckpointState, EngineState } from "./checkpoint.js";
import { invalid, record, str } from "./schema.js";
import { globalsOf, gradientGlobalsOf, readGradientGlobals, requireStarted, checkGlobals, checkGeneratorState, checkSteps, scalars, agree, build } from "./minibatch.js";
import type { GradientFitRecord } from "./gradient.js";

export interface SviEngineState extends EngineState {
  readonly kind: "svi";
  /** Steps taken when the checkpoint was made. */
  readonly t: number;
  /** The data plate the minibatches subsample. */
  readonly plate: string;
  /** [N, τ, κ]: the rows of the plate in the whole data set (totalRows) and the step-size schedule ρ_t = (t + τ)^(−κ), exactly. */
  readonly schedule: Float64Array;
  /** [localIterations, localTolerance]. */
  readonly local: Float64Array;
  /** Gradient-fitted globals: λ, optimiser state and counters (present only when the model has some). */
  readonly gradient?: Readonly<Record<string, GradientFitRecord>>;
  /** The latest PSIS check (later snapshots carry it until the next one). */
  readonly psis?: SviPsis;
}

const SCHEDULE = ["totalRows", "tau", "kappa"] as const;
const LOCAL = ["localIterations", "localTolerance"] as const;

/** The checkpoint state of an SVI engine (after at least one step); copies, so the engine may go on. */
export function sviCheckpoint(engine: SviEngine): CheckpointState {
  requireStarted(engine.steps, "sviCheckpoint");
  const p = engine.progress();
  const state: SviEngineState = {
    kind: "svi", t: p.t, plate: p.plate,
    schedule: Float64Array.of(p.totalRows, p.tau, p.kappa),
    local: Float64Array.of(engine.runner.localIterations, engine.runner.localTolerance),
    ...(engine.runner.gradientGlobals.length > 0 ? { gradient: gradientGlobalsOf(engine.runner) } : {}),
    ...(p.psis ? { psis: { ...p.psis } } : {}),
  };
  return { model: engine.runner.model, variational: globalsOf(engine.runner), engine: state, generator: engine.runner.generatorState() };
}

/** Reads and checks the SVI engine state of a checkpoint (kind, keys, types). */
function readSviState(e: EngineState): SviProgress & { local: Record<(typeof LOCAL)[number], number>; gradient: unknown } {
  if (e.kind !== "svi") throw invalid("checkpoint.engine.kind", `expected an SVI checkpoint (kind "svi"), got kind ${JSON.stringify(e.kind)}.`);
  const r = record(e, "checkpoint.engine", ["kind", "t", "plate", "schedule", "local"], ["gradient", "psis"]);
  const s = scalars(r("schedule"), "checkpoint.engine.schedule", SCHEDULE);
  return {
    kind: "svi", t: checkSteps(r("t"), "checkpoint.engine.t"), plate: str(r("plate"), "checkpoint.engine.plate"), ...s,
    local: scalars(r("local"), "checkpoint.engine.local", LOCAL), gradient: r("gradient"),
    psis: r("psis") === undefined ? null : readPsis(r("psis"), "checkpoint.engine.psis"),
  };
}

/** The latest PSIS report of the run (snapshots carry it until the next check). */
function readPsis(v: unknown, path: string): SviPsis {
  const r = record(v, path, ["step", "khat", "threshold", "reliable"], ["warning"]);
  const num = (key: string): number => {
    const x = r(key);
    if (typeof x !== "number") throw invalid(`${path}.${key}`, `expected a number, got ${typeof x}.`);
    return x;
  };
  const reliable = r("reliable");
  if (typeof reliable !== "boolean") throw invalid(`${path}.reliable`, `expected a boolean, got ${typeof reliable}.`);
  const warning = r("warning");
  return { step: checkSteps(r("step"), `${path}.step`), khat: num("khat"), threshold: num("threshold"), reliable, ...(warning === undefined ? {} : { warning: str(warning, `${path}.warning`) }) };
}

/**
 * An SVI engine continuing from a decoded checkpoint. Options the caller gives (totalRows, plate, tau,
 * kappa, localIterations, localTolerance) must equal the stored ones; omitted ones take the stored
 * values. The seed is not used: the generator continues from the checkpoint's state. Everything
 * (kind, options, globals' names and lengths, generator state) is checked before the engine is
 * built, so a refused checkpoint throws INVALID_CHECKPOINT and changes nothing.
 */
export function resumeSvi(checkpoint: CheckpointState, options: Partial<SviOptions> = {}): SviEngine {
  const p = readSviState(checkpoint.engine);
  agree("SVI", "totalRows", p.totalRows, options.totalRows);
  agree("SVI", "plate", p.plate, options.plate);
  agree("SVI", "tau", p.tau, options.tau);
  agree("SVI", "kappa", p.kappa, options.kappa);
  agree("SVI", "localIterations", p.local.localIterations, options.localIterations);
  agree("SVI", "localTolerance", p.local.localTolerance, options.localTolerance);
  const globals = checkGlobals(checkpoint.model, checkpoint.variational, "SVI");
  const generator = checkGeneratorState(checkpoint.generator, "SVI");
  const engine = build("SVI", () => new SviEngine(checkpoint.model, {
    totalRows: p.totalRows, plate: p.plate, tau: p.tau, kappa: p.kappa, ...p.local, ...(options.gradient !== undefined ? { gradient: options.gradient } : {}),
  }));
  const loadGradient = readGradientGlobals(p.gradient, engine.runner, "checkpoint.engine.gradient");
  engine.restore(globals, { kind: "svi", t: p.t, totalRows: p.totalRows, plate: p.plate, tau: p.tau, kappa: p.kappa, psis: p.psis }, generator);
  loadGradient();
  return engine;
}

