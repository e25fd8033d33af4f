/**
 * What SVI and online checkpoints share: the global variables (random variables outside the data
 * plates) and their natural parameters, the local-step options, the generator state and the
 * agreement of stored options with the ones a caller resumes with. Every check throws
 * INVALID_CHECKPOINT naming the key path, and none of them modifies anything.
 */
import { VireoError, Generator, type GeneratorState } from "@vireo/core";
import type { Model } from "../model/spec.js";
import type { MinibatchRunner } from "../svi/minibatch-runner.js";
import { needsGradient } from "../engine/gradient.js";
import { fitRecord, readFitRecord, loadFit, type GradientFitRecord } from "./gradient.js";
import { isMap, keysOf } from "./schema.js";
import { invalid, requireProperInstances, int } from "./schema.js";

/** Copies of a runner's closed-form globals' natural parameters, for `CheckpointState.variational`. */
export function globalsOf(runner: MinibatchRunner): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const [n, g] of runner.globals) if (g.gradient === null && runner.gradientFit(n) === null) out[n] = g.eta.slice();
  return out;
}

/** The gradient-fitted globals' fits (λ, optimiser state, counters), for the engine state. */
export function gradientGlobalsOf(runner: MinibatchRunner): Record<string, GradientFitRecord> {
  const out: Record<string, GradientFitRecord> = {};
  for (const n of runner.gradientGlobals) out[n] = fitRecord(runner.gradientFit(n)!);
  return out;
}

/**
 * Reads the gradient-fitted globals of an engine state (every one of them, nothing else) against
 * the fits of `runner` (a fresh engine); returns a function that loads them.
 */
export function readGradientGlobals(raw: unknown, runner: MinibatchRunner, path: string): () => void {
  const names = runner.gradientGlobals;
  if (raw === undefined && names.length === 0) return () => {};
  if (!isMap(raw)) throw invalid(path, `expected a map of gradient-fitted global name → fit; the model's are [${names.join(", ")}].`);
  for (const k of keysOf(raw, path)) if (!names.includes(k)) throw invalid(`${path}.${k}`, `not a gradient-fitted global of the model; those are [${names.join(", ")}].`);
  const loads = names.map((n) => {
    if (!Object.prototype.hasOwnProperty.call(raw, n)) throw invalid(`${path}.${n}`, "missing; the checkpoint holds every gradient-fitted global.");
    const fit = runner.gradientFit(n)!;
    const rec = readFitRecord(raw[n], fit, `${path}.${n}`);
    return () => loadFit(fit, rec);
  });
  return () => loads.forEach((l) => l());
}

/** The state a minibatch engine must have to be checkpointed: at least one step taken. */
export function requireStarted(steps: number, what: string): void {
  if (steps < 1) {
    throw new VireoError("INVALID_STATE", `${what}: the engine has not taken a step yet, so there is nothing to checkpoint; start a fresh engine instead.`);
  }
}

/**
 * The model's global variables and their natural-parameter lengths, from the model alone (as
 * MinibatchRunner splits them): random variables outside plates or in fixed-size plates; the
 * gradient-fitted ones only `withGradient` (online evidence is kept for them too).
 */
export function globalShapes(model: Model, withGradient = false): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of model.order) {
    const v = model.variables[n]!;
    if (v.kind !== "random") continue;
    const plate = v.plate === null ? null : model.plates[v.plate]!;
    if (plate !== null && plate.size === null) continue;
    // Gradient-fitted globals travel as fits in the engine state, not as natural parameters.
    if (!withGradient && needsGradient(model, v)) continue;
    out.set(n, (plate?.size ?? 1) * v.family!.size);
  }
  return out;
}

/** Checks that `variational` holds exactly the model's globals, each a proper Float64Array of the right length. */
export function checkGlobals(model: Model, variational: Readonly<Record<string, Float64Array>>, kind: string): Record<string, Float64Array> {
  const shapes = globalShapes(model);
  for (const name of Object.keys(variational)) {
    if (!shapes.has(name)) throw invalid(`checkpoint.variational.${name}`, `not a global variable of the model; a ${kind} checkpoint holds exactly the globals [${[...shapes.keys()].join(", ")}].`);
  }
  const out: Record<string, Float64Array> = {};
  for (const [name, length] of shapes) {
    const at = `checkpoint.variational.${name}`;
    const eta = Object.prototype.hasOwnProperty.call(variational, name) ? variational[name] : undefined;
    if (eta === undefined) throw invalid(at, `missing; a ${kind} checkpoint holds every global variable.`);
    if (!(eta instanceof Float64Array)) throw invalid(at, "expected a Float64Array of natural parameters.");
    if (eta.length !== length) throw invalid(at, `expected ${length} natural parameters, got ${eta.length}.`);
    const f = model.variables[name]!.family!;
    requireProperInstances(f, eta, at);
    out[name] = eta;
  }
  return out;
}

/** The generator state a minibatch engine continues from (the locals' random starts draw from it). */
export function checkGeneratorState(g: GeneratorState | null, kind: string): GeneratorState {
  if (g === null || g === undefined) throw invalid("checkpoint.generator", `missing; a ${kind} run draws the locals' random starts from its generator, so its state is needed to continue bit-identically.`);
  try {
    Generator.fromState(g);
  } catch (e) {
    throw invalid("checkpoint.generator", (e as Error).message);
  }
  return g;
}

/** The step counter: a positive integer (a checkpoint is taken after at least one step). */
export function checkSteps(v: unknown, path: string): number {
  return int(v, path, 1, Number.MAX_SAFE_INTEGER);
}

/** Reads a Float64Array of exactly `names.length` numbers (exact, −0 included) into a record. */
export function scalars<K extends string>(v: unknown, path: string, names: readonly K[]): Record<K, number> {
  if (!(v instanceof Float64Array) || v.length !== names.length) {
    throw invalid(path, `expected a Float64Array of ${names.length} numbers [${names.join(", ")}].`);
  }
  const out = {} as Record<K, number>;
  names.forEach((n, i) => (out[n] = v[i]!));
  return out;
}

/** Throws unless an option the caller gave equals the stored one (an omitted option takes the stored value). */
export function agree(kind: string, name: string, stored: number | string, given: number | string | undefined): void {
  if (given !== undefined && given !== stored && !(Number.isNaN(given) && Number.isNaN(stored))) {
    throw invalid(`checkpoint.engine.${name}`, `the ${kind} checkpoint was made with ${name} ${JSON.stringify(stored)}, but the options give ${JSON.stringify(given)}; resume with the run's own options (or omit ${name}).`);
  }
}

/** Runs an engine constructor on stored options, turning an option error into INVALID_CHECKPOINT. */
export function build<E>(kind: string, make: () => E): E {
  try {
    return make();
  } catch (e) {
    if (e instanceof VireoError && e.code === "INVALID_CHECKPOINT") throw e;
    throw invalid("checkpoint.engine", `the stored ${kind} options do not make an engine: ${(e as Error).message}`);
  }
}
