/** Stubs of missing message rules live in @vireo/nodes; re-exported here. */
export { ruleStub, rulesStub, type StubEdge } from "@vireo/nodes";
