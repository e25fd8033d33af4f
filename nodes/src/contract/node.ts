/**
 * The node contract: what a factor node type declares and computes. A node type is one object
 * (usually one file): its edges and the family each accepts, its average energy, and for each edge
 * the variational message (natural parameters) computed from the other edges' expectations.
 *
 * Everything is vectorised over the rows of the node's plate: a node over N data rows is called
 * once per update and loops over the rows itself. Edges that live outside the plate (global
 * parameters) are broadcast; edges that live in the plate are read row by row; indexed edges
 * (e.g. a document's topic proportions seen from each of its tokens) map each row to one instance.
 *
 * The invariant that the verification utility checks, and every node must satisfy: the message to
 * an edge equals the gradient of E_q[log f] (summed over rows) with respect to that edge's expected
 * sufficient statistics.
 */
import type { ExponentialFamily, FamilyRef } from "@vireo/core";
import type { ChangeTracker, NodeScratch } from "./versions.js";

/** How an edge's variable instances line up with the node's rows. */
export type EdgeLayout =
  /** One instance shared by every row (a global parameter). */
  | "broadcast"
  /** One instance per row (a plate-local latent variable or a data column). */
  | "row"
  /** Row n reads instance index[n] (a parameter selected by a known index column). */
  | "indexed";

/** What a node sees of one edge during an update. Read-only for the node except where noted. */
export interface EdgeView {
  /** The edge's name in the node type (e.g. "mean"). */
  readonly name: string;
  /** The family of the connected variable; null for an `input` edge (plain covariates). */
  readonly family: ExponentialFamily | null;
  /** Whether the edge's values are known (observed data or constants) rather than random. */
  readonly known: boolean;
  /** Length of one instance's sufficient-statistic (and natural-parameter) vector. */
  readonly size: number;
  /** Length of one instance's raw value (1 for scalars and category indices, d, d·d). */
  readonly valueSize: number;
  /** Number of instances of the connected variable. */
  readonly count: number;
  readonly layout: EdgeLayout;
  /** Row → instance map when layout is "indexed". */
  readonly index: Int32Array | null;
  /**
   * Expected sufficient statistics E_q[T(x)] of every instance (count × size, row-major); for known
   * edges T(value). Not materialised (empty) for known Categorical edges, whose `values` hold the
   * category indices: one-hot vectors over a large vocabulary would waste memory.
   */
  readonly stats: Float64Array;
  /** Raw values for known edges (count × valueSize); empty for random edges. */
  readonly values: Float64Array;
}

/**
 * Per-row weights applied to every row's contribution (energies and messages): responsibilities
 * of a mixture component, row multiplicities, or both. Read as data[offset + n * stride].
 */
export interface RowWeights {
  readonly data: Float64Array;
  readonly offset: number;
  readonly stride: number;
  /**
   * Set when sibling contexts read columns 0..columns−1 of the same table (a mixture's components,
   * `columns` = K): a plate sum over one column may then compute every column in the same pass.
   */
  readonly columns?: number;
}

/** Everything a node needs for one update: its rows and its edges by name. */
export interface NodeContext {
  /** Number of rows of the node's plate (1 outside any plate). */
  readonly rows: number;
  readonly edges: Readonly<Record<string, EdgeView>>;
  /** Row weights, or null for all ones. */
  readonly weights: RowWeights | null;
  /** The node's name in the model, for error messages. */
  readonly nodeName: string;
  /** Change tracking of the engine's buffers (see ChangeTracker): for caches across messages. */
  readonly changes: ChangeTracker;
  /** This context's scratch space (buffers, caches), owned by the engine's compiled state. */
  readonly scratch: NodeScratch;
}

/** What is known about a connected edge when the model is built. */
export interface EdgeInfo {
  readonly family: ExponentialFamily | null;
  readonly known: boolean;
  /** Length of one value (1, d, d·d, K); for random variables, the family's value size. */
  readonly valueSize: number;
}

/**
 * The family an edge accepts, by name ("Normal", "MvNormal", …), alternatives separated by "|"
 * ("Categorical|CategoricalChain"), or "input" for raw covariates.
 */
export interface EdgeSpec {
  readonly name: string;
  readonly family: string;
  /**
   * The families themselves, in the order of `family`'s alternatives, when the node declared
   * them (defineNode's typed edges do): the builder asks them how to hold an inline constant.
   */
  readonly families?: readonly FamilyRef[];
  /** Short description for docs and error messages. */
  readonly doc?: string;
  /** The edge takes observed or constant values only, so it has no message rule. */
  readonly knownOnly?: boolean;
  /**
   * The node reads every instance of the connected variable at once (e.g. all K rows of a
   * transition matrix): the edge is broadcast whatever plate the variable lives in, and it does
   * not decide the node's plate.
   */
  readonly allInstances?: boolean;
}

/** Whether a family name fits an edge's family spec (which may list alternatives with "|"). */
export function familyFits(spec: string, family: string): boolean {
  return spec.split("|").includes(family);
}

/**
 * A message rule: adds the message to one edge into `out` (count × size of that edge's variable,
 * natural parameters), computed from the other edges. Rows are summed into the instance they map to.
 */
export type MessageRule = (ctx: NodeContext, out: Float64Array) => void;

/**
 * A message that is a gather from a table of log-weights: for each row n of the node and each
 * k < K, the message adds  weight_n · table[instanceStride · i(n) + kStride · k]  to row n's
 * natural parameters, where i(n) is the row's table instance (0 for "broadcast", n for "row",
 * index[n] for "indexed"). The Categorical node's message to its `out` edge has this form
 * (E[log p_k] of the row's p), and so has a mixture of Categoricals' message to its selector
 * (E[log β_k,w] of the row's word w). The engine uses it for variables whose statistics are the
 * softmax of their natural parameters: exponentiating each table instance once instead of each
 * row (engine/gathered-update.ts). It must equal what the edge's message rule adds.
 */
export interface GatheredMessage {
  readonly table: Float64Array;
  /** Number of table instances i. */
  readonly instances: number;
  readonly instanceStride: number;
  readonly kStride: number;
  readonly layout: EdgeLayout;
  /** Row → instance when layout is "indexed" (category indices of a data column may be Float64). */
  readonly index: Int32Array | Float64Array | null;
  /** Row weights of the message (the node's), or null for all ones. */
  readonly weights: RowWeights | null;
}

/** Whether an edge needs a message rule: every edge except inputs and known-only edges. */
export function needsMessage(e: EdgeSpec): boolean {
  return e.family !== "input" && e.knownOnly !== true;
}

/** A factor node type. */
export interface NodeType {
  /** Unique name within a registry, e.g. "Normal". */
  readonly name: string;
  /** The edges, in order; the first is conventionally the node's output (`out`). */
  readonly edges: readonly EdgeSpec[];
  /**
   * Checks that what is connected fits together (matching dimensions, known-only edges, value
   * sizes of inputs), throwing a VireoError that names the node and edge when it does not.
   * Called once, when the model is built.
   */
  check?(edges: Readonly<Record<string, EdgeInfo>>, nodeName: string): void;
  /**
   * Checks the values on the node's known edges (data, inputs, constants) and the instance
   * counts, once when data is bound (engines call it on compile and on every rebind), so message
   * rules and logFactor never validate inside their row loops. Throws a VireoError naming the
   * node, edge and row.
   */
  checkData?(ctx: NodeContext): void;
  /** One message rule per edge that can be random (see needsMessage). */
  readonly messages: Readonly<Record<string, MessageRule>>;
  /** Σ over rows of weight · E_q[log f] (the negative average energy). */
  logFactor(ctx: NodeContext): number;
  /**
   * Per-row E_q[log f] into out[offset + n·stride] (unweighted). Needed when the node is a
   * mixture component; optional otherwise.
   */
  rowLogFactor?(ctx: NodeContext, out: Float64Array, offset: number, stride: number): void;
  /**
   * Edges in which E_q[log f] is exactly ⟨message, E[T]⟩ with nothing left over (so the engine
   * may take that part of the ELBO from the edge's log-partition; see engine docs).
   */
  readonly linearEdges?: readonly string[];
  /**
   * For non-conjugate nodes whose messages are local approximations (e.g. conjugate-computation
   * VI, Khan & Lin 2017): the engine blends each update of a variable connected through one of
   * its non-linear edges, η ← (1 − damping) η_old + damping η_new, with 0 < damping ≤ 1 (messages
   * to `linearEdges` are exact and are not damped). Conjugate nodes leave it unset.
   */
  readonly damping?: number;
  /**
   * Mixture seeding: parameter edge → data edge whose values may seed it, e.g. { mean: "out" }
   * for a Normal. When the node is a mixture component with that parameter per component and
   * the data edge observed in the same family, each component starts located at a different
   * data row (through the family's seedAt).
   */
  readonly seeds?: Readonly<Record<string, string>>;
  /**
   * Starting messages of non-conjugate edges, used once when q is initialised instead of the
   * ordinary rule (whose local approximation around a blank q can start far from the data):
   * e.g. the Laplace approximation of a GLM likelihood at its maximum (see irls-start.ts).
   */
  readonly startMessages?: Readonly<Record<string, MessageRule>>;
  /**
   * The message to `edge` as a gather (see GatheredMessage), or null when it has no such form
   * in this context. Optional: an engine's fast path; the message rule stays the definition.
   */
  gatheredMessage?(ctx: NodeContext, edge: string): GatheredMessage | null;
  /**
   * For a node used as a mixture's components: row n's E_q[log f] under component k (what
   * rowLogFactor writes for component k) as a gather over k, with the `components` edges holding
   * all K instances in ctx; null when it has no such form. Lets a mixture give its selector a
   * gathered message.
   */
  componentGather?(ctx: NodeContext, components: readonly string[]): GatheredMessage | null;
  /**
   * For a node used as a mixture's components: adds the messages to the component edge `edge`
   * of all K components at once (component k's message is the node's with row n weighted by
   * E[z_nk] of the `selector`) in one pass over the rows; returns false when it has no such pass
   * here (the mixture then calls the node once per component). Lets a mixture skip its
   * responsibility table and its K passes (LDA's topic-word message: one scatter of the rows).
   */
  componentScatter?(ctx: NodeContext, components: readonly string[], edge: string, selector: EdgeView, out: Float64Array): boolean;
  /**
   * Row-affine energy: when `edge` is per-row and every other edge broadcast, E_q[log f_n] =
   * ⟨a, E[T(y_n)]⟩ + b for every row n, with a and b computed once from the broadcast edges
   * (true of every node conjugate in `edge`). Mixtures use it to compute their selector's whole
   * message, and the next update's plate sums, in one pass over the rows. verifyNode checks it.
   */
  readonly rowAffine?: RowAffine;
  /**
   * Fused plate pass: when the message to the per-row edge `edge` is, for every row n,
   * A·E[T(y_n)] + b for a per-row edge y and A, b shared by all rows, returns them (else null).
   * The engine then updates that edge's variable in one pass over the rows and stores the plate
   * sums Σ_n p_nk [1, E[T(y_n)]] (see weighted-sums.ts) that the node's next messages read.
   */
  affineRowMessage?(ctx: NodeContext, edge: string): AffineRowMessage | null;
}

/** See NodeType.rowAffine. */
export interface RowAffine {
  /** The per-row edge y in whose statistics E_q[log f_n] is affine. */
  readonly edge: string;
  /** Fills a (y's statistics size) from the broadcast edges and returns b; NaN when the layout does not allow it. */
  coefficients(ctx: NodeContext, a: Float64Array): number;
}

/** See NodeType.affineRowMessage: row n's message is A·E[T(y_n)] + b (A: rows × y.size, row-major). */
export interface AffineRowMessage {
  readonly source: EdgeView;
  /** Entries of the message per row (the first `rows` of the edge's statistics). */
  readonly rows: number;
  readonly A: Float64Array;
  readonly b: Float64Array;
}

/** Reads a row's weight (1 when there are no weights). */
export function weightAt(w: RowWeights | null, n: number): number {
  return w === null ? 1 : w.data[w.offset + n * w.stride]!;
}

/** Offset of row n's instance in an edge's stats (or values, with `perInstance` = valueSize). */
export function instanceOf(e: EdgeView, n: number): number {
  return e.layout === "broadcast" ? 0 : e.layout === "row" ? n : e.index![n]!;
}

/** Σ over rows of weight · term(n): the usual shape of logFactor. */
export function sumRows(ctx: NodeContext, term: (n: number) => number): number {
  const w = ctx.weights;
  let s = 0;
  if (w === null) for (let n = 0; n < ctx.rows; n++) s += term(n);
  else for (let n = 0; n < ctx.rows; n++) s += w.data[w.offset + n * w.stride]! * term(n);
  return s;
}

/** Builds a node's message rules from one function that dispatches on the edge name. */
export function ruleSet(edges: readonly string[], rule: (ctx: NodeContext, edge: string, out: Float64Array) => void): Record<string, MessageRule> {
  const rules: Record<string, MessageRule> = {};
  for (const e of edges) rules[e] = (ctx, out) => rule(ctx, e, out);
  return rules;
}

/**
 * logFactor and rowLogFactor from one per-row expression: `bind(ctx)` reads the edges once and
 * returns row n ↦ E_q[log f_n]. Most nodes define their energy this way.
 */
export function rowTerms(bind: (ctx: NodeContext) => (n: number) => number): Pick<NodeType, "logFactor" | "rowLogFactor"> {
  return {
    logFactor: (ctx) => sumRows(ctx, bind(ctx)),
    rowLogFactor(ctx, out, offset, stride) {
      const term = bind(ctx);
      for (let n = 0; n < ctx.rows; n++) out[offset + n * stride] += term(n);
    },
  };
}
