/**
 * LDA side by side with scikit-learn (issue 17, target 1), on the same corpus, the same
 * minibatches in the same order, the same priors and step-size schedule:
 * - SVI vs sklearn's online LDA (partial_fit per minibatch): seconds per epoch, held-out
 *   perplexity measured every `EVAL_EVERY` minibatches outside the timed part, and the training
 *   time until the held-out perplexity first reaches the target;
 * - batch CAVI vs sklearn's batch LDA at equal passes: seconds and held-out perplexity;
 * on a synthetic corpus (V = 1000, K = 10, 2000 training documents, 10 epochs) and on the Jane
 * Austen corpus with K = 50. sklearn runs in a Python subprocess (peers/sklearn_lda.py); when it
 * is missing the suite prints how to install it and Vireo's figures alone. Both sides are timed in
 * CPU seconds of their own process (the machine may be shared).
 */
import { Generator, sampleDirichlet, sampleCategorical } from "@vireo/core";
import { SviEngine, cavi } from "@vireo/runtime";
import { ldaModel, perplexity, rowsByDoc, selectDocs, splitHalves, type Corpus } from "../../examples/src/lda/model.js";
import { loadAusten } from "../../examples/src/lda/austen.js";
import { runPythonPeer, type PythonPeer } from "./peers/python.js";
import { recordRow } from "./report.js";

const SKLEARN: PythonPeer = { script: "sklearn_lda.py", modules: ["sklearn", "numpy", "scipy"], install: "apt-get update && apt-get install -y python3-sklearn" };
const EVAL_EVERY = 5;

/**
 * CPU seconds of this process (user + system, all its threads), the clock both sides are timed
 * with (the peer uses Python's process_time): on a shared machine, wall time measures the load.
 */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

interface Workload {
  readonly name: string;
  readonly K: number;
  readonly V: number;
  readonly alpha: number;
  readonly eta: number;
  readonly tau: number;
  readonly kappa: number;
  readonly epochs: number;
  readonly passes: number;
  /** Held-out perplexity to time (null: 2% above the worse of the two final perplexities, a level both reach). */
  readonly target: number | null;
  readonly train: Corpus;
  readonly batches: readonly Corpus[];
  readonly observed: Corpus;
  readonly heldOut: Corpus;
}

interface OnlineResult {
  readonly peer: string;
  readonly seconds: number;
  readonly epochSeconds: readonly number[];
  readonly trace: readonly { step: number; seconds: number; perplexity: number }[];
}

interface BatchResult {
  readonly peer: string;
  readonly seconds: number;
  readonly perplexity: number;
}

/** Documents drawn from LDA itself (the bench uses topics ~ Dir(0.028): a fitted held-out perplexity near 170, as in the issue): K topics ~ Dir(topicConcentration) over V words, θ_d ~ Dir(docConcentration), 60–180 tokens each. */
export function syntheticCorpus(K: number, V: number, docs: number, rng: Generator, topicConcentration = 0.05, docConcentration = 0.2): Corpus {
  const beta = new Float64Array(K * V), theta = new Float64Array(K);
  const row = new Float64Array(V);
  for (let k = 0; k < K; k++) {
    sampleDirichlet(rng, new Float64Array(V).fill(topicConcentration), row);
    beta.set(row, k * V);
  }
  const doc: number[] = [], word: number[] = [], count: number[] = [];
  const counts = new Map<number, number>();
  const topicRows = Array.from({ length: K }, (_, k) => beta.subarray(k * V, (k + 1) * V));
  for (let d = 0; d < docs; d++) {
    sampleDirichlet(rng, new Float64Array(K).fill(docConcentration), theta);
    const length = 60 + Math.floor(rng.uniform() * 121);
    counts.clear();
    for (let t = 0; t < length; t++) {
      const w = sampleCategorical(rng, topicRows[sampleCategorical(rng, theta)]!);
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    for (const [w, c] of [...counts].sort((a, b) => a[0] - b[0])) {
      doc.push(d);
      word.push(w);
      count.push(c);
    }
  }
  return { docs, doc: Float64Array.from(doc), word: Float64Array.from(word), count: Float64Array.from(count) };
}

/** Splits a corpus into training minibatches of B documents and held-out halves of the rest. */
export function workload(name: string, all: Corpus, heldOutIds: readonly number[], B: number, rest: Omit<Workload, "name" | "train" | "batches" | "observed" | "heldOut">): Workload {
  const byDoc = rowsByDoc(all.doc, all.docs);
  const held = new Set(heldOutIds);
  const trainIds = Array.from({ length: all.docs }, (_, d) => d).filter((d) => !held.has(d));
  const train = selectDocs(all, byDoc, trainIds);
  const trainByDoc = rowsByDoc(train.doc, train.docs);
  const batches: Corpus[] = [];
  for (let b = 0; b < train.docs; b += B) batches.push(selectDocs(train, trainByDoc, Array.from({ length: Math.min(B, train.docs - b) }, (_, i) => b + i)));
  const halves = splitHalves(selectDocs(all, byDoc, heldOutIds));
  return { name, ...rest, train, batches, observed: halves.observed, heldOut: halves.heldOut };
}

function data(c: Corpus) {
  return { doc: c.doc, word: c.word, count: c.count };
}

/** Held-out perplexity of an engine's current topics (locals of the observed halves fitted with the topics fixed). */
function engineParity(w: Workload, engine: SviEngine): number {
  const topics = engine.posteriors().beta!.mean();
  return perplexity((c) => ({ theta: engine.runner.fitLocals(data(c)).theta!.mean() }), topics, w.K, w.V, w.observed, w.heldOut);
}

function sviEngine(w: Workload, threads = 1): SviEngine {
  // No ELBO per step: sklearn's partial_fit computes no bound either (perplexity is measured apart).
  // Topics start as sklearn's do (λ ~ Gamma(100, 1/100) per entry) and every step fits the locals.
  return new SviEngine(ldaModel(w.K, w.V, { alpha: w.alpha, eta: w.eta }), { plate: "docs", totalRows: w.train.docs, tau: w.tau, kappa: w.kappa, localTolerance: 1e-3, seed: 1, elboEvery: 0, threads, globalStart: "random" });
}

function vireoOnline(w: Workload): OnlineResult {
  const engine = sviEngine(w);
  let seconds = 0, steps = 0;
  const epochSeconds: number[] = [], trace: OnlineResult["trace"][number][] = [];
  for (let e = 0; e < w.epochs; e++) {
    let epoch = 0;
    for (const b of w.batches) {
      const t0 = cpuSeconds();
      engine.step(data(b));
      const dt = cpuSeconds() - t0;
      seconds += dt;
      epoch += dt;
      if (++steps % EVAL_EVERY === 0) trace.push({ step: steps, seconds, perplexity: engineParity(w, engine) });
    }
    epochSeconds.push(epoch);
  }
  return { peer: "Vireo SVI", seconds, epochSeconds, trace };
}

function vireoBatch(w: Workload, seed: number, threads = 1): BatchResult & { beta: Float64Array; wall: number } {
  const model = ldaModel(w.K, w.V, { alpha: w.alpha, eta: w.eta });
  const t0 = cpuSeconds(), w0 = performance.now();
  const fit = cavi(model, { data: data(w.train), maxIterations: w.passes, tolerance: 0, seed, threads });
  const seconds = cpuSeconds() - t0, wall = (performance.now() - w0) / 1000;
  // Held-out locals with the fitted topics fixed: an SVI engine restored to them.
  const engine = sviEngine(w);
  engine.restore({ beta: fit.posteriors.beta!.natural }, engine.progress(), engine.runner.generatorState());
  return { peer: "Vireo CAVI", seconds, perplexity: engineParity(w, engine), beta: fit.posteriors.beta!.natural, wall };
}

function timeToTarget(r: OnlineResult, target: number): number | null {
  return r.trace.find((p) => p.perplexity <= target)?.seconds ?? null;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (x: number | null, digits = 2) => (x === null ? "not reached" : x.toFixed(digits));
const ratio = (a: number | null, b: number | null) => (a === null || b === null ? "—" : (a / b).toFixed(2));

export function compareOnline(w: Workload): void {
  const wl = `${w.name}: SVI, K = ${w.K}, V = ${w.V}, ${w.train.docs} docs in ${w.batches.length} batches, ${w.epochs} epochs`;
  const peer = runPythonPeer<OnlineResult>(SKLEARN, {
    mode: "online", K: w.K, V: w.V, alpha: w.alpha, eta: w.eta, tau: w.tau, kappa: w.kappa, epochs: w.epochs, evalEvery: EVAL_EVERY,
    size: w.train.docs, batches: w.batches, observed: w.observed, heldOut: w.heldOut, seed: 1,
  });
  const v = vireoOnline(w);
  const p = peer.ok ? peer.value : null;
  if (!peer.ok) console.log(`  sklearn peer not run: ${peer.reason}`);
  const vEpoch = mean(v.epochSeconds), pEpoch = p ? mean(p.epochSeconds) : null;
  const vFinal = v.trace[v.trace.length - 1]!.perplexity, pFinal = p ? p.trace[p.trace.length - 1]!.perplexity : null;
  const target = w.target ?? Math.round(1.02 * Math.max(vFinal, pFinal ?? vFinal));
  const vTarget = timeToTarget(v, target), pTarget = p ? timeToTarget(p, target) : null;
  console.log(`  ${wl}`);
  console.log(`    CPU seconds per epoch      Vireo ${fmt(vEpoch, 3)}   ${p?.peer ?? "sklearn"} ${fmt(pEpoch, 3)}   ratio ${ratio(vEpoch, pEpoch)} (target ≤ 1)`);
  console.log(`    CPU time to perplexity ${target} Vireo ${fmt(vTarget, 3)} s   sklearn ${fmt(pTarget, 3)} s   ratio ${ratio(vTarget, pTarget)} (target ≤ 0.5)`);
  console.log(`    held-out perplexity at end Vireo ${vFinal.toFixed(1)}   sklearn ${fmt(pFinal, 1)}`);
  const trace = (r: OnlineResult) => r.trace.filter((_, i) => (i + 1) % Math.max(1, Math.floor(r.trace.length / 5)) === 0).map((t) => `${t.step}:${t.perplexity.toFixed(0)}`).join(" ");
  console.log(`    perplexity by step         Vireo ${trace(v)}${p ? `   sklearn ${trace(p)}` : ""}`);
  const peerName = p?.peer ?? null, note = peer.ok ? undefined : peer.reason;
  recordRow({ row: `${w.name} LDA SVI K=${w.K}: seconds per epoch`, unit: "CPU s", vireo: vEpoch, peer: pEpoch, peerName, ...(note ? { note } : {}) });
  if (vTarget !== null) recordRow({ row: `${w.name} LDA SVI K=${w.K}: seconds to held-out perplexity ${target}`, unit: "CPU s", vireo: vTarget, peer: pTarget, peerName, ...(note ? { note } : {}) });
  recordRow({ row: `${w.name} LDA SVI K=${w.K}: held-out perplexity after ${w.epochs} epochs`, unit: "perplexity", vireo: vFinal, peer: pFinal, peerName, ...(note ? { note } : {}) });
}

/** Seeds of the batch comparison: one seed is one draw of a local optimum, on either side. */
const BATCH_SEEDS = [1, 2, 3, 4, 5];
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export function compareBatch(w: Workload): void {
  const vireo: BatchResult[] = [], sklearn: BatchResult[] = [];
  let reason: string | null = null;
  for (const seed of BATCH_SEEDS) {
    const peer = runPythonPeer<BatchResult>(SKLEARN, {
      mode: "batch", K: w.K, V: w.V, alpha: w.alpha, eta: w.eta, passes: w.passes, train: w.train, observed: w.observed, heldOut: w.heldOut, seed,
    });
    if (peer.ok) sklearn.push(peer.value);
    else reason = peer.reason;
    vireo.push(vireoBatch(w, seed));
  }
  if (reason !== null) console.log(`  sklearn peer not run: ${reason}`);
  const p = sklearn.length === BATCH_SEEDS.length ? sklearn : null;
  const vSeconds = median(vireo.map((r) => r.seconds)), pSeconds = p ? median(p.map((r) => r.seconds)) : null;
  const vPerplexity = median(vireo.map((r) => r.perplexity)), pPerplexity = p ? median(p.map((r) => r.perplexity)) : null;
  const each = (rs: readonly BatchResult[]) => rs.map((r) => r.perplexity.toFixed(1)).join(" ");
  console.log(`  ${w.name}: batch CAVI vs sklearn batch, ${w.passes} passes, K = ${w.K}, medians over seeds ${BATCH_SEEDS.join(", ")}`);
  console.log(`    CPU seconds                Vireo ${vSeconds.toFixed(3)}   sklearn ${fmt(pSeconds, 3)}   ratio ${ratio(vSeconds, pSeconds)}`);
  console.log(`    held-out perplexity        Vireo ${vPerplexity.toFixed(1)}   sklearn ${fmt(pPerplexity, 1)}   ratio ${ratio(vPerplexity, pPerplexity)} (target ≤ 1)`);
  console.log(`    by seed                    Vireo ${each(vireo)}${p ? `   sklearn ${each(p)}` : ""}`);
  const peerName = p?.[0]?.peer ?? null, note = reason ?? undefined;
  recordRow({ row: `${w.name} LDA batch K=${w.K}: seconds for ${w.passes} passes (median of ${BATCH_SEEDS.length} seeds)`, unit: "CPU s", vireo: vSeconds, peer: pSeconds, peerName, ...(note ? { note } : {}) });
  recordRow({ row: `${w.name} LDA batch K=${w.K}: held-out perplexity after ${w.passes} passes (median of ${BATCH_SEEDS.length} seeds)`, unit: "perplexity", vireo: vPerplexity, peer: pPerplexity, peerName, ...(note ? { note } : {}) });
}

/**
 * Both cores (issue 17, target 4): the same fits on 1 and 2 threads, in wall seconds (best of
 * two alternating runs each: CPU seconds would add the threads up), and whether the topics are
 * bit-identical.
 */
export function compareThreads(w: Workload, epochs: number): void {
  const online = (threads: number) => {
    const engine = sviEngine(w, threads);
    const t0 = performance.now();
    for (let e = 0; e < epochs; e++) for (const b of w.batches) engine.step(data(b));
    const seconds = (performance.now() - t0) / 1000, beta = engine.posteriors().beta!.natural;
    engine.close();
    return { seconds, beta };
  };
  const same = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
  const rows: [string, () => { seconds: number; beta: Float64Array }, () => { seconds: number; beta: Float64Array }][] = [
    [`SVI, ${epochs} epochs`, () => online(1), () => online(2)],
    [`batch CAVI, ${w.passes} passes`, () => { const r = vireoBatch(w, 1, 1); return { seconds: r.wall, beta: r.beta }; }, () => { const r = vireoBatch(w, 1, 2); return { seconds: r.wall, beta: r.beta }; }],
  ];
  console.log(`  ${w.name}: 1 vs 2 threads (wall seconds, best of 2 alternating runs; the machine may be shared)`);
  for (const [name, one, two] of rows) {
    const a1 = one(), a2 = two(), b1 = one(), b2 = two();
    const t1 = Math.min(a1.seconds, b1.seconds), t2 = Math.min(a2.seconds, b2.seconds);
    const identical = same(a1.beta, a2.beta) && same(b1.beta, b2.beta) && same(a1.beta, b1.beta);
    console.log(`    ${name.padEnd(26)} 1 thread ${t1.toFixed(3)} s   2 threads ${t2.toFixed(3)} s   speed-up ${(t1 / t2).toFixed(2)}×   topics bit-identical: ${identical ? "yes" : "NO"}`);
    recordRow({ row: `${w.name} LDA ${name} on 2 threads (vs 1): wall seconds`, unit: "wall s", vireo: t2, peer: t1, peerName: "Vireo, 1 thread", ...(identical ? {} : { note: "results differ between 1 and 2 threads" }) });
  }
}

export async function lda(): Promise<void> {
  const K = 10, V = 1000, TRAIN = 2000, HELD = 200;
  const all = syntheticCorpus(K, V, TRAIN + HELD, new Generator(17), 0.028, 0.2);
  const synthetic = workload("synthetic", all, Array.from({ length: HELD }, (_, i) => TRAIN + i), 100,
    { K, V, alpha: 1 / K, eta: 1 / K, tau: 10, kappa: 0.7, epochs: 10, passes: 10, target: 180 });
  compareOnline(synthetic);
  compareBatch(synthetic);
  compareThreads(synthetic, 3);

  const austen = loadAusten();
  const austenAll: Corpus = { docs: austen.docs, ...austen.rows };
  const heldIds = Array.from({ length: austen.docs }, (_, d) => d).filter((d) => d % 10 === 0);
  const K50 = workload("Austen", austenAll, heldIds, 64,
    { K: 50, V: austen.vocab.length, alpha: 1 / 50, eta: 0.5, tau: 10, kappa: 0.7, epochs: 3, passes: 10, target: null });
  compareOnline(K50);
}
