/**
 * Node verification for node authors: checks numerically that each message equals the gradient
 * of the node's E_q[log f] with respect to the edge's expected sufficient statistics. Because
 * E_q[log f] is linear in each edge's statistics for a conjugate node, central differences are
 * exact up to round-off, so the tolerance can be tight.
 */
import { VireoError, type ExponentialFamily } from "@vireo/core";
import type { NodeType, NodeContext, EdgeView, EdgeLayout, RowWeights } from "./node.js";
import { knownStats } from "./known-stats.js";
import { ChangeTracker, NodeScratch } from "./versions.js";

/** One edge of the test point: a random variable (natural parameters) or known values. */
export interface VerifyEdge {
  readonly family: ExponentialFamily | null;
  /** Natural parameters of q for every instance (count × size): makes the edge random. */
  readonly eta?: Float64Array;
  /** Known values (count × valueSize): makes the edge known. */
  readonly values?: Float64Array;
  readonly count?: number;
  readonly layout?: EdgeLayout;
  readonly index?: Int32Array;
}

export interface VerifyPoint {
  readonly rows: number;
  readonly edges: Readonly<Record<string, VerifyEdge>>;
  readonly weights?: Float64Array;
}

export interface EdgeCheck {
  readonly edge: string;
  readonly maxAbsError: number;
  readonly maxRelError: number;
  /** Index into the edge's stats of the worst entry. */
  readonly worst: number;
  readonly passed: boolean;
}

export interface VerificationReport {
  readonly node: string;
  readonly passed: boolean;
  readonly edges: readonly EdgeCheck[];
}

/** Builds a NodeContext from a test point (also useful for node unit tests). */
export function contextFor(node: NodeType, point: VerifyPoint, nodeName = node.name): NodeContext {
  const edges: Record<string, EdgeView> = {};
  for (const spec of node.edges) {
    const e = point.edges[spec.name];
    if (!e) {
      throw new VireoError("INVALID_NODE", `verifyNode(${node.name}): the test point has no edge '${spec.name}'.`, { edge: spec.name });
    }
    const fam = e.family;
    const known = e.eta === undefined;
    const count = e.count ?? 1;
    const size = fam ? fam.size : (e.values?.length ?? 0) / count;
    const valueSize = fam ? fam.valueSize : size;
    let stats: Float64Array;
    if (known) {
      if (!e.values) throw new VireoError("INVALID_NODE", `verifyNode(${node.name}): edge '${spec.name}' needs eta (random) or values (known).`, { edge: spec.name });
      stats = knownStats(fam, e.values, count);
    } else {
      stats = new Float64Array(count * fam!.size);
      fam!.expectedStatsRows(e.eta!, stats, count);
    }
    edges[spec.name] = {
      name: spec.name, family: fam, known, size, valueSize, count,
      layout: e.layout ?? (count === 1 ? "broadcast" : "row"),
      index: e.index ?? null, stats, values: known ? e.values! : new Float64Array(0),
    };
  }
  const weights: RowWeights | null = point.weights ? { data: point.weights, offset: 0, stride: 1 } : null;
  return { rows: point.rows, edges, weights, nodeName, changes: new ChangeTracker(), scratch: new NodeScratch() };
}

/**
 * Compares each random edge's message with central finite differences of logFactor in that
 * edge's expected statistics. `step` is the difference step; `tolerance` bounds
 * |message − gradient| / max(1, |gradient|).
 */
export function verifyNode(node: NodeType, point: VerifyPoint, options: { step?: number; tolerance?: number } = {}): VerificationReport {
  const h = options.step ?? 1e-5, tol = options.tolerance ?? 1e-6;
  const ctx = contextFor(node, point);
  const checks: EdgeCheck[] = [];
  for (const spec of node.edges) {
    const e = ctx.edges[spec.name]!;
    if (e.known) continue;
    const msg = new Float64Array(e.stats.length);
    const rule = node.messages[spec.name];
    if (!rule) {
      checks.push({ edge: spec.name, maxAbsError: Infinity, maxRelError: Infinity, worst: -1, passed: false });
      continue;
    }
    rule(ctx, msg);
    let maxAbs = 0, maxRel = 0, worst = -1;
    for (let i = 0; i < e.stats.length; i++) {
      const s0 = e.stats[i]!;
      (e.stats as Float64Array)[i] = s0 + h;
      ctx.changes.markChanged(e.stats);
      const up = node.logFactor(ctx);
      (e.stats as Float64Array)[i] = s0 - h;
      ctx.changes.markChanged(e.stats);
      const down = node.logFactor(ctx);
      (e.stats as Float64Array)[i] = s0;
      ctx.changes.markChanged(e.stats);
      const grad = (up - down) / (2 * h);
      const abs = Math.abs(msg[i]! - grad), rel = abs / Math.max(1, Math.abs(grad));
      if (rel > maxRel) {
        maxRel = rel;
        worst = i;
      }
      maxAbs = Math.max(maxAbs, abs);
    }
    checks.push({ edge: spec.name, maxAbsError: maxAbs, maxRelError: maxRel, worst, passed: maxRel <= tol });
  }
  return { node: node.name, passed: checks.every((c) => c.passed), edges: checks };
}

/** verifyNode, throwing INVALID_NODE with the failing edges when the node does not pass. */
export function assertNodeVerified(node: NodeType, point: VerifyPoint, options: { step?: number; tolerance?: number } = {}): VerificationReport {
  const report = verifyNode(node, point, options);
  if (!report.passed) {
    const bad = report.edges.filter((c) => !c.passed)
      .map((c) => (c.worst < 0 ? `edge '${c.edge}': no message rule` : `edge '${c.edge}': stats entry ${c.worst} differs by ${c.maxRelError.toExponential(2)} (relative)`))
      .join("; ");
    throw new VireoError(
      "INVALID_NODE",
      `Node type ${node.name} fails verification: its message does not equal the gradient of E_q[log f] — ${bad}. ` +
        `Check the message rule for that edge against logFactor.`,
      { node: node.name },
    );
  }
  return report;
}
