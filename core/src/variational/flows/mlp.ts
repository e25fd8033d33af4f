/**
 * The conditioner networks of the coupling and autoregressive flows: one tanh hidden layer, with
 * optional constant masks on the weight matrices (MADE). Parameters are laid out as
 * [W1 (H×d), b1 (H), then per head: W (d×H), b (d)], so a layer's λ slice is read by offset.
 */
import type { Tape, TNode } from "../../autodiff/tape.js";
import type { Generator } from "../../random/generator.js";
import { sampleStandardNormal } from "../../random/samplers.js";
import { add, mul } from "../../autodiff/arith.js";
import { tanh } from "../../autodiff/unary.js";
import { slice } from "../../autodiff/indexing.js";
import { matmul } from "../../autodiff/matmul.js";

export class Conditioner {
  readonly nParams: number;

  /**
   * @param dim input and head width d
   * @param hidden hidden units H
   * @param heads number of d-wide outputs (2: shift and log-scale)
   * @param inMask H×d mask of the first layer (null: dense)
   * @param outMask d×H mask of every head (null: dense)
   */
  constructor(
    readonly dim: number,
    readonly hidden: number,
    readonly heads: number,
    private readonly inMask: Float64Array | null,
    private readonly outMask: Float64Array | null,
  ) {
    this.nParams = hidden * dim + hidden + heads * (dim * hidden + dim);
  }

  /**
   * Input weights ~ N(0, 1/d) and hidden biases ~ N(0, 1) (zero biases would make every hidden unit
   * an odd function of its input at the start); heads start at zero so the layer starts as the identity.
   */
  init(out: Float64Array, rng: Generator): void {
    const { dim: d, hidden: H } = this;
    out.fill(0, 0, this.nParams);
    const s = 1 / Math.sqrt(d);
    for (let i = 0; i < H * d; i++) out[i] = s * sampleStandardNormal(rng);
    for (let i = H * d; i < H * d + H; i++) out[i] = sampleStandardNormal(rng);
  }

  private masked(tape: Tape, w: TNode, mask: Float64Array | null): TNode {
    return mask === null ? w : mul(w, tape.constant(mask, [w.d0, w.d1]));
  }

  /** The heads' outputs on the tape for input x. */
  forward(p: TNode, x: TNode): TNode[] {
    const { dim: d, hidden: H } = this, tape = p.tape;
    const W1 = this.masked(tape, slice(p, 0, H * d, [H, d]), this.inMask);
    const h = tanh(add(matmul(W1, x), slice(p, H * d, H)));
    const out: TNode[] = [];
    for (let k = 0, o = H * d + H; k < this.heads; k++, o += d * H + d) {
      const W = this.masked(tape, slice(p, o, d * H, [d, H]), this.outMask);
      out.push(add(matmul(W, h), slice(p, o + d * H, d)));
    }
    return out;
  }

  /** The heads' outputs as numbers into `out[k]`; `h` is scratch of length H. */
  forwardValue(p: Float64Array, x: Float64Array, h: Float64Array, out: Float64Array[]): void {
    const { dim: d, hidden: H } = this, m1 = this.inMask, m2 = this.outMask;
    for (let j = 0; j < H; j++) {
      let s = p[H * d + j]!;
      for (let i = 0; i < d; i++) s += p[j * d + i]! * (m1 === null ? 1 : m1[j * d + i]!) * x[i]!;
      h[j] = Math.tanh(s);
    }
    for (let k = 0, o = H * d + H; k < this.heads; k++, o += d * H + d) {
      const r = out[k]!;
      for (let i = 0; i < d; i++) {
        let s = p[o + d * H + i]!;
        for (let j = 0; j < H; j++) s += p[o + i * H + j]! * (m2 === null ? 1 : m2[i * H + j]!) * h[j]!;
        r[i] = s;
      }
    }
  }
}
