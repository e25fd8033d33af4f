/**
 * The public shape of a node type for plugin authors, and its validation at registration.
 * A node definition is a NodeType: edges, one VMP message per edge that can be random, the
 * average energy. (Structured blocks such as chains are families with coupled rows, updated from
 * the same per-edge messages, so there are no separate rule tables.)
 */
import { VireoError } from "@vireo/core";
import { needsMessage, type NodeType } from "@vireo/nodes";
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
      fail(name, where, `edge ${i} must be { name: identifier, family: "Normal" | "MvNormal" | … | "input" }, got ${JSON.stringify(e)}.`);
    }
    if (edges.has(e.name)) fail(name, where, `edge '${e.name}' is declared twice; edge names must be unique.`);
    edges.add(e.name);
  }
  if (typeof n.logFactor !== "function") fail(name, where, "logFactor(ctx) is missing: define the node's E_q[log f] summed over rows.");
  if (n.rowLogFactor !== undefined && typeof n.rowLogFactor !== "function") fail(name, where, "rowLogFactor must be a function when given.");
  if (n.check !== undefined && typeof n.check !== "function") fail(name, where, "check must be a function when given.");
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
  // Rule tables that older definitions carried and no engine reads: say so instead of ignoring them.
  for (const table of ["structured", "beliefPropagation"]) {
    if ((n as Record<string, unknown>)[table] !== undefined) {
      fail(name, where, `'${table}' rules are not read by any engine; remove them and give every edge its VMP rule in 'messages' (chains are families with coupled rows that use the same messages).`);
    }
  }
}

/** Validates a node definition and returns it frozen: the one call a node file needs. */
export function defineNode<T extends NodeDefinition>(node: T): T {
  validateNodeType(node);
  Object.freeze(node.messages);
  return Object.freeze(node);
}
