// Minimal typing for ndarray-ops; the adapter re-exports it with correct in-place signatures.
declare module "ndarray-ops" {
  const ops: Record<string, (...args: any[]) => unknown>;
  export default ops;
}
