/**
 * The LDA document kernel (engine/document-kernel.ts) and what goes with it:
 * - its log-gamma agrees with @vireo/core's (stdlib) to round-off (its digamma is core's digammaPositive);
 * - topics a document has left are left out of its rows only below round-off;
 * - documents whose rows underflow go back to the log-space path and still reach the fixed point
 *   of the plain sweeps over θ and z;
 * - two threads give SVI and CAVI results bit-identical to one thread;
 * - a mixture of Categoricals sends its topic-word message in one scatter (componentScatter),
 *   equal to the per-component messages;
 * - svi's elboEvery skips the ELBO without changing the fit.
 */
import test from "ava";
import { Generator, Dirichlet, gammaln, VireoError } from "@vireo/core";
import { Mixture, CategoricalNode } from "@vireo/nodes";
import { compile, bindData, initialise, updateVariable, cavi, SviEngine, type CompiledState, type VariableState } from "@vireo/runtime";
import { kernelLogGamma, kernelAccumulate, kernelAccumulateSparse } from "../../runtime/src/engine/document-kernel.js";
import { LocalIterations } from "../../runtime/src/engine/local-iterations.js";
import { ldaModel } from "../../examples/src/lda/model.js";
import { randomCorpus } from "./lda-corpus.js";

const K = 3, V = 12;

/** `docs` documents of 3–12 distinct words with counts 1–4, drawn with a fixed seed. */
const corpus = (docs: number, seed = 3) => randomCorpus(docs, V, 4, seed);

const v = (s: CompiledState, name: string): VariableState => s.variables.get(name)!;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

test("the kernel's log-gamma agrees with core's to round-off (its digamma is core's digammaPositive, tested in test/core)", (t) => {
  let worstLogGamma = 0;
  for (let e = -6; e <= 4; e += 0.01) {
    const x = Math.pow(10, e);
    worstLogGamma = Math.max(worstLogGamma, Math.abs(kernelLogGamma(x) - gammaln(x)) / Math.max(1, Math.abs(gammaln(x))));
  }
  t.true(worstLogGamma < 5e-14, `log Γ: worst relative error ${worstLogGamma}`);
});

test("topics a document has left are left out of its rows only where they are below round-off", (t) => {
  const K = 12, rows = 41, rng = new Generator(8);
  const fixed = new Float64Array(rows * K), rowWeight = new Float64Array(rows), e = new Float64Array(K);
  for (let i = 0; i < fixed.length; i++) fixed[i] = 0.01 + rng.uniform();
  for (let r = 0; r < rows; r++) rowWeight[r] = 1 + Math.floor(rng.uniform() * 5);
  // Topics 0–3 in use, the others left (e ≈ 10⁻²³, just under the threshold).
  for (let k = 0; k < K; k++) e[k] = k < 4 ? 0.05 + rng.uniform() : 1e-23 * (1 + rng.uniform());
  // Row 17: a word the topics in use almost never emit, so the others' share is above round-off there.
  for (let k = 0; k < K; k++) fixed[17 * K + k] = k < 4 ? 1e-9 : 1;
  const dense = new Float64Array(K), sparse = new Float64Array(K), active = new Int32Array(K);
  t.true(kernelAccumulate(fixed, rowWeight, 0, rows, K, e, dense));
  t.true(kernelAccumulateSparse(fixed, rowWeight, 0, rows, K, e, sparse, active));
  let tokens = 0;
  for (let r = 0; r < rows; r++) tokens += rowWeight[r]!;
  for (let k = 0; k < K; k++) {
    // What α_k receives: e_k · acc_k.
    const a = e[k]! * dense[k]!, b = e[k]! * sparse[k]!;
    if (k < 4) t.true(Math.abs(a - b) <= 1e-14 * a, `topic ${k}: ${a} vs ${b}`);
    else {
      t.true(Math.abs(a - b) <= 2.3e-16 * tokens, `topic ${k}: ${a} vs ${b}`);
      // Row 17 took every topic: the topics left out still get its share.
      t.true(b >= (e[k]! * rowWeight[17]!) / (4e-9 + 1e-21) * 0.5, `topic ${k} misses row 17: ${b}`);
    }
  }
  // More than half the topics in use: the dense pass itself.
  e.fill(0.5);
  t.true(kernelAccumulateSparse(fixed, rowWeight, 0, rows, K, e, sparse, active));
  kernelAccumulate(fixed, rowWeight, 0, rows, K, e, dense);
  t.deepEqual(Array.from(sparse), Array.from(dense));
});

test("with small α (documents on few topics) the document block still reaches the plain sweeps' fixed point", (t) => {
  const make = () => {
    const model = ldaModel(8, V, { alpha: 0.01, eta: 0.2 });
    const s = compile(model, bindData(model, corpus(10, 5)));
    initialise(s, new Generator(3));
    updateVariable(v(s, "beta"));
    return s;
  };
  const fast = make(), plain = make();
  const r = new LocalIterations([v(fast, "theta"), v(fast, "z")], { maxIterations: 5000, tolerance: 1e-13 }).run(true);
  t.true(r.sweeps > 1 && r.sweeps < 5000, `${r.sweeps} iterations`);
  // The same coordinate path (z from θ's start first: small α has several optima per document).
  for (let i = 0; i < 4000; i++) {
    updateVariable(v(plain, "z"));
    updateVariable(v(plain, "theta"));
  }
  updateVariable(v(plain, "z"));
  // Some documents did leave topics (E[log θ_k] far below the largest).
  const stats = v(fast, "theta").stats;
  let left = 0;
  for (let d = 0; d < 10; d++) {
    let m = -Infinity;
    for (let k = 0; k < 8; k++) m = Math.max(m, stats[d * 8 + k]!);
    for (let k = 0; k < 8; k++) if (stats[d * 8 + k]! - m < -60) left++;
  }
  t.true(left > 0, "no topic was left: the sparse pass was not exercised");
  t.true(maxDiff(v(fast, "theta").eta, v(plain, "theta").eta) < 1e-8, `θ differs by ${maxDiff(v(fast, "theta").eta, v(plain, "theta").eta)}`);
  t.true(maxDiff(v(fast, "z").stats, v(plain, "z").stats) < 1e-9);
});

test("documents whose rows underflow take the log-space path and reach the plain sweeps' fixed point", (t) => {
  const make = () => {
    const model = ldaModel(K, V, { alpha: 0.3, eta: 0.2 });
    const s = compile(model, bindData(model, corpus(6)));
    initialise(s, new Generator(2));
    // Document 0 almost surely topic 0, every word almost surely topic 1: each of its rows'
    // Σ_k e^{E[log θ_k]} c_k underflows.
    const theta = v(s, "theta"), beta = v(s, "beta"), D = Dirichlet(K), DV = Dirichlet(V);
    theta.eta.set(D.toNatural({ alpha: Float64Array.of(50, 1e-3, 1e-3) }), 0);
    D.expectedStatsRows(theta.eta, theta.stats, theta.count);
    s.changes.markChanged(theta.stats);
    for (let k = 0; k < K; k++) beta.eta.set(DV.toNatural({ alpha: new Float64Array(V).fill(k === 1 ? 50 : 1e-3) }), k * V);
    DV.expectedStatsRows(beta.eta, beta.stats, beta.count);
    s.changes.markChanged(beta.stats);
    return s;
  };
  const fast = make(), plain = make();
  const r = new LocalIterations([v(fast, "theta"), v(fast, "z")], { maxIterations: 5000, tolerance: 1e-13 }).run(true);
  t.true(r.sweeps > 1 && r.sweeps < 5000, `${r.sweeps} iterations`);
  for (let i = 0; i < 3000; i++) {
    updateVariable(v(plain, "theta"));
    updateVariable(v(plain, "z"));
  }
  t.true(v(fast, "theta").eta.every(Number.isFinite));
  t.true(maxDiff(v(fast, "theta").eta, v(plain, "theta").eta) < 1e-8, `θ differs by ${maxDiff(v(fast, "theta").eta, v(plain, "theta").eta)}`);
  t.true(maxDiff(v(fast, "z").stats, v(plain, "z").stats) < 1e-9);
});

test("SVI on LDA: two threads give the one-thread topics bit for bit", (t) => {
  const data = corpus(60);
  const run = (threads: number) => {
    const engine = new SviEngine(ldaModel(K, V, { alpha: 0.3, eta: 0.2 }), { plate: "docs", totalRows: 240, tau: 4, kappa: 0.7, localTolerance: 1e-6, seed: 3, threads });
    const elbos: number[] = [];
    try {
      for (let step = 0; step < 6; step++) {
        // Batches of 20 documents, renumbered from 0.
        const first = (step % 3) * 20, rows = [...data.doc.keys()].filter((r) => data.doc[r]! >= first && data.doc[r]! < first + 20);
        const batch = { doc: Float64Array.from(rows, (r) => data.doc[r]! - first), word: Float64Array.from(rows, (r) => data.word[r]!), count: Float64Array.from(rows, (r) => data.count[r]!) };
        elbos.push(engine.step(batch).elbo);
      }
      return { lambda: engine.posteriors().beta!.natural, elbos, theta: engine.runner.fitLocals(data).theta!.natural };
    } finally {
      engine.close();
    }
  };
  const one = run(1), two = run(2);
  t.true(one.lambda.every((x, i) => Object.is(x, two.lambda[i])), "λ differs");
  t.true(one.theta.every((x, i) => Object.is(x, two.theta[i])), "fitted θ differs");
  t.deepEqual(two.elbos, one.elbos);
});

test("batch CAVI on LDA: two threads give the one-thread fit bit for bit", (t) => {
  const model = ldaModel(K, V, { alpha: 0.3, eta: 0.2 });
  const data = corpus(50);
  const one = cavi(model, { data, maxIterations: 6, tolerance: 0, seed: 4 });
  const two = cavi(model, { data, maxIterations: 6, tolerance: 0, seed: 4, threads: 2 });
  t.deepEqual(two.elbo, one.elbo);
  t.deepEqual(Array.from(two.posteriors.beta!.natural), Array.from(one.posteriors.beta!.natural));
  t.deepEqual(Array.from(two.posteriors.theta!.natural), Array.from(one.posteriors.theta!.natural));
  t.deepEqual(one.diagnostics, []);
});

test("a mixture of Categoricals sends the topic-word message in one scatter, equal to the per-component messages", (t) => {
  const model = ldaModel(K, V, { alpha: 0.3, eta: 0.2 });
  const s = compile(model, bindData(model, corpus(8)));
  initialise(s, new Generator(6));
  updateVariable(v(s, "theta"));
  updateVariable(v(s, "z"));
  const words = s.factors.find((f) => f.name === "words")!;
  t.truthy(words.spec.type.messages.p);
  const scattered = new Float64Array(K * V), perComponent = new Float64Array(K * V);
  words.spec.type.messages.p!(words.ctx, scattered);
  // The same mixture over a Categorical node without the one-pass scatter.
  const { componentScatter, ...plainCategorical } = CategoricalNode;
  t.is(typeof componentScatter, "function");
  Mixture(plainCategorical, ["p"]).messages.p!(words.ctx, perComponent);
  t.true(maxDiff(scattered, perComponent) < 1e-12, `differs by ${maxDiff(scattered, perComponent)}`);
  t.true(scattered.some((x) => x > 0));
});

test("svi elboEvery skips the ELBO on other steps without changing the fit, and is validated", (t) => {
  const data = corpus(30);
  const run = (elboEvery: number) => {
    const engine = new SviEngine(ldaModel(K, V), { plate: "docs", totalRows: 30, seed: 1, elboEvery });
    const elbos = [0, 1, 2, 3, 4, 5].map(() => engine.step(data).elbo);
    return { elbos, lambda: engine.posteriors().beta!.natural };
  };
  const every = run(1), third = run(3), never = run(0);
  t.true(every.elbos.every(Number.isFinite));
  t.deepEqual(third.elbos.map(Number.isNaN), [true, true, false, true, true, false]);
  t.is(third.elbos[2], every.elbos[2]);
  t.true(never.elbos.every(Number.isNaN));
  t.true(third.lambda.every((x, i) => Object.is(x, every.lambda[i])) && never.lambda.every((x, i) => Object.is(x, every.lambda[i])));
  for (const bad of [-1, 1.5, Number.NaN]) {
    const e = t.throws(() => new SviEngine(ldaModel(K, V), { totalRows: 30, elboEvery: bad }), { instanceOf: VireoError });
    t.regex(e.message, /elboEvery/);
  }
  const e = t.throws(() => new SviEngine(ldaModel(K, V), { totalRows: 30, threads: 0 }), { instanceOf: VireoError });
  t.regex(e.message, /threads/);
});
