/**
 * The built model: plain, frozen data describing plates, variables and factors. Built by
 * ModelBuilder, validated once; engines compile it together with data into numeric state.
 */
import type { ExponentialFamily, Transform, VariationalChoice, AmortisedGaussian } from "@vireo/core";
import type { EstimatorChoice } from "../engine/estimator.js";
import type { NodeType } from "@vireo/nodes";

export type VariableKind = "random" | "observed" | "constant" | "input" | "deterministic";

/** How q factorises inside one vector Gaussian variable. */
export type Factorisation = "joint" | "mean-field";

export interface PlateSpec {
  readonly name: string;
  /** Fixed size (e.g. mixture components), or null when the bound data decides it. */
  readonly size: number | null;
  /**
   * Name of an input column in this plate giving each row's multiplicity (a row that stands for
   * c identical observations, e.g. a word count), or null for all ones.
   */
  readonly multiplicity: string | null;
}

export interface DeterministicSpec {
  /** Names of the known variables (data, constants, other deterministics) it is computed from. */
  readonly from: readonly string[];
  /**
   * Fills `out` (rows × valueSize) from the inputs' values (each rows × its valueSize, or a
   * single row when the input is outside the plate).
   */
  readonly compute: (inputs: readonly Float64Array[], out: Float64Array, rows: number) => void;
}

/**
 * A random variable fitted by gradients instead of closed-form messages: its variational family
 * q over an unconstrained z, and the bijector x = T(z) onto the variable's support.
 */
export interface GradientFitSpec {
  /** q's family, or an amortised encoder (plate-local latents: engine/amortised.ts). */
  readonly q: VariationalChoice | AmortisedGaussian;
  /** null: the family's own support bijector (ExponentialFamily.supportBijector). */
  readonly bijector: Transform | null;
  readonly estimator: EstimatorChoice;
}

export interface VariableSpec {
  readonly name: string;
  readonly kind: VariableKind;
  /** Family of the variable; null for plain inputs (covariates) and deterministics. */
  readonly family: ExponentialFamily | null;
  readonly plate: string | null;
  /** Numbers per instance (1, d, d·d, K for inputs). */
  readonly valueSize: number;
  readonly factorisation: Factorisation;
  /** Fixed value of a constant (count × valueSize). */
  readonly value: Float64Array | null;
  readonly deterministic: DeterministicSpec | null;
  /** Set when the variable is fitted by gradients (see GradientFitSpec); absent or null for closed-form updates. */
  readonly gradient?: GradientFitSpec | null;
}

export interface EdgeBinding {
  readonly variable: string;
  /** Name of an integer input column in the factor's plate selecting the instance per row. */
  readonly index: string | null;
}

export interface FactorSpec {
  readonly name: string;
  readonly type: NodeType;
  readonly edges: Readonly<Record<string, EdgeBinding>>;
  readonly plate: string | null;
  /** For mixtures: the edges bound to per-component variables. */
  readonly componentEdges: readonly string[];
}

export interface Model {
  readonly plates: Readonly<Record<string, PlateSpec>>;
  readonly variables: Readonly<Record<string, VariableSpec>>;
  readonly factors: readonly FactorSpec[];
  /** Variable names in declaration order. */
  readonly order: readonly string[];
}
