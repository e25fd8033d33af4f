/**
 * SVI and online updating split in two halves, for running them across processes (see
 * runtime/src/distributed/). A worker fits one batch against globals it was given and returns
 * what the batch says about the globals; a coordinator applies that to the globals it owns.
 * Run back to back in one process with nothing in between (no staleness), the halves take the
 * same step as the engines' own `step()`:
 *
 * - SVI (Hoffman et al. 2013): `sviBatchTarget` returns the intermediate global target
 *   λ̂ = η_prior + (N/|B|) Σ_batch messages, computed for every global against the same given
 *   globals (Jacobi; `SviEngine.step` updates globals one after another, which only differs for
 *   models whose globals are neighbours of one another). `sviApplyTarget` applies Hoffman's step
 *   λ ← (1 − ρ_t) λ + ρ_t λ̂ and bumps the step counter.
 * - Online updating (Broderick et al. 2013): `onlineFitBatch` runs `OnlineEngine.step` from a
 *   given state and returns the folded evidence and fitted globals without keeping them;
 *   `onlineApplyFit` installs them (fresh) or re-bases them on newer evidence (stale).
 */
import { VireoError, Generator } from "@vireo/core";
import type { DataBinding } from "../engine/bind.js";
import { updateVariable } from "../engine/update.js";
import type { FactorState } from "../engine/state.js";
import { MinibatchRunner } from "./minibatch-runner.js";
import type { SviEngine } from "./svi-engine.js";
import { OnlineEngine, type OnlineOptions } from "./online-engine.js";

export type Globals = Readonly<Record<string, Float64Array>>;

export interface SviBatchTarget {
  /** λ̂ per global variable (natural parameters, count × family size). */
  readonly target: Record<string, Float64Array>;
  /** The globals the run starts from, when the target was computed from the prior (no globals given). */
  readonly start: Record<string, Float64Array> | null;
  /** Rows of the subsampled plate in this batch. */
  readonly rows: number;
  readonly localSweeps: number;
}

/**
 * Worker half of an SVI step: fits the batch's locals against `globals` (their random starts drawn
 * from `seed`) and returns each global's intermediate target. With `globals` null the run has not
 * started: the globals start from their priors and, as in the first `SviEngine.step`, the locals
 * keep their random start; the starting globals are returned with the target.
 */
export function sviBatchTarget(engine: SviEngine, batch: DataBinding, globals: Globals | null, seed: number): SviBatchTarget {
  const fresh = globals === null;
  const runner = fresh ? new MinibatchRunner(engine.runner.model, seed, { localIterations: engine.runner.localIterations, localTolerance: engine.runner.localTolerance }) : engine.runner;
  const bound = runner.bind(batch);
  if (!fresh) {
    for (const [n, g] of runner.globals) {
      const eta = globals[n];
      if (!(eta instanceof Float64Array) || eta.length !== g.eta.length) {
        throw new VireoError("INVALID_STATE", `Distributed SVI: global '${n}' needs ${g.eta.length} natural parameters, the coordinator sent ${eta instanceof Float64Array ? eta.length : "none"}; are workers and coordinator running the same model?`, { variable: n });
      }
    }
    runner.restoreGlobals(new Map(Object.entries(globals).filter(([n]) => runner.globals.has(n))));
    runner.markStarted();
  }
  const state = runner.prepare(bound, fresh ? runner.rng : new Generator(seed));
  const start = fresh ? Object.fromEntries([...runner.globals].map(([n, g]) => [n, g.eta.slice()])) : null;
  const local = fresh ? { sweeps: 0 } : runner.localStep(state, false);
  const rows = bound.plateSizes[engine.plate]!;
  const scale = engine.totalRows / rows;
  const isData = (f: FactorState) => runner.isDataFactor(f);
  const target: Record<string, Float64Array> = {};
  for (const g of runner.globalStates(state)) {
    const eta = g.eta.slice(), stats = g.stats.slice();
    updateVariable(g, false, { scale: (f) => (isData(f) ? scale : 1), step: 1 });
    target[g.name] = g.eta.slice();
    // Put the global back: every global's target is computed against the same given globals.
    g.eta.set(eta);
    g.stats.set(stats);
    g.changes.markChanged(g.stats);
  }
  return { target, start, rows, localSweeps: local.sweeps };
}

/**
 * Coordinator half of an SVI step: λ ← (1 − ρ_t) λ + ρ_t λ̂ for t = steps + 1, then t is the new
 * step counter. Before the first step the engine's globals are `start` (from the worker that
 * computed the first target). Throws NUMERICAL_FAILURE, changing nothing, if a blended global is
 * improper or not finite.
 */
export function sviApplyTarget(engine: SviEngine, target: Globals, start: Globals | null = null): { step: number; rho: number } {
  const runner = engine.runner;
  if (!runner.started && start === null) {
    throw new VireoError("INVALID_STATE", "Distributed SVI: the first step needs the starting globals (the contribution computed from the prior carries them).");
  }
  const t = engine.steps + 1, rho = engine.rho(t);
  const next: Record<string, Float64Array> = {};
  for (const [n, g] of runner.globals) {
    const fam = runner.model.variables[n]!.family!;
    const lam = runner.started ? g.eta : start![n], hat = target[n];
    for (const [what, a] of [["target", hat], ["start", lam]] as const) {
      if (!(a instanceof Float64Array) || a.length !== g.eta.length) {
        throw new VireoError("INVALID_STATE", `Distributed SVI: the ${what} for global '${n}' needs ${g.eta.length} natural parameters, got ${a instanceof Float64Array ? a.length : "none"}.`, { variable: n });
      }
    }
    const out = new Float64Array(g.eta.length);
    for (let i = 0; i < out.length; i++) out[i] = (1 - rho) * lam![i]! + rho * hat![i]!;
    const bad = out.some((x) => !Number.isFinite(x)) ? 0 : fam.firstImproperRow(out, out.length / fam.size);
    if (bad >= 0) throw new VireoError("NUMERICAL_FAILURE", `Distributed SVI step ${t}: global '${n}' instance ${bad} would become improper or non-finite; the contribution was not applied.`, { variable: n, row: bad });
    next[n] = out;
  }
  engine.restore(next, { ...engine.progress(), t }, runner.generatorState());
  return { step: t, rho };
}

/** The state an online run is in after t batches: globals, accumulated evidence A, t. */
export interface OnlineRunState {
  readonly t: number;
  readonly globals: Globals;
  readonly evidence: Globals;
}

export interface OnlineBatchFit {
  /** The state the fit started from (t, and the evidence it used). */
  readonly from: { readonly t: number; readonly evidence: Record<string, Float64Array> };
  /** A after this batch: γ (A_from + this batch's evidence). */
  readonly evidence: Record<string, Float64Array>;
  /** The globals fitted to this batch. */
  readonly globals: Record<string, Float64Array>;
  readonly sweeps: number;
  readonly elbo: number;
}

/**
 * Worker half of an online step: `OnlineEngine.step` from the given run state (null: from the
 * prior, as the first batch), with the locals' random starts drawn from `seed`. `scratch` is an
 * engine of the same model and options that this call may overwrite (reused between batches).
 */
export function onlineFitBatch(scratch: OnlineEngine, batch: DataBinding, from: OnlineRunState | null, seed: number, options: OnlineOptions): OnlineBatchFit {
  let engine = scratch;
  if (from === null || from.t === 0) engine = new OnlineEngine(scratch.runner.model, { ...options, seed });
  else engine.restore(from.globals, { kind: "online", t: from.t, forgetting: engine.forgetting, evidence: from.evidence }, new Generator(seed).getState());
  const used = engine.progress().evidence;
  const r = engine.step(batch);
  const p = engine.progress();
  const globals = Object.fromEntries([...engine.runner.globals].map(([n, g]) => [n, g.eta.slice()]));
  return { from: { t: from?.t ?? 0, evidence: used }, evidence: { ...p.evidence }, globals, sweeps: r.sweeps, elbo: r.elbo };
}

/**
 * Coordinator half of an online step. A fit made from the engine's current state (fresh) is
 * installed as it is, so the result equals `step()` bit for bit. A stale fit (made from an older
 * state) is re-based: its batch evidence δ = A_fit/γ − A_from joins the current evidence,
 * A ← γ (A + δ), and its fitted globals move by the evidence that arrived since, η ← η_fit + (A − A_from).
 */
export function onlineApplyFit(engine: OnlineEngine, fit: OnlineBatchFit): { step: number; fresh: boolean } {
  const t = engine.steps, gamma = engine.forgetting;
  const fresh = fit.from.t === t;
  const current = engine.progress().evidence;
  const evidence: Record<string, Float64Array> = {}, globals: Record<string, Float64Array> = {};
  for (const [n, g] of engine.runner.globals) {
    const a = fit.evidence[n], eta = fit.globals[n], from = fit.from.evidence[n];
    for (const [what, x] of [["evidence", a], ["globals", eta], ["starting evidence", from]] as const) {
      if (!(x instanceof Float64Array) || x.length !== g.eta.length) throw new VireoError("INVALID_STATE", `Distributed online: the ${what} for global '${n}' needs ${g.eta.length} numbers, got ${x instanceof Float64Array ? x.length : "none"}.`, { variable: n });
    }
    if (fresh) {
      evidence[n] = a!.slice();
      globals[n] = eta!.slice();
    } else {
      const cur = current[n]!, e = new Float64Array(cur.length), q = new Float64Array(cur.length);
      for (let i = 0; i < e.length; i++) {
        const delta = a![i]! / gamma - from![i]!;
        e[i] = gamma * (cur[i]! + delta);
        q[i] = eta![i]! + (cur[i]! - from![i]!);
      }
      const fam = engine.runner.model.variables[n]!.family!;
      const bad = q.some((x) => !Number.isFinite(x)) ? 0 : fam.firstImproperRow(q, q.length / fam.size);
      if (bad >= 0) throw new VireoError("NUMERICAL_FAILURE", `Distributed online step ${t + 1}: re-basing a stale fit makes global '${n}' instance ${bad} improper; the contribution was not applied.`, { variable: n, row: bad });
      evidence[n] = e;
      globals[n] = q;
    }
  }
  engine.restore(globals, { kind: "online", t: t + 1, forgetting: gamma, evidence }, engine.runner.generatorState());
  return { step: t + 1, fresh };
}
