/**
 * A topic assignment's gathered update refreshes the exponentials of E[log β] only for the words
 * its rows use (engine/gathered-update.ts). Checked against the generic path (sum of messages,
 * softmax) in the cases the cache must get right: minibatches of the same shape with different
 * words under the same topics (the words the first batch lacked must be made, the others kept),
 * new topics after an SVI step (every cached word is stale), and a whole run against a fresh
 * engine restored to the same topics. Also: an SVI step that leaves z's start to the document
 * block (MinibatchRunner.prepare with localStepFollows) gives the same topics, bit for bit, as the
 * same steps with every local started first.
 */
import test from "ava";
import { SviEngine, updateVariable, type CompiledState, type VariableState, type FactorState } from "@vireo/runtime";
import { sumMessages } from "../../runtime/src/engine/update.js";
import { ldaModel } from "../../examples/src/lda/model.js";

const K = 3, V = 8;

/** 4 documents of 3 distinct words each, drawn from `words` (same shape for every call). */
function batch(words: readonly number[]) {
  const doc: number[] = [], word: number[] = [], count: number[] = [];
  for (let d = 0; d < 4; d++) {
    for (let j = 0; j < 3; j++) {
      doc.push(d);
      word.push(words[(d + 2 * j) % words.length]!);
      count.push(1 + ((d + j) % 3));
    }
  }
  return { doc: Float64Array.from(doc), word: Float64Array.from(word), count: Float64Array.from(count) };
}

const low = batch([0, 1, 2, 3]), high = batch([4, 5, 6, 7]), mixed = batch([1, 3, 5, 6, 7]);

function engine(): SviEngine {
  return new SviEngine(ldaModel(K, V, { alpha: 0.3, eta: 0.2 }), { plate: "docs", totalRows: 40, tau: 1, kappa: 0.7, seed: 5, elboEvery: 0, globalStart: "random", localTolerance: 1e-8 });
}

/** E[z] of the generic path: Σ messages / multiplicity, softmax per row. */
function genericStats(z: VariableState): Float64Array {
  const eta = new Float64Array(z.eta.length), stats = new Float64Array(z.eta.length);
  sumMessages(z, eta);
  for (let n = 0; n < z.count; n++) {
    const o = n * K, w = z.weights![n]!;
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, (eta[o + k] = eta[o + k]! / w));
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(eta[o + k]! - m);
    for (let k = 0; k < K; k++) stats[o + k] = Math.exp(eta[o + k]! - m) / sum;
  }
  return stats;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!) / Math.max(1e-300, Math.abs(b[i]!)));
  return d;
}

/** Updates z through the gathered path and compares it with the generic one. */
function checkZ(t: import("ava").ExecutionContext, state: CompiledState, what: string): void {
  const z = state.variables.get("z")!;
  const expected = genericStats(z);
  updateVariable(z);
  t.truthy(z.scratch.gathered, `${what}: the gathered path was taken`);
  const d = maxRelDiff(z.stats, expected);
  t.true(d < 1e-10, `${what}: E[z] differs from the generic path by ${d} (relative)`);
}

test("same-shaped batches with other words under the same topics, then new topics", (t) => {
  const e = engine();
  e.step(low);
  const runner = e.runner;
  const first = runner.prepare(runner.bind(low));
  checkZ(t, first, "words 0–3");
  // Same shape, same topics (no step in between): words 4–7 are not cached yet.
  const second = runner.prepare(runner.bind(high));
  t.is(second, first, "the compiled state (and its cache) is reused");
  checkZ(t, second, "words 4–7 under the same topics");
  const third = runner.prepare(runner.bind(mixed));
  checkZ(t, third, "words from both halves under the same topics");
  // New topics: every cached word is stale.
  e.step(mixed);
  checkZ(t, runner.prepare(runner.bind(low)), "words 0–3 after a step");
  checkZ(t, runner.prepare(runner.bind(high)), "words 4–7 after a step");
});

test("a run over batches with different words equals a fresh engine restored to the same topics", (t) => {
  const e = engine();
  for (const b of [low, high, mixed, low, high]) e.step(b);
  const fresh = engine();
  fresh.restore({ beta: e.posteriors().beta!.natural }, e.progress(), e.runner.generatorState());
  const a = e.runner.fitLocals(mixed).theta!.mean(), b = fresh.runner.fitLocals(mixed).theta!.mean();
  t.deepEqual(Array.from(a), Array.from(b));
  t.true(Array.from(a).every(Number.isFinite));
});

test("SVI steps that leave z's start to the document block equal steps that start every local first", (t) => {
  const batches = [low, high, mixed, low, high, mixed];
  const a = engine();
  for (const b of batches) a.step(b);
  // The same steps by hand: prepare without deferring, local step, damped global step.
  const e = engine();
  e.step(batches[0]!);
  const runner = e.runner, N = 40;
  for (let i = 1; i < batches.length; i++) {
    const state = runner.prepare(runner.bind(batches[i]!));
    runner.localStep(state, false);
    t.truthy(state.variables.get("z")!.scratch.gathered, "the gathered path was taken");
    const scale = N / 4, isData = (f: FactorState) => runner.isDataFactor(f);
    for (const g of runner.globalStates(state)) updateVariable(g, false, { scale: (f) => (isData(f) ? scale : 1), step: e.rho(i + 1), dataScale: scale });
  }
  t.deepEqual(Array.from(a.posteriors().beta!.natural), Array.from(e.posteriors().beta!.natural));
});
