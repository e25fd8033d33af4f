/** The node-definition API lives in @vireo/nodes (built-ins and plugins share it); re-exported here. */
export { defineNode, validateNodeType, type NodeDefinition, type NodeDeclaration, type EdgeDeclaration, type TypedNodeContext, type TypedNode } from "@vireo/nodes";
