/**
 * Ready-to-fill stubs of missing message rules. One generator serves every place that can find a
 * rule missing (model validation, node registration, registry look-ups), so the fix a user is
 * shown always has the same shape.
 */
import type { NodeType } from "./node.js";

/** What is known about the edge whose rule is missing. */
export interface StubEdge {
  readonly node: NodeType;
  readonly edge: string;
  /** The connected family's key ("MvNormal(3)"), or null when nothing is connected yet. */
  readonly familyKey: string | null;
  /** Natural parameters per instance of that family, or null when unknown. */
  readonly size: number | null;
}

/** The body of a `messages` entry for one edge, with comments saying what to compute. */
export function ruleStub(e: StubEdge): string {
  const spec = e.node.edges.find((s) => s.name === e.edge);
  return [
    `  messages: {`,
    `    ...${e.node.name}Node.messages,`,
    `    ${e.edge}(ctx: NodeContext, out: Float64Array): void {`,
    `      // Add, for each row n, the natural parameters of the message to '${e.edge}' (${e.familyKey ?? spec?.family ?? "?"},`,
    `      // ${e.size ?? "?"} numbers per instance) into out[instanceOf(ctx.edges.${e.edge}, n) * ${e.size ?? "size"} + i]:`,
    `      // the gradient of E_q[log f] in E[T(${e.edge})], from the other edges' ctx.edges[...].stats.`,
    `    },`,
    `  },`,
  ].join("\n");
}

/** Stubs for several missing edges of one node type, merged into one `messages` block. */
export function rulesStub(node: NodeType, edges: readonly string[]): string {
  const body = edges.map((edge) => {
    const spec = node.edges.find((s) => s.name === edge);
    return [
      `    ${edge}(ctx: NodeContext, out: Float64Array): void {`,
      `      // message to '${edge}' (${spec?.family ?? "?"}): the gradient of E_q[log f] in E[T(${edge})], summed over rows`,
      `    },`,
    ].join("\n");
  });
  return [`  messages: {`, ...body, `  },`].join("\n");
}
