/**
 * Small shared helpers for node implementations: family checks at build time and reading scalar
 * expectations out of an edge's statistics.
 */
import { VireoError, fmt } from "@vireo/core";
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

/**
 * Throws INVALID_PARAMETER at the first bound value of a known edge that is not a finite number
 * > 0 (a shape, a scale κ), naming the node, the edge and the row. For `checkData`: once per
 * binding, never inside a message loop.
 */
export function requirePositiveValues(values: Float64Array, nodeName: string, nodeType: string, edge: string, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!(values[i]! > 0 && values[i]! < Infinity)) {
      throw new VireoError("INVALID_PARAMETER", `Node '${nodeName}' (${nodeType}): ${what} at row ${i} is ${fmt(values[i]!)}, expected a finite number > 0.`, { node: nodeName, edge, row: i });
    }
  }
}
