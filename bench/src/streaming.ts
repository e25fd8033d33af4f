/**
 * Streaming suites.
 * - online: online updating of a scalar conjugate model (Normal mean, known precision) through
 *   the whole RxJS pipeline (source → online() → snapshots): observations per second with
 *   batches of 1 and of 1,000, with online()'s defaults and lean options, against the same
 *   update written by hand in an RxJS map over the same pre-drawn batches, and the ratio.
 * - lda-svi: SVI on LDA over the Jane Austen corpus (examples/data), K = 10 and K = 50, batches of
 *   64 documents: token-passes per second, one token-pass being one token's local update in one
 *   local sweep (tokens counted with their multiplicity; distinct (document, word) rows also shown).
 */
import benny from "benny";
import { range, map, lastValueFrom } from "rxjs";
import { Normal, Generator, sampleStandardNormal } from "@vireo/core";
import { NormalNode } from "@vireo/nodes";
import { ModelBuilder, SviEngine, online } from "@vireo/runtime";
import { ldaModel, selectDocs, rowsByDoc, type Corpus } from "../../examples/src/lda/model.js";
import { loadAusten } from "../../examples/src/lda/austen.js";
import { describeCase } from "./kernels.js";
import { recordRow } from "./report.js";

const { suite, add, cycle, complete, configure } = benny;

/** μ ~ N(0, 100), y_n ~ N(μ, 1/4): the conjugate model the streaming suites update. */
export function normalMean() {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: 4 });
  return m.build();
}

/** 256 pre-drawn batches of `size` observations, cycled by the source (the same for every case). */
function batchPool(size: number): { y: Float64Array }[] {
  const rng = new Generator(17);
  return Array.from({ length: 256 }, () => ({ y: Float64Array.from({ length: size }, () => 1 + 0.5 * sampleStandardNormal(rng)) }));
}

/** A plain snapshot of the hand-written update: what a user writing it by hand would emit. */
interface PlainSnapshot {
  readonly step: number;
  readonly mean: number;
  readonly variance: number;
}

/**
 * The same conjugate update written by hand as an RxJS operator: natural parameters of q(μ) plus
 * this batch's messages (τ Σ y, −τ n / 2), one plain snapshot per batch. The baseline that says what
 * the graph machinery (binding and checks, messages, ELBO, snapshot) costs per batch.
 */
function plainOnline(priorPrecision: number, tau: number) {
  let eta1 = 0, eta2 = -0.5 * priorPrecision, step = 0;
  return map((batch: { y: Float64Array }): PlainSnapshot => {
    const y = batch.y;
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]!;
    eta1 += tau * s;
    eta2 -= 0.5 * tau * y.length;
    return { step: ++step, mean: (-0.5 * eta1) / eta2, variance: -0.5 / eta2 };
  });
}

export async function onlineStreaming(): Promise<void> {
  const model = normalMean();
  for (const batchSize of [1, 1000]) {
    const obs = batchSize === 1 ? 100_000 : 4_000_000, batches = obs / batchSize, pool = batchPool(batchSize);
    const source = () => range(0, batches).pipe(map((b) => pool[b & 255]!));
    const perSecond = new Map<string, number>();
    let check = 0;
    const cases: [string, string][] = [
      ["vireo", `online() defaults: ELBO and posterior summary in every snapshot (computed when read)`],
      ["read", `online() defaults, every snapshot's ELBO and summary read`],
      ["lean", `online() ELBO and summaries every 1000th batch`],
      ["plain", `RxJS map + hand-written conjugate update`],
    ];
    await suite(
      `online updating through RxJS, batches of ${batchSize}`,
      configure({ cases: { minSamples: 5, maxTime: 3 } }),
      add(cases[0]![1], async () => {
        const last = await lastValueFrom(source().pipe(online(model)));
        check += last.posteriors.mu!.mean[0]!;
      }),
      add(cases[1]![1], async () => {
        let sum = 0;
        await lastValueFrom(source().pipe(online(model), map((s) => (sum += s.elbo + s.posteriors.mu!.mean[0]!))));
        check += sum;
      }),
      add(cases[2]![1], async () => {
        const last = await lastValueFrom(source().pipe(online(model, { elboEvery: 1000, summaryEvery: 1000 })));
        check += last.step;
      }),
      add(cases[3]![1], async () => {
        const last = await lastValueFrom(source().pipe(plainOnline(0.01, 4)));
        check += last.mean;
      }),
      cycle((r) => {
        const key = cases.find(([, name]) => name === r.name)![0];
        perSecond.set(key, (r.ops * obs) / 1e6);
        console.log(describeCase(r));
        console.log(`  → ${((r.ops * obs) / 1e6).toFixed(3)} million observations/s (${(1e9 / (r.ops * batches)).toFixed(0)} ns per batch)`);
      }),
      complete(() => {
        const plain = perSecond.get("plain")!;
        const label: Record<string, string> = { vireo: "online() defaults", read: "online() defaults, all read", lean: "online() every-1000" };
        for (const key of ["vireo", "read", "lean"]) {
          const v = perSecond.get(key)!;
          recordRow({ row: `online() ${key === "vireo" ? "defaults" : key === "read" ? "defaults, every snapshot's ELBO and summary read" : "elboEvery/summaryEvery 1000"}, batches of ${batchSize}, wall time`, unit: "M obs/s", vireo: v, peer: plain, peerName: "RxJS map + hand-written conjugate update" });
          console.log(`  ${label[key]} / plain loop, batches of ${batchSize}: ${v.toFixed(3)} / ${plain.toFixed(3)} M obs/s = plain is ${(plain / v).toFixed(2)}× faster` +
            `${batchSize === 1 ? " (target: online() ≥ 1 M obs/s)" : " (target: online() ≥ 100 M obs/s, within 6×)"}`);
        }
      }),
    );
    // On a shared machine wall time includes waiting for a core; process CPU time does not. The
    // same three pipelines, alternated, five rounds, median CPU nanoseconds per batch.
    const runs: Record<string, () => Promise<unknown>> = {
      vireo: () => lastValueFrom(source().pipe(online(model))),
      read: () => lastValueFrom(source().pipe(online(model), map((s) => s.elbo + s.posteriors.mu!.mean[0]!))),
      lean: () => lastValueFrom(source().pipe(online(model, { elboEvery: 1000, summaryEvery: 1000 }))),
      plain: () => lastValueFrom(source().pipe(plainOnline(0.01, 4))),
    };
    const cpu: Record<string, number[]> = { vireo: [], read: [], lean: [], plain: [] };
    for (let round = 0; round < 5; round++) {
      for (const key of Object.keys(runs)) {
        const c0 = process.cpuUsage();
        await runs[key]!();
        const used = process.cpuUsage(c0);
        cpu[key]!.push(((used.user + used.system) * 1000) / batches);
      }
    }
    const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;
    const ns = (key: string) => median(cpu[key]!);
    console.log(`  CPU time per batch of ${batchSize} (median of 5): online() defaults ${ns("vireo").toFixed(0)} ns (${((batchSize / ns("vireo")) * 1e3).toFixed(2)} M obs/s), ` +
      `defaults with every field read ${ns("read").toFixed(0)} ns (${((batchSize / ns("read")) * 1e3).toFixed(2)} M obs/s), ` +
      `every-1000 ${ns("lean").toFixed(0)} ns (${((batchSize / ns("lean")) * 1e3).toFixed(2)} M obs/s), plain ${ns("plain").toFixed(0)} ns (${((batchSize / ns("plain")) * 1e3).toFixed(2)} M obs/s); ` +
      `ratios ${(ns("vireo") / ns("plain")).toFixed(2)}× and ${(ns("lean") / ns("plain")).toFixed(2)}×`);
    if (!Number.isFinite(check)) throw new Error("online: non-finite result");
  }
}

export async function ldaSvi(): Promise<void> {
  const corpus = loadAusten();
  const V = corpus.vocab.length, B = 64;
  const byDoc = rowsByDoc(corpus.rows.doc, corpus.docs);
  const batches: Corpus[] = [];
  for (let b = 0; b + B <= corpus.docs; b += B) batches.push(selectDocs(corpus.rows, byDoc, Array.from({ length: B }, (_, i) => b + i)));
  console.log(`  Austen corpus: ${corpus.docs} documents, V = ${V}, ${corpus.rows.doc.length} (document, word) rows, batches of ${B} documents`);
  for (const K of [10, 50]) {
    const engine = new SviEngine(ldaModel(K, V), { plate: "docs", totalRows: corpus.docs, tau: 64, kappa: 0.7, localTolerance: 1e-3 });
    // Warm-up step (the first step keeps the random start and does no local sweep).
    engine.step({ doc: batches[0]!.doc, word: batches[0]!.word, count: batches[0]!.count });
    let next = 1, tokenPasses = 0, rowPasses = 0, seconds = 0;
    await suite(
      `SVI on LDA, K = ${K}`,
      configure({ cases: { minSamples: 5, maxTime: 5 } }),
      add(`SVI step, ${B} documents, K = ${K}`, () => {
        const c = batches[next++ % batches.length]!;
        let tokens = 0;
        for (let i = 0; i < c.count.length; i++) tokens += c.count[i]!;
        const t0 = performance.now();
        const r = engine.step({ doc: c.doc, word: c.word, count: c.count });
        seconds += (performance.now() - t0) / 1000;
        tokenPasses += tokens * r.localSweeps;
        rowPasses += c.doc.length * r.localSweeps;
      }),
      cycle((r) => {
        console.log(describeCase(r));
        console.log(`  → K = ${K}: ${(tokenPasses / seconds / 1e6).toFixed(2)} million token-passes/s (${(rowPasses / seconds / 1e6).toFixed(2)} million row-passes/s)${K === 10 ? "; target ≥ 1.5 million" : ""}`);
      }),
    );
  }
}
