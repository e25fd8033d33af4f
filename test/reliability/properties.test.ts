/**
 * Property-based tests (fast-check, fixed seeds so failures replay):
 * - random valid conjugate models and data (chains, plates, indexed groups, mixtures) give an ELBO
 *   that never decreases, and for the one-parameter conjugate pairs it equals the exact log evidence;
 * - random invalid inputs to every entry point give a VireoError or a result, never another
 *   exception;
 * - checkpoints of random engine states round-trip byte-identically.
 */
import test, { type ExecutionContext } from "ava";
import fc from "fast-check";
import { from, lastValueFrom, toArray } from "rxjs";
import { Normal, Gamma, Beta, Bernoulli, Poisson, Categorical, Dirichlet, VireoError, gammaln, betaln } from "@vireo/core";
import { NormalNode, GammaNode, BetaNode, BernoulliNode, PoissonNode, CategoricalNode, DirichletNode } from "@vireo/nodes";
import {
  ModelBuilder, cavi, online, SviEngine, OnlineEngine, createRegistry, encodeCheckpoint, decodeCheckpoint, sviCheckpoint, onlineCheckpoint,
  fromCsvText, fromNdjsonText, type Model, type DataBinding, type CaviResult,
} from "@vireo/runtime";
import { normalModel } from "./catalogue.js";

const SEED = 20261129;
const params = (numRuns: number) => ({ seed: SEED, numRuns });

/** Asserts that a property holds on every generated case; a failure reports fast-check's counterexample. */
function holds<Ts>(t: ExecutionContext, property: fc.IProperty<Ts>, parameters: fc.Parameters<Ts>): void {
  const details = fc.check(property, parameters);
  t.false(details.failed, fc.defaultReportMessage(details) ?? "");
}

async function holdsAsync<Ts>(t: ExecutionContext, property: fc.IAsyncProperty<Ts>, parameters: fc.Parameters<Ts>): Promise<void> {
  const details = await fc.check(property, parameters);
  t.false(details.failed, fc.defaultReportMessage(details) ?? "");
}

function monotone(r: CaviResult): boolean {
  for (let i = 1; i < r.elbo.length; i++) if (r.elbo[i]! < r.elbo[i - 1]! - 1e-9 * Math.max(1, Math.abs(r.elbo[i - 1]!))) return false;
  return r.diagnostics.length === 0 && r.elbo.every(Number.isFinite);
}

const positive = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
const real = (r: number) => fc.double({ min: -r, max: r, noNaN: true, noDefaultInfinity: true });

/** A model shape with its data. */
interface Shape {
  readonly model: Model;
  readonly data: DataBinding;
  /** The exact log evidence, where the pair is one-parameter conjugate. */
  readonly logEvidence?: number;
}

const normalGammaChain = fc.record({ m0: real(5), p0: positive(0.01, 10), a: positive(0.5, 5), b: positive(0.5, 5), y: fc.array(real(10), { minLength: 1, maxLength: 30 }) })
  .map(({ m0, p0, a, b, y }): Shape => {
    const m = new ModelBuilder();
    const mu = m.random("mu", Normal), tau = m.random("tau", Gamma);
    m.factor(NormalNode, { out: mu, mean: m0, precision: p0 });
    m.factor(GammaNode, { out: tau, shape: a, rate: b });
    m.factor(NormalNode, { out: m.observed("y", Normal, { plate: m.plate("rows") }), mean: mu, precision: tau });
    return { model: m.build(), data: { y } };
  });

const betaBernoulli = fc.record({ a: positive(0.2, 5), b: positive(0.2, 5), y: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: 40 }) })
  .map(({ a, b, y }): Shape => {
    const m = new ModelBuilder();
    const p = m.random("p", Beta);
    m.factor(BetaNode, { out: p, a, b });
    m.factor(BernoulliNode, { out: m.observed("y", Bernoulli, { plate: m.plate("rows") }), p });
    const k = y.reduce((s, v) => s + v, 0);
    return { model: m.build(), data: { y }, logEvidence: betaln(a + k, b + y.length - k) - betaln(a, b) };
  });

const gammaPoisson = fc.record({ a: positive(0.2, 5), b: positive(0.2, 5), y: fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 40 }) })
  .map(({ a, b, y }): Shape => {
    const m = new ModelBuilder();
    const rate = m.random("rate", Gamma);
    m.factor(GammaNode, { out: rate, shape: a, rate: b });
    m.factor(PoissonNode, { out: m.observed("y", Poisson, { plate: m.plate("rows") }), rate });
    const s = y.reduce((t, v) => t + v, 0), n = y.length;
    const logEvidence = a * Math.log(b) - gammaln(a) + gammaln(a + s) - (a + s) * Math.log(b + n) - y.reduce((t, v) => t + gammaln(v + 1), 0);
    return { model: m.build(), data: { y }, logEvidence };
  });

const dirichletCategorical = fc.integer({ min: 2, max: 4 }).chain((K) =>
  fc.record({ alpha: fc.array(positive(0.2, 4), { minLength: K, maxLength: K }), y: fc.array(fc.integer({ min: 0, max: K - 1 }), { minLength: 1, maxLength: 40 }) })
    .map(({ alpha, y }): Shape => {
      const m = new ModelBuilder();
      const p = m.random("p", Dirichlet(K));
      m.factor(DirichletNode, { out: p, alpha });
      m.factor(CategoricalNode, { out: m.observed("y", Categorical(K), { plate: m.plate("rows") }), p });
      const counts = alpha.map((_, k) => y.filter((v) => v === k).length), A = alpha.reduce((s, v) => s + v, 0);
      const logEvidence = gammaln(A) - gammaln(A + y.length) + alpha.reduce((s, a, k) => s + gammaln(a + counts[k]!) - gammaln(a), 0);
      return { model: m.build(), data: { y }, logEvidence };
    }));

/** Groups in a plate read through an index column: mu0 → mu_k → y_n (a hierarchical chain). */
const groups = fc.integer({ min: 1, max: 4 }).chain((G) =>
  fc.record({ p: positive(0.1, 5), y: fc.array(fc.tuple(fc.integer({ min: 0, max: G - 1 }), real(8)), { minLength: G, maxLength: 30 }) })
    .map(({ p, y }): Shape => {
      const m = new ModelBuilder();
      const rows = m.plate("rows"), gs = m.plate("groups", G);
      const mu0 = m.random("mu0", Normal), tau = m.random("tau", Gamma);
      m.factor(NormalNode, { out: mu0, mean: 0, precision: 0.1 });
      m.factor(GammaNode, { out: tau, shape: 1, rate: 1 });
      const mu = m.random("mu", Normal, { plate: gs });
      m.factor(NormalNode, { out: mu, mean: mu0, precision: p });
      const g = m.input("g", { plate: rows });
      m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: mu.at(g), precision: tau });
      return { model: m.build(), data: { y: y.map(([, v]) => v), g: y.map(([k]) => k) } };
    }));

/** A mixture of K Normals with a Dirichlet over the weights. */
const mixture = fc.integer({ min: 2, max: 3 }).chain((K) =>
  fc.record({ y: fc.array(real(10), { minLength: 2, maxLength: 40 }) }).map(({ y }): Shape => {
    const m = new ModelBuilder();
    const rows = m.plate("rows"), comps = m.plate("components", K);
    const pi = m.random("pi", Dirichlet(K));
    m.factor(DirichletNode, { out: pi, alpha: new Float64Array(K).fill(1) });
    const mu = m.random("mu", Normal, { plate: comps }), tau = m.random("tau", Gamma, { plate: comps });
    m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
    m.factor(GammaNode, { out: tau, shape: 1, rate: 1 });
    const z = m.random("z", Categorical(K), { plate: rows });
    m.factor(CategoricalNode, { out: z, p: pi });
    m.mixture(NormalNode, { selector: z, out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: tau });
    return { model: m.build(), data: { y } };
  }));

test("random valid conjugate models and data: the ELBO never decreases, and equals the log evidence where exact", (t) => {
  holds(t, 
    fc.property(fc.oneof(normalGammaChain, betaBernoulli, gammaPoisson, dirichletCategorical, groups, mixture), fc.integer({ min: 0, max: 1000 }), (shape, seed) => {
      const r = cavi(shape.model, { data: shape.data, seed, maxIterations: 60 });
      if (!monotone(r)) return false;
      if (shape.logEvidence === undefined) return true;
      const last = r.elbo[r.elbo.length - 1]!;
      return Math.abs(last - shape.logEvidence) <= 1e-8 * Math.max(1, Math.abs(shape.logEvidence));
    }),
    params(150),
  );
});

/** Runs `f`; true when it returns or throws a VireoError, false for any other exception. */
function onlyVireoErrors(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (e instanceof VireoError) return true;
    throw e;
  }
}

const junk = fc.anything({ withNullPrototype: true, withTypedArray: true, withSparseArray: true, withBigInt: true, withDate: true, withMap: true, withSet: true, maxDepth: 3 });

test("random data values, data records and options: cavi gives a VireoError or a result, never another exception", (t) => {
  const model = normalModel();
  holds(t, fc.property(junk, (y) => onlyVireoErrors(() => cavi(model, { data: { y } as DataBinding, maxIterations: 5 }))), params(300));
  holds(t, fc.property(junk, (data) => onlyVireoErrors(() => cavi(model, { data: data as DataBinding, maxIterations: 5 }))), params(200));
  holds(t, fc.property(junk, (options) => onlyVireoErrors(() => cavi(model, options as never))), params(200));
  holds(t, 
    fc.property(fc.dictionary(fc.constantFrom("maxIterations", "tolerance", "seed", "restarts", "mixtureStart", "init", "schedule", "onSweep", "maxIter"), junk), (extra) =>
      onlyVireoErrors(() => cavi(model, { data: { y: [1, 2] }, maxIterations: 5, ...extra } as never))),
    params(300),
  );
});

test("random model-building calls: a VireoError or a model, never another exception", (t) => {
  holds(t, 
    fc.property(junk, junk, junk, (name, edge, value) =>
      onlyVireoErrors(() => {
        const m = new ModelBuilder();
        const mu = m.random(name as string, Normal);
        m.factor(NormalNode, { out: mu, mean: 0, precision: 1, [edge as string]: value } as never);
        m.plate(name as string, value as number);
        m.constant(String(edge), value as number);
        return m.build();
      })),
    params(300),
  );
});

test("random engine options and batches: SVI and online give a VireoError or a step, never another exception", async (t) => {
  const model = normalModel();
  holds(t, fc.property(junk, (options) => onlyVireoErrors(() => new SviEngine(model, options as never))), params(200));
  holds(t, fc.property(junk, (options) => onlyVireoErrors(() => new OnlineEngine(model, options as never))), params(200));
  const engine = new OnlineEngine(model, { maxIterations: 5 });
  holds(t, fc.property(junk, (batch) => onlyVireoErrors(() => engine.step(batch as DataBinding))), params(300));
  // Through the operator in skip mode: no batch ever raises anything but a VireoError.
  await holdsAsync(t, 
    fc.asyncProperty(fc.array(junk, { maxLength: 5 }), async (batches) => {
      try {
        await lastValueFrom(from(batches as DataBinding[]).pipe(online(model, { onInvalid: "skip", maxIterations: 5 }), toArray()));
      } catch (e) {
        if (!(e instanceof VireoError)) throw e;
      }
      return true;
    }),
    params(100),
  );
});

test("random CSV and NDJSON text: the sources give batches or a VireoError, never another exception", async (t) => {
  const text = fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("1", "2.5", "-3e2", "", ",", '"', "\n", "null", "true", "{", "}", '{"a":1}', '{"a":[1,2]}', '{"__proto__":1}')), { maxLength: 20 }).map((parts) => parts.join(""));
  for (const source of [fromCsvText, fromNdjsonText] as const) {
    await holdsAsync(t, 
      fc.asyncProperty(text, fc.boolean(), async (s, skip) => {
        try {
          await lastValueFrom(source(s, { batchSize: 3, onInvalid: skip ? "skip" : "error" }).pipe(toArray()));
        } catch (e) {
          if (!(e instanceof VireoError)) throw e;
        }
        return true;
      }),
      params(200),
    );
  }
});

test("random bytes and single-byte corruptions of a checkpoint: INVALID_CHECKPOINT, never another exception", (t) => {
  const registry = createRegistry();
  const engine = new SviEngine(normalModel(), { totalRows: 100 });
  engine.step({ y: [1, 2, 3] });
  const good = encodeCheckpoint(sviCheckpoint(engine));
  const refused = (bytes: Uint8Array) => {
    try {
      decodeCheckpoint(bytes, registry);
      return true;
    } catch (e) {
      if (e instanceof VireoError && e.code === "INVALID_CHECKPOINT") return true;
      throw e;
    }
  };
  holds(t, fc.property(fc.uint8Array({ maxLength: 200 }), refused), params(200));
  holds(t, 
    fc.property(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
      const b = good.slice();
      b[at]! ^= flip;
      return refused(b);
    }),
    params(300),
  );
});

test("checkpoints of random SVI and online states round-trip byte-identically", (t) => {
  const registry = createRegistry();
  const batches = fc.array(fc.array(real(20), { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 5 });
  holds(t, 
    fc.property(batches, fc.integer({ min: 10, max: 1000 }), fc.double({ min: 0.51, max: 1, noNaN: true }), fc.integer({ min: 0, max: 1e6 }), (bs, totalRows, kappa, seed) => {
      const svi = new SviEngine(normalModel(), { totalRows, kappa, seed, tau: 2 });
      for (const y of bs) svi.step({ y: y.slice(0, Math.min(y.length, totalRows)) });
      const bytes = encodeCheckpoint(sviCheckpoint(svi));
      const again = encodeCheckpoint(decodeCheckpoint(bytes, registry));
      if (bytes.length !== again.length || !bytes.every((b, i) => b === again[i])) return false;
      const on = new OnlineEngine(normalModel(), { forgetting: kappa, seed, maxIterations: 20 });
      for (const y of bs) on.step({ y });
      const ob = encodeCheckpoint(onlineCheckpoint(on));
      const oa = encodeCheckpoint(decodeCheckpoint(ob, registry));
      return ob.length === oa.length && ob.every((b, i) => b === oa[i]);
    }),
    params(60),
  );
});
