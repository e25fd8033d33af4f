/**
 * Registry: an instance (never a global) holding families, node types and checkpoint codecs by
 * name. `use(pack)` adds a whole pack atomically: every entry is validated and checked against
 * what is registered before anything is added, so a failed `use` leaves the registry as it was.
 */
import { VireoError, type ExponentialFamily, type FamilyRef, type FamilyConstructor } from "@vireo/core";
import { Mixture, type NodeType, type MessageRule } from "@vireo/nodes";
import { validateNodeType, type NodeDefinition } from "./define.js";
import { ruleStub } from "./stub.js";
import { FIRST_PACK_EXT_TYPE, type Codec, type FamilyEntry, type Pack } from "./pack.js";

const NAME = /^[A-Za-z_]\w*$/;
/** "MvNormal(3)" → name and dimension; "Normal" → name only. */
const KEY = /^([A-Za-z_]\w*)(?:\(([1-9]\d{0,6})\))?$/;
const MIXTURE = /^Mixture\(([A-Za-z_]\w*)\)$/;

function isFamily(e: unknown): e is ExponentialFamily {
  return e !== null && typeof e === "object" && typeof (e as ExponentialFamily).name === "string" && typeof (e as ExponentialFamily).size === "number";
}

function listOf(names: Iterable<string>): string {
  return `[${[...names].join(", ")}]`;
}

export class Registry {
  private readonly familyMap = new Map<string, FamilyEntry>();
  private readonly nodeMap = new Map<string, NodeDefinition>();
  private readonly codecMap = new Map<string, Codec>();
  private readonly packNames: string[] = [];

  /** Adds every family, node and codec of `pack`; DUPLICATE_NAME or INVALID_NODE leave the registry unchanged. */
  use(pack: Pack): this {
    if (pack === null || typeof pack !== "object" || typeof pack.name !== "string" || pack.name.length === 0) {
      throw new VireoError("INVALID_OPTION", `registry.use: a pack is { name, families?, nodes?, codecs? }, got ${pack === null ? "null" : typeof pack}.`);
    }
    const where = ` in pack '${pack.name}'`;
    if (this.packNames.includes(pack.name)) throw new VireoError("DUPLICATE_NAME", `registry.use: pack '${pack.name}' is already registered; a pack is used once.`);
    const families = Object.entries(pack.families ?? {});
    for (const [name, entry] of families) {
      if (!NAME.test(name)) throw new VireoError("INVALID_OPTION", `Family name ${JSON.stringify(name)}${where} must be an identifier (dimensions go in keys: "Name(3)").`);
      if (!(typeof entry === "function" || (isFamily(entry) && entry.name === name))) {
        throw new VireoError("INVALID_OPTION", `Family '${name}'${where} must be a family named '${name}' or a constructor (dim) => family.`);
      }
    }
    const nodes = [...(pack.nodes ?? [])];
    for (const node of nodes) validateNodeType(node, where);
    const codecs = [...(pack.codecs ?? [])];
    for (const c of codecs) {
      if (!c || typeof c.name !== "string" || !Number.isInteger(c.type) || c.type < FIRST_PACK_EXT_TYPE || c.type > 127 ||
          typeof c.test !== "function" || typeof c.encode !== "function" || typeof c.decode !== "function") {
        throw new VireoError("INVALID_OPTION", `Codec ${JSON.stringify(c?.name)}${where} must be { name, type: ${FIRST_PACK_EXT_TYPE}..127, test, encode, decode }.`);
      }
    }
    this.checkUnique("family", families.map(([n]) => n), (n) => this.familyMap.has(n), where);
    this.checkUnique("node type", nodes.map((n) => n.name), (n) => this.nodeMap.has(n), where);
    this.checkUnique("codec", codecs.map((c) => c.name), (n) => this.codecMap.has(n), where);
    this.checkUnique("codec extension type", codecs.map((c) => String(c.type)), (t) => [...this.codecMap.values()].some((c) => String(c.type) === t), where);
    for (const [name, entry] of families) this.familyMap.set(name, entry);
    for (const node of nodes) this.nodeMap.set(node.name, node);
    for (const c of codecs) this.codecMap.set(c.name, c);
    this.packNames.push(pack.name);
    return this;
  }

  /** The node type registered as `name`; "Mixture(Inner)" needs its component edges, see mixture(). */
  node(name: string): NodeDefinition {
    const n = typeof name === "string" ? this.nodeMap.get(name) : undefined;
    if (n) return n;
    const hint = typeof name === "string" && MIXTURE.test(name) ? " A mixture type is rebuilt with registry.mixture(inner, componentEdges)." : "";
    throw new VireoError("UNKNOWN_NAME", `Unknown node type ${JSON.stringify(name)}; registered node types are ${listOf(this.nodeMap.keys())}. Add it with registry.use(pack).${hint}`, { node: String(name) });
  }

  /** Mixture(inner, componentEdges) over a registered inner node type. */
  mixture(inner: string, componentEdges: readonly string[]): NodeType {
    return Mixture(this.node(inner), componentEdges);
  }

  hasNode(name: string): boolean {
    return this.nodeMap.has(name);
  }

  /** The family for a key: "Normal", or "MvNormal(3)" for a dimensioned family. */
  family(key: string): ExponentialFamily {
    const m = typeof key === "string" ? KEY.exec(key) : null;
    if (m === null && typeof key === "string" && /^[A-Za-z_]\w*\(\d{8,}\)$/.test(key)) {
      throw new VireoError("INVALID_PARAMETER", `Family "${key}": the dimension is above the limit of 9999999 (7 digits); no model can declare it.`, { parameter: key });
    }
    const entry = m ? this.familyMap.get(m[1]!) : undefined;
    if (!m || entry === undefined) {
      throw new VireoError("UNKNOWN_NAME", `Unknown family ${JSON.stringify(key)}; registered families are ${listOf(this.familyKeys())}.`, { parameter: String(key) });
    }
    const dim = m[2] === undefined ? null : Number(m[2]);
    if (typeof entry !== "function") {
      if (dim !== null) throw new VireoError("UNKNOWN_NAME", `Family '${m[1]}' has no dimension; write "${m[1]}", not "${key}".`, { parameter: key });
      return entry;
    }
    if (dim === null) throw new VireoError("UNKNOWN_NAME", `Family '${m[1]}' needs a dimension: write "${m[1]}(d)".`, { parameter: key });
    let fam: ExponentialFamily;
    try {
      fam = entry(dim);
    } catch (e) {
      throw new VireoError("INVALID_PARAMETER", `Family "${key}": ${(e as Error).message}`, { parameter: key });
    }
    if (!isFamily(fam) || fam.name !== m[1] || fam.key !== key) {
      throw new VireoError("INVALID_OPTION", `Family constructor '${m[1]}' returned ${isFamily(fam) ? `'${fam.key}'` : typeof fam} for "${key}"; it must return the family with that key.`, { parameter: key });
    }
    return fam;
  }

  /** The family registered as `name` (an instance or a constructor), or undefined. */
  familyRef(name: string): FamilyRef | undefined {
    const entry = this.familyMap.get(name);
    if (entry === undefined) return undefined;
    if (typeof entry !== "function" || typeof (entry as FamilyConstructor).constantFamily === "function") return entry as FamilyRef;
    // A bare constructor (dim) => family: it cannot say which dimension a constant has.
    return undefined;
  }

  /** The message rule of `node` for `edge`; MISSING_RULE with a stub and the existing rules when there is none. */
  rule(node: string, edge: string): MessageRule {
    const n = this.node(node);
    const r = n.messages[edge];
    if (typeof r === "function") return r;
    const spec = n.edges.find((e) => e.name === edge);
    if (!spec) throw new VireoError("UNKNOWN_NAME", `Node type ${node} has no edge '${edge}'; its edges are ${listOf(n.edges.map((e) => e.name))}.`, { node, edge });
    throw new VireoError(
      "MISSING_RULE",
      `Node type ${node} has no message rule for edge '${edge}' (${spec.family}). Possible fix, define:\n` +
        `${ruleStub({ node: n, edge, familyKey: null, size: null })}\nRules that exist for ${node}: ${listOf(Object.keys(n.messages))}. ` +
        `Registered nodes with a rule for a ${spec.family} edge: ${listOf(this.rulesForFamily(spec.family))}.`,
      { node, edge },
    );
  }

  /** "Node.edge" for every registered rule whose edge takes `family` (by name, e.g. "Gamma"). */
  rulesForFamily(family: string): string[] {
    const out: string[] = [];
    for (const n of this.nodeMap.values()) {
      for (const e of n.edges) if (e.family === family && typeof n.messages[e.name] === "function") out.push(`${n.name}.${e.name}`);
    }
    return out;
  }

  codec(name: string): Codec {
    const c = this.codecMap.get(name);
    if (!c) throw new VireoError("UNKNOWN_NAME", `Unknown codec '${name}'; registered codecs are ${listOf(this.codecMap.keys())}.`);
    return c;
  }

  codecs(): readonly Codec[] {
    return [...this.codecMap.values()];
  }

  nodeNames(): string[] {
    return [...this.nodeMap.keys()];
  }

  familyNames(): string[] {
    return [...this.familyMap.keys()];
  }

  packs(): readonly string[] {
    return this.packNames.slice();
  }

  /** Family names as keys are written ("MvNormal(d)" for constructors). */
  private familyKeys(): string[] {
    return [...this.familyMap].map(([n, e]) => (typeof e === "function" ? `${n}(d)` : n));
  }

  private checkUnique(what: string, names: readonly string[], taken: (n: string) => boolean, where: string): void {
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) throw new VireoError("DUPLICATE_NAME", `${what} '${n}' appears twice${where}; names must be unique.`);
      seen.add(n);
      if (taken(n)) throw new VireoError("DUPLICATE_NAME", `${what} '${n}'${where} is already registered (packs: ${listOf(this.packNames)}); a name is registered once, never overridden.`);
    }
  }
}
