/**
 * Node verification for node authors: checks numerically every claim a node makes.
 *  - messages: each message equals the gradient of the node's E_q[log f] with respect to the
 *    edge's expected sufficient statistics (central differences; exact up to round-off for a
 *    conjugate node, whose E_q[log f] is linear in each edge's statistics);
 *  - linearEdges: for each edge declared linear, E_q[log f] = ⟨message, E[T]⟩ with nothing left
 *    over, at the test point and at a second point of that edge's q (the engine's collapsed
 *    ELBO relies on it: a wrong claim gives a wrong ELBO that nothing else would flag);
 *  - rowLogFactor: the weighted sum of the per-row terms equals logFactor;
 *  - damping: in (0, 1] when declared;
 *  - gatheredMessage: where the node gives a message as a gather (the engine's fast path for
 *    softmax-statistics variables), it adds exactly what the edge's message rule adds;
 *  - rowAffine: where the test point's layout allows it (the edge per row, the others
 *    broadcast), every row's E_q[log f_n] equals ⟨a, E[T(y_n)]⟩ + b;
 */
import { VireoError, type ExponentialFamily } from "@vireo/core";
import { instanceOf, type NodeType, type NodeContext, type EdgeView, type EdgeLayout, type RowWeights } from "./node.js";
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

/** A check of one of the node's declared claims beyond its messages. */
export interface ClaimCheck {
  readonly claim: "linearEdges" | "rowLogFactor" | "rowAffine" | "damping" | "gatheredMessage";
  /** The edge the claim is about (linearEdges), or null. */
  readonly edge: string | null;
  /** The largest relative discrepancy found (Infinity when the claim could not be checked). */
  readonly error: number;
  readonly passed: boolean;
  /** What was compared, for the error message. */
  readonly detail: string;
}

export interface VerificationReport {
  readonly node: string;
  readonly passed: boolean;
  /** Message-vs-gradient checks, one per random edge. */
  readonly edges: readonly EdgeCheck[];
  /** Checks of linearEdges, rowLogFactor, damping and gatheredMessage. */
  readonly claims: readonly ClaimCheck[];
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
  const ctx: NodeContext = { rows: point.rows, edges, weights, nodeName, changes: new ChangeTracker(), scratch: new NodeScratch() };
  node.checkData?.(ctx);
  return ctx;
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
  const claims = [...checkLinearEdges(node, ctx, point, tol), ...checkRowLogFactor(node, ctx, tol), ...checkRowAffine(node, ctx, tol), ...checkDamping(node), ...checkGatheredMessages(node, ctx, tol)];
  return { node: node.name, passed: checks.every((c) => c.passed) && claims.every((c) => c.passed), edges: checks, claims };
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/**
 * For each declared linear edge: E_q[log f] − ⟨message, E[T]⟩ must vanish at the test point
 * and at a second q of that edge (halfway to the family's starting point), with the message
 * unchanged (it may depend on the other edges only).
 */
function checkLinearEdges(node: NodeType, ctx: NodeContext, point: VerifyPoint, tol: number): ClaimCheck[] {
  const out: ClaimCheck[] = [];
  for (const edge of node.linearEdges ?? []) {
    const e = ctx.edges[edge];
    const rule = node.messages[edge];
    if (!e || !rule || e.family === null) {
      out.push({ claim: "linearEdges", edge, error: Infinity, passed: false, detail: !rule ? "the edge has no message rule" : "the edge has no family" });
      continue;
    }
    if (e.known) {
      // Known values: the identity at T(value) (built here even where the engine leaves it implicit).
      const fam = e.family, t = new Float64Array(e.count * fam.size);
      for (let i = 0; i < e.count; i++) fam.sufficientStats(fam.valueAt(e.values, i * fam.valueSize), t.subarray(i * fam.size, (i + 1) * fam.size));
      const msg = new Float64Array(t.length);
      rule(ctx, msg);
      const lf = node.logFactor(ctx), inner = dot(msg, t), err = Math.abs(lf - inner) / Math.max(1, Math.abs(lf));
      out.push({ claim: "linearEdges", edge, error: err, passed: err <= tol, detail: `at the known values E_q[log f] = ${lf} but ⟨message, T(value)⟩ = ${inner} (left over: ${lf - inner})` });
      continue;
    }
    const fam = e.family!, eta = point.edges[edge]!.eta!, count = e.count;
    const stats = e.stats as Float64Array, saved = stats.slice();
    const points: Float64Array[] = [saved];
    try {
      const start = fam.startingPoint(), eta2 = new Float64Array(eta.length);
      for (let i = 0; i < eta.length; i++) eta2[i] = 0.5 * eta[i]! + 0.5 * start[i % fam.size]!;
      const s2 = new Float64Array(stats.length);
      fam.expectedStatsRows(eta2, s2, count);
      points.push(s2);
    } catch {
      // No starting point to move towards: the identity at the test point still pins the offset.
    }
    let worst = 0, detail = "";
    for (const [i, s] of points.entries()) {
      stats.set(s);
      ctx.changes.markChanged(stats);
      const msg = new Float64Array(stats.length);
      rule(ctx, msg);
      const lf = node.logFactor(ctx), inner = dot(msg, stats);
      const err = Math.abs(lf - inner) / Math.max(1, Math.abs(lf));
      if (err > worst || i === 0) {
        worst = Math.max(worst, err);
        detail = `at ${i === 0 ? "the test point" : "a second q of the edge"} E_q[log f] = ${lf} but ⟨message, E[T]⟩ = ${inner} (left over: ${lf - inner})`;
      }
    }
    stats.set(saved);
    ctx.changes.markChanged(stats);
    out.push({ claim: "linearEdges", edge, error: worst, passed: worst <= tol, detail });
  }
  return out;
}

/** Σ_n w_n rowLogFactor(n) must equal logFactor. */
function checkRowLogFactor(node: NodeType, ctx: NodeContext, tol: number): ClaimCheck[] {
  if (!node.rowLogFactor) return [];
  const rows = new Float64Array(ctx.rows);
  node.rowLogFactor(ctx, rows, 0, 1);
  let sum = 0;
  for (let n = 0; n < ctx.rows; n++) sum += (ctx.weights === null ? 1 : ctx.weights.data[ctx.weights.offset + n * ctx.weights.stride]!) * rows[n]!;
  const lf = node.logFactor(ctx), err = Math.abs(sum - lf) / Math.max(1, Math.abs(lf));
  return [{ claim: "rowLogFactor", edge: null, error: err, passed: err <= tol, detail: `Σ weight·rowLogFactor = ${sum} but logFactor = ${lf}` }];
}

/** Where a node gives a message as a gather (NodeType.gatheredMessage), the gather must add what the message rule adds. */
function checkGatheredMessages(node: NodeType, ctx: NodeContext, tol: number): ClaimCheck[] {
  if (!node.gatheredMessage) return [];
  const out: ClaimCheck[] = [];
  for (const spec of node.edges) {
    const e = ctx.edges[spec.name]!, rule = node.messages[spec.name];
    if (e.known || !rule) continue;
    const g = node.gatheredMessage(ctx, spec.name);
    if (g === null) continue;
    const K = e.size, expected = new Float64Array(e.stats.length), gathered = new Float64Array(e.stats.length);
    rule(ctx, expected);
    for (let n = 0; n < ctx.rows; n++) {
      const i = g.layout === "broadcast" ? 0 : g.layout === "row" ? n : g.index![n]!;
      const w = g.weights === null ? 1 : g.weights.data[g.weights.offset + n * g.weights.stride]!;
      const o = instanceOf(e, n) * K;
      for (let k = 0; k < K; k++) gathered[o + k] += w * g.table[i * g.instanceStride + k * g.kStride]!;
    }
    let worst = 0;
    for (let j = 0; j < expected.length; j++) worst = Math.max(worst, Math.abs(expected[j]! - gathered[j]!) / Math.max(1, Math.abs(expected[j]!)));
    out.push({ claim: "gatheredMessage", edge: spec.name, error: worst, passed: worst <= tol, detail: `the gathered message to '${spec.name}' differs from its message rule by ${worst.toExponential(2)} (relative)` });
  }
  return out;
}

/** rowAffine: row n's E_q[log f_n] (rowLogFactor, or logFactor summed) must be ⟨a, E[T(y_n)]⟩ + b. */
function checkRowAffine(node: NodeType, ctx: NodeContext, tol: number): ClaimCheck[] {
  const ra = node.rowAffine;
  if (ra === undefined) return [];
  const y = ctx.edges[ra.edge];
  if (y === undefined || y.layout !== "row" || y.stats.length < ctx.rows * y.size) return [];
  const a = new Float64Array(y.size), b = ra.coefficients(ctx, a);
  if (Number.isNaN(b)) return [];
  const affine = new Float64Array(ctx.rows);
  for (let n = 0; n < ctx.rows; n++) {
    let s = b;
    for (let i = 0; i < y.size; i++) s += a[i]! * y.stats[n * y.size + i]!;
    affine[n] = s;
  }
  let worst = 0, detail = "";
  if (node.rowLogFactor) {
    const rows = new Float64Array(ctx.rows);
    node.rowLogFactor(ctx, rows, 0, 1);
    for (let n = 0; n < ctx.rows; n++) {
      const err = Math.abs(rows[n]! - affine[n]!) / Math.max(1, Math.abs(rows[n]!));
      if (err > worst || detail === "") {
        worst = Math.max(worst, err);
        detail = `row ${n}: E_q[log f_n] = ${rows[n]} but ⟨a, E[T(${ra.edge}_n)]⟩ + b = ${affine[n]}`;
      }
    }
  } else {
    let sum = 0;
    for (let n = 0; n < ctx.rows; n++) sum += (ctx.weights === null ? 1 : ctx.weights.data[ctx.weights.offset + n * ctx.weights.stride]!) * affine[n]!;
    const lf = node.logFactor(ctx);
    worst = Math.abs(sum - lf) / Math.max(1, Math.abs(lf));
    detail = `Σ weight·(⟨a, E[T(${ra.edge}_n)]⟩ + b) = ${sum} but logFactor = ${lf}`;
  }
  return [{ claim: "rowAffine", edge: ra.edge, error: worst, passed: worst <= tol, detail }];
}

function checkDamping(node: NodeType): ClaimCheck[] {
  if (node.damping === undefined) return [];
  const ok = node.damping > 0 && node.damping <= 1;
  return [{ claim: "damping", edge: null, error: ok ? 0 : Infinity, passed: ok, detail: `damping is ${node.damping}; it must be in (0, 1]` }];
}

/** verifyNode, throwing INVALID_NODE with the failing edges when the node does not pass. */
export function assertNodeVerified(node: NodeType, point: VerifyPoint, options: { step?: number; tolerance?: number } = {}): VerificationReport {
  const report = verifyNode(node, point, options);
  if (!report.passed) {
    const badMessages = report.edges.filter((c) => !c.passed)
      .map((c) => (c.worst < 0 ? `edge '${c.edge}': no message rule` : `edge '${c.edge}': stats entry ${c.worst} differs by ${c.maxRelError.toExponential(2)} (relative)`))
      .join("; ");
    const badClaims = report.claims.filter((c) => !c.passed).map((c) =>
      c.claim === "linearEdges"
        ? `edge '${c.edge}' is declared in linearEdges, but E_q[log f] is not ⟨message, E[T]⟩ with nothing left over: ${c.detail}. Remove '${c.edge}' from linearEdges (the engine would report a wrong ELBO)`
        : c.claim === "rowLogFactor" ? `rowLogFactor disagrees with logFactor: ${c.detail}`
        : c.claim === "rowAffine" ? `rowAffine on edge '${c.edge}' is wrong (a mixture's fused pass would use wrong responsibilities): ${c.detail}` : c.detail).join("; ");
    const parts = [
      ...(badMessages ? [`its message does not equal the gradient of E_q[log f] — ${badMessages}. Check the message rule for that edge against logFactor`] : []),
      ...(badClaims ? [badClaims] : []),
    ];
    throw new VireoError("INVALID_NODE", `Node type ${node.name} fails verification: ${parts.join(". ")}.`, { node: node.name });
  }
  return report;
}
