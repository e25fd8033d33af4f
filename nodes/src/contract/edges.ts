/**
 * Small shared helpers for node implementations: family checks at build time and reading scalar
 * expectations out of an edge's statistics.
 */
import { VireoError } from "@vireo/core";
import type { EdgeInfo } from "./node.js";

/** Throws INVALID_MODEL unless the families on `edges` all have dimension `dim`. */
export function requireSameDim(
  info: Readonly<Record<string, EdgeInfo>>,
  edges: readonly string[],
  nodeName: string,
  nodeType: string,
): number {
  let dim = -1, first = "";
  for (const e of edges) {
    const f = info[e]?.family;
    if (!f) continue;
    if (dim < 0) {
      dim = f.dim;
      first = e;
    } else if (f.dim !== dim) {
      throw new VireoError(
        "INVALID_MODEL",
        `Node '${nodeName}' (${nodeType}): edge '${e}' has a ${f.key} variable but edge '${first}' has dimension ${dim}; ` +
          `all of [${edges.join(", ")}] must have the same dimension.`,
        { node: nodeName, edge: e },
      );
    }
  }
  return dim;
}

/** Throws INVALID_MODEL when a known-only edge is connected to a random variable. */
export function requireKnown(known: boolean, nodeName: string, nodeType: string, edge: string, why: string): void {
  if (!known) {
    throw new VireoError(
      "INVALID_MODEL",
      `Node '${nodeName}' (${nodeType}): edge '${edge}' must be observed or constant (${why}); connect data or a constant to it.`,
      { node: nodeName, edge },
    );
  }
}

/** Throws INVALID_MODEL unless the known input on `edge` has `expected` values per row. */
export function requireValueSize(info: Readonly<Record<string, EdgeInfo>>, edge: string, expected: number, nodeName: string, nodeType: string, what: string): void {
  const got = info[edge]?.valueSize;
  if (got !== expected) {
    throw new VireoError(
      "INVALID_MODEL",
      `Node '${nodeName}' (${nodeType}): edge '${edge}' must hold ${what} (${expected} value${expected === 1 ? "" : "s"} per row), got ${got}.`,
      { node: nodeName, edge },
    );
  }
}
