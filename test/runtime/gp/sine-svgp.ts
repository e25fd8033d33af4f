/**
 * The sparse-GP problem the graph SVGP tests share: N = 200 noisy rows of 1.4 sin(1.3 x) on
 * [−3, 3], M = 8 inducing inputs, Gamma priors on the kernel variance, lengthscale and noise
 * variance (point-mass hyperparameters learnt on the log scale), and the graph in three forms:
 * collapsed (gpCollapsedNode), whitened SVGP (q(v), v ~ N(0, I)) and unwhitened SVGP (q(u) with
 * gpInducingPriorNode).
 */
import {
  Generator, sampleNormal, squaredExponential, gaussianLikelihood, sparseGp, Gamma, Normal, MvNormal, pointMass, fullRankGaussian, adam, exponentialDecay,
} from "@vireo/core";
import { GammaNode, MvNormalNode, gpCollapsedNode, svgpNode, gpInducingPriorNode } from "@vireo/nodes";
import { ModelBuilder, compile, initialise, bindData, CaviEngine, type Model, type CompiledState } from "@vireo/runtime";

export const N = 200, M = 8, Z = Float64Array.from({ length: M }, (_, k) => -3 + (6 * k) / 7);
export const priors = { sv: [2, 1], ell: [2, 2], noise: [1.5, 10] } as const;
export const names = ["sv", "ell", "noise"] as const;
export const hyperparameters = { sv: "variance", ell: "lengthscale", noise: "likelihood.noiseVariance" };
const identity = Float64Array.from({ length: M * M }, (_, i) => (i % (M + 1) === 0 ? 1 : 0));

export function data(): { x: Float64Array; y: Float64Array } {
  const rng = new Generator(31), x = new Float64Array(N), y = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    x[i] = -3 + 6 * rng.uniform();
    y[i] = 1.4 * Math.sin(1.3 * x[i]!) + 0.25 * sampleNormal(rng, 0, 1);
  }
  return { x, y };
}

export function whitened(m: ModelBuilder) {
  const v = m.random("v", MvNormal(M), { q: fullRankGaussian() });
  m.factor(MvNormalNode, { out: v, mean: new Float64Array(M), precision: identity }, { name: "whitenedPrior" });
  return v;
}

export function graph(kind: "collapsed" | "svgp" | "unwhitened"): Model {
  const m = new ModelBuilder(), rows = m.plate("rows");
  const h = Object.fromEntries(names.map((name) => {
    const v = m.random(name, Gamma, { q: pointMass({ value: [Math.log(name === "noise" ? 0.5 : 1)] }) });
    m.factor(GammaNode, { out: v, shape: priors[name][0], rate: priors[name][1] }, { name: `${name}Prior` });
    return [name, v];
  }));
  const x = m.input("x", { plate: rows }), y = m.observed("y", Normal, { plate: rows });
  if (kind === "collapsed") m.factor(gpCollapsedNode({ kernel: squaredExponential(), likelihood: gaussianLikelihood(), inducing: Z, hyperparameters }), { ...h, x, y }, { name: "gp" });
  else if (kind === "svgp") m.factor(svgpNode({ kernel: squaredExponential(), likelihood: gaussianLikelihood(), inducing: Z, hyperparameters }), { ...h, v: whitened(m), x, y }, { name: "gp" });
  else {
    // q(u) over the inducing values themselves, prior N(0, K_ZZ(θ)) as its own node (outside the rows plate).
    const u = m.random("u", MvNormal(M), { q: fullRankGaussian() });
    m.factor(gpInducingPriorNode({ kernel: squaredExponential(), inducing: Z, hyperparameters: { sv: "variance", ell: "lengthscale" } }), { sv: h.sv!, ell: h.ell!, u }, { name: "inducingPrior" });
    m.factor(svgpNode({ kernel: squaredExponential(), likelihood: gaussianLikelihood(), inducing: Z, hyperparameters, whiten: false }), { ...h, v: u, x, y }, { name: "gp" });
  }
  return m.build();
}

/** Collapsed bound + log priors + log Jacobians at z = log θ (the objective both fits maximise). */
export function objective(x: Float64Array, y: Float64Array, z: readonly number[]): number {
  const theta = z.map(Math.exp), gp = sparseGp({ kernel: squaredExponential({ variance: theta[0]!, lengthscale: theta[1]! }), likelihood: gaussianLikelihood(theta[2]!), inducing: Z });
  let value = gp.collapsedBound(gp.inputs(x), y).elbo;
  names.forEach((n, k) => (value += priors[n][0] * z[k]! - priors[n][1] * theta[k]!));
  return value;
}

export function fitted(state: CompiledState): number[] {
  return names.map((n) => state.variables.get(n)!.gradient!.fit.lambda[0]!);
}

export function sweepFit(kind: "collapsed" | "svgp" | "unwhitened", x: Float64Array, y: Float64Array, sweeps: number): number[] {
  const model = graph(kind);
  const state = compile(model, bindData(model, { x, y }), undefined, { samples: 2, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.01, sweeps) });
  initialise(state, new Generator(1));
  const engine = new CaviEngine(state);
  for (let it = 0; it < sweeps; it++) engine.sweep();
  return fitted(state);
}
