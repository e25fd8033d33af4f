/**
 * Reverse-mode automatic differentiation over Float64Array values of rank 0 (scalar), 1 (vector)
 * or 2 (row-major matrix). A Tape records nodes in creation order; `backward` walks them in reverse,
 * each node's backward function accumulating into its inputs' gradient buffers.
 *
 * Nodes are pooled by position: after `reset()` the next step that builds the same graph reuses the
 * same node objects and buffers, so a warm step allocates no Float64Array. Backward functions are
 * static (they read their inputs from node fields), so recording an op allocates no closure.
 */
import { VireoError } from "../errors.js";

/** A backward rule: reads `node.grad` and accumulates into the gradients of `node.a`, `node.b`. */
export type BackwardFn = (node: TNode) => void;

const EMPTY = new Float64Array(0);

export class TNode {
  /** The tape this node lives on. */
  readonly tape: Tape;
  /** Position on the tape. */
  readonly index: number;
  /** Name of the op that produced the node ("const", "param", "add", ...), used in messages. */
  op = "";
  /** Current value (the node's pooled buffer, or the caller's array for leaves). */
  value: Float64Array = EMPTY;
  /** d(output)/d(this node), valid after `backward` when `needsGrad`. */
  grad: Float64Array = EMPTY;
  rank = 0;
  d0 = 1;
  d1 = 1;
  size = 1;
  /** True when a parameter lies upstream: only such nodes get gradients. */
  needsGrad = false;
  a: TNode | null = null;
  b: TNode | null = null;
  /** Op-specific scalar / integer / index / scratch data (static backward rules read them). */
  num = 0;
  int = 0;
  ints: Int32Array | null = null;
  aux: Float64Array = EMPTY;
  backward: BackwardFn | null = null;
  private ownValue: Float64Array = EMPTY;
  private ownGrad: Float64Array = EMPTY;
  private ownAux: Float64Array = EMPTY;

  constructor(tape: Tape, index: number) {
    this.tape = tape;
    this.index = index;
  }

  /** The shape as a fresh array: [] for scalars, [n] for vectors, [rows, cols] for matrices. */
  get shape(): number[] {
    return this.rank === 0 ? [] : this.rank === 1 ? [this.d0] : [this.d0, this.d1];
  }

  /** The value as a plain number (scalars only). */
  scalar(): number {
    if (this.size !== 1) {
      throw new VireoError("DIMENSION_MISMATCH", `TNode.scalar: node #${this.index} (${this.op}) has shape [${this.shape.join(", ")}], expected a scalar.`);
    }
    return this.value[0]!;
  }

  /** @internal Re-initialises a pooled node for a new op, keeping buffers of the right size. */
  setup(op: string, rank: number, d0: number, d1: number, own: boolean): void {
    this.op = op;
    this.rank = rank;
    this.d0 = d0;
    this.d1 = d1;
    this.size = d0 * d1;
    this.needsGrad = false;
    this.a = null;
    this.b = null;
    this.ints = null;
    this.num = 0;
    this.int = 0;
    this.backward = null;
    if (own) {
      if (this.ownValue.length !== this.size) this.ownValue = new Float64Array(this.size);
      this.value = this.ownValue;
    }
    this.grad = EMPTY;
  }

  /** @internal A pooled scratch buffer of length n for the op's backward rule. */
  scratch(n: number): Float64Array {
    if (this.ownAux.length !== n) this.ownAux = new Float64Array(n);
    this.aux = this.ownAux;
    return this.aux;
  }

  /** @internal Points `grad` at the pooled gradient buffer (or an external one) before backward. */
  bindGrad(external: Float64Array | null): void {
    if (external !== null) {
      this.grad = external;
      return;
    }
    if (this.ownGrad.length !== this.size) this.ownGrad = new Float64Array(this.size);
    this.grad = this.ownGrad;
  }
}

function shapeDims(shape: readonly number[] | undefined, length: number, what: string): [number, number, number] {
  if (shape === undefined) return [1, length, 1];
  if (shape.length === 0) return [0, 1, 1];
  if (shape.length > 2 || shape.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new VireoError("DIMENSION_MISMATCH", `Tape.${what}: shape [${shape.join(", ")}] is not supported; use [], [n] or [rows, cols] with non-negative integers.`);
  }
  return shape.length === 1 ? [1, shape[0]!, 1] : [2, shape[0]!, shape[1]!];
}

export class Tape {
  private readonly pool: TNode[] = [];
  private count = 0;
  /** External gradient buffers for parameter leaves, indexed by node position. */
  private readonly gradTargets: (Float64Array | null)[] = [];

  /** Number of nodes recorded since the last reset. */
  get length(): number {
    return this.count;
  }

  /** Forgets all nodes; their buffers stay pooled for the next recording (so nodes from before a reset must not be used after it). */
  reset(): void {
    this.count = 0;
  }

  /** @internal The next pooled node, set up for `op` with a value buffer of the given shape. */
  node(op: string, rank: number, d0: number, d1: number): TNode {
    const n = this.take();
    n.setup(op, rank, d0, d1, true);
    return n;
  }

  private take(): TNode {
    let n = this.pool[this.count];
    if (n === undefined) {
      n = new TNode(this, this.count);
      this.pool.push(n);
      this.gradTargets.push(null);
    }
    this.gradTargets[this.count] = null;
    this.count++;
    return n;
  }

  private leaf(op: string, value: Float64Array, shape: readonly number[] | undefined): TNode {
    if (!(value instanceof Float64Array)) {
      throw new VireoError("INVALID_PARAMETER", `Tape.${op}: expected a Float64Array, got ${typeof value}. Wrap numbers with Float64Array.from(...).`);
    }
    const [rank, d0, d1] = shapeDims(shape, value.length, op);
    if (d0 * d1 !== value.length) {
      throw new VireoError("DIMENSION_MISMATCH", `Tape.${op}: shape [${shape!.join(", ")}] needs ${d0 * d1} values but the array holds ${value.length}.`);
    }
    const n = this.take();
    n.setup(op, rank, d0, d1, false);
    n.value = value;
    return n;
  }

  /** A constant (data) leaf over `value` (not copied): it receives no gradient. */
  constant(value: Float64Array, shape?: readonly number[]): TNode {
    return this.leaf("const", value, shape);
  }

  /** A scalar constant in a pooled buffer. */
  scalar(x: number): TNode {
    const n = this.node("const", 0, 1, 1);
    n.value[0] = x;
    return n;
  }

  /**
   * A differentiable leaf over `value` (not copied). After `backward`, its gradient is in
   * `node.grad`, which is `grad` when given (overwritten, so a flat gradient vector can be filled
   * slice by slice with subarrays).
   */
  param(value: Float64Array, shape?: readonly number[], grad?: Float64Array): TNode {
    const n = this.leaf("param", value, shape);
    n.needsGrad = true;
    if (grad !== undefined) {
      if (!(grad instanceof Float64Array) || grad.length !== value.length) {
        throw new VireoError("DIMENSION_MISMATCH", `Tape.param: the gradient buffer must be a Float64Array of length ${value.length}, got ${grad instanceof Float64Array ? grad.length : typeof grad}.`);
      }
      this.gradTargets[n.index] = grad;
    }
    return n;
  }

  /**
   * Back-propagates from the scalar `out`: zeroes every gradient buffer upstream of a parameter,
   * seeds d(out)/d(out) = 1 and runs the backward rules in reverse recording order.
   */
  backward(out: TNode): void {
    if (out.tape !== this || out.index >= this.count || this.pool[out.index] !== out) {
      throw new VireoError("INVALID_STATE", "Tape.backward: the output node is not on this tape's current recording (was the tape reset after it was built?).");
    }
    if (out.size !== 1) {
      throw new VireoError("DIMENSION_MISMATCH", `Tape.backward: the output must be a scalar, got shape [${out.shape.join(", ")}] from op '${out.op}'. Reduce it with sum or mean first.`);
    }
    const last = out.index;
    for (let i = 0; i <= last; i++) {
      const n = this.pool[i]!;
      if (!n.needsGrad) continue;
      n.bindGrad(this.gradTargets[i]!);
      n.grad.fill(0);
    }
    if (!out.needsGrad) return;
    out.grad[0] = 1;
    for (let i = last; i >= 0; i--) {
      const n = this.pool[i]!;
      if (n.needsGrad && n.backward !== null) n.backward(n);
    }
  }
}

/** Throws unless `a` and `b` live on the same tape. */
export function sameTape(op: string, a: TNode, b: TNode): Tape {
  if (a.tape !== b.tape) {
    throw new VireoError("INVALID_PARAMETER", `${op}: the operands live on different tapes; build every node of one expression on one Tape.`);
  }
  return a.tape;
}

/** Formats a node for error messages: "#3 (matmul) [5, 2]". */
export function describe(n: TNode): string {
  return `#${n.index} (${n.op}) [${n.shape.join(", ")}]`;
}
