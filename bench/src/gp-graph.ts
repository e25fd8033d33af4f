/**
 * GP-in-the-graph suite: the price of fitting kernel hyperparameters as graph variables. A sparse
 * GP (N = 2000 rows, M = 50 inducing inputs, 1-D) with three point-mass hyperparameters (variance,
 * lengthscale, noise) fitted by cavi through gpCollapsedNode, against core's own optimiser step
 * (one collapsed bound + gradient and one Adam step on all three, what `fitCollapsed` does per
 * iteration) in the same run.
 *
 * Printed: ms per graph sweep and per core step, their ratio, and the ratio per GP pass: a sweep
 * takes one coordinate step per hyperparameter (3), each at 2 draws of its point mass, each a
 * value-and-gradient evaluation of the GP op (2 blocked passes; the ELBO reuses the step's values);
 * the core step is 2 passes. So the expected ratio is about 3 × 2 = 6; the per-pass ratio shows
 * the tape and engine overhead (close to 1 when the O(N M²) passes dominate).
 */
import benny from "benny";
import { Generator, sampleNormal, squaredExponential, sparseGp, gaussianLikelihood, Gamma, Normal, pointMass, adam, fitHyperparameters } from "@vireo/core";
import { GammaNode, gpCollapsedNode } from "@vireo/nodes";
import { ModelBuilder, compile, initialise, bindData, CaviEngine } from "@vireo/runtime";
import { recordRow } from "./report.js";

const { suite, add, cycle, configure } = benny;
const N = 2000, M = 50;

export async function gpGraph(): Promise<void> {
  const rng = new Generator(3), x = new Float64Array(N), y = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    x[i] = 10 * rng.uniform();
    y[i] = Math.sin(x[i]!) + sampleNormal(rng, 0, 0.1);
  }
  const Z = Float64Array.from({ length: M }, (_, k) => (10 * k) / (M - 1));

  const node = gpCollapsedNode({ kernel: squaredExponential(), likelihood: gaussianLikelihood(), inducing: Z, jitter: 1e-6, hyperparameters: { sv: "variance", ell: "lengthscale", noise: "likelihood.noiseVariance" } });
  const m = new ModelBuilder(), rows = m.plate("rows");
  const hyper = (name: string) => {
    const v = m.random(name, Gamma, { q: pointMass() });
    m.factor(GammaNode, { out: v, shape: 1.5, rate: 0.5 }, { name: `${name}Prior` });
    return v;
  };
  m.factor(node, { sv: hyper("sv"), ell: hyper("ell"), noise: hyper("noise"), x: m.input("x", { plate: rows }), y: m.observed("y", Normal, { plate: rows }) }, { name: "gp" });
  const model = m.build();
  const state = compile(model, bindData(model, { x, y }), undefined, { samples: 2, optimizer: adam({ lr: 0.01 }) });
  initialise(state, new Generator(1));
  const engine = new CaviEngine(state);

  const core = sparseGp({ kernel: squaredExponential(), likelihood: gaussianLikelihood(), inducing: Z, jitter: 1e-6 });
  const X = core.inputs(x), Y = core.targets(y, N), opt = adam({ lr: 0.01 });
  // One core iteration: fitHyperparameters with iterations: 1 (bound + gradient, Adam step), without its final re-evaluation.
  const coreStep = () => fitHyperparameters(core.layout, null, (g) => (g ? core.collapsedBound(X, Y, g).elbo : 0), { iterations: 1, optimizer: opt });

  const rates: Record<string, number> = {};
  const GRAPH = "graph sweep (3 point-mass hyperparameters)", CORE = "core collapsed-bound Adam step";
  await suite(
    "gp-graph",
    configure({ cases: { minSamples: 5, maxTime: 3 } }),
    add(GRAPH, () => engine.sweep()),
    add(CORE, () => coreStep()),
    cycle((r) => {
      rates[r.name] = r.ops;
      console.log(`  ${r.name.padEnd(44)} ${(1000 / r.ops).toPrecision(4).padStart(9)} ms/op ±${r.margin.toFixed(1)}%  (${r.samples} samples)`);
    }),
  );
  const ratio = rates[CORE]! / rates[GRAPH]!;
  // GP passes: graph sweep = 3 variables × 2 draws × 2 passes (the op's value and gradient); core = 2.
  const graphPasses = 3 * 2 * 2, corePasses = 2;
  console.log(`  graph sweep / core step: ${ratio.toFixed(2)}× the time for ${graphPasses / corePasses}× the GP passes → ${(ratio / (graphPasses / corePasses)).toFixed(2)}× per pass (tape and engine overhead)`);
  recordRow({ row: "GP hyperparameters: graph sweep vs core collapsed-bound step, N = 2000, M = 50", unit: "ms", vireo: 1000 / rates[GRAPH]!, peer: 1000 / rates[CORE]!, peerName: "core fitHyperparameters step", note: `${graphPasses} vs ${corePasses} GP passes` });
}
