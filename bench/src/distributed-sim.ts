/**
 * distributed-sim: what staleness does to distributed SVI with 1, 10 and 100 workers, and where
 * the coordinator saturates, simulated in one process (docs/distributed.md reports its output).
 *
 * The arithmetic is real, only the clock is simulated: each worker takes the next batch at a
 * virtual time, fits it (sviBatchTarget, really computed) against the globals of the version
 * committed at that time, and delivers its contribution after a fit delay drawn around the
 * measured fit time; the coordinator applies contributions in arrival order (sviApplyTarget,
 * really computed) at a service time per step, and refits any contribution staler than the
 * bound (as the real coordinator does by sending it back). Reported per configuration: held-out
 * perplexity after the same number of applied steps, staleness, refitted contributions, virtual
 * throughput and the coordinator's utilisation.
 */
import { Generator, sampleDirichlet, sampleCategorical, sampleStandardNormal } from "@vireo/core";
import { SviEngine, sviBatchTarget, sviApplyTarget } from "@vireo/runtime";
import { batchSeed } from "@vireo/runtime/distributed";
import { ldaModel, selectDocs, rowsByDoc, splitHalves, perplexity, type Corpus } from "../../examples/src/lda/model.js";

const K = 5, V = 60, TRAIN = 600, TEST = 100, LEN = 80, BATCH_DOCS = 20, STEPS = 300;
const binding = (c: Corpus) => ({ doc: c.doc, word: c.word, count: c.count });

function corpus(seed: number) {
  const rng = new Generator(seed);
  const topics = Array.from({ length: K }, () => sampleDirichlet(rng, new Float64Array(V).fill(0.05)));
  const doc: number[] = [], word: number[] = [], count: number[] = [];
  for (let d = 0; d < TRAIN + TEST; d++) {
    const theta = sampleDirichlet(rng, new Float64Array(K).fill(0.3));
    const counts = new Map<number, number>();
    for (let i = 0; i < LEN; i++) {
      const w = sampleCategorical(rng, topics[sampleCategorical(rng, theta)]!);
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    for (const [w, c] of [...counts].sort((a, b) => a[0] - b[0])) {
      doc.push(d);
      word.push(w);
      count.push(c);
    }
  }
  const rows = { doc, word, count }, byDoc = rowsByDoc(doc, TRAIN + TEST);
  const order = new Generator(seed + 1);
  const batches: { id: string; corpus: Corpus }[] = [];
  for (let epoch = 0; batches.length < 4 * STEPS; epoch++) {
    const ids = Array.from({ length: TRAIN }, (_, i) => i);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = order.integer(i + 1);
      [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    }
    for (let b = 0; b < TRAIN; b += BATCH_DOCS) batches.push({ id: `e${epoch}-${b}`, corpus: selectDocs(rows, byDoc, ids.slice(b, b + BATCH_DOCS)) });
  }
  const { observed, heldOut } = splitHalves(selectDocs(rows, byDoc, Array.from({ length: TEST }, (_, i) => TRAIN + i)));
  return { batches, observed, heldOut, topics };
}

interface Config {
  readonly workers: number;
  /** Staleness bound (Infinity: none). */
  readonly bound: number;
  /** Mean virtual fit time per batch (ms). */
  readonly fitMs: number;
  /** Coordinator service time per applied step (ms). */
  readonly stepMs: number;
}

/** Mean over the true topics of the best cosine similarity with a fitted topic (1 = recovered). */
function recovery(truth: readonly Float64Array[], fitted: Float64Array): number {
  let s = 0;
  for (const t of truth) {
    let best = -1;
    for (let k = 0; k < K; k++) {
      let ab = 0, aa = 0, bb = 0;
      for (let v = 0; v < V; v++) {
        const f = fitted[k * V + v]!;
        ab += t[v]! * f;
        aa += t[v]! * t[v]!;
        bb += f * f;
      }
      best = Math.max(best, ab / Math.sqrt(aa * bb));
    }
    s += best;
  }
  return s / truth.length;
}

interface Outcome {
  readonly perplexity: number;
  readonly recovery: number[];
  readonly curve: number[];
  readonly stalenessMean: number;
  readonly stalenessMax: number;
  readonly refits: number;
  readonly virtualSeconds: number;
  readonly utilisation: number;
}

function simulate(data: ReturnType<typeof corpus>, cfg: Config, seed: number): Outcome {
  const model = ldaModel(K, V, { alpha: 0.3, eta: 0.05 });
  const options = { plate: "docs", totalRows: TRAIN, tau: 1, kappa: 0.6, localTolerance: 1e-4 };
  const coordinator = new SviEngine(model, options), worker = new SviEngine(model, options);
  const rng = new Generator(seed);
  const history: (Record<string, Float64Array> | null)[] = [null];
  // Worker events: [time the contribution arrives, batch index, version used].
  const arrivals: { at: number; batch: number; version: number }[] = [];
  let next = 0, now = 0, busy = 0, stalenessSum = 0, stalenessMax = 0, refits = 0;
  const fitDelay = () => cfg.fitMs * Math.exp(0.3 * sampleStandardNormal(rng) - 0.045);
  const take = (at: number, batch = next++) => arrivals.push({ at: at + fitDelay(), batch, version: coordinator.steps });
  for (let w = 0; w < cfg.workers; w++) take(0);
  const curve: number[] = [], rec: number[] = [];
  const perp = () => perplexity((c) => ({ theta: coordinator.runner.fitLocals(binding(c)).theta!.mean() }), coordinator.posteriors().beta!.mean(), K, V, data.observed, data.heldOut);
  // Contributions carry the version their worker saw when it *took* the batch; the fit itself is
  // computed on arrival, against that version's stored globals (the same result as fitting at
  // take time, since a fit depends only on the batch, its seed and those globals).
  while (coordinator.steps < STEPS) {
    arrivals.sort((a, b) => a.at - b.at);
    const a = arrivals.shift()!;
    now = Math.max(now, a.at);
    const b = data.batches[a.batch]!;
    const staleness = coordinator.steps - a.version;
    const fromPrior = history[a.version] === null;
    if (staleness > cfg.bound || (fromPrior && coordinator.steps > 0)) {
      refits++;
      take(now, a.batch); // the same batch goes back and is refitted against current globals
      continue;
    }
    const c = sviBatchTarget(worker, binding(b.corpus), history[a.version] ?? null, batchSeed(0, b.id));
    sviApplyTarget(coordinator, c.target, c.start);
    now += cfg.stepMs;
    busy += cfg.stepMs;
    history.push({ beta: coordinator.runner.globals.get("beta")!.eta.slice() });
    stalenessSum += staleness;
    stalenessMax = Math.max(stalenessMax, staleness);
    if (coordinator.steps % 75 === 0) {
      curve.push(perp());
      rec.push(recovery(data.topics, coordinator.posteriors().beta!.mean()));
    }
    take(now);
  }
  return { perplexity: curve[curve.length - 1]!, recovery: rec, curve, stalenessMean: stalenessSum / STEPS, stalenessMax, refits, virtualSeconds: now / 1000, utilisation: busy / now };
}

export async function distributedSim(): Promise<void> {
  const data = corpus(41);
  // Measured fit time of one batch here, for the virtual clock.
  const probe = new SviEngine(ldaModel(K, V), { plate: "docs", totalRows: TRAIN });
  probe.step(binding(data.batches[0]!.corpus));
  const t0 = performance.now();
  for (let i = 1; i <= 10; i++) probe.step(binding(data.batches[i]!.corpus));
  const measured = (performance.now() - t0) / 10;
  // The virtual clock uses a fixed nominal fit time (the measured one varies with the machine's load),
  // so that the staleness pattern, which depends on fit time / step time and on the jitter, is reproducible.
  const fitMs = 50;
  console.log(`  LDA K = ${K}, V = ${V}, ${TRAIN} training documents, batches of ${BATCH_DOCS}, ${STEPS} applied steps; fit measured here ≈ ${measured.toFixed(1)} ms per batch, simulated as ${fitMs} ms (lognormal jitter σ = 0.3); coordinator 0.4 ms per step`);
  const rows: string[] = [];
  const run = (label: string, cfg: Config) => {
    const results = [1, 2, 3].map((s) => simulate(data, cfg, s));
    const mean = (f: (o: Outcome) => number) => results.reduce((s, o) => s + f(o), 0) / results.length;
    const curve = results[0]!.curve.map((_, i) => mean((o) => o.curve[i]!));
    const rec = results[0]!.recovery.map((_, i) => mean((o) => o.recovery[i]!));
    const line = `  ${label.padEnd(40)} perplexity@75/150/225/300 ${curve.map((x) => x.toFixed(2)).join(" ")} [final per run ${results.map((o) => o.perplexity.toFixed(2)).join(", ")}]  topic recovery ${rec.map((x) => x.toFixed(3)).join(" ")}  staleness mean ${mean((o) => o.stalenessMean).toFixed(1)} max ${Math.max(...results.map((o) => o.stalenessMax))}  refits ${mean((o) => o.refits).toFixed(0)}  ${(STEPS / mean((o) => o.virtualSeconds)).toFixed(0)} steps/s virtual, coordinator busy ${(100 * mean((o) => o.utilisation)).toFixed(0)}%`;
    console.log(line);
    rows.push(line);
  };
  // The coordinator's per-step service time: 0.4 ms (grouped commits, the measured ceiling ≈ 2500 steps/s).
  const stepMs = 0.4;
  run("1 worker", { workers: 1, bound: Infinity, fitMs, stepMs });
  run("10 workers, no bound", { workers: 10, bound: Infinity, fitMs, stepMs });
  run("10 workers, bound 4", { workers: 10, bound: 4, fitMs, stepMs });
  run("100 workers, no bound", { workers: 100, bound: Infinity, fitMs, stepMs });
  run("100 workers, bound 16 (default)", { workers: 100, bound: 16, fitMs, stepMs });
  // Saturation: batches 50× cheaper to fit (e.g. tiny batches): 100 workers outrun the coordinator.
  run("100 workers, fits 50× faster, no bound", { workers: 100, bound: Infinity, fitMs: fitMs / 50, stepMs });
}
