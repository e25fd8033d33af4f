/**
 * Model comparison done honestly. For each fitted candidate, one set of draws from its q gives
 * both an ELBO estimate with its Monte Carlo standard error and a PSIS estimate of log p(y) with
 * its k̂. Models are ranked by PSIS log evidence when every k̂ is acceptable (it estimates the
 * quantity that compares models), else by ELBO, and the result says why in `warnings`:
 * - candidates with different kinds of variational family: an ELBO gap mixes model fit with how
 *   well each q fits its posterior (KL(q‖p) differs), so a higher ELBO may mean a better q;
 * - a k̂ above the threshold: that model's log-evidence estimate cannot be trusted;
 * - two ELBOs within two standard errors of each other: the ranking is Monte Carlo noise.
 */
import { VireoError, fmt } from "@vireo/core";
import type { Bbvi, BbviState } from "./engine.js";
import { psisCheck } from "./check.js";
import type { BbviLatent } from "./model.js";

export interface ModelCandidate {
  readonly name: string;
  readonly engine: Bbvi<unknown>;
  readonly state: BbviState;
}

export interface CompareOptions {
  /** Draws from each q (default 4000). */
  readonly draws?: number;
  readonly seed?: number;
}

export interface ModelScore {
  readonly name: string;
  /** The family of each latent, e.g. ["FullRankGaussian(2)"]. */
  readonly families: readonly string[];
  readonly elbo: number;
  /** Monte Carlo standard error of `elbo`. */
  readonly elboSe: number;
  /** PSIS estimate of log p(y). */
  readonly logEvidence: number;
  readonly khat: number;
  /** k̂ below the PSIS threshold, so `logEvidence` can be trusted. */
  readonly reliable: boolean;
}

export interface ModelComparison {
  /** Candidates, best first, by `rankedBy`. */
  readonly models: readonly ModelScore[];
  readonly rankedBy: "psis-log-evidence" | "elbo";
  readonly warnings: readonly string[];
}

/** The family kind without its sizes: "FullRankGaussian(3)" → "FullRankGaussian". */
const kindOf = (name: string): string => name.replace(/\(.*$/, "");

export function compareModels(candidates: readonly ModelCandidate[], options: CompareOptions = {}): ModelComparison {
  if (!Array.isArray(candidates) || candidates.length < 2) {
    throw new VireoError("INVALID_OPTION", "compareModels: give at least two fitted candidates { name, engine, state }.", { parameter: "candidates" });
  }
  const seen = new Set<string>();
  for (const c of candidates) {
    if (seen.has(c.name)) throw new VireoError("DUPLICATE_NAME", `compareModels: candidate name '${c.name}' is used twice.`);
    seen.add(c.name);
  }
  const scores: ModelScore[] = candidates.map((c) => {
    const check = psisCheck(c.engine, c.state, { draws: options.draws ?? 4000, seed: options.seed ?? 0 });
    const lr = check.logRatios, S = lr.length;
    let m = 0, m2 = 0;
    for (let s = 0; s < S; s++) {
      m += lr[s]!;
      m2 += lr[s]! * lr[s]!;
    }
    m /= S;
    const se = Math.sqrt(Math.max(0, m2 / S - m * m) / (S - 1));
    return {
      name: c.name, families: c.engine.model.latents.map((l: BbviLatent) => l.family.name), elbo: m, elboSe: se,
      logEvidence: check.logEvidence, khat: check.khat, reliable: check.reliable,
    };
  });
  const warnings: string[] = [];
  const kinds = scores.map((s) => [...new Set(s.families.map(kindOf))].sort().join("+"));
  if (new Set(kinds).size > 1) {
    warnings.push(
      `The candidates use different variational families (${scores.map((s, i) => `${s.name}: ${kinds[i]}`).join("; ")}): ` +
        "a higher ELBO may mean a better q, not a better model. Compare the PSIS log evidence (where k̂ is acceptable) or refit with the same family.",
    );
  }
  for (const s of scores) {
    if (!s.reliable) warnings.push(`'${s.name}': PSIS k̂ = ${fmt(s.khat)} is too high, so its log-evidence estimate is unreliable; fit a richer q before comparing it.`);
  }
  const allReliable = scores.every((s) => s.reliable);
  const rankedBy = allReliable ? "psis-log-evidence" : "elbo";
  const key = (s: ModelScore) => (allReliable ? s.logEvidence : s.elbo);
  const models = [...scores].sort((a, b) => key(b) - key(a));
  for (let i = 0; i + 1 < models.length; i++) {
    const a = models[i]!, b = models[i + 1]!;
    if (Math.abs(a.elbo - b.elbo) < 2 * Math.hypot(a.elboSe, b.elboSe)) {
      warnings.push(`'${a.name}' and '${b.name}' have ELBOs within two Monte Carlo standard errors (${fmt(a.elbo)} ± ${fmt(a.elboSe)} vs ${fmt(b.elbo)} ± ${fmt(b.elboSe)}); their ELBO order is noise.`);
    }
  }
  return { models, rankedBy, warnings };
}
