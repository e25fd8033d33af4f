/**
 * The record of posteriors an engine returns, by variable name. A null-prototype object, so that a
 * variable named 'constructor' or '__proto__' is an ordinary entry, behind a read guard: asking for a
 * name the model does not have (a typo) is an UNKNOWN_NAME error listing the names that exist, not
 * `undefined` and a TypeError one call later.
 */
import { VireoError } from "@vireo/core";
import { suggest } from "./options.js";
import type { Posterior } from "./posterior.js";

/** Property names that tools probe on any object (promises, JSON, inspectors, test libraries). */
const PROBED = new Set(["then", "toJSON", "constructor", "toString", "valueOf", "inspect", "nodeType", "$$typeof", "asymmetricMatch", "@@toStringTag"]);

export function posteriorRecord(posteriors: readonly Posterior[]): Record<string, Posterior> {
  const target: Record<string, Posterior> = Object.create(null);
  for (const p of posteriors) target[p.variable] = p;
  return new Proxy(target, {
    get(t, key) {
      if (typeof key !== "string" || Object.hasOwn(t, key) || PROBED.has(key)) return t[key as string];
      const names = Object.keys(t);
      const near = suggest(key, names);
      throw new VireoError(
        "UNKNOWN_NAME",
        `posteriors.${key}: no posterior for '${key}'${near ? `; did you mean '${near}'?` : ""} Posteriors exist for the random variables [${names.join(", ")}].`,
        { variable: key },
      );
    },
  });
}
