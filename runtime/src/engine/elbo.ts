/**
 * The evidence lower bound, exactly: Σ_factors E_q[log f] + Σ_random variables H[q].
 *
 * Collapsed form: when the last update of a sweep was a variable v whose every factor is linear
 * in v's statistics with nothing left over (nodes declare this in `linearEdges`), those factors'
 * E_q[log f] plus H[q(v)] equal Σ_i (A(η_i) − E[log h]) at v's just-computed natural
 * parameters. The engine then takes that sum from the update instead of two more passes over
 * the plate (for a mixture: the responsibilities' log-normalisers).
 */
import type { CompiledState, VariableState, FactorState } from "./state.js";

export interface Collapsed {
  readonly variable: VariableState;
  readonly factors: ReadonlySet<FactorState>;
}

/** The collapse plan for `last` (the final variable of the schedule), or null if not valid. */
export function collapsePlan(last: VariableState | undefined): Collapsed | null {
  // The collapsed form needs η = Σ messages exactly: no mean-field transform, no damping.
  if (!last || last.spec.factorisation === "mean-field" || last.damping < 1) return null;
  const factors = new Set<FactorState>();
  for (const nb of last.neighbours) {
    if (!(nb.factor.spec.type.linearEdges ?? []).includes(nb.edge)) return null;
    if (factors.has(nb.factor)) return null; // connected twice: not linear in v overall
    factors.add(nb.factor);
  }
  return factors.size > 0 ? { variable: last, factors } : null;
}

/** Per-term breakdown, for diagnostics and tests. */
export interface ElboTerms {
  readonly factors: Readonly<Record<string, number>>;
  readonly entropies: Readonly<Record<string, number>>;
  readonly total: number;
}

/** The full ELBO with every term evaluated (no collapse). */
export function elboTerms(state: CompiledState): ElboTerms {
  const factors: Record<string, number> = {}, entropies: Record<string, number> = {};
  let total = 0;
  for (const f of state.factors) total += factors[f.name] = f.spec.type.logFactor(f.ctx);
  for (const v of state.random) total += entropies[v.name] = v.family!.entropyRows(v.eta, v.count, v.weights);
  return { factors, entropies, total };
}

/** The ELBO; with `collapsed`, `logNormaliser` must come from the last update of that variable. */
export function elbo(state: CompiledState, collapsed: Collapsed | null = null, logNormaliser = 0): number {
  // Same sums as elboTerms, without its records (streaming engines evaluate this every batch).
  let total = logNormaliser;
  for (const f of state.factors) if (collapsed === null || !collapsed.factors.has(f)) total += f.spec.type.logFactor(f.ctx);
  for (const v of state.random) if (collapsed === null || v !== collapsed.variable) total += v.family!.entropyRows(v.eta, v.count, v.weights);
  return total;
}
