/**
 * The contract every exponential family implements. A density is
 *   p(x | η) = h(x) exp(ηᵀ T(x) − A(η)),
 * and everything Vireo passes around (messages, marginals, priors) is a natural-parameter vector η.
 * The product of two densities of one family is the sum of their η.
 *
 * Generic facts (entropy, KL within the family, log-density) follow from A, ∇A = E[T] and E[log h];
 * a family overrides them only where it has a more accurate closed form.
 */
import type { Generator } from "../random/generator.js";
import { VireoError, fmt } from "../errors.js";
import type { Transform } from "../variational/transform.js";

export abstract class ExponentialFamily<X = unknown, P = unknown> {
  /** Family name, e.g. "Normal". */
  abstract readonly name: string;
  /** Length of the natural-parameter (and sufficient-statistic) vector. */
  abstract readonly size: number;
  /** Dimension descriptor (d for MvNormal/Wishart, K for Dirichlet/Categorical, 1 otherwise). */
  readonly dim: number = 1;
  /**
   * True for structured blocks whose rows are one joint distribution (a chain over time steps):
   * their batch operations couple the rows, and summaries are taken over all rows at once.
   */
  readonly coupledRows: boolean = false;
  /** Numbers in one value: 1 for scalars and category indices, d for vectors, d·d for matrices. */
  get valueSize(): number {
    return 1;
  }

  /** Unique key of the family at its dimension, e.g. "MvNormal(3)". */
  get key(): string {
    return this.dim === 1 && !this.dimensional ? this.name : `${this.name}(${this.dim})`;
  }
  /** Whether the family is indexed by a dimension (used in keys and messages). */
  protected readonly dimensional: boolean = false;

  // ---- Facts the runtime asks of a family instead of guessing by name ----

  /**
   * Whether one value is a plain number (Normal, Gamma, a Categorical index) rather than a
   * Float64Array of valueSize numbers (MvNormal(d) for every d, including d = 1). Dimensioned
   * families take arrays unless they say otherwise.
   */
  get scalarValue(): boolean {
    return !this.dimensional && this.valueSize === 1;
  }

  /**
   * True when the statistics of known values are left implicit: known edges of this family carry
   * empty stats and nodes read the raw values (a Categorical's one-hot vectors are never built).
   */
  get implicitKnownStats(): boolean {
    return false;
  }

  /**
   * Where the value at values[offset .. offset + valueSize) leaves the support, or null when it
   * is inside. The default accepts any value whose sufficient statistics are finite (so a
   * family whose T takes a logarithm rejects non-positive values); families override it with a
   * precise description of their support.
   */
  supportViolation(values: Float64Array, offset: number): SupportViolation | null {
    const t = this.sufficientStats(this.valueAt(values, offset) as X);
    for (let i = 0; i < t.length; i++) {
      if (!Number.isFinite(t[i])) {
        return { column: null, expected: `a value in the support of ${this.key} (its sufficient statistic ${i} is ${fmt(t[i]!)})` };
      }
    }
    return null;
  }

  /**
   * Throws INVALID_DATA at the first of `count` values (count × valueSize) outside the support,
   * naming the row and, for multi-number values, the column. `label` says whose values they are
   * (e.g. "Data 'y'").
   */
  checkSupport(values: Float64Array, count: number, label: string, variable?: string): void {
    const c = this.valueSize;
    for (let r = 0; r < count; r++) {
      const bad = this.supportViolation(values, r * c);
      if (bad === null) continue;
      const at = bad.column === null ? "" : `, column ${bad.column}`;
      const got = bad.column === null ? (c === 1 ? `is ${fmt(values[r * c]!)}` : `is [${Array.from(values.subarray(r * c, (r + 1) * c), fmt).join(", ")}]`) : `is ${fmt(values[r * c + bad.column]!)}`;
      const context = bad.column === null ? { row: r } : { row: r, column: bad.column };
      throw new VireoError("INVALID_DATA", `${label}: row ${r}${at} ${got}, expected ${bad.expected}.`, variable === undefined ? context : { variable, ...context });
    }
  }

  /** One value out of a flat buffer: a number for scalar families, else a view of valueSize numbers. */
  valueAt(values: Float64Array, offset: number): X {
    return (this.scalarValue ? values[offset]! : values.subarray(offset, offset + this.valueSize)) as X;
  }

  /**
   * T(value_i) for `count` values stored back to back (count × valueSize) into `out`
   * (count × size). A no-op for families with implicit known statistics; structured blocks
   * (coupledRows) read all rows as one value.
   */
  knownStatsRows(values: Float64Array, count: number, out: Float64Array): Float64Array {
    if (this.implicitKnownStats) return out;
    if (this.coupledRows) {
      this.sufficientStats(values.subarray(0, count * this.valueSize) as X, out.subarray(0, count * this.size));
      return out;
    }
    const k = this.size, v = this.valueSize;
    for (let i = 0; i < count; i++) this.sufficientStats(this.valueAt(values, i * v), out.subarray(i * k, (i + 1) * k));
    return out;
  }

  /** Length of the statistics buffer of `count` known values (0 when they stay implicit). */
  knownStatsLength(count: number): number {
    return this.implicitKnownStats ? 0 : count * this.size;
  }

  /**
   * The member of this family that holds a constant of `length` numbers written inline on an
   * edge (e.g. `precision: 2` on a Gamma edge; a 3×3 matrix on a Wishart edge gives Wishart(3)).
   * Throws INVALID_MODEL, prefixed with `where`, when no member fits. Dimensioned families
   * answer for every dimension (see FamilyConstructor.constantFamily).
   */
  constantFamily(length: number, where: string): ExponentialFamily {
    if (length === this.valueSize) return this;
    throw new VireoError("INVALID_MODEL", `${where}: a ${this.key} constant holds ${this.valueSize} value${this.valueSize === 1 ? "" : "s"}, got ${length}.`);
  }

  /**
   * A random starting point for `count` latent instances (count × size into `eta`), for
   * families whose identical starts would never separate (per-row mixture selectors). Returns
   * false, leaving `eta` alone, for families that start deterministically.
   */
  randomStart(_rng: Generator, _eta: Float64Array, _count: number): boolean {
    return false;
  }

  /**
   * Seeding rule for mixtures: moves the instance `eta` to be located at the data value
   * values[offset ..) while keeping its spread (a component mean started at a data row).
   * Returns false for families without a location.
   */
  seedAt(_eta: Float64Array, _values: Float64Array, _offset: number): boolean {
    return false;
  }

  /**
   * Mean-field projection, for vector families whose q may be declared fully factorised:
   * replaces each of `count` instances by the best factorised member with the same total
   * message. Families without one keep this default (and hasMeanField false: the builder
   * rejects `factorisation: "mean-field"` for them). Throws a VireoError with `row` = the
   * failing instance.
   */
  toMeanField(_eta: Float64Array, _count: number, where: string): void {
    throw new VireoError("INVALID_MODEL", `${where}: ${this.key} has no mean-field form.`);
  }
  /** Whether toMeanField is implemented. */
  get hasMeanField(): boolean {
    return false;
  }

  /** T(x) into `out`. */
  abstract sufficientStats(x: X, out?: Float64Array): Float64Array;
  /** log h(x). */
  abstract logBase(x: X): number;
  /** A(η). */
  abstract logPartition(eta: Float64Array): number;
  /** E[T(x)] = ∇A(η) into `out`. */
  abstract expectedStats(eta: Float64Array, out?: Float64Array): Float64Array;
  /** E[log h(x)] under p(·|η): the one term the entropy needs beyond A and ∇A. */
  abstract expectedLogBase(eta: Float64Array): number;
  /** A draw from p(·|η). */
  abstract sample(eta: Float64Array, rng: Generator): X;
  /** η from standard parameters (validated). */
  abstract toNatural(params: P): Float64Array;
  /** Standard parameters from η. */
  abstract fromNatural(eta: Float64Array): P;
  /** Throws INVALID_PARAMETER unless η is a proper member of the family (finite, in the domain). */
  protected abstract checkDomain(eta: Float64Array, where: string): void;
  /** Posterior summaries: the mean, and the variance (per component for vectors). */
  abstract mean(eta: Float64Array): number | Float64Array;
  abstract variance(eta: Float64Array): number | Float64Array;

  /** Throws a typed error unless η has the right length and is a proper member of the family. */
  validate(eta: Float64Array, where = this.key): void {
    if (!(eta instanceof Float64Array) || eta.length !== this.size) {
      throw new VireoError(
        "DIMENSION_MISMATCH",
        `${where}: ${this.key} natural parameters must be a Float64Array of length ${this.size}, got ` +
          `${eta instanceof Float64Array ? `length ${eta.length}` : typeof eta}.`,
      );
    }
    for (let i = 0; i < eta.length; i++) {
      if (!Number.isFinite(eta[i])) {
        throw new VireoError(
          "INVALID_PARAMETER",
          `${where}: ${this.key} natural parameter η[${i}] is ${fmt(eta[i]!)}; every entry must be finite.`,
          { parameter: `eta[${i}]` },
        );
      }
    }
    this.checkDomain(eta, where);
  }

  /**
   * Index of the first of `count` finite instances stored back to back that is not a proper
   * member of the family, or −1. Families with simple domains override it with a loop that
   * allocates nothing (the engine checks every updated row).
   */
  firstImproperRow(eta: Float64Array, count: number): number {
    for (let i = 0; i < count; i++) if (!this.isProper(eta.subarray(i * this.size, (i + 1) * this.size))) return i;
    return -1;
  }

  /**
   * A broad, proper member to start inference from before any message has arrived (one row).
   * The default is η = 0 (uniform for Beta, Dirichlet, Categorical, Bernoulli; rate 1 for a
   * Poisson); families where η = 0 is improper override it.
   */
  startingPoint(): Float64Array {
    const eta = new Float64Array(this.size);
    if (!this.isProper(eta)) {
      throw new VireoError("INVALID_MODEL", `${this.key} has no default starting point (η = 0 is improper); give one with the 'init' option or override startingPoint().`);
    }
    return eta;
  }

  /**
   * The bijector from unconstrained reals onto the support, used when a variable of this family
   * is fitted by gradients (identity for Normal, log for Gamma, logit for Beta, stick-breaking for
   * Dirichlet, ...); null when the family has none (discrete families).
   */
  get supportBijector(): Transform | null {
    return null;
  }

  /**
   * True when T(x) is a polynomial of degree ≤ 2 in x (Normal, MvNormal): then E_q[T(x)] under a
   * Gaussian q is exact from 2m sigma points, and the graph uses it instead of draws.
   */
  get quadraticStats(): boolean {
    return false;
  }

  /**
   * True when η are unnormalised log-probabilities over `size` outcomes: E_q[T] = softmax(η) per
   * instance and A(η) = log Σ_k e^{η_k} (Categorical). Then q ∝ Π_j e^{m_j} for messages m_j, and
   * the engine may form E_q[T] from precomputed exponentials of gathered messages instead of
   * exponentiating every row (engine/gathered-update.ts).
   */
  get softmaxStats(): boolean {
    return false;
  }

  /**
   * Adds ∂⟨c, T(x)⟩/∂x to `grad` for one value x (valueSize numbers): how a conjugate neighbour's
   * expected log factor, linear in T(x) with coefficient c (its message), changes with a draw x of
   * a gradient-fitted variable. Families that can be gradient-fitted override it.
   */
  statsGradient(_x: Float64Array, _c: Float64Array, _grad: Float64Array): void {
    throw new VireoError(
      "INVALID_MODEL",
      `${this.key} cannot be fitted by gradients: the family does not give ∂T(x)/∂x (statsGradient) and a support bijector.`,
    );
  }

  /** Whether η is a proper member of the family (no throw). */
  isProper(eta: Float64Array): boolean {
    try {
      this.validate(eta);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * E[T] for `count` instances stored back to back (count × size) into `out`. Returns
   * Σ_i w_i (A(η_i) − E[log h]_i) when `wantLogNormaliser` is set (the engine uses it for the
   * collapsed ELBO of plate-local variables), else 0; `weights` (row multiplicities) default to 1.
   * Families override it with tight loops.
   */
  expectedStatsRows(eta: Float64Array, out: Float64Array, count: number, wantLogNormaliser = false, weights: Float64Array | null = null): number {
    const k = this.size;
    let s = 0;
    for (let i = 0; i < count; i++) {
      const e = eta.subarray(i * k, (i + 1) * k);
      this.expectedStats(e, out.subarray(i * k, (i + 1) * k));
      if (wantLogNormaliser) s += (weights === null ? 1 : weights[i]!) * (this.logPartition(e) - this.expectedLogBase(e));
    }
    return s;
  }

  /** Σ_i w_i H[p_i] over `count` instances stored back to back (weights default to 1). */
  entropyRows(eta: Float64Array, count: number, weights: Float64Array | null = null): number {
    const k = this.size;
    let s = 0;
    for (let i = 0; i < count; i++) s += (weights === null ? 1 : weights[i]!) * this.entropy(eta.subarray(i * k, (i + 1) * k));
    return s;
  }

  /** H[p] = A(η) − ηᵀE[T] − E[log h]. */
  entropy(eta: Float64Array): number {
    const m = this.expectedStats(eta);
    let s = 0;
    for (let i = 0; i < this.size; i++) s += eta[i]! * m[i]!;
    return this.logPartition(eta) - s - this.expectedLogBase(eta);
  }

  /** KL(q‖p) = (η_q − η_p)ᵀ E_q[T] − A(η_q) + A(η_p). */
  kl(etaQ: Float64Array, etaP: Float64Array): number {
    const m = this.expectedStats(etaQ);
    let s = 0;
    for (let i = 0; i < this.size; i++) s += (etaQ[i]! - etaP[i]!) * m[i]!;
    return Math.max(0, s - this.logPartition(etaQ) + this.logPartition(etaP));
  }

  /** log p(x | η). */
  logDensity(eta: Float64Array, x: X): number {
    const t = this.sufficientStats(x);
    let s = 0;
    for (let i = 0; i < this.size; i++) s += eta[i]! * t[i]!;
    return this.logBase(x) + s - this.logPartition(eta);
  }
}

/** Where a value leaves a family's support: the column (null for the value as a whole) and what was expected. */
export interface SupportViolation {
  readonly column: number | null;
  readonly expected: string;
}

/**
 * A dimensioned family (MvNormal, Wishart, Dirichlet, Categorical): a function of the dimension
 * that also answers, before any dimension is chosen, which member holds an inline constant.
 */
export interface FamilyConstructor<F extends ExponentialFamily = ExponentialFamily> {
  (dim: number): F;
  /** The family name every member shares ("MvNormal"). */
  readonly familyName: string;
  /** The member holding a constant of `length` numbers; throws INVALID_MODEL prefixed with `where` when none does. */
  constantFamily(length: number, where: string): F;
}

/** An edge's family as a node declares it: a fixed family (Normal) or a dimensioned one (MvNormal). */
export type FamilyRef = ExponentialFamily | FamilyConstructor;

/** The family name of a FamilyRef. */
export function familyRefName(ref: FamilyRef): string {
  return typeof ref === "function" ? ref.familyName : ref.name;
}

/**
 * Makes a FamilyConstructor from `make(dim)` (cached: one shared instance per dimension) and
 * `dimOf(length)`, the dimension of a member holding `length` numbers (or a sentence saying
 * why an inline constant cannot choose one).
 */
export function familyConstructor<F extends ExponentialFamily>(familyName: string, make: (dim: number) => F, dimOf: (length: number) => number | string): FamilyConstructor<F> {
  const cache = new Map<number, F>();
  const ctor = ((dim: number): F => {
    let f = cache.get(dim);
    if (!f) cache.set(dim, (f = make(dim)));
    return f;
  }) as FamilyConstructor<F>;
  Object.defineProperty(ctor, "familyName", { value: familyName });
  Object.defineProperty(ctor, "constantFamily", {
    value: (length: number, where: string): F => {
      const d = dimOf(length);
      if (typeof d === "string") throw new VireoError("INVALID_MODEL", `${where}: ${d}`);
      return ctor(d);
    },
  });
  return ctor;
}

/** A family whose value is a single number (Normal, Gamma, Beta, Bernoulli, Poisson, Categorical index). */
export type ScalarFamily<P = unknown> = ExponentialFamily<number, P>;
/** A family whose value is a vector or a flattened matrix. */
export type VectorFamily<P = unknown> = ExponentialFamily<Float64Array, P>;

/** Helper for parameter checks in toNatural(): throws INVALID_PARAMETER naming family, parameter and value. */
export function checkParam(ok: boolean, family: string, parameter: string, value: number, expected: string): void {
  if (!ok || (typeof value === "number" && Number.isNaN(value))) {
    throw new VireoError(
      "INVALID_PARAMETER",
      `${family}: parameter '${parameter}' = ${fmt(value)} is invalid; expected ${expected}.`,
      { parameter },
    );
  }
}

/** Throws DIMENSION_MISMATCH when a vector parameter has the wrong length. */
export function checkLength(family: string, parameter: string, got: number, expected: number): void {
  if (got !== expected) {
    throw new VireoError(
      "DIMENSION_MISMATCH",
      `${family}: parameter '${parameter}' has length ${got}, expected ${expected}.`,
      { parameter },
    );
  }
}

/**
 * Throws INVALID_PARAMETER unless the d×d row-major matrix parameter is symmetric up to round-off.
 * Cholesky reads only the lower triangle, so an asymmetric covariance or scale would otherwise be
 * accepted silently as a different matrix.
 */
export function checkSymmetric(family: string, parameter: string, m: ArrayLike<number>, d: number): void {
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      const a = m[i * d + j]!, b = m[j * d + i]!;
      const scale = Math.max(Math.abs(a), Math.abs(b), Math.sqrt(Math.abs(m[i * d + i]! * m[j * d + j]!)));
      if (!(Math.abs(a - b) <= 1e-10 * scale)) {
        throw new VireoError(
          "INVALID_PARAMETER",
          `${family}: parameter '${parameter}' must be a symmetric matrix, but ${parameter}[${i},${j}] = ${fmt(a)} ` +
            `while ${parameter}[${j},${i}] = ${fmt(b)} (row-major, 0-based).`,
          { parameter },
        );
      }
    }
  }
}
