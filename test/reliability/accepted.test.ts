/**
 * The other side of the catalogue: legitimate inputs that used to be refused or mangled now work,
 * with the same answer as the plain form. Typed arrays of any numeric kind and ndarray views
 * (strided, offset, transposed, over other element types) bind like number[]; names that collide
 * with Object.prototype are ordinary names everywhere (variables, plates, data keys, posteriors,
 * CSV columns, NDJSON fields); skipped batches are always visible.
 */
import test from "ava";
import { createRequire } from "node:module";
import { from, lastValueFrom, toArray, firstValueFrom } from "rxjs";
import { Normal, Gamma, MvNormal, type Arr } from "@vireo/core";
import { NormalNode, GammaNode, MvNormalNode } from "@vireo/nodes";
import { ModelBuilder, cavi, online, fromCsvText, fromNdjsonText, batchToBinding, type DataBinding } from "@vireo/runtime";
import { normalModel } from "./catalogue.js";

/** The ndarray constructor itself (the package users pass views from), over any array-like. */
const ndarray = createRequire(import.meta.url)("ndarray") as (data: ArrayLike<number>, shape: number[], stride?: number[], offset?: number) => Arr & { transpose(...axes: number[]): Arr };

const ys = [4.9, 5.3, 6.1, 5.0, 4.4, 5.7];
const ints = [4, 5, 6, 5, 4, 6];

function posteriorOf(y: unknown, model = normalModel()): number[] {
  const r = cavi(model, { data: { y } as unknown as DataBinding, maxIterations: 50 });
  return [...r.posteriors.mu!.mean(), ...r.posteriors.tau!.mean(), r.elbo[r.elbo.length - 1]!];
}

test("typed arrays of every float and integer kind bind like number[] (bit for bit)", (t) => {
  const want = posteriorOf(ys);
  t.deepEqual(posteriorOf(Float64Array.from(ys)), want);
  const f32 = Float32Array.from(ys);
  t.deepEqual(posteriorOf(f32), posteriorOf(Array.from(f32)));
  const wantInt = posteriorOf(ints);
  for (const T of [Int8Array, Int16Array, Int32Array, Uint8Array, Uint16Array, Uint32Array, Uint8ClampedArray]) {
    t.deepEqual(posteriorOf(T.from(ints)), wantInt, T.name);
  }
});

test("ndarray views bind like the values they show: strided, offset, transposed, and over other element types", (t) => {
  const want = posteriorOf(ys);
  const padded = new Float64Array(2 * ys.length + 3);
  ys.forEach((v, i) => (padded[3 + 2 * i] = v));
  t.deepEqual(posteriorOf(ndarray(padded, [ys.length], [2], 3)), want, "strided with an offset");
  t.deepEqual(posteriorOf(ndarray(Float64Array.from(ys).reverse(), [ys.length], [-1], ys.length - 1)), want, "reversed");
  t.deepEqual(posteriorOf(ndarray(ys.slice(), [ys.length])), want, "over a plain array");
  const f32 = Float32Array.from(ys);
  t.deepEqual(posteriorOf(ndarray(f32, [ys.length])), posteriorOf(Array.from(f32)), "over a Float32Array");
  t.deepEqual(posteriorOf(ndarray(Float64Array.from(ys), [ys.length, 1])), want, "a column [N, 1]");
  // A [2, N] matrix transposed into [N, 2] rows for a 2-D variable.
  const m = new ModelBuilder();
  const c = m.random("c", MvNormal(2));
  m.factor(MvNormalNode, { out: c, mean: [0, 0], precision: [1, 0, 0, 1] });
  m.factor(MvNormalNode, { out: m.observed("p", MvNormal(2), { plate: m.plate("rows") }), mean: c, precision: [1, 0, 0, 1] });
  const model = m.build();
  const rows = [[1, 2], [3, 5], [-1, 0.5]];
  const byRows = cavi(model, { data: { p: rows } }).posteriors.c!.mean();
  const cols = Float64Array.from([...rows.map((r) => r[0]!), ...rows.map((r) => r[1]!)]);
  const transposed = ndarray(cols, [2, 3]).transpose(1, 0);
  t.deepEqual([...cavi(model, { data: { p: transposed } }).posteriors.c!.mean()], [...byRows]);
});

const PROTOTYPE_NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"] as const;

for (const name of PROTOTYPE_NAMES) {
  test(`'${name}' works as an ordinary name: variable, plate, data key, posterior`, (t) => {
    const want = posteriorOf(ys);
    const model = normalModel({ mu: name, y: `${name}_y`, rows: `${name}_rows` });
    const r = cavi(model, { data: { [`${name}_y`]: ys }, maxIterations: 50 });
    t.true(Object.hasOwn(r.posteriors, name));
    t.deepEqual([...r.posteriors[name]!.mean(), ...r.posteriors.tau!.mean(), r.elbo[r.elbo.length - 1]!], want);
    // The same name for the data variable and the plate (the key comes from JSON to keep __proto__ an own key).
    const m2 = normalModel({ y: name, rows: name === "__proto__" ? "rows" : name === "constructor" ? "toString" : "constructor" });
    const data = Object.defineProperty({}, name, { value: ys, enumerable: true }) as DataBinding;
    t.deepEqual(posteriorOf2(m2, data), want);
    t.deepEqual(Object.getOwnPropertyNames(Object.prototype).includes("mu"), false);
  });
}

function posteriorOf2(model: ReturnType<typeof normalModel>, data: DataBinding): number[] {
  const r = cavi(model, { data, maxIterations: 50 });
  return [...r.posteriors.mu!.mean(), ...r.posteriors.tau!.mean(), r.elbo[r.elbo.length - 1]!];
}

test("CSV columns and NDJSON fields named like prototype properties arrive in the batch and bind", async (t) => {
  const csv = await firstValueFrom(fromCsvText(`__proto__,constructor,toString\n${ys.map((v) => `${v},1,2`).join("\n")}\n`, { batchSize: 100 }));
  t.deepEqual(Object.keys(csv.data), ["__proto__", "constructor", "toString"]);
  t.deepEqual([...csv.data.__proto__!], ys);
  t.is(csv.widths.__proto__, 1);
  const nd = await firstValueFrom(fromNdjsonText(ys.map((v) => `{"__proto__": ${v}, "hasOwnProperty": [1, 2]}`).join("\n"), { batchSize: 100 }));
  t.deepEqual(Object.keys(nd.data), ["__proto__", "hasOwnProperty"]);
  t.deepEqual([...nd.data.__proto__!], ys);
  t.is(nd.widths["hasOwnProperty" as string], 2);
  t.is(Object.keys(batchToBinding(nd)).length, 2);
  // Into a model whose observed variable is called __proto__: the same posterior as plain data.
  const snaps = await lastValueFrom(
    fromCsvText(`__proto__\n${ys.join("\n")}\n`, { batchSize: 100 }).pipe(online(normalModel({ y: "__proto__" }), { maxIterations: 50 }), toArray()),
  );
  t.is(snaps.length, 1);
  const plain = await lastValueFrom(from([{ y: ys }]).pipe(online(normalModel(), { maxIterations: 50 }), toArray()));
  t.deepEqual(snaps[0]!.posteriors.mu, plain[0]!.posteriors.mu);
});

test("skipped batches are visible on every snapshot; a stream with some good batches completes", async (t) => {
  const seen: number[] = [];
  const snaps = await lastValueFrom(
    from([{ y: [1, null] }, { y: [1, 2] }, null, { y: [true] }, { y: [3] }] as unknown as DataBinding[]).pipe(
      online(normalModel(), { onInvalid: "skip", skipped: (s) => seen.push(s.batch) }),
      toArray(),
    ),
  );
  t.deepEqual(seen, [0, 2, 3]);
  t.deepEqual(snaps.map((s) => [s.batch, s.skippedBatches]), [[1, 1], [4, 3]]);
});

test("a 2-wide source field binds to a 2-D variable (no doubling), and plain Float64Array batches still bind flat", async (t) => {
  const m = new ModelBuilder();
  const c = m.random("c", MvNormal(2));
  m.factor(MvNormalNode, { out: c, mean: [0, 0], precision: [1, 0, 0, 1] });
  m.factor(MvNormalNode, { out: m.observed("y", MvNormal(2), { plate: m.plate("rows") }), mean: c, precision: [1, 0, 0, 1] });
  const model = m.build();
  const snaps = await lastValueFrom(fromCsvText("a,b\n1,2\n3,4\n", { batchSize: 10, columns: { y: ["a", "b"] } }).pipe(online(model), toArray()));
  t.deepEqual(snaps[0]!.rows, { rows: 2 });
  const flat = await lastValueFrom(from([{ y: Float64Array.of(1, 2, 3, 4) }]).pipe(online(model), toArray()));
  t.deepEqual(flat[0]!.posteriors.c, snaps[0]!.posteriors.c);
});

test("a Gamma prior with constants given as typed arrays of other kinds", (t) => {
  const m = new ModelBuilder();
  const tau = m.random("tau", Gamma);
  m.factor(GammaNode, { out: tau, shape: Float32Array.of(2) as unknown as number, rate: Int32Array.of(1) as unknown as number });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: m.plate("rows") }), mean: 0, precision: tau });
  const r = cavi(m.build(), { data: { y: [1, -1] } });
  // Exact conjugate posterior: shape 2 + 2/2 = 3, rate 1 + (1 + 1)/2 = 2, mean 1.5.
  t.true(Math.abs(r.posteriors.tau!.mean()[0]! - 1.5) < 1e-12);
});
