/**
 * The joint ELBO gradient of a compiled graph: every gradient-fitted variable's λ at once, laid
 * out back to back in declaration order, estimated by the one ELBO-gradient estimator
 * (engine/estimator.ts) over the graph's own variables and density factors:
 *
 *   ELBO(λ) = E_q[Σ_density log g(x) + Σ_v log|J_v(z_v)|] + Σ_v H[q_v].
 *
 * Where a sweep (cavi / svi / online) steps each variable on its Markov blanket with the others
 * fixed, this is one unbiased estimate of ∇_λ ELBO for all variables together: reparameterised
 * variables by one backward pass, score-function ones (discrete q included) Rao–Blackwellised by
 * their blanket in the graph. It is what a joint optimiser step (`createBbvi`) and the
 * unbiasedness tests need, at any λ the caller holds (the estimator keeps no λ of its own).
 *
 * Per-batch data: `estimate(..., { data, scale })` hands `data` to every density node (its
 * `draw.data`) and multiplies the nodes that sum over a batch (`minibatch: true`, or in a data
 * plate) by `scale` = N/|B|.
 */
import { VireoError, Tape, ad, elboBound, validateBound, type Bound, type Generator, type Transform, type VariationalFamily, type TNode } from "@vireo/core";
import { isDensityNode, type DensitySpec } from "@vireo/nodes";
import type { Model } from "../model/spec.js";
import { ElboGradientEstimator, type BaselineKind, type EstimatorChoice, type EstimatorFactor, type EstimatorLatent, type EstimateInput } from "./estimator.js";
import { edgeValue, isDataPlate, reduceDensity, edgeShape } from "./factor-terms.js";
import { bindData, type DataBinding } from "./bind.js";
import type { CompiledState, FactorState, VariableState } from "./state.js";
import { compile } from "./all-capabilities.js";

export interface JointGradientOptions {
  /** Monte Carlo draws per estimate (default 10; 1 is allowed). */
  readonly samples?: number;
  /** Per-variable estimator, overriding the variable's own choice. */
  readonly estimators?: Readonly<Record<string, EstimatorChoice>>;
  /** Score-function terms use only each variable's Markov blanket (default true). */
  readonly raoBlackwell?: boolean;
  /** Control variate of score terms (default "running"). */
  readonly baseline?: BaselineKind;
  /** Decay of the running baseline (default 0.9). */
  readonly baselineDecay?: number;
  /** The objective (default elboBound(); iwaeBound(K) / renyiBound(α, K) need every variable reparameterised). */
  readonly bound?: Bound;
}

/** One gradient-fitted variable in the joint λ. */
export interface JointLatent {
  readonly name: string;
  readonly q: VariationalFamily;
  readonly bijector: Transform;
  /** Offset of the variable's λ in the joint vector. */
  readonly offset: number;
  readonly estimator: "reparam" | "score";
}

export class JointGradient<D = unknown> {
  readonly latents: readonly JointLatent[];
  /** Length of the joint λ. */
  readonly nParams: number;
  readonly bound: Bound;
  private readonly estimator: ElboGradientEstimator<D>;
  private readonly factors: readonly EstimatorFactor<D>[];
  private readonly valueTape = new Tape();
  private readonly nodes: Record<string, TNode> = {};

  constructor(readonly state: CompiledState, options: JointGradientOptions = {}) {
    const samples = options.samples ?? 10;
    if (!Number.isInteger(samples) || samples < 1) {
      throw new VireoError("INVALID_OPTION", `jointGradient: 'samples' must be a positive integer, got ${samples}.`, { parameter: "samples" });
    }
    const vars = state.random;
    for (const v of vars) {
      if (v.gradient === null || v.neighbours.length > 0) {
        throw new VireoError(
          "INVALID_MODEL",
          `jointGradient: '${v.name}' ${v.gradient === null ? "is fitted in closed form" : "has conjugate (message-passing) neighbours"}; the joint gradient covers models whose random variables are all gradient-fitted and connected by density factors only. Fit this model with cavi / svi, or give '${v.name}' a q and density factors.`,
          { variable: v.name },
        );
      }
    }
    for (const name of Object.keys(options.estimators ?? {})) {
      if (!vars.some((v) => v.name === name)) {
        throw new VireoError("UNKNOWN_NAME", `jointGradient: estimators.${name}: no gradient-fitted variable '${name}'; variables are: ${vars.map((v) => v.name).join(", ")}.`, { variable: name });
      }
    }
    const index = new Map<string, number>(vars.map((v, i) => [v.name, i]));
    const densities = state.factors.filter((f) => isDensityNode(f.spec.type));
    const blankets: number[][] = vars.map(() => []);
    let offset = 0;
    const reparam: boolean[] = [];
    const latents: JointLatent[] = [];
    const estimatorLatents: EstimatorLatent[] = vars.map((v, i) => {
      const fit = v.gradient!.fit, choice = options.estimators?.[v.name];
      if (choice === "reparam" && !fit.q.reparameterizable) {
        throw new VireoError("INVALID_OPTION", `jointGradient: '${v.name}' (${fit.q.name}) cannot use the reparameterization estimator: it has no differentiable draw. Use 'score' or 'auto'.`, { variable: v.name });
      }
      const r = choice === undefined ? fit.reparam : choice === "reparam" || (choice === "auto" && fit.q.reparameterizable);
      reparam.push(r);
      latents.push({ name: v.name, q: fit.q, bijector: fit.bijector, offset, estimator: r ? "reparam" : "score" });
      const l = { name: v.name, family: fit.q, transform: fit.bijector, offset, valueSize: fit.bijector.outputSize(fit.q.dim), blanket: blankets[i]! };
      offset += fit.q.nParams;
      return l;
    });
    const factors: EstimatorFactor<D>[] = densities.map((f, fi) => {
      const varIndex: number[] = [];
      for (const b of Object.values(f.spec.edges)) {
        const i = index.get(b.variable);
        if (i !== undefined && !varIndex.includes(i)) {
          varIndex.push(i);
          blankets[i]!.push(fi);
        }
      }
      return { ...densityFactor<D>(state, f, (f.spec.type as unknown as { density: DensitySpec }).density), varIndex };
    });
    this.latents = latents;
    this.factors = factors;
    this.nParams = offset;
    this.bound = options.bound === undefined ? elboBound() : validateBound(options.bound, "jointGradient");
    this.estimator = new ElboGradientEstimator<D>({ latents: estimatorLatents, factors }, new Tape(), {
      samples, reparam, raoBlackwell: options.raoBlackwell ?? true, baseline: options.baseline ?? "running", baselineDecay: options.baselineDecay ?? 0.9, bound: this.bound,
    });
  }

  /** Each variable's initial λ (its q's init) into `out` (the joint layout). */
  init(out: Float64Array): Float64Array {
    this.checkLength(out, "init");
    for (const l of this.latents) l.q.init(out.subarray(l.offset, l.offset + l.q.nParams));
    return out;
  }

  /**
   * Writes an unbiased ∇_λ ELBO estimate (ascent direction) at `lambda` into `grad` and returns
   * the ELBO estimate of the same draws. `baselines` (one per variable, NaN at first) carries the
   * score-function control variates between calls.
   */
  estimate(lambda: Float64Array, grad: Float64Array, rng: Generator, baselines: Float64Array, input: Partial<EstimateInput<D>> = {}): number {
    this.checkLength(lambda, "estimate (λ)");
    this.checkLength(grad, "estimate (grad)");
    if (baselines.length !== this.latents.length) {
      throw new VireoError("DIMENSION_MISMATCH", `jointGradient.estimate: 'baselines' needs one number per variable (${this.latents.length}), got ${baselines.length}.`);
    }
    grad.fill(0);
    return this.estimator.estimate(lambda, grad, rng, baselines, { data: input.data, scale: input.scale ?? 1 });
  }

  /**
   * log p(y, x) at the variables' values `x` (by name, constrained), as a number: every density
   * factor once (its numeric form, else on a private tape), unscaled, with `data` as draw.data.
   */
  logJoint(x: Readonly<Record<string, Float64Array>>, data?: D): number {
    let total = 0;
    for (const f of this.factors) {
      if (f.logDensityValue !== undefined) total += f.logDensityValue(x, data, 0);
      else {
        const tape = this.valueTape;
        tape.reset();
        for (const l of this.latents) this.nodes[l.name] = tape.constant(x[l.name]!);
        total += f.logDensity!(this.nodes, tape, data, 0).value[0]!;
      }
    }
    return total;
  }

  /** The joint λ of one variable (a view into `lambda`). */
  view(lambda: Float64Array, name: string): Float64Array {
    const l = this.latents.find((x) => x.name === name);
    if (l === undefined) {
      throw new VireoError("UNKNOWN_NAME", `jointGradient: no gradient-fitted variable '${name}'; variables are: ${this.latents.map((x) => x.name).join(", ")}.`, { variable: name });
    }
    return lambda.subarray(l.offset, l.offset + l.q.nParams);
  }

  private checkLength(a: Float64Array, what: string): void {
    if (!(a instanceof Float64Array) || a.length !== this.nParams) {
      throw new VireoError("DIMENSION_MISMATCH", `jointGradient.${what}: needs a Float64Array of ${this.nParams} numbers (the joint λ of ${this.latents.map((l) => `'${l.name}'`).join(", ")}), got ${a?.length}.`);
    }
  }
}

/** A density factor of the graph as the estimator sees it: edges mapped from the draws and the known values. */
function densityFactor<D>(state: CompiledState, f: FactorState, spec: DensitySpec): Omit<EstimatorFactor<D>, "varIndex"> {
  const edges = Object.entries(f.spec.edges).map(([edge, b]) => ({ edge, u: state.variables.get(b.variable)! as VariableState }));
  const tapeValues: Record<string, TNode> = {};
  const numeric: Record<string, Float64Array> = {};
  const value = spec.logDensityValue, tapeFn = spec.logDensity;
  return {
    name: f.name,
    minibatch: spec.minibatch === true || isDataPlate(state.model, f),
    ...(tapeFn
      ? {
          logDensity: (x: Readonly<Record<string, TNode>>, tape: Tape, data: D | undefined, sample: number) => {
            for (const { edge, u } of edges) {
              if (u.known) tapeValues[edge] = edgeValue(tape, u, u.values);
              else {
                const node = x[u.name]!, shape = edgeShape(u.count, u.spec.valueSize);
                tapeValues[edge] = shape.length === 1 ? node : ad.reshape(node, shape);
              }
            }
            return reduceDensity(f, tapeFn(tapeValues, tape, f.ctx, { sample, data }), tape);
          },
        }
      : {}),
    ...(value
      ? {
          logDensityValue: (x: Readonly<Record<string, Float64Array>>, data: D | undefined, sample: number) => {
            for (const { edge, u } of edges) numeric[edge] = u.known ? u.values : x[u.name]!;
            return value(numeric, f.ctx, { sample, data });
          },
        }
      : {}),
  };
}

/**
 * The joint gradient of a built model over `data` (see the file comment). Every random variable
 * must be gradient-fitted (`{ q }`, or touched by a density factor) with density factors only.
 */
export function jointGradient<D = unknown>(model: Model, options: JointGradientOptions & { readonly data?: DataBinding } = {}): JointGradient<D> {
  // The per-variable sweep machinery compiled alongside needs two draws; the joint estimator has its own.
  const state = compile(model, bindData(model, options.data ?? {}), new Map(), { samples: Math.max(2, options.samples ?? 10) });
  return new JointGradient<D>(state, options);
}
