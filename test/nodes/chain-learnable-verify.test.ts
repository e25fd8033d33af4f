/**
 * The learnable state-space nodes (ChainInitial, ChainDynamics, ChainEmission) and the AR(p) node
 * pass the message-vs-energy verification: every message equals the gradient of the node's
 * E_q[log f] in that edge's expected statistics, with random matrices and with Wishart (full)
 * and Gamma (isotropic) precisions.
 */
import test from "ava";
import { GaussMarkovChain, MvNormal, Wishart, Gamma, Normal, Generator, sampleStandardNormal } from "@vireo/core";
import { ChainInitialNode, ChainDynamicsNode, ChainEmissionNode, AutoregressiveNode, verifyNode, type VerifyEdge } from "@vireo/nodes";

const rng = new Generator(1212);
const eye = (n: number, s = 1) => Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? s : 0));

function randomChain(d: number, T: number): Float64Array {
  const dd = d * d, information = new Float64Array(T * d), precision = new Float64Array(T * dd), coupling = new Float64Array(T * dd);
  for (let t = 0; t < T; t++) for (let i = 0; i < d; i++) {
    information[t * d + i] = sampleStandardNormal(rng);
    for (let j = 0; j < d; j++) {
      const s = 0.2 * sampleStandardNormal(rng);
      precision[t * dd + i * d + j] += (i === j ? 4 : 0) + s;
      precision[t * dd + j * d + i] += s;
      if (t > 0) coupling[t * dd + i * d + j] = 0.5 * sampleStandardNormal(rng);
    }
  }
  return GaussMarkovChain(d).toNatural({ information, precision, coupling });
}

/** A random MvNormal(n) edge with a non-trivial covariance (so E[m mᵀ] ≠ E[m] E[m]ᵀ). */
function randomMatrix(n: number): VerifyEdge {
  const L = Float64Array.from({ length: n * n }, (_, i) => (Math.floor(i / n) >= i % n ? 0.3 * sampleStandardNormal(rng) + (i % (n + 1) === 0 ? 1 : 0) : 0));
  const cov = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += L[i * n + k]! * L[j * n + k]!;
    cov[i * n + j] = s + (i === j ? 0.1 : 0);
  }
  const mean = Float64Array.from({ length: n }, () => sampleStandardNormal(rng));
  return { family: MvNormal(n), eta: MvNormal(n).toNatural({ mean, covariance: cov }) };
}

const precisions = (n: number): [string, VerifyEdge][] => [
  ["Wishart", { family: Wishart(n), eta: Wishart(n).toNatural({ df: n + 4, scale: eye(n, 0.5) }) }],
  ["Gamma", { family: Gamma, eta: Gamma.toNatural({ shape: 3, rate: 2 }) }],
];

for (const [kind, precision] of precisions(2)) {
  test(`ChainDynamics and ChainInitial with a ${kind} precision pass verification`, (t) => {
    const d = 2, T = 6, x: VerifyEdge = { family: GaussMarkovChain(d), eta: randomChain(d, T), count: T, layout: "row" };
    const dyn = verifyNode(ChainDynamicsNode, { rows: T, edges: { out: x, A: randomMatrix(d * d), precision } });
    t.true(dyn.passed, JSON.stringify(dyn.edges));
    t.deepEqual(dyn.edges.map((e) => e.edge).sort(), ["A", "out", "precision"]);
    const init = verifyNode(ChainInitialNode, { rows: T, edges: { out: x, mean: randomMatrix(d), precision } });
    t.true(init.passed, JSON.stringify(init.edges));
    t.is(init.edges.length, 3);
  });
}

for (const [kind, precision] of precisions(3)) {
  test(`ChainEmission with a ${kind} precision and a random observed-or-latent y passes verification`, (t) => {
    const d = 2, p = 3, T = 5, x: VerifyEdge = { family: GaussMarkovChain(d), eta: randomChain(d, T), count: T, layout: "row" };
    const yLatent = new Float64Array(T * MvNormal(p).size);
    for (let s = 0; s < T; s++) yLatent.set(randomMatrix(p).eta!, s * MvNormal(p).size);
    for (const out of [
      { family: MvNormal(p), values: Float64Array.from({ length: T * p }, () => sampleStandardNormal(rng)), count: T, layout: "row" as const },
      { family: MvNormal(p), eta: yLatent, count: T, layout: "row" as const },
    ]) {
      const r = verifyNode(ChainEmissionNode, { rows: T, edges: { out, state: x, C: randomMatrix(p * d), precision } });
      t.true(r.passed, JSON.stringify(r.edges));
    }
  });
}

test("Autoregressive passes verification", (t) => {
  const T = 12, p = 3, y = Float64Array.from({ length: T }, () => sampleStandardNormal(rng));
  const r = verifyNode(AutoregressiveNode, {
    rows: T,
    edges: { out: { family: Normal, values: y, count: T, layout: "row" }, coefficients: randomMatrix(p), precision: { family: Gamma, eta: Gamma.toNatural({ shape: 2, rate: 1 }) } },
  });
  t.true(r.passed, JSON.stringify(r.edges));
  t.deepEqual(r.edges.map((e) => e.edge).sort(), ["coefficients", "precision"]);
});
