/**
 * Verification for rules that do not fit the NodeContext contract: rules that take structured
 * statistics (a chain's smoothed marginals and pairwise statistics, forward–backward posteriors, a
 * joint marginal) and return the message to one edge. The invariant is the one verifyNode checks:
 * the message equals the gradient of E_q[log f] with respect to the edge's expected sufficient
 * statistics (Gamma [E log τ, E τ], Wishart [E log|Λ|, vec E Λ], Dirichlet rows [E log p],
 * Normal [E μ, E μ²], a discrete chain's marginals γ_tk, …).
 *
 * The caller supplies the energy as a function of those statistics, the message rule, and the point
 * at which to compare; every entry of `stats` is perturbed by ± step·max(1, |s_i|) and the central
 * difference of `energy` is compared with the message entry.
 */
import { VireoError } from "@vireo/core";
import type { EdgeCheck } from "./verify.js";

export interface StructuredRule {
  /** Label for the report and error messages, e.g. "LinearGaussianTransition.precision". */
  readonly edge?: string;
  /**
   * E_q[log f] as a function of the edge's expected statistics, everything else held fixed. It is
   * called with a perturbed working copy of `stats` and must neither keep nor modify it.
   */
  readonly energy: (stats: Float64Array) => number;
  /** Writes (adds into a zero-filled array of the same length as `stats`) the message to the edge. */
  readonly message: (out: Float64Array) => void;
  /** The edge's expected statistics at the test point. Not modified. */
  readonly stats: Float64Array;
  /** Relative difference step (default 1e-5). */
  readonly step?: number;
  /** Bound on |message − gradient| / max(1, |gradient|) (default 1e-6). */
  readonly tolerance?: number;
}

export interface StructuredCheck extends EdgeCheck {
  /** The message the rule wrote. */
  readonly message: Float64Array;
  /** The central-difference gradient of the energy. */
  readonly gradient: Float64Array;
}

/** Compares a structured rule's message with central differences of its energy; never throws on a mismatch. */
export function verifyStructuredRule(rule: StructuredRule): StructuredCheck {
  const edge = rule.edge ?? "structured rule";
  const h = rule.step ?? 1e-5, tol = rule.tolerance ?? 1e-6;
  if (!(rule.stats instanceof Float64Array) || rule.stats.length === 0) {
    throw new VireoError("INVALID_OPTION", `verifyStructuredRule(${edge}): stats must be a non-empty Float64Array of the edge's expected statistics.`, { edge });
  }
  if (typeof rule.energy !== "function" || typeof rule.message !== "function") {
    throw new VireoError("INVALID_OPTION", `verifyStructuredRule(${edge}): energy and message must be functions.`, { edge });
  }
  if (!(h > 0 && Number.isFinite(h)) || !(tol > 0)) {
    throw new VireoError("INVALID_OPTION", `verifyStructuredRule(${edge}): step and tolerance must be positive, got ${h} and ${tol}.`, { edge });
  }
  const n = rule.stats.length;
  const work = rule.stats.slice();
  const e0 = rule.energy(work);
  if (!Number.isFinite(e0)) {
    throw new VireoError("INVALID_OPTION", `verifyStructuredRule(${edge}): the energy is ${e0} at the test point; choose statistics where E_q[log f] is finite.`, { edge });
  }
  const message = new Float64Array(n);
  rule.message(message);
  const gradient = new Float64Array(n);
  let maxAbs = 0, maxRel = 0, worst = -1;
  for (let i = 0; i < n; i++) {
    const s0 = rule.stats[i]!, hi = h * Math.max(1, Math.abs(s0));
    work[i] = s0 + hi;
    const up = rule.energy(work);
    work[i] = s0 - hi;
    const down = rule.energy(work);
    work[i] = s0;
    const g = (up - down) / (2 * hi);
    gradient[i] = g;
    const abs = Math.abs(message[i]! - g), rel = abs / Math.max(1, Math.abs(g));
    if (Number.isNaN(rel)) {
      // A NaN message or energy fails outright.
      maxAbs = maxRel = NaN;
      worst = i;
      break;
    }
    if (rel > maxRel) {
      maxRel = rel;
      worst = i;
    }
    maxAbs = Math.max(maxAbs, abs);
  }
  return { edge, maxAbsError: maxAbs, maxRelError: maxRel, worst, passed: maxRel <= tol, message, gradient };
}

/** verifyStructuredRule, throwing INVALID_NODE naming the edge and worst entry when it does not pass. */
export function assertStructuredRuleVerified(rule: StructuredRule): StructuredCheck {
  const c = verifyStructuredRule(rule);
  if (!c.passed) {
    throw new VireoError(
      "INVALID_NODE",
      `${c.edge} fails verification: its message does not equal the gradient of E_q[log f] — stats entry ${c.worst} ` +
        `has message ${c.message[c.worst]} but gradient ${c.gradient[c.worst]} (relative error ${c.maxRelError.toExponential(2)}). ` +
        `Check the message rule against the energy.`,
      { edge: c.edge },
    );
  }
  return c;
}
