/**
 * The fused selector update truncates responsibilities below e⁻⁴⁰ of a row's largest to 0 and moves
 * their logits to max − 800 (engine/row-pass.ts). With K = 20 components over five clusters most
 * entries are truncated; the results must stay within 1e-12 of the generic (untruncated) update,
 * η and the statistics must describe the same q (softmax of the stored η gives the statistics bit
 * for bit, so a state restored from η continues exactly), and the collapsed ELBO must equal the
 * full ELBO of that q.
 */
import test from "ava";
import { Generator, sampleStandardNormal, softmaxRange } from "@vireo/core";
import { compile, bindData, initialise, updateVariable, CaviEngine, elboTerms, type CompiledState } from "@vireo/runtime";
import { seedMixtureComponents, seededSelectors } from "../../runtime/src/engine/seed-components.js";
import { selectorChunk, CHUNK_ROWS, type SelectorJob } from "../../runtime/src/engine/row-pass.js";
import { gaussianMixture } from "../../examples/src/gaussian-mixture.js";
import { mixtureRows } from "./mixture-data.js";

const data = mixtureRows;

const K = 20;
const x = data(3000, 21);

/** An engine from cavi()'s default start: k-means++-seeded components, then one selector update. */
function started(fusedPass = true): CaviEngine {
  const m = gaussianMixture(K, 2, { alpha: 1, meanPrecision: 0.01, df: 3, scale: 1 });
  const state: CompiledState = compile(m, bindData(m, { x }));
  const rng = new Generator(8);
  initialise(state, rng, {}, true, seededSelectors(state));
  const engine = new CaviEngine(state);
  if (!fusedPass) for (const v of state.random) v.rowPass = null;
  for (const z of seedMixtureComponents(state, rng)) updateVariable(z);
  return engine;
}

test("the fused kernel against the same kernel's logits softmaxed without truncation: responsibilities within two ulps of 1, plate sums within 1e-14", (t) => {
  // A hand-built job: K = 20 rows of logits A·T(y) + b over 2-D Gaussian statistics, spread so that most entries fall below max − 40.
  const rows = 5000, S = 6, rng = new Generator(3);
  const y = new Float64Array(rows * S), A = new Float64Array(K * S), b = new Float64Array(K), offsets = new Float64Array(K);
  for (let n = 0; n < rows; n++) {
    const x0 = 8 * sampleStandardNormal(rng), x1 = 8 * sampleStandardNormal(rng);
    y.set([x0, x1, x0 * x0, x0 * x1, x1 * x0, x1 * x1], n * S);
  }
  for (let k = 0; k < K; k++) {
    const c0 = 10 * sampleStandardNormal(rng), c1 = 10 * sampleStandardNormal(rng), prec = 0.5 + rng.uniform();
    A.set([prec * c0, prec * c1, -0.5 * prec, 0, 0, -0.5 * prec], k * S);
    b[k] = -0.5 * prec * (c0 * c0 + c1 * c1) + Math.log(prec);
    offsets[k] = Math.log((k + 1) / 210);
  }
  const width = 1 + K * (1 + S), chunks = Math.ceil(rows / CHUNK_ROWS);
  const job: SelectorJob = {
    eta: new Float64Array(rows * K), stats: new Float64Array(rows * K), K, rows, offsets, etaHoldsMessages: false,
    sources: [y], sizes: [S], A: [A], b: [b], partials: new Float64Array(chunks * width), width, chunkRows: CHUNK_ROWS,
  };
  for (let c = 0; c < chunks; c++) selectorChunk(job, c);
  // Reference: the kernel's logits (same sums in the same order), softmaxed in full.
  const logits = new Float64Array(K), p = new Float64Array(K), sums = new Float64Array(K * (1 + S));
  let worst = 0, truncated = 0, lse = 0;
  for (let n = 0; n < rows; n++) {
    for (let k = 0; k < K; k++) {
      let dot = 0;
      for (let i = 0; i < S; i++) dot = i === 0 ? A[k * S]! * y[n * S]! : dot + A[k * S + i]! * y[n * S + i]!;
      logits[k] = 0 + (offsets[k]! + b[k]!) + dot;
    }
    lse += softmaxRange(logits, 0, K, p, 0);
    for (let k = 0; k < K; k++) {
      const r = job.stats[n * K + k]!;
      worst = Math.max(worst, Math.abs(r - p[k]!));
      if (r === 0 && p[k]! > 0) truncated++;
      sums[k * (1 + S)] += p[k]!;
      for (let i = 0; i < S; i++) sums[k * (1 + S) + 1 + i] += p[k]! * y[n * S + i]!;
    }
  }
  t.true(truncated > rows * 5, `${truncated} truncated entries`);
  // A dropped term below 4.3e-18 can move the row sum s by one rounding: a responsibility near 1 then moves by an ulp.
  t.true(worst <= 2 * Number.EPSILON, `responsibilities differ by ${worst}`);
  let logNormaliser = 0;
  const fusedSums = new Float64Array(K * (1 + S));
  for (let c = 0; c < chunks; c++) {
    logNormaliser += job.partials[c * width]!;
    for (let i = 0; i < fusedSums.length; i++) fusedSums[i] += job.partials[c * width + 1 + i]!;
  }
  t.true(Math.abs(logNormaliser - lse) <= 1e-12 * Math.abs(lse), `log-normaliser ${logNormaliser} vs ${lse}`);
  for (let i = 0; i < sums.length; i++) t.true(Math.abs(fusedSums[i]! - sums[i]!) <= 1e-14 * Math.max(1, Math.abs(sums[i]!)), `sum ${i}: ${fusedSums[i]} vs ${sums[i]}`);
  // The stored logits give the statistics bit for bit.
  let mismatches = 0;
  for (let n = 0; n < rows; n++) {
    softmaxRange(job.eta, n * K, K, p, 0);
    for (let k = 0; k < K; k++) if (!Object.is(p[k], job.stats[n * K + k])) mismatches++;
  }
  t.is(mismatches, 0);
});

test("K = 20 with truncation: the sweep's ELBO stays within 1e-12 of the generic sweep's", (t) => {
  const fused = started(), generic = started(false);
  t.truthy(fused.state.variables.get("z")!.rowPass, "the selector takes the fused pass");
  for (let s = 0; s < 12; s++) {
    const a = fused.sweep(), b = generic.sweep();
    t.true(Math.abs(a - b) <= 1e-12 * Math.abs(b), `sweep ${s}: fused ${a}, generic ${b}`);
  }
  // The generic path sums in another order too (mixture-fused.test.ts compares at 1e-8).
  for (const name of ["mu", "Lambda", "pi"]) {
    const u = fused.state.variables.get(name)!.eta, v = generic.state.variables.get(name)!.eta;
    let worstEta = 0;
    for (let i = 0; i < u.length; i++) worstEta = Math.max(worstEta, Math.abs(u[i]! - v[i]!) / Math.max(1, Math.abs(v[i]!)));
    t.true(worstEta < 1e-9, `${name}: ${worstEta}`);
  }
});

test("after truncation η and the statistics are the same q: softmax of η gives them bit for bit; the collapsed ELBO is the full one", (t) => {
  const engine = started();
  for (let s = 0; s < 4; s++) {
    const collapsed = engine.sweep();
    const full = elboTerms(engine.state).total;
    t.true(Math.abs(collapsed - full) <= 1e-10 * Math.abs(full), `sweep ${s}: collapsed ${collapsed}, full ${full}`);
  }
  const z = engine.state.variables.get("z")!, again = new Float64Array(K);
  let zeros = 0, mismatches = 0;
  for (let n = 0; n < z.count; n++) {
    softmaxRange(z.eta, n * K, K, again, 0);
    for (let k = 0; k < K; k++) {
      if (!Object.is(again[k], z.stats[n * K + k])) mismatches++;
      if (z.stats[n * K + k] === 0) zeros++;
    }
  }
  t.is(mismatches, 0);
  t.true(zeros > 10_000, `${zeros} zero responsibilities`);
  // And a state whose statistics are recomputed from η (as a checkpoint restore does) continues identically.
  const copy = started();
  for (const v of engine.state.random) {
    const w = copy.state.variables.get(v.name)!;
    w.eta.set(v.eta);
    w.family!.expectedStatsRows(w.eta, w.stats, w.count);
    w.changes.markChanged(w.stats);
  }
  for (let s = 0; s < 3; s++) t.true(Object.is(engine.sweep(), copy.sweep()), `sweep ${s} after the restore`);
});
