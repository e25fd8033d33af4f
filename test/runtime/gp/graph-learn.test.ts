/**
 * Kernel hyperparameters learnt inside the model graph reach the optimum of the existing
 * collapsed-bound optimiser (core's fitHyperparameters) on the same objective: the collapsed
 * bound plus the hyperparameters' log priors and log Jacobians (point masses on z = log θ are MAP
 * in z). The reference is core's Adam run polished by Newton steps to a gradient norm < 1e-6; the
 * graph's point masses (one Adam per hyperparameter, coordinate steps, a decaying rate) must land
 * where that objective's gradient in z is < 1e-6 too. The objective is strongly concave there
 * (Hessian eigenvalues in z of order 1–100), so two points with gradients < 1e-6 lie within
 * ~1e-6 of each other in z: the test allows 1e-5, and 1e-9 in the objective.
 */
import test from "ava";
import {
  Generator, sampleNormal, squaredExponential, gaussianLikelihood, sparseGp, Gamma, Normal, pointMass, gammaln, adam, exponentialDecay, fitHyperparameters,
} from "@vireo/core";
import { GammaNode, gpCollapsedNode } from "@vireo/nodes";
import { ModelBuilder, compile, initialise, bindData, CaviEngine } from "@vireo/runtime";

const N = 60, Zs = Float64Array.from({ length: 10 }, (_, k) => -3 + (6 * k) / 9);
const priors = { sv: [2, 1], ell: [2, 2], noise: [1.5, 10] } as const;

function data(): { x: Float64Array; y: Float64Array } {
  const rng = new Generator(21), x = new Float64Array(N), y = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    x[i] = -3 + 6 * rng.uniform();
    y[i] = 1.4 * Math.sin(1.3 * x[i]!) + 0.25 * sampleNormal(rng, 0, 1);
  }
  return { x, y };
}

/** The objective in z = log θ (layout order: variance, lengthscale, noise) and its gradient. */
function objective(x: Float64Array, y: Float64Array) {
  const gp = sparseGp({ kernel: squaredExponential(), likelihood: gaussianLikelihood(), inducing: Zs });
  const X = gp.inputs(x), Y = gp.targets(y, N), ab = [priors.sv, priors.ell, priors.noise];
  const at = (theta: Float64Array, gradZ: Float64Array | null): number => {
    gp.kernel.setParams(theta, 0);
    gp.likelihood.setParams(theta, 2);
    const g = new Float64Array(3);
    let value = gp.collapsedBound(X, Y, gradZ ? g : null).elbo;
    for (let k = 0; k < 3; k++) {
      const [a, b] = ab[k]!;
      value += a * Math.log(theta[k]!) - b * theta[k]!;
      if (gradZ) gradZ[k] = theta[k]! * (g[k]! + a / theta[k]! - b);
    }
    return value;
  };
  return { gp, X, Y, ab, at };
}

test("graph: point-mass kernel hyperparameters reach the collapsed-bound optimiser's MAP (same objective)", (t) => {
  const { x, y } = data();
  // Reference: core's optimiser on the same objective.
  const ref = objective(x, y), theta = Float64Array.of(1, 1, 1);
  fitHyperparameters(ref.gp.layout, null, (g) => {
    ref.gp.kernel.getParams(theta, 0);
    ref.gp.likelihood.getParams(theta, 2);
    const gz = new Float64Array(3), v = ref.at(theta, g ? gz : null);
    // fitHyperparameters wants ∂/∂θ; ours is ∂/∂z = θ ∂/∂θ.
    if (g) for (let k = 0; k < 3; k++) g[k] = gz[k]! / theta[k]!;
    return v;
  }, { iterations: 4000, optimizer: adam({ lr: 0.01 }) });
  ref.gp.kernel.getParams(theta, 0);
  ref.gp.likelihood.getParams(theta, 2);
  // Adam with a constant rate stops near the optimum; a few Newton steps in z (Hessian by central
  // differences of the analytic gradient) put the reference on it.
  const zr = Array.from(theta, Math.log), grad = (zz: number[]) => {
    const g = new Float64Array(3);
    ref.at(Float64Array.from(zz, Math.exp), g);
    return g;
  };
  for (let it = 0; it < 8; it++) {
    const g = grad(zr), H = [0, 1, 2].map((j) => {
      const h = 1e-5, up = zr.slice(), dn = zr.slice();
      up[j] += h;
      dn[j] -= h;
      const a = grad(up), b = grad(dn);
      return [0, 1, 2].map((i) => (a[i]! - b[i]!) / (2 * h));
    });
    const step = solve3(H, Array.from(g));
    for (let k = 0; k < 3; k++) zr[k] -= step[k]!;
  }
  const refTheta = Float64Array.from(zr, Math.exp);
  const gRef = new Float64Array(3), refValue = ref.at(refTheta, gRef);
  t.true(Math.hypot(...gRef) < 1e-6, `reference gradient ${Array.from(gRef)}`);

  // The graph: three point masses through their log bijectors, Gamma priors, the collapsed GP node.
  const node = gpCollapsedNode({ kernel: squaredExponential(), likelihood: gaussianLikelihood(), inducing: Zs, hyperparameters: { sv: "variance", ell: "lengthscale", noise: "likelihood.noiseVariance" } });
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const hyper = (name: keyof typeof priors) => {
    const v = m.random(name, Gamma, { q: pointMass() });
    m.factor(GammaNode, { out: v, shape: priors[name][0], rate: priors[name][1] }, { name: `${name}Prior` });
    return v;
  };
  m.factor(node, { sv: hyper("sv"), ell: hyper("ell"), noise: hyper("noise"), x: m.input("x", { plate: rows }), y: m.observed("y", Normal, { plate: rows }) }, { name: "gp" });
  const model = m.build();
  const state = compile(model, bindData(model, { x, y }), undefined, { samples: 2, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.01, 800) });
  initialise(state, new Generator(1));
  const engine = new CaviEngine(state);
  for (let it = 0; it < 800; it++) engine.sweep();
  const z = ["sv", "ell", "noise"].map((n) => state.variables.get(n)!.gradient!.fit.lambda[0]!);
  const graphTheta = Float64Array.from(z, Math.exp), gGraph = new Float64Array(3), graphValue = ref.at(graphTheta, gGraph);
  t.log(`reference θ ${Array.from(refTheta, (v) => v.toFixed(5)).join(", ")}, objective ${refValue.toFixed(6)}`);
  t.log(`graph     θ ${Array.from(graphTheta, (v) => v.toFixed(5)).join(", ")}, objective ${graphValue.toFixed(6)}, |∇z| ${Math.hypot(...gGraph).toExponential(2)}`);
  t.true(Math.hypot(...gGraph) < 1e-6, `graph gradient ${Array.from(gGraph)}`);
  for (let k = 0; k < 3; k++) t.true(Math.abs(z[k]! - Math.log(refTheta[k]!)) < 1e-5, `log θ[${k}]: graph ${z[k]} vs reference ${Math.log(refTheta[k]!)}`);
  t.true(refValue - graphValue < 1e-9 && graphValue - refValue < 1e-9, `objective: graph ${graphValue} vs reference ${refValue}`);
  // The engine's own ELBO at the fitted point masses is that objective (deterministic: point masses).
  const constants = Object.values(priors).reduce((c, [a, b]) => c + a * Math.log(b) - gammaln(a), 0);
  t.true(Math.abs(engine.elboEstimate(2).value - (graphValue + constants)) < 1e-8);
});

/** x = A⁻¹ b for a 3×3 system (Cramer's rule). */
function solve3(A: number[][], b: number[]): number[] {
  const det = (m: number[][]) => m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) - m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) + m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
  const d = det(A);
  return [0, 1, 2].map((j) => det(A.map((row, i) => row.map((v, k) => (k === j ? b[i]! : v)))) / d);
}
