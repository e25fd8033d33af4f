/**
 * CAVI over a state with gradient-fitted variables: the same sweeps as closed-form CAVI, a
 * windowed stopping rule on the noisy ELBO, optional iterate averaging, a fresh ELBO estimate
 * with its standard error at the returned q, the bound report and the PSIS check. Part of the
 * gradient capability (engine/all-capabilities.ts), so conjugate-only builds leave it out.
 */
import { VireoError, Generator, ConvergenceMonitor, psis, describeBound, validateBound } from "@vireo/core";
import { initialise, type CompiledState } from "./state.js";
import { updateVariable } from "./update.js";
import { gradientVariables } from "./gradient.js";
import { freshElbo, freshLogRatios, boundFromLogRatios, type ElboEstimate } from "./mc-elbo.js";
import { seedMixtureComponents } from "./seed-components.js";
import { CaviEngine, withAccessor, type CaviOptions, type CaviResult, type CaviGradientOptions, type BoundReport, type PsisReport } from "./cavi.js";

/**
 * A run with gradient-fitted variables: the same sweeps, a windowed stopping rule on the noisy
 * ELBO (a single noisy step says nothing), optional iterate averaging, and a fresh ELBO estimate
 * with its standard error at the returned q. No decrease diagnostics: the ELBO is a noisy estimate.
 */
export function runStochasticCavi(state: CompiledState, options: CaviOptions, seed: number, seeded: boolean): CaviResult {
  const g = options.gradient ?? {};
  // Point masses updated in closed form (EM / MAP) make the sweeps deterministic: the exact
  // ELBO rule (tolerance) stops them, as in plain CAVI.
  const deterministic = gradientVariables(state).every((gv) => gv.closedFormMode !== null);
  const tolerance = options.tolerance ?? 1e-10;
  const maxIterations = options.maxIterations ?? (deterministic ? 500 : 5000);
  // Points draw the same value every time: two draws give the exact ELBO (and its zero SE).
  const elboSamples = g.elboSamples ?? (deterministic ? 2 : 500);
  const averageFrom = g.averageFrom ?? Infinity;
  if (!(Number.isInteger(elboSamples) && elboSamples >= 2)) throw new VireoError("INVALID_OPTION", `cavi: gradient.elboSamples must be an integer ≥ 2, got ${elboSamples}.`, { parameter: "elboSamples" });
  if (!(averageFrom >= 0)) throw new VireoError("INVALID_OPTION", `cavi: gradient.averageFrom must be a sweep count ≥ 0, got ${averageFrom}.`, { parameter: "averageFrom" });
  const rng = new Generator(seed);
  initialise(state, rng, options.init);
  if (seeded) for (const z of seedMixtureComponents(state, rng, new Set(Object.keys(options.init ?? {})))) updateVariable(z);
  const engine = new CaviEngine(state, options.schedule);
  const monitor = g.convergence === false || deterministic ? null : new ConvergenceMonitor(g.convergence ?? { window: 100, tolerance: 1e-3, patience: 2 });
  const fits = gradientVariables(state).map((gv) => gv.fit);
  const averages = fits.map((f) => new Float64Array(f.lambda.length));
  let averaged = 0;
  const trace: number[] = [];
  let converged = false;
  for (let it = 0; it < maxIterations; it++) {
    const value = engine.sweep();
    trace.push(value);
    options.onSweep?.(it, value);
    if (it >= averageFrom) {
      averaged++;
      fits.forEach((f, i) => {
        const a = averages[i]!;
        for (let j = 0; j < a.length; j++) a[j] = a[j]! + (f.lambda[j]! - a[j]!) / averaged;
      });
    }
    if (monitor !== null && monitor.push(value)) {
      converged = true;
      break;
    }
    const prev = trace[trace.length - 2];
    if (deterministic && g.convergence !== false && prev !== undefined && Math.abs(value - prev) <= tolerance * Math.abs(value)) {
      converged = true;
      break;
    }
  }
  if (averaged > 0) fits.forEach((f, i) => f.lambda.set(averages[i]!));
  const fresh = freshElbo(state, elboSamples, rng);
  if (!Number.isFinite(fresh.value)) {
    throw new VireoError("NUMERICAL_FAILURE", `CAVI with gradient-fitted variables: the final ELBO estimate is ${fresh.value}. Check the data scale, the priors and the learning rate.`);
  }
  const { bound, psis: check } = checkFit(state, fresh, g, rng);
  return withAccessor({
    posteriors: engine.posteriors(), elbo: trace, iterations: trace.length, converged,
    schedule: engine.schedule.map((v) => v.name), diagnostics: [], seed,
    elboEstimate: fresh.value, elboStandardError: fresh.standardError, bound, psis: check,
    // Noisy fits stop on the windowed ELBO rule or the sweep limit; parameters are not compared.
    stoppedBy: converged ? "elbo" : "max-iterations", parameterChange: NaN, elboTerms: null,
  });
}

/**
 * The bound report and PSIS check of a fit with gradient-fitted variables, from `checkDraws` fresh
 * joint draws (the ELBO itself is `fresh`). Point masses have no density to weight against: no
 * PSIS for them, and their bound is the ELBO.
 */
function checkFit(state: CompiledState, fresh: ElboEstimate, g: CaviGradientOptions, rng: Generator): { bound: BoundReport; psis: PsisReport | null } {
  const grads = gradientVariables(state);
  const chosen = grads[0]?.bound ?? { kind: "elbo" as const };
  const name = describeBound(chosen);
  const evaluate = g.evaluate === undefined ? chosen : validateBound(g.evaluate, "cavi: gradient.evaluate");
  const elboReport: BoundReport = { optimised: name, evaluated: "ELBO", value: fresh.value, standardError: fresh.standardError };
  const draws = g.checkDraws ?? 1000;
  if (!(Number.isInteger(draws) && draws >= 0)) throw new VireoError("INVALID_OPTION", `cavi: gradient.checkDraws must be an integer ≥ 0, got ${draws}.`, { parameter: "checkDraws" });
  if (draws === 0 || grads.some((gv) => gv.fit.q.degenerate === true)) return { bound: { ...elboReport, optimised: grads.every((gv) => gv.closedFormMode !== null) ? "ELBO" : name }, psis: null };
  if (draws < 100) throw new VireoError("INVALID_OPTION", `cavi: gradient.checkDraws must be 0 (no check) or ≥ 100 (PSIS fits a tail to the largest ratios), got ${draws}.`, { parameter: "checkDraws" });
  const { exact, logRatios } = freshLogRatios(state, draws, rng);
  const bound = evaluate.kind === "elbo" ? elboReport : { optimised: name, evaluated: describeBound(evaluate), ...boundFromLogRatios(logRatios, evaluate, exact) };
  const p = psis(logRatios);
  const names = grads.map((gv) => `'${gv.variable.name}'`).join(", ");
  return {
    bound,
    psis: {
      khat: p.khat, threshold: p.threshold, reliable: p.reliable, logEvidence: exact + p.logMeanRatio, ess: p.ess, draws,
      ...(p.reliable ? {} : { warning: `PSIS k̂ = ${p.khat.toFixed(2)} > ${p.threshold.toFixed(2)}: q of ${names} is too far from its target to trust; choose a richer family (fullRankGaussian(), flowQ(...), mixtureGaussian({ components }))` }),
    },
  };
}

