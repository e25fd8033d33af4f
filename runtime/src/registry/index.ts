/** Registries of families, node types and codecs; packs; the node-definition API. */
export { Registry } from "./registry.js";
export { builtinPack, createRegistry } from "./builtin.js";
export { FIRST_PACK_EXT_TYPE, type Pack, type Codec, type FamilyEntry } from "./pack.js";
export { defineNode, validateNodeType, type NodeDefinition, type NodeDeclaration, type EdgeDeclaration, type TypedNodeContext, type TypedNode } from "./define.js";
export { ruleStub, rulesStub, type StubEdge } from "./stub.js";
