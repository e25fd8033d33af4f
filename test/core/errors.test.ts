/**
 * The error type and the parameter-check helpers every family and node builds on.
 */
import test from "ava";
import {
  VireoError,
  isVireoError,
  fmt,
  requireFinite,
  requirePositive,
  checkParam,
  checkLength,
  checkSymmetric,
} from "@vireo/core";

test("VireoError: an Error with a stable name, code and context", (t) => {
  const e = new VireoError("INVALID_DATA", "batch 3, row 7: field 'y' is NaN.", { batch: 3, row: 7, field: "y" });
  t.true(e instanceof Error);
  t.true(e instanceof VireoError);
  t.is(e.name, "VireoError");
  t.is(e.code, "INVALID_DATA");
  t.is(e.message, "batch 3, row 7: field 'y' is NaN.");
  t.deepEqual(e.context, { batch: 3, row: 7, field: "y" });
  t.deepEqual(new VireoError("INVALID_MODEL", "x").context, {});
  t.regex(String(e.stack), /VireoError/);
});

test("isVireoError: checks the class and, optionally, the code", (t) => {
  const e = new VireoError("NOT_POSITIVE_DEFINITE", "m");
  t.true(isVireoError(e));
  t.true(isVireoError(e, "NOT_POSITIVE_DEFINITE"));
  t.false(isVireoError(e, "INVALID_PARAMETER"));
  t.false(isVireoError(new Error("m")));
  t.false(isVireoError({ code: "NOT_POSITIVE_DEFINITE", message: "m" }));
  t.false(isVireoError(null));
});

const FMT: Array<[number, string]> = [
  [NaN, "NaN"],
  [Infinity, "Infinity"],
  [-Infinity, "-Infinity"],
  [0, "0"],
  [-3, "-3"],
  [1e21, "1e+21"],
  [0.1, "0.100000"],
  [Math.PI, "3.14159"],
  [-1.5e-300, "-1.50000e-300"],
];
for (const [x, s] of FMT) {
  test(`fmt(${x}) = "${s}"`, (t) => {
    t.is(fmt(x), s);
  });
}

const FINITE: Array<[unknown, string]> = [
  [NaN, "NaN"],
  [Infinity, "Infinity"],
  [-Infinity, "-Infinity"],
  ["3", "string"],
  [undefined, "undefined"],
];
for (const [x, shown] of FINITE) {
  test(`requireFinite rejects ${shown} naming the owner, the parameter and the value`, (t) => {
    const e = t.throws(() => requireFinite(x as number, "rate", "Poisson node 'counts'"), { instanceOf: VireoError });
    t.is(e?.code, "INVALID_PARAMETER");
    t.is(e?.context.parameter, "rate");
    t.is(e?.message, `Poisson node 'counts': parameter 'rate' must be a finite number, got ${shown}.`);
  });
}

test("requireFinite / requirePositive accept valid values", (t) => {
  t.notThrows(() => requireFinite(-1e300, "x", "w"));
  t.notThrows(() => requireFinite(0, "x", "w"));
  t.notThrows(() => requirePositive(Number.MIN_VALUE, "x", "w"));
});

for (const [x, shown, title] of [[0, "0", "0"], [-2, "-2", "-2"], [-0, "0", "-0"]] as const) {
  test(`requirePositive rejects ${title}`, (t) => {
    const e = t.throws(() => requirePositive(x, "variance", "Normal"), { instanceOf: VireoError });
    t.is(e?.code, "INVALID_PARAMETER");
    t.is(e?.message, `Normal: parameter 'variance' must be > 0, got ${shown}.`);
  });
}

test("requirePositive rejects NaN through the finiteness check", (t) => {
  const e = t.throws(() => requirePositive(NaN, "shape", "Gamma"), { instanceOf: VireoError });
  t.regex(e?.message ?? "", /'shape' must be a finite number, got NaN/);
});

test("checkParam: NaN fails even when the predicate says ok", (t) => {
  t.notThrows(() => checkParam(true, "F", "a", 1, "anything"));
  const e = t.throws(() => checkParam(true, "F", "a", NaN, "a finite number"), { instanceOf: VireoError });
  t.is(e?.code, "INVALID_PARAMETER");
  t.is(e?.message, "F: parameter 'a' = NaN is invalid; expected a finite number.");
  t.is(e?.context.parameter, "a");
});

test("checkLength: DIMENSION_MISMATCH naming the parameter and both lengths", (t) => {
  t.notThrows(() => checkLength("F", "mean", 3, 3));
  const e = t.throws(() => checkLength("MvNormal", "mean", 2, 3), { instanceOf: VireoError });
  t.is(e?.code, "DIMENSION_MISMATCH");
  t.is(e?.message, "MvNormal: parameter 'mean' has length 2, expected 3.");
  t.is(e?.context.parameter, "mean");
});

test("checkSymmetric: accepts round-off asymmetry, rejects real asymmetry naming both entries", (t) => {
  t.notThrows(() => checkSymmetric("F", "S", [2, 1 + 1e-15, 1, 3], 2));
  t.notThrows(() => checkSymmetric("F", "S", [5], 1));
  const e = t.throws(() => checkSymmetric("Wishart", "scale", [1, 0, 0, 0, 1, 0.2, 0, 0.3, 1], 3), { instanceOf: VireoError });
  t.is(e?.code, "INVALID_PARAMETER");
  t.is(e?.context.parameter, "scale");
  t.regex(e?.message ?? "", /Wishart: parameter 'scale' must be a symmetric matrix, but scale\[2,1\] = 0\.300000 while scale\[1,2\] = 0\.200000/);
});
