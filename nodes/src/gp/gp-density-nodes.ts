/**
 * Sparse GPs whose kernel hyperparameters (and optionally inducing inputs) are variables of the
 * model graph, fitted by gradients like any other gradient-fitted variable. Each is a density node
 * whose log density is one GP op on the tape (core/src/gp/tape-ops.ts): its forward pass is a
 * blocked O(N M²) pass over the plate's rows, its backward pass the kernel's block dL/dK
 * contraction, so no N×N matrix is formed.
 *
 *   gpCollapsedNode (Gaussian likelihood, batch fits):
 *       log g(θ, σ², Z) = Titsias' collapsed bound F(θ, σ², Z; X, y)  (q(u) optimal in closed form)
 *     With Z = X it is the exact log marginal likelihood log N(y | 0, K + σ²I), so a point-mass
 *     q(θ) is type-II maximum likelihood (MAP with a prior) and a Gaussian q(θ) a variational
 *     posterior over hyperparameters. The bound does not split into row terms: fit it with cavi,
 *     not over minibatches.
 *   svgpNode (any GP likelihood, batch or minibatch):
 *       log g(v, θ, Z) = Σ_n E_{p(f_n | v, θ)}[log p(y_n | f_n)],  f_n | v ~ N(a_nᵀv, k_nn − |a_n|²)
 *     with whitened inducing values v = L⁻¹u (give v the prior N(0, I) with a conjugate MvNormal
 *     node, and a gradient-fitted q, e.g. fullRankGaussian()). Under q(v) its expectation is the
 *     SVGP data term of Hensman et al. (2013) exactly; a sum over rows, so `svi()` scales it by N/|B|.
 *     Bernoulli-logit/probit and Poisson-log GP likelihoods (gp/likelihoods.ts) make it a GP
 *     classifier or a count model.
 *
 * Edges: `x` (inputs, kernel.dim per row), `y` (targets), one edge per learnt hyperparameter (named
 * by the `hyperparameters` option: edge → parameter name such as "lengthscale", "lengthscale[1]",
 * "terms[0].variance" or "likelihood.noiseVariance"; a positive variable, e.g. Gamma with
 * { q: pointMass() } or { q: meanFieldGaussian() }, or a number), `v` (svgpNode) and `inducing`
 * (an MvNormal(M·D) variable, when `learnInducing`). Hyperparameters without an edge keep the
 * kernel's and likelihood's values.
 */
import {
  VireoError, GaussianLikelihood, sparseGp, gpCollapsedBound, gpPointLogLikelihood, gpExpectedLogLikelihood, gpInducingLogPrior,
  type Kernel, type GpInput, type GpLikelihood, type SparseGp, type TNode, type GpHyperValue, type InputRows,
  type GpPrediction, type VariationalFamily,
} from "@vireo/core";
import type { EdgeInfo, NodeContext, NodeType } from "../contract/node.js";
import { densityNode, type DensitySpec, type DensityValues, type DensityNaturalMessage } from "../density/density-node.js";
import { checkDamping } from "../nonconjugate/gauss-hermite.js";

export interface GpGraphNodeOptions {
  /** The kernel; its hyperparameters are the starting values of those without an edge. */
  readonly kernel: Kernel;
  /** Inducing inputs Z (M rows of kernel.dim numbers): fixed, or the start when learnt. */
  readonly inducing: GpInput;
  /** Edge name → hyperparameter name (kernel.parameterNames, or "likelihood.<name>"). */
  readonly hyperparameters: Readonly<Record<string, string>>;
  /** Add an `inducing` edge (an MvNormal(M·D) variable) and learn Z (default false). */
  readonly learnInducing?: boolean;
  /** Jitter first tried on K_ZZ's diagonal (default 0; grown tenfold when Cholesky fails). */
  readonly jitter?: number;
  /** Rows per block of the O(N M²) passes (default 1024). */
  readonly blockSize?: number;
}

export interface SvgpNodeOptions extends GpGraphNodeOptions {
  /** The GP likelihood (default: Gaussian with noise variance 1). */
  readonly likelihood?: GpLikelihood;
  /**
   * Fit a full-rank Gaussian q(v) by natural-gradient steps (default true): closed form for the
   * Gaussian likelihood (one step of size 1 is the exact optimum), CVI through the likelihood's
   * Gauss–Hermite expectations otherwise. False: reparameterised gradient steps like any q.
   */
  readonly naturalGradient?: boolean;
  /** Step size of the non-Gaussian likelihoods' CVI steps in a cavi sweep (default 0.5; svi() uses its ρ_t). */
  readonly damping?: number;
  /**
   * Whitened inducing values (default true): edge `v` holds v = L⁻¹u with the θ-free prior N(0, I).
   * False: edge `v` holds u itself, whose prior N(0, K_ZZ(θ)) is a `gpInducingPriorNode` on the
   * same variable and hyperparameters. q(u) then keeps the function values at Z while θ moves, so
   * over streams of minibatches the hyperparameters are not held back by a lagging q (Hensman et al.).
   */
  readonly whiten?: boolean;
}

/** What a graph GP node offers beyond a density node: the names it reads and predictions. */
export interface GpGraphNode extends NodeType {
  readonly density: DensitySpec;
  /** M and D. */
  readonly inducingCount: number;
  readonly dim: number;
  /** Hyperparameter names in layout order (kernel's, then "likelihood.<name>"). */
  readonly parameterNames: readonly string[];
  /**
   * Predictive mean and variance of f and y at new inputs, for given hyperparameter values (by
   * edge name, as fitted), the whitened q(v) (mean and covariance; the collapsed node computes its
   * optimum from `train`), and Z (when learnt).
   */
  predict(x: GpInput, at: GpPredictAt): GpPrediction;
}

export interface GpPredictAt {
  /** Fitted values of the hyperparameter edges, by edge name. */
  readonly hyperparameters: Readonly<Record<string, number>>;
  /**
   * q(v) over whitened inducing values (svgpNode): its mean and covariance, or the fitted
   * posterior of the gradient-fitted variable v itself (a Gaussian q: its `q` and `lambda`).
   */
  readonly v?: { readonly mean: Float64Array; readonly covariance: Float64Array } | { readonly q: VariationalFamily; readonly lambda: Float64Array };
  /** Training rows (gpCollapsedNode: q(u) is the collapsed bound's optimum on them). */
  readonly train?: { readonly x: GpInput; readonly y: Float64Array | readonly number[] };
  /** Learnt inducing inputs (M·D values), when the node learns Z. */
  readonly inducing?: Float64Array;
}

/** The data family a GP likelihood's targets belong to. */
function targetFamily(lik: GpLikelihood): string {
  if (lik instanceof GaussianLikelihood) return "Normal";
  if (lik.name.startsWith("bernoulli")) return "Bernoulli";
  if (lik.name.startsWith("poisson")) return "Poisson";
  return "Normal|Bernoulli|Poisson";
}

interface Setup {
  readonly what: string;
  readonly names: readonly string[];
  /** Layout index → edge name (or null: fixed at `fixed[k]`). */
  readonly edgeOf: readonly (string | null)[];
  readonly fixed: Float64Array;
  readonly M: number;
  readonly D: number;
}

function setup(kind: string, options: GpGraphNodeOptions, lik: GpLikelihood): Setup {
  if (options === null || typeof options !== "object" || !options.kernel) {
    throw new VireoError("INVALID_OPTION", `${kind}: give { kernel, inducing, hyperparameters: { edgeName: "parameterName" } }.`, { parameter: "kernel" });
  }
  // A throwaway model validates Z and names the layout.
  const probe = sparseGp({ kernel: options.kernel, likelihood: lik, inducing: options.inducing, jitter: options.jitter, blockSize: options.blockSize });
  const names = [...options.kernel.parameterNames, ...lik.parameterNames.map((p) => `likelihood.${p}`)];
  const fixed = new Float64Array(names.length);
  options.kernel.getParams(fixed, 0);
  lik.getParams(fixed, options.kernel.size);
  const edgeOf: (string | null)[] = names.map(() => null);
  const hp = options.hyperparameters ?? {};
  if (hp === null || typeof hp !== "object") throw new VireoError("INVALID_OPTION", `${kind}: 'hyperparameters' maps edge names to parameter names, e.g. { ell: "lengthscale" }.`, { parameter: "hyperparameters" });
  const reserved = new Set(["x", "y", "v", "inducing"]);
  for (const [edge, param] of Object.entries(hp)) {
    if (reserved.has(edge)) throw new VireoError("INVALID_OPTION", `${kind}: hyperparameter edge '${edge}' clashes with the node's own edge of that name; pick another name.`, { parameter: edge });
    const k = names.indexOf(param);
    if (k < 0) throw new VireoError("INVALID_OPTION", `${kind}: edge '${edge}' names hyperparameter '${param}', which the model does not have; known: ${names.join(", ")}.`, { parameter: edge });
    if (edgeOf[k] !== null) throw new VireoError("INVALID_OPTION", `${kind}: hyperparameter '${param}' is given two edges ('${edgeOf[k]}' and '${edge}').`, { parameter: edge });
    edgeOf[k] = edge;
  }
  return { what: kind, names, edgeOf, fixed, M: probe.M, D: probe.dim };
}

/** Per-context state: the context's own SparseGp (scratch is never shared between engines). */
interface GpScratch {
  readonly gp: SparseGp;
  x: Float64Array | null;
  rows: InputRows | null;
  y: Float64Array | null;
  targets: Float64Array | null;
}

function gpFor(ctx: NodeContext, key: object, make: () => SparseGp): GpScratch {
  return ctx.scratch.get(key, (): GpScratch => ({ gp: make(), x: null, rows: null, y: null, targets: null }));
}

/** X and y of the plate, validated once per distinct buffer (inputs finite, targets in support). */
function rowsOf(s: GpScratch, values: DensityValues, ctx: NodeContext, what: string): { X: InputRows; y: Float64Array } {
  return rowsOfValues(s, values.x!.value, values.y!.value, ctx, what);
}

function rowsOfValues(s: GpScratch, x: Float64Array, y: Float64Array, ctx: NodeContext, what: string): { X: InputRows; y: Float64Array } {
  if (s.x !== x || s.rows === null) {
    s.rows = s.gp.inputs(x, `${what} node '${ctx.nodeName}': inputs 'x'`);
    s.x = x;
  }
  if (s.y !== y || s.targets === null) {
    s.targets = s.gp.targets(y, s.rows.n, `${what} node '${ctx.nodeName}': targets 'y'`);
    s.y = y;
  }
  return { X: s.rows, y: s.targets };
}

function hyperOf(st: Setup, values: DensityValues): GpHyperValue[] {
  return st.edgeOf.map((e, k) => (e === null ? st.fixed[k]! : (values[e] as TNode)));
}

function edgesOf(st: Setup, lik: GpLikelihood, extra: Record<string, string>, learnInducing: boolean): Record<string, string> {
  const edges: Record<string, string> = { x: "input", y: targetFamily(lik), ...extra };
  st.edgeOf.forEach((e) => {
    if (e !== null) edges[e] = "Gamma";
  });
  if (learnInducing) edges.inducing = "MvNormal";
  return edges;
}

/** Build-time check of the `inducing` edge (an MvNormal(M·D) variable) when Z is learnt. */
function checkInducing(info: Readonly<Record<string, EdgeInfo>>, nodeName: string, kind: string, st: Setup): void {
  const d = info.inducing?.family?.dim, want = st.M * st.D;
  if (info.inducing !== undefined && d !== want) {
    throw new VireoError("DIMENSION_MISMATCH", `${kind} node '${nodeName}': edge 'inducing' must be an MvNormal(${want}) variable (${st.M} inducing inputs × ${st.D} columns, row-major), got ${d === undefined ? "no MvNormal" : `dimension ${d}`}.`, { node: nodeName, edge: "inducing" });
  }
}

/** Hyperparameter values for a prediction, in layout order. */
function predictTheta(st: Setup, at: GpPredictAt): Float64Array {
  const theta = Float64Array.from(st.fixed);
  st.edgeOf.forEach((e, k) => {
    if (e === null) return;
    const x = at?.hyperparameters?.[e];
    if (typeof x !== "number" || !(x > 0) || !Number.isFinite(x)) {
      throw new VireoError("INVALID_OPTION", `${st.what}.predict: give hyperparameters.${e} (the fitted ${st.names[k]}, a finite number > 0), got ${String(x)}.`, { parameter: e });
    }
    theta[k] = x;
  });
  return theta;
}

function makeModel(options: GpGraphNodeOptions, lik: GpLikelihood, learnInducing: boolean, whiten = true): SparseGp {
  return sparseGp({ kernel: options.kernel, likelihood: lik, inducing: options.inducing, jitter: options.jitter, blockSize: options.blockSize, whiten, learn: { inducing: learnInducing } });
}

function applyPrediction(gp: SparseGp, st: Setup, at: GpPredictAt): void {
  const theta = predictTheta(st, at);
  gp.kernel.setParams(theta, 0);
  gp.likelihood.setParams(theta, gp.kernel.size);
  if (at.inducing !== undefined) {
    if (at.inducing.length !== gp.Z.length) throw new VireoError("DIMENSION_MISMATCH", `${st.what}.predict: 'inducing' must hold ${gp.Z.length} values (M×D), got ${at.inducing.length}.`, { parameter: "inducing" });
    gp.Z.set(at.inducing);
  }
}

/** The collapsed-bound node (Gaussian likelihood): see the file comment. */
export function gpCollapsedNode(options: GpGraphNodeOptions & { readonly likelihood?: GaussianLikelihood }): GpGraphNode {
  const NAME = "GpCollapsed";
  const lik = options?.likelihood ?? new GaussianLikelihood(1);
  if (!(lik instanceof GaussianLikelihood)) {
    throw new VireoError("INVALID_OPTION", `${NAME}: the collapsed bound needs the Gaussian likelihood; use svgpNode for '${(lik as GpLikelihood).name}'.`, { parameter: "likelihood" });
  }
  const learnZ = options.learnInducing === true, st = setup(NAME, options, lik), KEY = {};
  const make = () => makeModel(options, new GaussianLikelihood(lik.variance), learnZ);
  const node = densityNode(NAME, { edges: edgesOf(st, lik, {}, learnZ), doc: "Titsias' collapsed bound of a sparse GP with learnt hyperparameters" }, (values, tape, ctx) => {
    const s = gpFor(ctx, KEY, make), { X, y } = rowsOf(s, values, ctx, NAME);
    return gpCollapsedBound(tape, s.gp, X, y, hyperOf(st, values), learnZ ? values.inducing! : null);
  });
  return Object.assign(node, {
    inducingCount: st.M, dim: st.D, parameterNames: Object.freeze(st.names),
    check(info: Readonly<Record<string, EdgeInfo>>, nodeName: string): void {
      checkInducing(info, nodeName, NAME, st);
    },
    predict(x: GpInput, at: GpPredictAt): GpPrediction {
      if (at?.train === undefined) throw new VireoError("INVALID_OPTION", `${NAME}.predict: give { train: { x, y } } (q(u) is the collapsed bound's optimum on the training rows).`, { parameter: "train" });
      const gp = make();
      applyPrediction(gp, st, at);
      const X = gp.inputs(at.train.x, `${NAME}.predict: train.x`);
      gp.collapsedBound(X, gp.targets(at.train.y, X.n, `${NAME}.predict: train.y`), new Float64Array(gp.layout.size));
      return gp.predict(x);
    },
  });
}

/** The SVGP rows node (any GP likelihood, whitened inducing values v): see the file comment. */
export function svgpNode(options: SvgpNodeOptions): GpGraphNode {
  const NAME = "Svgp";
  const lik = options?.likelihood ?? new GaussianLikelihood(1);
  const learnZ = options.learnInducing === true, st = setup(NAME, options, lik), KEY = {};
  // Each context gets its own likelihood object only when it has parameters (they are set per call).
  const whiten = options.whiten !== false;
  const make = () => makeModel(options, lik instanceof GaussianLikelihood ? new GaussianLikelihood(lik.variance) : lik, learnZ, whiten);
  const natural = options.naturalGradient === false ? undefined : naturalMessageOf(st, lik, options, KEY, make);
  const node = densityNode(NAME, { edges: edgesOf(st, lik, { v: "MvNormal" }, learnZ), doc: `sparse GP rows given ${whiten ? "whitened inducing values v" : "inducing values u (edge v)"}, learnt hyperparameters`, ...(natural ? { natural } : {}) }, (values, _tape, ctx) => {
    const s = gpFor(ctx, KEY, make), { X, y } = rowsOf(s, values, ctx, NAME);
    return gpPointLogLikelihood(s.gp, X, y, values.v!, hyperOf(st, values), learnZ ? values.inducing! : null);
  });
  const M = st.M;
  return Object.assign(node, {
    inducingCount: M, dim: st.D, parameterNames: Object.freeze(st.names),
    check(info: Readonly<Record<string, EdgeInfo>>, nodeName: string): void {
      const d = info.v?.family?.dim;
      if (d !== M) throw new VireoError("DIMENSION_MISMATCH", `${NAME} node '${nodeName}': edge 'v' must be an MvNormal(${M}) variable (whitened values at the ${M} inducing inputs), got ${d === undefined ? "no MvNormal" : `dimension ${d}`}.`, { node: nodeName, edge: "v" });
      checkInducing(info, nodeName, NAME, st);
    },
    predict(x: GpInput, at: GpPredictAt): GpPrediction {
      const q = at?.v === undefined ? null : "q" in at.v ? gaussianMoments(at.v.q, at.v.lambda, M) : at.v;
      if (q === null || q.mean?.length !== M || q.covariance?.length !== M * M) {
        throw new VireoError("INVALID_OPTION", `${NAME}.predict: give { v: { mean, covariance } } (q(v) over the ${M} whitened inducing values: ${M} and ${M}×${M} numbers) or v's fitted posterior.`, { parameter: "v" });
      }
      const gp = make();
      applyPrediction(gp, st, at);
      gp.setQMoments(q.mean, q.covariance);
      return gp.predict(x);
    },
  });
}

/**
 * svgpNode's natural-parameter message to q(v) (Hensman et al. 2013): at the hyperparameters' and
 * Z's current values, the rows' Σ a_n (g_n − 2 h_n μ_n) and −2 Σ h_n a_n a_nᵀ from the GP model's
 * blocked pass (SparseGp.rowMessage), as MvNormal natural parameters [θ₁, vec(−½Λ)].
 */
function naturalMessageOf(st: Setup, lik: GpLikelihood, options: SvgpNodeOptions, key: object, make: () => SparseGp): DensityNaturalMessage {
  const damping = lik.conjugate ? 1 : checkDamping(options.damping ?? 0.5, "Svgp");
  const M = st.M, theta = new Float64Array(st.names.length);
  return {
    edge: "v",
    step: damping,
    message(values, q, ctx, scale, out) {
      const s = gpFor(ctx, key, make), gp = s.gp, { X, y } = rowsOfValues(s, values.x!, values.y!, ctx, "Svgp");
      theta.set(st.fixed);
      st.edgeOf.forEach((e, k) => {
        if (e === null) return;
        const x = values[e]![0]!;
        if (!(x > 0) || !Number.isFinite(x)) throw new VireoError("NUMERICAL_FAILURE", `Svgp node '${ctx.nodeName}': hyperparameter '${st.names[k]}' (edge '${e}') is ${x}; it must be finite and > 0 (lower its learning rate or give it a prior).`, { node: ctx.nodeName, edge: e });
        theta[k] = x;
      });
      gp.kernel.setParams(theta, 0);
      gp.likelihood.setParams(theta, gp.kernel.size);
      if (values.inducing !== undefined) gp.Z.set(values.inducing);
      gp.setQMoments(q.mean, q.covariance);
      const shift = out.subarray(0, M), precision = out.subarray(M, M + M * M);
      gp.rowMessage(X, y, scale, shift, precision);
      for (let i = 0; i < M * M; i++) precision[i] = -0.5 * precision[i]!;
    },
    expectedLogDensity(values, q, tape, ctx) {
      const s = gpFor(ctx, key, make), { X, y } = rowsOf(s, values, ctx, "Svgp");
      return gpExpectedLogLikelihood(tape, s.gp, X, y, q, hyperOf(st, values), values.inducing ?? null);
    },
  };
}

/**
 * The prior of unwhitened inducing values, log N(u | 0, K_ZZ(θ, Z)), as a graph node: put it on the
 * variable an `svgpNode({ whiten: false })` reads as `v`, with the same kernel, inducing inputs and
 * kernel hyperparameter edges (the same variables). It is not a sum over rows (never scaled by
 * N/|B|). Its natural message to a full-rank Gaussian q(u) is [0, −½K_ZZ⁻¹] (exact), and under
 * q(u) it enters the hyperparameters' steps in closed form, E_q[log N(u | 0, K_ZZ)].
 */
export function gpInducingPriorNode(options: GpGraphNodeOptions): NodeType & { readonly density: DensitySpec } {
  const NAME = "GpInducingPrior";
  const lik = new GaussianLikelihood(1), st = setup(NAME, options, lik), KEY = {}, M = st.M;
  st.edgeOf.forEach((e, k) => {
    if (e !== null && st.names[k]!.startsWith("likelihood.")) throw new VireoError("INVALID_OPTION", `${NAME}: edge '${e}' names '${st.names[k]}'; the inducing prior reads only kernel hyperparameters (${options.kernel.parameterNames.join(", ")}).`, { parameter: e });
  });
  const learnZ = options.learnInducing === true;
  const make = () => makeModel(options, new GaussianLikelihood(1), learnZ, false);
  const gpOf = (ctx: NodeContext) => gpFor(ctx, KEY, make).gp;
  const theta = new Float64Array(st.names.length);
  const natural: DensityNaturalMessage = {
    edge: "u",
    step: 1,
    message(values, _q, ctx, _scale, out) {
      const gp = gpOf(ctx);
      theta.set(st.fixed);
      st.edgeOf.forEach((e, k) => {
        if (e === null) return;
        const x = values[e]![0]!;
        if (!(x > 0) || !Number.isFinite(x)) throw new VireoError("NUMERICAL_FAILURE", `${NAME} node '${ctx.nodeName}': hyperparameter '${st.names[k]}' (edge '${e}') is ${x}; it must be finite and > 0.`, { node: ctx.nodeName, edge: e });
        theta[k] = x;
      });
      gp.kernel.setParams(theta, 0);
      if (values.inducing !== undefined) gp.Z.set(values.inducing);
      out.fill(0, 0, M);
      const precision = out.subarray(M, M + M * M);
      gp.priorPrecision(precision);
      for (let i = 0; i < M * M; i++) precision[i] = -0.5 * precision[i]!;
    },
    expectedLogDensity(values, q, tape, ctx) {
      return gpInducingLogPrior(tape, gpOf(ctx), q, hyperOf(st, values), values.inducing ?? null);
    },
  };
  const edges: Record<string, string> = { u: "MvNormal" };
  st.edgeOf.forEach((e) => {
    if (e !== null) edges[e] = "Gamma";
  });
  if (learnZ) edges.inducing = "MvNormal";
  const node = densityNode(NAME, { edges, doc: "prior N(0, K_ZZ(θ)) of a sparse GP's inducing values u, learnt kernel hyperparameters", natural }, (values, tape, ctx) =>
    gpInducingLogPrior(tape, gpOf(ctx), values.u!, hyperOf(st, values), learnZ ? values.inducing! : null));
  return Object.assign(node, {
    check(info: Readonly<Record<string, EdgeInfo>>, nodeName: string): void {
      const d = info.u?.family?.dim;
      if (d !== M) throw new VireoError("DIMENSION_MISMATCH", `${NAME} node '${nodeName}': edge 'u' must be an MvNormal(${M}) variable (the values at the ${M} inducing inputs), got ${d === undefined ? "no MvNormal" : `dimension ${d}`}.`, { node: nodeName, edge: "u" });
      checkInducing(info, nodeName, NAME, st);
    },
  });
}

/** Mean and covariance of a Gaussian q (Cov = C Cᵀ from its covariance factor). */
function gaussianMoments(q: VariationalFamily, lambda: Float64Array, M: number): { mean: Float64Array; covariance: Float64Array } {
  if (q.dim !== M || typeof q.covarianceFactor !== "function") {
    throw new VireoError("INVALID_OPTION", `Svgp.predict: v's q must be a Gaussian over ${M} values (fullRankGaussian(), meanFieldGaussian(), lowRankGaussian()), got ${q.name}.`, { parameter: "v" });
  }
  const mean = new Float64Array(M), C = new Float64Array(2 * M * M), covariance = new Float64Array(M * M);
  q.mean(lambda, mean);
  const m = q.covarianceFactor(lambda, C);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < M; j++) {
      let s = 0;
      for (let k = 0; k < m; k++) s += C[i * m + k]! * C[j * m + k]!;
      covariance[i * M + j] = s;
    }
  }
  return { mean, covariance };
}
