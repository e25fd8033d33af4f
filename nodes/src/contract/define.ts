/**
 * defineNode: the one way a node type is defined, built-ins and plugins alike. A declaration
 * names the node once, lists its edges as an object (edge name → the family it accepts, as the
 * family itself), and gives the messages, the energy and the optional claims, all typed by the
 * edge names: `ctx.edges.maen`, a rule for a non-edge or a typo in linearEdges is a compile
 * error. defineNode turns it into a validated, frozen NodeType. (Structured blocks such as
 * chains are families with coupled rows, updated from the same per-edge messages, so there are
 * no separate rule tables.)
 */
import { VireoError, familyRefName, type FamilyRef } from "@vireo/core";
import { needsMessage, sumRows, type NodeType, type NodeContext, type EdgeSpec, type EdgeView, type EdgeInfo, type MessageRule, type GatheredMessage } from "./node.js";
import { rulesStub } from "./stub.js";

export type NodeDefinition = NodeType;

const NAME = /^[A-Za-z_]\w*$/;

function fail(name: string, where: string, what: string): never {
  throw new VireoError("INVALID_NODE", `Node type '${name}'${where}: ${what}`, { node: name });
}

/**
 * Throws INVALID_NODE unless `node` is a well-formed node type: a name, unique edges with a
 * family each, a message rule for every edge that can be random (the error lists the missing
 * ones with a stub), no rules for edges that do not exist, logFactor, and well-formed optional
 * tables. `where` names the pack for messages (e.g. " in pack 'student-t'").
 */
export function validateNodeType(node: unknown, where = ""): asserts node is NodeDefinition {
  if (node === null || typeof node !== "object") throw new VireoError("INVALID_NODE", `A node type${where} must be an object, got ${node === null ? "null" : typeof node}.`);
  const n = node as Partial<NodeDefinition>;
  const name = typeof n.name === "string" ? n.name : String(n.name);
  if (typeof n.name !== "string" || !NAME.test(n.name)) fail(name, where, `the name must be letters, digits and '_' (not starting with a digit), got ${JSON.stringify(n.name)}.`);
  if (!Array.isArray(n.edges) || n.edges.length === 0) fail(name, where, "'edges' must be a non-empty array of { name, family }.");
  const edges = new Set<string>();
  for (const [i, e] of n.edges.entries()) {
    if (!e || typeof e.name !== "string" || !NAME.test(e.name) || typeof e.family !== "string" || e.family.length === 0) {
      fail(name, where, `edge ${i} must be { name: identifier, family: a family name or "input" }, got ${JSON.stringify(e)}.`);
    }
    if (edges.has(e.name)) fail(name, where, `edge '${e.name}' is declared twice; edge names must be unique.`);
    edges.add(e.name);
  }
  if (typeof n.logFactor !== "function") fail(name, where, "logFactor(ctx) is missing: define the node's E_q[log f] summed over rows.");
  if (n.rowLogFactor !== undefined && typeof n.rowLogFactor !== "function") fail(name, where, "rowLogFactor must be a function when given.");
  if (n.check !== undefined && typeof n.check !== "function") fail(name, where, "check must be a function when given.");
  if (n.checkData !== undefined && typeof n.checkData !== "function") fail(name, where, "checkData must be a function when given.");
  if (n.gatheredMessage !== undefined && typeof n.gatheredMessage !== "function") fail(name, where, "gatheredMessage must be a function (ctx, edge) => GatheredMessage | null when given.");
  if (n.componentGather !== undefined && typeof n.componentGather !== "function") fail(name, where, "componentGather must be a function (ctx, components) => GatheredMessage | null when given.");
  if (n.componentScatter !== undefined && typeof n.componentScatter !== "function") fail(name, where, "componentScatter must be a function (ctx, components, edge, selector, out) => boolean when given.");
  const messages = (n.messages ?? null) as Record<string, unknown> | null;
  if (messages === null || typeof messages !== "object") fail(name, where, "'messages' must be an object of message rules by edge name.");
  const missing = n.edges.filter((e) => needsMessage(e) && typeof messages[e.name] !== "function").map((e) => e.name);
  if (missing.length > 0) {
    fail(name, where,
      `no message rule for edge${missing.length > 1 ? "s" : ""} [${missing.join(", ")}]. Every edge that can be random needs one ` +
        `(mark an edge knownOnly: true, or family "input", if it only ever takes data). Possible fix, define:\n${rulesStub(n as NodeType, missing)}\n` +
        `Rules that exist: [${Object.keys(messages).join(", ")}].`);
  }
  const unknownRule = (table: string, keys: string[]): void => {
    const bad = keys.filter((k) => !edges.has(k));
    if (bad.length > 0) fail(name, where, `${table} has rules for [${bad.join(", ")}], which are not edges; the edges are [${[...edges].join(", ")}].`);
  };
  unknownRule("messages", Object.keys(messages));
  for (const [k, r] of Object.entries(messages)) if (typeof r !== "function") fail(name, where, `messages.${k} must be a function (ctx, out) => void.`);
  if (n.linearEdges !== undefined) unknownRule("linearEdges", [...n.linearEdges]);
  if (n.rowAffine !== undefined) {
    if (n.rowAffine === null || typeof n.rowAffine.coefficients !== "function") fail(name, where, "rowAffine must be { edge, coefficients(ctx, a) } when given.");
    unknownRule("rowAffine", [n.rowAffine.edge]);
  }
  // Rule tables that older definitions carried and no engine reads: say so instead of ignoring them.
  for (const table of ["structured", "beliefPropagation"]) {
    if ((n as Record<string, unknown>)[table] !== undefined) {
      fail(name, where, `'${table}' rules are not read by any engine; remove them and give every edge its VMP rule in 'messages' (chains are families with coupled rows that use the same messages).`);
    }
  }
}

/** What a node declares about one edge. */
export interface EdgeDeclaration {
  /**
   * The family the edge accepts: the family itself (Normal, Gamma, or a dimensioned one such as
   * MvNormal: dimensions are checked in `check`), a list of alternatives, or "input" for raw
   * covariates. A family name string also works (it is then looked up when a constant is
   * written inline on the edge).
   */
  readonly family: FamilyRef | readonly FamilyRef[] | string;
  /** Short description for docs and error messages. */
  readonly doc?: string;
  /** The edge takes observed or constant values only, so it has no message rule. */
  readonly knownOnly?: boolean;
  /** The node reads every instance of the connected variable at once (see EdgeSpec.allInstances). */
  readonly allInstances?: boolean;
}

/** A NodeContext whose edges are known by name: `ctx.edges.mean` type-checks, `ctx.edges.maen` does not. */
export type TypedNodeContext<E extends string> = Omit<NodeContext, "edges"> & { readonly edges: { readonly [K in E]: EdgeView } };

/** A message rule over typed edges. */
export type TypedMessageRule<E extends string> = (ctx: TypedNodeContext<E>, out: Float64Array) => void;

/** The body of a node declaration, typed by its edge names E. */
export interface NodeBody<E extends string> {
  /** Unique name within a registry (declare it once, as a constant, and use it in messages). */
  readonly name: string;
  /**
   * One rule per edge that can be random (every edge except "input" and knownOnly ones): either
   * an object of rules by edge name, or one function that dispatches on the edge.
   */
  readonly messages: { readonly [K in E]?: TypedMessageRule<E> } | ((ctx: TypedNodeContext<E>, edge: E, out: Float64Array) => void);
  /**
   * Row n's E_q[log f] from one expression: `rowTerm(ctx)` reads the edges once and returns
   * n ↦ E_q[log f_n]; logFactor (weighted sum) and rowLogFactor follow. Give either this or
   * logFactor (and optionally rowLogFactor).
   */
  readonly rowTerm?: (ctx: TypedNodeContext<E>) => (n: number) => number;
  readonly logFactor?: (ctx: TypedNodeContext<E>) => number;
  readonly rowLogFactor?: (ctx: TypedNodeContext<E>, out: Float64Array, offset: number, stride: number) => void;
  /** Build-time checks of what is connected (see NodeType.check). */
  readonly check?: (edges: { readonly [K in E]: EdgeInfo }, nodeName: string) => void;
  /** Checks of the bound values on known edges, once per binding (see NodeType.checkData). */
  readonly checkData?: (ctx: TypedNodeContext<E>) => void;
  /** Edges in which E_q[log f] is ⟨message, E[T]⟩ with nothing left over (verifyNode checks it). */
  readonly linearEdges?: readonly E[];
  /** Damping of approximate messages, in (0, 1]. */
  readonly damping?: number;
  /** Mixture seeding: parameter edge → data edge (see NodeType.seeds). */
  readonly seeds?: { readonly [K in E]?: E };
  /** Starting messages used once when q is initialised (see NodeType.startMessages). */
  readonly startMessages?: { readonly [K in E]?: TypedMessageRule<E> };
  /** A message as a gather from a log-weight table (see NodeType.gatheredMessage). */
  readonly gatheredMessage?: (ctx: TypedNodeContext<E>, edge: E) => GatheredMessage | null;
  /** Row log factors per mixture component as a gather (see NodeType.componentGather). */
  readonly componentGather?: (ctx: TypedNodeContext<E>, components: readonly string[]) => GatheredMessage | null;
  /** Messages to a component edge of all mixture components in one pass (see NodeType.componentScatter). */
  readonly componentScatter?: (ctx: TypedNodeContext<E>, components: readonly string[], edge: string, selector: EdgeView, out: Float64Array) => boolean;
  /** Row-affine energy in a per-row edge (see NodeType.rowAffine; verifyNode checks it). */
  readonly rowAffine?: { readonly edge: E; coefficients(ctx: TypedNodeContext<E>, a: Float64Array): number };
}

/** A node declaration: edges as an object of EdgeDeclarations, everything else typed by their names. */
export type NodeDeclaration<E extends string> = { readonly edges: { readonly [K in E]: EdgeDeclaration } } & NodeBody<NoInfer<E>>;

/** A defined node type that remembers its edge names (for typed use in tests and packs). */
export type TypedNode<E extends string> = NodeDefinition & { readonly edgeNames: readonly E[] };

function edgeSpec(name: string, d: EdgeDeclaration): EdgeSpec {
  const f = d.family;
  const refs: readonly FamilyRef[] | null = typeof f === "string" ? null : Array.isArray(f) ? (f as readonly FamilyRef[]) : [f as FamilyRef];
  const family = refs === null ? (f as string) : refs.map(familyRefName).join("|");
  return {
    name, family,
    ...(refs !== null ? { families: Object.freeze(refs.slice()) } : {}),
    ...(d.doc !== undefined ? { doc: d.doc } : {}),
    ...(d.knownOnly !== undefined ? { knownOnly: d.knownOnly } : {}),
    ...(d.allInstances !== undefined ? { allInstances: d.allInstances } : {}),
  };
}

function fromDeclaration(decl: NodeDeclaration<string>): NodeDefinition {
  const edges = Object.entries(decl.edges as Record<string, EdgeDeclaration>).map(([name, d]) => edgeSpec(name, d));
  let messages: Record<string, MessageRule>;
  if (typeof decl.messages === "function") {
    const dispatch = decl.messages as (ctx: NodeContext, edge: string, out: Float64Array) => void;
    messages = {};
    for (const e of edges) if (needsMessage(e)) messages[e.name] = (ctx, out) => dispatch(ctx, e.name, out);
  } else {
    messages = { ...(decl.messages as Record<string, MessageRule>) };
  }
  let logFactor = decl.logFactor as ((ctx: NodeContext) => number) | undefined;
  let rowLogFactor = decl.rowLogFactor as NodeType["rowLogFactor"];
  if (decl.rowTerm !== undefined) {
    const rowTerm = decl.rowTerm as (ctx: NodeContext) => (n: number) => number;
    if (logFactor !== undefined) throw new VireoError("INVALID_NODE", `Node type '${decl.name}': give rowTerm or logFactor, not both.`, { node: decl.name });
    logFactor = (ctx) => sumRows(ctx, rowTerm(ctx));
    rowLogFactor ??= (ctx, out, offset, stride) => {
      const term = rowTerm(ctx);
      for (let n = 0; n < ctx.rows; n++) out[offset + n * stride] += term(n);
    };
  }
  const node: Record<string, unknown> = { name: decl.name, edges, messages, logFactor };
  const optional = ["check", "checkData", "linearEdges", "damping", "seeds", "startMessages", "gatheredMessage", "componentGather", "componentScatter", "rowAffine"] as const;
  for (const k of optional) if (decl[k] !== undefined) node[k] = decl[k];
  if (rowLogFactor !== undefined) node.rowLogFactor = rowLogFactor;
  node.edgeNames = Object.freeze(edges.map((e) => e.name));
  return node as unknown as NodeDefinition;
}

/**
 * Validates a node declaration (edges as an object, see NodeDeclaration) and returns it as a
 * frozen node type: the one call a node file needs. The older form, a NodeType with an array
 * of EdgeSpecs, is accepted too and validated the same way.
 */
export function defineNode<const E extends string>(decl: NodeDeclaration<E>): TypedNode<E>;
export function defineNode<T extends NodeDefinition>(node: T): T;
export function defineNode(input: NodeDeclaration<string> | NodeDefinition): NodeDefinition {
  const node = Array.isArray((input as { edges?: unknown }).edges) ? (input as NodeDefinition) : fromDeclaration(input as NodeDeclaration<string>);
  validateNodeType(node);
  Object.freeze(node.messages);
  Object.freeze(node.edges);
  return Object.freeze(node);
}
