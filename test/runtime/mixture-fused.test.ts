/**
 * The fused one-pass update of a mixture's selector (engine/row-pass.ts), its worker threads and
 * the k-means++ seeding: the fused sweep matches the generic per-message sweep, its collapsed
 * ELBO is the full ELBO, threads give bit-identical results, and seeded starts agree across seeds.
 * (Truncation of negligible responsibilities: mixture-truncation.test.ts.)
 */
import test, { type ExecutionContext } from "ava";
import { Generator, sampleStandardNormal, sampleCategorical, Dirichlet, MvNormal, Wishart, Categorical } from "@vireo/core";
import { DirichletNode, MvNormalNode, WishartNode, CategoricalNode } from "@vireo/nodes";
import { cavi, compile, bindData, initialise, CaviEngine, elboTerms, createThreadPool, ModelBuilder, type CompiledState } from "@vireo/runtime";
import { kmeansCentres } from "../../runtime/src/engine/seed-components.js";
import { isShared } from "../../runtime/src/engine/threads.js";
import { gaussianMixture } from "../../examples/src/gaussian-mixture.js";
import { normalWishartMixture } from "../../examples/src/normal-wishart-mixture.js";
import { mixtureRows, MIXTURE_CENTRES } from "./mixture-data.js";

const data = mixtureRows;

const model = (K: number) => gaussianMixture(K, 2, { alpha: 1, meanPrecision: 0.01, df: 3, scale: 1 });

/** A compiled state from a fixed random start (allocating through `allocate` when given). */
function startedState(K: number, x: Float64Array, allocate?: (n: number) => Float64Array): CompiledState {
  const m = model(K);
  const state = compile(m, bindData(m, { x }), undefined, undefined, undefined, allocate);
  initialise(state, new Generator(5));
  return state;
}

/**
 * Sweeps `fused` and `generic` (its row passes switched off) side by side: the same ELBO each sweep,
 * the collapsed ELBO of the fused pass equal to every term evaluated, no decrease, and the same
 * natural parameters of `names` at the end.
 */
function matchesGenericSweep(t: ExecutionContext, fused: CaviEngine, generic: CaviEngine, sweeps: number, names: readonly string[]): void {
  for (const v of generic.state.random) v.rowPass = null;
  let previous = -Infinity;
  for (let s = 0; s < sweeps; s++) {
    const a = fused.sweep(), b = generic.sweep();
    t.true(Math.abs(a - b) <= 1e-9 * Math.abs(b), `sweep ${s}: fused ${a}, generic ${b}`);
    // The collapsed ELBO (log-normalisers of the fused pass) equals every term evaluated.
    const full = elboTerms(fused.state).total;
    t.true(Math.abs(a - full) <= 1e-9 * Math.abs(full), `sweep ${s}: collapsed ${a}, full ${full}`);
    t.true(a >= previous - 1e-9 * Math.abs(a), `ELBO fell at sweep ${s}`);
    previous = a;
  }
  for (const name of names) {
    // A selector is compared by its probabilities: the fused pass stores a truncated entry's logit
    // as the row's largest − 800 (engine/row-pass.ts), which the generic pass leaves at its value.
    const which = name === "z" ? "stats" : "eta";
    const p = fused.state.variables.get(name)![which], q = generic.state.variables.get(name)![which];
    let worst = 0;
    for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(p[i]! - q[i]!) / Math.max(1, Math.abs(q[i]!)));
    t.true(worst < 1e-8, `${name}: ${worst}`);
  }
}

test("the fused selector update gives the generic sweep's ELBO trace and posteriors, with the full ELBO as its collapsed one", (t) => {
  const x = data(3000, 1), K = 4;
  const fused = new CaviEngine(startedState(K, x));
  const generic = new CaviEngine(startedState(K, x));
  const z = fused.state.variables.get("z")!;
  t.truthy(z.rowPass, "the selector takes the fused pass");
  matchesGenericSweep(t, fused, generic, 15, ["mu", "Lambda", "pi", "z"]);
});

test("Bishop's Normal–Wishart mixture takes the fused pass too, matching the generic sweep", (t) => {
  const x = data(2000, 2), K = 3;
  const make = () => {
    const m = normalWishartMixture(K, 2, { alpha: 1, precisionScale: 0.01, df: 3, scale: 1 });
    const state = compile(m, bindData(m, { x }));
    initialise(state, new Generator(9));
    return new CaviEngine(state);
  };
  const fused = make(), generic = make();
  t.truthy(fused.state.variables.get("z")!.rowPass);
  for (const v of generic.state.random) v.rowPass = null;
  for (let s = 0; s < 10; s++) {
    const a = fused.sweep(), b = generic.sweep();
    t.true(Math.abs(a - b) <= 1e-9 * Math.abs(b), `sweep ${s}: fused ${a}, generic ${b}`);
  }
});

test("mixture weights per group (z_n ~ Cat(π_g(n))): the per-row prior is summed into η before the fused pass, which matches the generic sweep", (t) => {
  const G = 3, K = 3, N = 2500, rng = new Generator(12);
  const groupWeights = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]], centres = [[-4, 0], [4, 0], [0, 5]];
  const x = new Float64Array(N * 2), g = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    g[n] = n % G;
    const k = sampleCategorical(rng, groupWeights[n % G]!);
    for (let i = 0; i < 2; i++) x[n * 2 + i] = centres[k]![i]! + sampleStandardNormal(rng);
  }
  const build = () => {
    const m = new ModelBuilder();
    const rows = m.plate("rows"), groups = m.plate("groups", G), components = m.plate("components", K);
    const pi = m.random("pi", Dirichlet(K), { plate: groups });
    m.factor(DirichletNode, { out: pi, alpha: new Float64Array(K).fill(1) }, { name: "pi_prior" });
    const mu = m.random("mu", MvNormal(2), { plate: components });
    m.factor(MvNormalNode, { out: mu, mean: new Float64Array(2), precision: Float64Array.of(0.01, 0, 0, 0.01) }, { name: "mu_prior" });
    const Lambda = m.random("Lambda", Wishart(2), { plate: components });
    m.factor(WishartNode, { out: Lambda, df: 3, scale: Float64Array.of(1, 0, 0, 1) }, { name: "Lambda_prior" });
    const group = m.input("g", { plate: rows });
    const z = m.random("z", Categorical(K), { plate: rows });
    m.factor(CategoricalNode, { out: z, p: pi.at(group) }, { name: "z_prior" });
    m.mixture(MvNormalNode, { selector: z, out: m.observed("x", MvNormal(2), { plate: rows }), mean: mu, precision: Lambda }, { name: "likelihood" });
    const model = m.build();
    const state = compile(model, bindData(model, { x, g }));
    initialise(state, new Generator(3));
    return new CaviEngine(state);
  };
  const fused = build(), generic = build();
  t.truthy(fused.state.variables.get("z")!.rowPass, "the selector takes the fused pass");
  matchesGenericSweep(t, fused, generic, 12, ["pi", "mu", "Lambda", "z"]);
});

test("two threads give results bit-identical to one (fixed chunks, partial sums added in chunk order)", (t) => {
  // 20 000 rows: three chunks, split unevenly between the threads.
  const x = data(20_000, 3), K = 5;
  const pool = createThreadPool(2);
  try {
    const shared = startedState(K, x, pool.allocate);
    t.true(isShared(shared.variables.get("z")!.eta) && isShared(shared.variables.get("x")!.stats), "buffers in shared memory");
    const threaded = new CaviEngine(shared, undefined, { pool });
    const single = new CaviEngine(startedState(K, x));
    for (let s = 0; s < 6; s++) {
      const a = threaded.sweep(), b = single.sweep();
      t.true(Object.is(a, b), `sweep ${s}: ${a} vs ${b}`);
    }
    for (const name of ["mu", "Lambda", "pi", "z"]) {
      const p = threaded.state.variables.get(name)!.eta, q = single.state.variables.get(name)!.eta;
      t.true(p.every((v, i) => Object.is(v, q[i])), `${name} differs`);
    }
  } finally {
    pool.close();
  }
  // Through cavi(): the option creates and ends its own workers.
  const one = cavi(model(K), { data: { x }, seed: 2, maxIterations: 8 });
  const two = cavi(model(K), { data: { x }, seed: 2, maxIterations: 8, threads: 2 });
  t.deepEqual(two.elbo, one.elbo);
  t.deepEqual(Array.from(two.posteriors.mu!.mean()), Array.from(one.posteriors.mu!.mean()));
});

test("threads is validated", (t) => {
  const x = data(50, 4);
  for (const threads of [0, 1.5, -1, NaN, 1000]) {
    const err = t.throws(() => cavi(model(2), { data: { x }, threads }));
    t.is((err as { code?: string }).code, "INVALID_OPTION");
    t.regex(err!.message, /threads/);
  }
});

test("k-means++ seeding: every seed locates the five clusters and reaches the same optimum", (t) => {
  const x = data(4000, 5), K = 5;
  const centres = kmeansCentres(new Generator(1), x, 2, 4000, K);
  for (const c of MIXTURE_CENTRES) {
    let best = Infinity;
    for (let k = 0; k < K; k++) best = Math.min(best, Math.hypot(centres[k * 2]! - c[0]!, centres[k * 2 + 1]! - c[1]!));
    t.true(best < 0.5, `no seed centre near (${c.join(", ")}): nearest at ${best}`);
  }
  const elbos = [0, 1, 2, 3, 4].map((seed) => cavi(model(K), { data: { x }, seed, maxIterations: 500, tolerance: 1e-10 }).elbo.at(-1)!);
  const spread = Math.max(...elbos) - Math.min(...elbos);
  t.true(spread < 1e-6 * Math.abs(elbos[0]!), `ELBOs over seeds: ${elbos.join(", ")}`);
});
