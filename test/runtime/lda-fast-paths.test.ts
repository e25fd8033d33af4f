/**
 * The LDA fast paths compute the same q as the generic updates:
 * - a topic assignment's gathered update (engine/gathered-update.ts) equals the sum of its
 *   messages divided by the row multiplicities and the softmax of that, with the same
 *   log-normaliser, also where the product of exponentials underflows;
 * - the document-local inner iterations (engine/document-block.ts) reach the fixed point of the
 *   plain sweeps over (θ, z);
 * - cavi's inner local iterations keep the ELBO non-decreasing and fit more than one update per
 *   sweep from the same start; the new options are validated.
 */
import test from "ava";
import { Generator, Dirichlet, VireoError } from "@vireo/core";
import { compile, bindData, initialise, updateVariable, cavi, type CompiledState, type VariableState } from "@vireo/runtime";
import { sumMessages } from "../../runtime/src/engine/update.js";
import { LocalIterations } from "../../runtime/src/engine/local-iterations.js";
import { ldaModel } from "../../examples/src/lda/model.js";

const K = 3, V = 8;

/** A small corpus: 6 documents, counted rows (doc, word, count). */
function corpus() {
  const rng = new Generator(3);
  const doc: number[] = [], word: number[] = [], count: number[] = [];
  for (let d = 0; d < 6; d++) {
    for (let w = 0; w < V; w++) {
      if (rng.uniform() < 0.55) {
        doc.push(d);
        word.push(w);
        count.push(1 + Math.floor(rng.uniform() * 4));
      }
    }
  }
  return { doc: Float64Array.from(doc), word: Float64Array.from(word), count: Float64Array.from(count) };
}

function state(seed = 1): CompiledState {
  const model = ldaModel(K, V, { alpha: 0.3, eta: 0.2 });
  const s = compile(model, bindData(model, corpus()));
  initialise(s, new Generator(seed));
  return s;
}

const v = (s: CompiledState, name: string): VariableState => s.variables.get(name)!;

/** The generic update of z by hand: Σ messages / multiplicity, softmax per row, Σ_n w_n log Σ_k e^η. */
function reference(z: VariableState): { eta: Float64Array; stats: Float64Array; logNormaliser: number } {
  const eta = new Float64Array(z.eta.length), stats = new Float64Array(z.eta.length);
  sumMessages(z, eta);
  let total = 0;
  for (let n = 0; n < z.count; n++) {
    const o = n * K, w = z.weights![n]!;
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, (eta[o + k] = eta[o + k]! / w));
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(eta[o + k]! - m);
    for (let k = 0; k < K; k++) stats[o + k] = Math.exp(eta[o + k]! - m) / sum;
    total += w * (m + Math.log(sum));
  }
  return { eta, stats, logNormaliser: total };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

test("the gathered update of z equals the generic sum of messages and softmax", (t) => {
  const s = state();
  updateVariable(v(s, "beta"));
  updateVariable(v(s, "theta"));
  const z = v(s, "z");
  const ref = reference(z);
  const logNormaliser = updateVariable(z, true);
  t.truthy(z.scratch.gathered, "the gathered path was taken");
  t.true(maxDiff(z.eta, ref.eta) < 1e-12, `η differs by ${maxDiff(z.eta, ref.eta)}`);
  t.true(maxDiff(z.stats, ref.stats) < 1e-14, `E[z] differs by ${maxDiff(z.stats, ref.stats)}`);
  t.true(Math.abs(logNormaliser - ref.logNormaliser) < 1e-10 * Math.abs(ref.logNormaliser));
});

test("rows whose product of exponentials underflows fall back to log space", (t) => {
  const s = state();
  // Topic 0 owns document 0's proportions, topic 1 every word: each product e^{Δθ} e^{Δβ} underflows.
  const theta = v(s, "theta"), beta = v(s, "beta"), D = Dirichlet(K), DV = Dirichlet(V);
  theta.eta.set(D.toNatural({ alpha: Float64Array.of(50, 1e-3, 1e-3) }), 0);
  D.expectedStatsRows(theta.eta, theta.stats, theta.count);
  s.changes.markChanged(theta.stats);
  for (let k = 0; k < K; k++) beta.eta.set(DV.toNatural({ alpha: new Float64Array(V).fill(k === 1 ? 50 : 1e-3) }), k * V);
  DV.expectedStatsRows(beta.eta, beta.stats, beta.count);
  s.changes.markChanged(beta.stats);
  const z = v(s, "z");
  const ref = reference(z);
  const logNormaliser = updateVariable(z, true);
  t.truthy(z.scratch.gathered);
  t.true(ref.stats.every(Number.isFinite));
  t.true(maxDiff(z.stats, ref.stats) < 1e-12, `E[z] differs by ${maxDiff(z.stats, ref.stats)}`);
  t.true(Math.abs(logNormaliser - ref.logNormaliser) < 1e-10 * Math.abs(ref.logNormaliser));
  // Document 0's rows: the largest sum of exponentials is e^{-1000}-ish, well below the double range.
  const row0 = Array.from(z.stats.subarray(0, K));
  t.true(Math.abs(row0.reduce((a, b) => a + b, 0) - 1) < 1e-12);
});

test("document-local inner iterations reach the fixed point of plain sweeps over θ and z", (t) => {
  const fast = state(), plain = state();
  for (const s of [fast, plain]) updateVariable(v(s, "beta"));
  const block = new LocalIterations([v(fast, "theta"), v(fast, "z")], { maxIterations: 5000, tolerance: 1e-13 });
  const r = block.run(true);
  t.true(r.sweeps > 1 && r.sweeps < 5000, `${r.sweeps} iterations`);
  for (let i = 0; i < 3000; i++) {
    updateVariable(v(plain, "theta"));
    updateVariable(v(plain, "z"));
  }
  t.true(maxDiff(v(fast, "theta").eta, v(plain, "theta").eta) < 1e-9, `θ differs by ${maxDiff(v(fast, "theta").eta, v(plain, "theta").eta)}`);
  t.true(maxDiff(v(fast, "z").stats, v(plain, "z").stats) < 1e-9);
  t.true(Math.abs(r.logNormaliser - reference(v(plain, "z")).logNormaliser) < 1e-8 * Math.abs(r.logNormaliser));
});

test("cavi: inner local iterations keep the ELBO non-decreasing and, from the same start, fit more per sweep", (t) => {
  const model = ldaModel(K, V, { alpha: 0.3, eta: 0.2 });
  const data = corpus();
  const inner = cavi(model, { data, maxIterations: 8, tolerance: 0, seed: 4 });
  const single = cavi(model, { data, maxIterations: 8, tolerance: 0, seed: 4, localIterations: 1 });
  t.deepEqual(inner.diagnostics, []);
  for (let i = 1; i < inner.elbo.length; i++) t.true(inner.elbo[i]! >= inner.elbo[i - 1]! - 1e-9 * Math.abs(inner.elbo[i]!));
  // The first sweep updates the globals identically; the inner iterations then only add coordinate steps.
  t.true(inner.elbo[0]! > single.elbo[0]!, `ELBO after the first sweep: inner ${inner.elbo[0]}, single ${single.elbo[0]}`);
});

test("cavi validates localIterations and localTolerance", (t) => {
  const model = ldaModel(K, V);
  const data = corpus();
  for (const [key, value] of [["localIterations", 0], ["localIterations", 1.5], ["localTolerance", -1], ["localTolerance", Number.NaN]] as const) {
    const e = t.throws(() => cavi(model, { data, [key]: value }), { instanceOf: VireoError });
    t.is(e.code, "INVALID_OPTION");
    t.regex(e.message, new RegExp(`'${key}'`));
  }
});
