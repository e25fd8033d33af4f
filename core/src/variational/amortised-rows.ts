/**
 * An amortised q over a whole plate of rows, as a `VariationalFamily` the model graph can fit:
 * q(z_1..z_m | x_1..x_m) = Π_i q(z_i | x_i), each row's q from the encoder network at that row's
 * observed values (`AmortisedGaussian`), optionally pushed through row-wise planar flow layers
 * whose parameters are shared by every row. λ is the encoder's weights (then the flow layers'):
 * one set of parameters for every row and every minibatch, so the graph's gradient steps learn
 * the encoder (a point estimate: amortised inference fits the network by maximum ELBO).
 *
 * The graph binds the family to the rows it reads (`bindRows`: the observed columns of the
 * compiled state, which each minibatch refills in place); `dim` is rows × K and follows the
 * binding. A draw is the rows' z back to back (row-major [m, K], the plate's value layout).
 * Everything runs on whole minibatches as matrices: one encoder pass per step, one matrix of noise.
 */
import { VireoError } from "../errors.js";
import { Generator } from "../random/generator.js";
import { sampleStandardNormal } from "../random/samplers.js";
import { Tape, type TNode } from "../autodiff/tape.js";
import { add, mul, sub, div, shift, scale, square } from "../autodiff/arith.js";
import { log, softplus, tanh } from "../autodiff/unary.js";
import { slice, reshape } from "../autodiff/indexing.js";
import { matmul } from "../autodiff/matmul.js";
import { sum } from "../autodiff/reduce.js";
import { softplus as softplusValue } from "../special/functions.js";
import type { AmortisedGaussian, AmortisedParts } from "./amortised-gaussian.js";
import { trilSize } from "./amortised-tril.js";
import type { VariationalFamily, DrawWithLogDensity } from "./family.js";

/** One block of observed columns the encoder reads: `width` numbers per row, row-major. */
export interface AmortisedSource {
  readonly name: string;
  readonly values: Float64Array;
  readonly width: number;
}

export class AmortisedRowsQ implements VariationalFamily {
  readonly name: string;
  readonly reparameterizable = true;
  readonly discrete = false;
  /** λ is network weights shared by all rows and minibatches: a new minibatch keeps it. */
  readonly amortised = true;
  readonly nParams: number;
  /** Latent values per row. */
  readonly latent: number;
  /** Row-wise planar flow layers on top of the Gaussian (0: q is the amortised Gaussian itself). */
  readonly flowLayers: number;
  readonly closedFormEntropy: boolean;
  private rows = 0;
  private sources: readonly AmortisedSource[] = [];
  private inputs: Float64Array = new Float64Array(0);
  private readonly tape = new Tape();

  constructor(readonly q: AmortisedGaussian, flowLayers = 0, private readonly seed = 0) {
    if (!(Number.isInteger(flowLayers) && flowLayers >= 0)) {
      throw new VireoError("INVALID_OPTION", `amortised: flow must be a number of planar layers ≥ 0, got ${flowLayers}.`, { parameter: "flow" });
    }
    this.latent = q.latent;
    this.flowLayers = flowLayers;
    this.closedFormEntropy = flowLayers === 0;
    this.nParams = q.nParams + flowLayers * (2 * q.latent + 1);
    this.name = `Amortised(${q.covariance} Gaussian, K ${q.latent}${flowLayers > 0 ? `, ${flowLayers} planar layers` : ""})`;
  }

  /** Length of one draw: every bound row's K values. */
  get dim(): number {
    return this.rows * this.latent;
  }

  get noiseSize(): number {
    return this.rows * this.latent;
  }

  /** Binds the rows the encoder reads (their widths must add up to the encoder's inputs). */
  bindRows(sources: readonly AmortisedSource[], rows: number): void {
    const width = sources.reduce((s, c) => s + c.width, 0);
    if (width !== this.q.encoder.inputs) {
      throw new VireoError(
        "DIMENSION_MISMATCH",
        `amortised: the encoder takes ${this.q.encoder.inputs} inputs per row but [${sources.map((s) => `'${s.name}' (${s.width})`).join(", ")}] give ${width}; make the encoder's first layer ${width} wide.`,
        { parameter: "encoder" },
      );
    }
    this.sources = sources;
    this.rows = rows;
    if (sources.length > 1 && this.inputs.length !== rows * width) this.inputs = new Float64Array(rows * width);
  }

  /** The encoder's input matrix [m, D] on `tape`. */
  private inputMatrix(tape: Tape): TNode {
    return tape.constant(this.inputValues(), [this.rows, this.q.encoder.inputs]);
  }

  /** The encoder's inputs, rows × D (the single source as it is, or the sources side by side). */
  private inputValues(): Float64Array {
    const D = this.q.encoder.inputs, m = this.rows;
    if (this.sources.length === 1) return this.sources[0]!.values.length === m * D ? this.sources[0]!.values : this.sources[0]!.values.subarray(0, m * D);
    const X = this.inputs;
    let col = 0;
    for (const s of this.sources) {
      for (let i = 0; i < m; i++) for (let j = 0; j < s.width; j++) X[i * D + col + j] = s.values[i * s.width + j]!;
      col += s.width;
    }
    return X;
  }

  /**
   * The encoder's outputs (μ and the scale part) at λ for the bound rows, as numbers: computed once
   * and reused while λ and the rows are unchanged (numeric draws come one at a time, the encoder
   * pass is the expensive part).
   */
  private encodedValues(lambda: Float64Array): { readonly mean: Float64Array; readonly scale: Float64Array } {
    const X = this.inputValues(), enc = this.encodedCache;
    if (enc !== null && sameValues(enc.lambda, lambda, this.q.nParams) && sameValues(enc.inputs, X, X.length)) return enc;
    const t = this.tape;
    t.reset();
    const parts = this.q.encode(t.constant(lambda.subarray(0, this.q.nParams)), 0, this.inputMatrix(t));
    const fresh = { lambda: lambda.slice(0, this.q.nParams), inputs: X.slice(), mean: parts.mean.value.slice(), scale: parts.scale.value.slice() };
    this.encodedCache = fresh;
    return fresh;
  }
  private encodedCache: { lambda: Float64Array; inputs: Float64Array; mean: Float64Array; scale: Float64Array } | null = null;

  init(out: Float64Array): void {
    const rng = new Generator(this.seed);
    this.q.encoder.initialise(rng, out, 0);
    const K = this.latent;
    for (let l = 0, o = this.q.nParams; l < this.flowLayers; l++, o += 2 * K + 1) {
      // u small (the layer starts near the identity), w at unit scale, b = 0: as planar().
      for (let i = 0; i < K; i++) out[o + i] = 0.1 * sampleStandardNormal(rng);
      for (let i = 0; i < K; i++) out[o + K + i] = sampleStandardNormal(rng);
      out[o + 2 * K] = 0;
    }
  }

  /** parts = [μ [m, K], scale [m, ·], flow layer slices…]. */
  prepare(lambda: TNode): TNode[] {
    const parts = this.q.encode(lambda, 0, this.inputMatrix(lambda.tape));
    const out = [parts.mean, parts.scale];
    const K = this.latent;
    for (let l = 0; l < this.flowLayers; l++) out.push(slice(lambda, this.q.nParams + l * (2 * K + 1), 2 * K + 1));
    return out;
  }

  private gaussianParts(parts: TNode[]): AmortisedParts {
    return { rows: this.rows, mean: parts[0]!, scale: parts[1]! };
  }

  drawNoise(rng: Generator, eps: Float64Array): void {
    for (let i = 0; i < eps.length; i++) eps[i] = sampleStandardNormal(rng);
  }

  reparam(parts: TNode[], eps: TNode): TNode {
    return this.drawRows(parts, eps, false).z;
  }

  /** The draw and log q(z) (summed over rows) on the tape. */
  reparamWithLogDensity(parts: TNode[], eps: TNode): DrawWithLogDensity {
    const d = this.drawRows(parts, eps, true);
    return { z: d.z, logq: d.logq! };
  }

  private drawRows(parts: TNode[], eps: TNode, withLogq: boolean): { z: TNode; logq: TNode | null } {
    const m = this.rows, K = this.latent, E = reshape(eps, [m, K]), g = this.gaussianParts(parts);
    let z = this.q.draw(g, E);
    let logq: TNode | null = withLogq ? sum(this.q.logDensityRows(g, E)) : null;
    for (let l = 0; l < this.flowLayers; l++) {
      const step = planarRows(parts[2 + l]!, z, K);
      z = step.y;
      if (logq !== null) logq = sub(logq, step.logDet);
    }
    return { z: reshape(z, [m * K]), logq };
  }

  entropy(parts: TNode[]): TNode {
    if (this.flowLayers > 0) {
      throw new VireoError("INVALID_OPTION", `${this.name}: with flow layers the entropy has no closed form; the objective uses −log q(z) per draw.`);
    }
    return sum(this.q.entropyRows(this.gaussianParts(parts)));
  }

  /** H[q] at λ from the cached encoder outputs (no new encoder pass after a draw at the same λ); closed form only without flow layers. */
  entropyValue(lambda: Float64Array): number {
    if (this.flowLayers > 0) {
      throw new VireoError("INVALID_OPTION", `${this.name}: with flow layers the entropy has no closed form; the objective uses −log q(z) per draw.`);
    }
    const enc = this.encodedValues(lambda), t = this.tape, m = this.rows;
    t.reset();
    return sum(this.q.entropyRows({ rows: m, mean: t.constant(enc.mean, [m, this.latent]), scale: t.constant(enc.scale, [m, enc.scale.length / m]) })).value[0]!;
  }

  sampleWithLogDensity(lambda: Float64Array, rng: Generator, out: Float64Array): number {
    const enc = this.encodedValues(lambda), t = this.tape, K = this.latent, m = this.rows;
    t.reset();
    const eps = new Float64Array(this.noiseSize);
    this.drawNoise(rng, eps);
    const parts = [t.constant(enc.mean, [m, K]), t.constant(enc.scale, [m, enc.scale.length / m])];
    for (let l = 0; l < this.flowLayers; l++) parts.push(t.constant(lambda.subarray(this.q.nParams + l * (2 * K + 1), this.q.nParams + (l + 1) * (2 * K + 1))));
    const d = this.reparamWithLogDensity(parts, t.constant(eps));
    out.set(d.z.value);
    return d.logq.value[0]!;
  }

  sample(lambda: Float64Array, rng: Generator, out: Float64Array): void {
    this.sampleWithLogDensity(lambda, rng, out);
  }

  /** log q(z) at any z: the flow layers inverted back to the Gaussian draw, then ε = L⁻¹(z₀ − μ). */
  logDensity(lambda: Float64Array, z: Float64Array): number {
    const m = this.rows, K = this.latent, t = this.tape;
    t.reset();
    const parts = this.prepare(t.constant(lambda));
    const z0 = Float64Array.from(z.subarray(0, m * K));
    for (let l = this.flowLayers - 1; l >= 0; l--) invertPlanarRows(parts[2 + l]!.value, z0, m, K);
    const mu = parts[0]!.value, s = parts[1]!.value, eps = new Float64Array(m * K);
    for (let i = 0; i < m; i++) {
      if (this.q.covariance === "diagonal") {
        for (let a = 0; a < K; a++) eps[i * K + a] = (z0[i * K + a]! - mu[i * K + a]!) * Math.exp(-s[i * K + a]!);
      } else {
        // Forward substitution with the packed factor (log-diagonal).
        const P = trilSize(K);
        for (let a = 0, q = i * P; a < K; a++) {
          let r = z0[i * K + a]! - mu[i * K + a]!;
          for (let b = 0; b < a; b++, q++) r -= s[q]! * eps[i * K + b]!;
          eps[i * K + a] = r * Math.exp(-s[q++]!);
        }
      }
    }
    return this.reparamWithLogDensity(parts, t.constant(eps)).logq.value[0]!;
  }

  score(): void {
    throw new VireoError("INVALID_OPTION", `${this.name}: an amortised q is fitted with the reparameterization estimator; remove estimator 'score' (the default 'auto' picks 'reparam').`);
  }

  /** Per-row means (K each): exact for the Gaussian, by Monte Carlo (2000 fixed-seed draws) through flow layers. */
  mean(lambda: Float64Array, out: Float64Array): void {
    this.moments(lambda, out, false);
  }

  variance(lambda: Float64Array, out: Float64Array): void {
    this.moments(lambda, out, true);
  }

  private moments(lambda: Float64Array, out: Float64Array, second: boolean): void {
    const X = this.inputMatrix(this.tape).value;
    if (this.flowLayers === 0) {
      const mom = this.q.moments(lambda, X, this.rows);
      out.set(second ? mom.variance : mom.mean);
      return;
    }
    const n = 2000, rng = new Generator(0x5eed), d = this.dim, z = new Float64Array(d), mu = new Float64Array(d), v = new Float64Array(d);
    for (let k = 1; k <= n; k++) {
      this.sample(lambda, rng, z);
      for (let i = 0; i < d; i++) {
        const delta = z[i]! - mu[i]!;
        mu[i] += delta / k;
        v[i] += delta * (z[i]! - mu[i]!);
      }
    }
    for (let i = 0; i < d; i++) out[i] = second ? v[i]! / (n - 1) : mu[i]!;
  }
}

function sameValues(a: Float64Array, b: Float64Array, n: number): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * One planar layer (Rezende & Mohamed 2015) applied to every row of Z [m, K] with shared
 * parameters p = [u (K), w (K), b]: y_i = z_i + û tanh(wᵀz_i + b), with û = u + (m(wᵀu) − wᵀu) w/‖w‖²
 * and m(x) = −1 + softplus(x), so each row's map is invertible; returns Σ_i log|det ∂y_i/∂z_i|.
 */
function planarRows(p: TNode, Z: TNode, K: number): { y: TNode; logDet: TNode } {
  const u = slice(p, 0, K), w = slice(p, K, K), b = slice(p, 2 * K, 1);
  const wu = sum(mul(w, u)), mm = shift(softplus(wu), -1);
  const uh = add(u, mul(w, div(sub(mm, wu), sum(square(w)))));
  const m = Z.d0;
  const h = tanh(add(matmul(Z, w), b));
  const y = add(Z, matmul(reshape(h, [m, 1]), reshape(uh, [1, K])));
  const logDet = sum(log(shift(mul(shift(scale(square(h), -1), 1), mm), 1)));
  return { y, logDet };
}

/** Inverts planarRows in place, row by row (wᵀy = a + m tanh(a + b) is increasing in a: safeguarded Newton). */
function invertPlanarRows(p: Float64Array, Y: Float64Array, rows: number, K: number): void {
  let wu = 0, ww = 0;
  for (let i = 0; i < K; i++) {
    wu += p[K + i]! * p[i]!;
    ww += p[K + i]! * p[K + i]!;
  }
  const mm = softplusValue(wu) - 1, b = p[2 * K]!, c = (mm - wu) / ww;
  for (let r = 0; r < rows; r++) {
    let wy = 0;
    for (let i = 0; i < K; i++) wy += p[K + i]! * Y[r * K + i]!;
    let lo = wy - Math.abs(mm) - 1, hi = wy + Math.abs(mm) + 1, a = wy;
    for (let it = 0; it < 100; it++) {
      const t = Math.tanh(a + b), g = a + mm * t - wy;
      if (g > 0) hi = a; else lo = a;
      let next = a - g / (1 + mm * (1 - t * t));
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
      if (Math.abs(next - a) < 1e-15 * (1 + Math.abs(a))) { a = next; break; }
      a = next;
    }
    const t = Math.tanh(a + b);
    for (let i = 0; i < K; i++) Y[r * K + i] = Y[r * K + i]! - (p[i]! + c * p[K + i]!) * t;
  }
}
