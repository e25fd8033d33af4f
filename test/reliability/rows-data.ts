/** Catalogue rows: data binding for cavi (batch) — value types, shapes, names, support. */
import { Normal } from "@vireo/core";
import { NormalNode } from "@vireo/nodes";
import { ModelBuilder, cavi, type DataBinding } from "@vireo/runtime";
import { dataCases, withBadCell, normalModel, type Row } from "./catalogue.js";

const rows: Row[] = [];

// Every non-number cell, in every kind of column: never read as 0/1/a parsed number.
const cells: readonly [string, unknown, RegExp][] = [
  ["null", null, /is null/],
  ["true", true, /the boolean true/],
  ["false", false, /the boolean false/],
  ["a numeric string", "1", /the string "1"/],
  ["an empty string", "", /the string ""/],
  ["undefined (a hole)", undefined, /missing \(undefined\)/],
  ["an object", {}, /is object/],
];
for (const c of dataCases) {
  for (const [what, cell, shows] of cells) {
    rows.push({
      id: `data/${what} in a ${c.name} column`,
      run: () => cavi(c.model(), { data: withBadCell(c, cell) }),
      code: "INVALID_DATA",
      names: [`'${c.variable}'`, "row 1", shows],
    });
  }
  for (const x of [NaN, Infinity, -Infinity]) {
    rows.push({ id: `data/${x} in a ${c.name} column`, run: () => cavi(c.model(), { data: withBadCell(c, x) }), code: "INVALID_DATA", names: [`'${c.variable}'`, "row 1"] });
  }
  rows.push({
    id: `data/empty ${c.name} column (would return the prior as "converged")`,
    run: () => cavi(c.model(), { data: { ...c.data, [c.variable]: [] } as DataBinding }),
    code: c.name === "regression input" ? "DIMENSION_MISMATCH" : "INVALID_DATA",
    names: c.name === "regression input" ? ["'covariates'"] : [`'${c.variable}'`, /no rows|is empty/],
  });
  rows.push({
    id: `data/${c.name} column given as a string`,
    run: () => cavi(c.model(), { data: { ...c.data, [c.variable]: "1,2,3" } as unknown as DataBinding }),
    code: "INVALID_DATA",
    names: [`'${c.variable}'`, /expected an ndarray, a typed array/],
  });
  rows.push({
    id: `data/${c.name} column missing`,
    run: () => {
      const d: Record<string, unknown> = { ...c.data };
      delete d[c.variable];
      return cavi(c.model(), { data: d as DataBinding });
    },
    code: "INVALID_DATA",
    names: [`'${c.variable}' has no data`],
  });
}

// Shapes.
const shape = (id: string, y: unknown, code: Row["code"], names: Row["names"]) =>
  rows.push({ id: `data/${id}`, run: () => cavi(normalModel(), { data: { y } as unknown as DataBinding }), code, names });
shape("scalar variable given rows of 2", [[1, 2], [3, 4]], "DIMENSION_MISMATCH", ["'y'", "expected 1 value per row, got 2"]);
shape("ragged nested rows", [[1], [2, 3]], "DIMENSION_MISMATCH", ["'y'", "row 1"]);
shape("nested row that is not an array", [[1], 2], "DIMENSION_MISMATCH", ["'y'", "row 1"]);
shape("null as the whole column", null, "INVALID_DATA", ["'y'"]);
shape("a number as the whole column", 5, "INVALID_DATA", ["'y'"]);
shape("a Map as the whole column", new Map([[0, 1]]), "INVALID_DATA", ["'y'", "Map"]);
shape("a BigInt64Array column", new BigInt64Array(2), "INVALID_DATA", ["'y'", "BigInt64Array"]);
shape("a 3-D strided view", { shape: [2, 1, 1], stride: [2, 1, 1], offset: 0, data: new Float64Array(4), size: 2, get: () => 0 }, "DIMENSION_MISMATCH", ["'y'", "3-dimensional"]);
shape("an ndarray view holding a null", { shape: [2], stride: [1], offset: 0, data: [1, null], size: 2, get: (i: number) => [1, null][i] }, "INVALID_DATA", ["'y'", "row 1", "null"]);

const dataRow = (id: string, data: unknown, code: Row["code"], names: Row["names"], model = () => normalModel()) =>
  rows.push({ id: `data/${id}`, run: () => cavi(model(), { data: data as DataBinding }), code, names });
dataRow("data that is not an object", 42, "INVALID_OPTION", ["'data'"]);
dataRow("data null", null, "INVALID_OPTION", ["'data'"]);
dataRow("data given as an array", [[1, 2, 3]], "INVALID_OPTION", ["'data'"]);
dataRow("data for an unknown variable", { y: [1], z: [2] }, "UNKNOWN_NAME", ["'z'", "[y]"]);
dataRow("data for a random variable", { y: [1], mu: [2] }, "INVALID_DATA", ["'mu'", "model.observed()"]);
dataRow("data key 'constructor' not declared (prototype name)", { y: [1], constructor: [2] }, "UNKNOWN_NAME", ["'constructor'"]);
dataRow("data key 'toString' not declared (prototype name)", { y: [1], toString: [2] }, "UNKNOWN_NAME", ["'toString'"]);
dataRow("data key 'hasOwnProperty' not declared (prototype name)", { y: [1], hasOwnProperty: [2] }, "UNKNOWN_NAME", ["'hasOwnProperty'"]);
dataRow("data key '__proto__' as an own key, not declared", JSON.parse('{"y":[1],"__proto__":[2]}'), "UNKNOWN_NAME", ["'__proto__'"]);
dataRow("variable named 'toString' with its data missing", {}, "INVALID_DATA", ["'toString' has no data"], () => normalModel({ y: "toString" }));
dataRow("variable named 'constructor' with its data missing", {}, "INVALID_DATA", ["'constructor' has no data"], () => normalModel({ y: "constructor" }));
dataRow("variable named '__proto__' with a null in its data", JSON.parse('{"__proto__":[1,null]}'), "INVALID_DATA", ["'__proto__'", "row 1", "null"], () => normalModel({ y: "__proto__" }));
dataRow("plate named 'constructor' with rows of two sizes", { a: [1, 2], b: [1] }, "DIMENSION_MISMATCH", ["'b'", "plate 'constructor'"], () => normalModelTwo("constructor"));

/** Two observed columns in one plate named `plate`. */
function normalModelTwo(plate: string) {
  const m = new ModelBuilder();
  const p = m.plate(plate);
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 1 });
  m.factor(NormalNode, { out: m.observed("a", Normal, { plate: p }), mean: mu, precision: 1 });
  m.factor(NormalNode, { out: m.observed("b", Normal, { plate: p }), mean: mu, precision: 1 });
  return m.build();
}

// Support of each family (values of the right type but outside the support).
dataRow("Bernoulli value 2", { flips: [1, 2] }, "INVALID_DATA", ["'flips'", "row 1", "0 or 1"], dataCases[1]!.model);
dataRow("Bernoulli value 0.5", { flips: [0.5] }, "INVALID_DATA", ["'flips'", "row 0"], dataCases[1]!.model);
dataRow("Poisson negative count", { counts: [1, -1] }, "INVALID_DATA", ["'counts'", "row 1", "non-negative integer"], dataCases[2]!.model);
dataRow("Poisson fractional count", { counts: [1.5] }, "INVALID_DATA", ["'counts'", "row 0"], dataCases[2]!.model);
dataRow("Categorical index out of range", { label: [0, 3] }, "INVALID_DATA", ["'label'", "row 1", "0..2"], dataCases[3]!.model);
dataRow("Categorical negative index", { label: [-1] }, "INVALID_DATA", ["'label'", "row 0"], dataCases[3]!.model);
dataRow("Categorical fractional index", { label: [0.5] }, "INVALID_DATA", ["'label'", "row 0"], dataCases[3]!.model);
dataRow("MvNormal flat array not divisible by 2", { points: new Float64Array(3) }, "DIMENSION_MISMATCH", ["'points'", "rows of 2"], dataCases[4]!.model);
dataRow("MvNormal Float32Array holding NaN", { points: Float32Array.of(1, 2, NaN, 4) }, "INVALID_DATA", ["'points'", "row 1"], dataCases[4]!.model);
dataRow("plate rows disagree between target and covariates", { target: [1, 2], covariates: [[1, 0]] }, "DIMENSION_MISMATCH", ["'covariates'", "plate 'rows'"], dataCases[5]!.model);

export default rows;
