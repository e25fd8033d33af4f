/**
 * An amortised Gaussian q(z | x) = N(μ(x), Σ(x)): an encoder network maps each row's observed
 * values to the parameters of that row's q, so one set of network weights serves every row (and
 * rows never seen in training). Diagonal covariance: the encoder outputs [μ, log σ] (2K values);
 * full covariance: [μ, packed L] (K + K(K+1)/2 values, log-diagonal) with Σ = LLᵀ.
 *
 * Everything works on whole minibatches on the tape: `encode` gives the parts for m rows, `draw`
 * turns noise ε [S·m, K] into S stacked draws per row, and the per-row entropy, log density and KL
 * to the standard normal prior are [m] or [S·m] vectors (for ELBO and IWAE alike).
 */
import { VireoError } from "../errors.js";
import { type TNode, Tape } from "../autodiff/tape.js";
import { add, mul, scale, shift, square, sub } from "../autodiff/arith.js";
import { exp } from "../autodiff/unary.js";
import { sum } from "../autodiff/reduce.js";
import { columns, repeatRows } from "../nn/rows.js";
import type { Mlp } from "../nn/mlp.js";
import { trilSize, trilTimesRows, trilLogDetAndTrace } from "./amortised-tril.js";
import { AmortisedRowsQ } from "./amortised-rows.js";

export type AmortisedCovariance = "diagonal" | "full";

export interface AmortisedOptions {
  /** Covariance of each row's q (default "diagonal"). */
  readonly covariance?: AmortisedCovariance;
  /**
   * In a ModelBuilder graph: the observed (or input) variables of the latent's plate that the
   * encoder reads, side by side in this order (their widths add up to the encoder's inputs).
   */
  readonly from?: string | readonly string[];
  /** In a graph: planar flow layers on top of each row's Gaussian, shared by all rows (default 0). */
  readonly flow?: number;
  /** In a graph: seed of the encoder's (and flow layers') initial weights (default 0). */
  readonly seed?: number;
}

/** q's parameters for m rows, on the tape. */
export interface AmortisedParts {
  readonly rows: number;
  /** μ [m, K]. */
  readonly mean: TNode;
  /** Diagonal: log σ [m, K]. Full: packed L [m, K(K+1)/2] with log-diagonal. */
  readonly scale: TNode;
}

const LOG_2PI = Math.log(2 * Math.PI);

export class AmortisedGaussian {
  readonly kind = "amortised-gaussian";
  /** Dimension K of each row's latent. */
  readonly latent: number;
  readonly covariance: AmortisedCovariance;
  /** Values the encoder must output per row. */
  readonly outputs: number;

  /** e.g. "Amortised(diagonal, K 2, encoder 784-400-4)" (checkpoints record it). */
  readonly name: string;
  /** Observed variables the encoder reads in a graph (empty: not given). */
  readonly from: readonly string[];
  readonly flow: number;
  readonly seed: number;

  constructor(readonly encoder: Mlp, options: AmortisedOptions = {}) {
    const from = options.from ?? [];
    this.from = typeof from === "string" ? [from] : Array.from(from);
    if (this.from.some((n) => typeof n !== "string" || n.length === 0)) {
      throw new VireoError("INVALID_OPTION", `amortised: 'from' must name the observed variables the encoder reads, e.g. { from: "x" } or { from: ["x", "t"] }; got ${JSON.stringify(options.from)}.`, { parameter: "from" });
    }
    this.flow = options.flow ?? 0;
    this.seed = options.seed ?? 0;
    const cov = options.covariance ?? "diagonal";
    if (cov !== "diagonal" && cov !== "full") {
      throw new VireoError("INVALID_OPTION", `amortised: covariance must be "diagonal" or "full", got ${JSON.stringify(cov)}.`, { parameter: "covariance" });
    }
    this.covariance = cov;
    const out = encoder.outputs;
    const K = cov === "diagonal" ? out / 2 : (-3 + Math.sqrt(9 + 8 * out)) / 2;
    if (!Number.isInteger(K) || K < 1) {
      throw new VireoError(
        "DIMENSION_MISMATCH",
        `amortised: the encoder outputs ${out} values per row, which fits no latent size for a ${cov} Gaussian; it must output ${cov === "diagonal" ? "2K (μ and log σ)" : "K + K(K+1)/2 (μ and the packed Cholesky factor)"} values, e.g. ${cov === "diagonal" ? "mlp([D, 400, 2 * K])" : "mlp([D, 64, K + K * (K + 1) / 2])"}.`,
        { parameter: "encoder" },
      );
    }
    this.latent = K;
    this.outputs = out;
    this.name = `Amortised(${cov}, K ${K}, encoder ${encoder.sizes.join("-")}${this.flow > 0 ? `, ${this.flow} planar layers` : ""})`;
  }

  /** The graph's q over a plate of rows (λ: encoder weights, then flow layers), bound to the rows by the engine. */
  forRows(): AmortisedRowsQ {
    return new AmortisedRowsQ(this, this.flow, this.seed);
  }

  /** Parameters of the encoder network. */
  get nParams(): number {
    return this.encoder.nParams;
  }

  /** q's parameters for the rows of X [m, D], the encoder's weights read from θ at `offset`. */
  encode(theta: TNode, offset: number, X: TNode): AmortisedParts {
    const h = this.encoder.forward(theta, X, offset), K = this.latent;
    const rest = this.covariance === "diagonal" ? K : trilSize(K);
    return { rows: X.d0, mean: columns(h, 0, K), scale: columns(h, K, rest) };
  }

  /** S stacked draws per row, z = μ + σ ⊙ ε (or μ + Lε), from noise ε [S·m, K]. */
  draw(parts: AmortisedParts, eps: TNode): TNode {
    const S = eps.d0 / parts.rows;
    const mu = S === 1 ? parts.mean : repeatRows(parts.mean, S);
    if (this.covariance === "full") return add(mu, trilTimesRows(parts.scale, eps, this.latent));
    const sd = exp(S === 1 ? parts.scale : repeatRows(parts.scale, S));
    return add(mu, mul(sd, eps));
  }

  /** Σ_a log σ_a (half the log-determinant of Σ) per row, [m]. */
  private halfLogDet(parts: AmortisedParts): TNode {
    if (this.covariance === "diagonal") return sum(parts.scale, 1);
    return columns(trilLogDetAndTrace(parts.scale, this.latent), 0, 1);
  }

  /** H[q(· | x_i)] per row, [m]. */
  entropyRows(parts: AmortisedParts): TNode {
    return shift(flat(this.halfLogDet(parts)), 0.5 * this.latent * (1 + LOG_2PI));
  }

  /**
   * log q(z | x) at the draws made from ε [S·m, K], per draw ([S·m]): −½‖ε‖² − log|L| − (K/2) log 2π.
   * Its gradient is the total (path) derivative of log q along z = T(ε; λ), as IWAE needs.
   */
  logDensityRows(parts: AmortisedParts, eps: TNode): TNode {
    const S = eps.d0 / parts.rows;
    const hl = flat(this.halfLogDet(parts));
    const e2 = scale(sum(square(eps), 1), -0.5);
    return shift(sub(e2, S === 1 ? hl : repeatRows(hl, S)), -0.5 * this.latent * LOG_2PI);
  }

  /** KL(q(· | x_i) ‖ N(0, I)) per row, [m], in closed form: ½(tr Σ + ‖μ‖² − K) − log|L|. */
  klStandardNormalRows(parts: AmortisedParts): TNode {
    const K = this.latent;
    const mu2 = sum(square(parts.mean), 1);
    if (this.covariance === "diagonal") {
      const tr = sum(exp(scale(parts.scale, 2)), 1);
      return sub(scale(shift(add(tr, mu2), -K), 0.5), sum(parts.scale, 1));
    }
    const dt = trilLogDetAndTrace(parts.scale, K);
    return sub(scale(shift(add(flat(columns(dt, 1, 1)), mu2), -K), 0.5), flat(columns(dt, 0, 1)));
  }

  /** Means and per-coordinate variances of q for `rows` rows of X at fixed weights θ (new arrays). */
  moments(theta: Float64Array, X: Float64Array, rows: number, offset = 0): { mean: Float64Array; variance: Float64Array } {
    const tape = new Tape(), K = this.latent;
    const parts = this.encode(tape.constant(theta), offset, tape.constant(X, [rows, this.encoder.inputs]));
    const mean = parts.mean.value.slice(), variance = new Float64Array(rows * K), s = parts.scale.value;
    for (let i = 0; i < rows; i++) {
      for (let a = 0; a < K; a++) {
        if (this.covariance === "diagonal") variance[i * K + a] = Math.exp(2 * s[i * K + a]!);
        else {
          // Σ_aa = Σ_{b ≤ a} L_ab².
          const P = trilSize(K), base = i * P + (a * (a + 1)) / 2;
          let v = 0;
          for (let b = 0; b < a; b++) v += s[base + b]! ** 2;
          variance[i * K + a] = v + Math.exp(2 * s[base + a]!);
        }
      }
    }
    return { mean, variance };
  }
}

/** An [m, 1] column as an [m] vector (values shared through the sum over one column). */
function flat(x: TNode): TNode {
  return x.rank === 1 ? x : sum(x, 1);
}

/** q(z | x) amortised by `encoder` (whose last layer outputs q's parameters per row). */
export function amortised(encoder: Mlp, options?: AmortisedOptions): AmortisedGaussian {
  return new AmortisedGaussian(encoder, options);
}
