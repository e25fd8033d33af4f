/**
 * Hidden state made explicit: change tracking and node scratch live in each engine's compiled
 * state, so two engines over the same model (the same node type objects, the same mixture
 * closure) stepped alternately in one process give bit-for-bit the answers each gives alone.
 */
import test from "ava";
import { Generator, sampleStandardNormal } from "@vireo/core";
import { SviEngine, CaviEngine, compile, bindData, initialise, type Posterior } from "@vireo/runtime";
import { gaussianMixture } from "../../examples/src/gaussian-mixture.js";

const model = gaussianMixture(3, 2, { alpha: 1, meanPrecision: 0.01, df: 3, scale: 1 });

/** `batches` minibatches of 40 rows of a 3-cluster mixture in 2-D, from `seed`. */
function stream(seed: number, batches: number): Float64Array[] {
  const rng = new Generator(seed), centres = [[-4, 0], [0, 4], [4, -1]];
  return Array.from({ length: batches }, () => {
    const x = new Float64Array(80);
    for (let n = 0; n < 40; n++) {
      const c = centres[rng.integer(3)]!;
      x[2 * n] = c[0]! + sampleStandardNormal(rng);
      x[2 * n + 1] = c[1]! + sampleStandardNormal(rng);
    }
    return x;
  });
}

const naturals = (p: Record<string, Posterior>) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Array.from(v.natural)]));

test("two SVI engines stepped alternately give exactly the answers each gives alone", (t) => {
  const a = stream(1, 12), b = stream(2, 12);
  const options = { totalRows: 4000, seed: 5 };
  const aloneA = new SviEngine(model, options), aloneB = new SviEngine(model, options);
  for (const x of a) aloneA.step({ x });
  for (const x of b) aloneB.step({ x });
  const mixedA = new SviEngine(model, options), mixedB = new SviEngine(model, options);
  for (let i = 0; i < a.length; i++) {
    mixedA.step({ x: a[i]! });
    mixedB.step({ x: b[i]! });
  }
  t.deepEqual(naturals(mixedA.posteriors()), naturals(aloneA.posteriors()));
  t.deepEqual(naturals(mixedB.posteriors()), naturals(aloneB.posteriors()));
  t.notDeepEqual(naturals(aloneA.posteriors()), naturals(aloneB.posteriors()));
});

test("two CAVI engines over one model, swept alternately, match their solo runs; the model is left unchanged", (t) => {
  const before = JSON.stringify(model.factors.map((f) => [f.name, f.plate]));
  const run = (x: Float64Array, other?: { x: Float64Array }) => {
    const make = (data: Float64Array) => {
      const state = compile(model, bindData(model, { x: data }));
      initialise(state, new Generator(3));
      return new CaviEngine(state);
    };
    const e = make(x), o = other ? make(other.x) : null;
    const elbos: number[] = [];
    for (let s = 0; s < 15; s++) {
      e.sweep();
      o?.sweep();
      elbos.push(e.elbo());
      o?.elbo();
    }
    return { elbos, post: naturals(e.posteriors()) };
  };
  const [a] = stream(3, 1), [b] = stream(4, 1);
  const soloA = run(a!), mixedA = run(a!, { x: b! });
  t.deepEqual(mixedA.elbos, soloA.elbos);
  t.deepEqual(mixedA.post, soloA.post);
  t.is(JSON.stringify(model.factors.map((f) => [f.name, f.plate])), before);
});
