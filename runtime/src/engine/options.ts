/**
 * Option validation for every entry point (cavi, SviEngine, OnlineEngine, the svi/online
 * operators, fitBbvi), in one place so the engines stay free of it. Each entry point calls its
 * checker once, before any work: unknown keys are errors with a did-you-mean suggestion, and
 * every value is checked for type and range, so a typo or an impossible setting (a negative
 * tolerance, an endless iteration budget) is an INVALID_OPTION naming the option, never a silent
 * default or a hang.
 */
import { VireoError } from "@vireo/core";
import type { Model } from "../model/spec.js";

/** A check of one option's value; throws through `fail(message)`. */
type Check = (value: unknown, fail: (message: string) => never) => void;

/** The largest sweep or step budget: finite, so that no setting can loop forever. */
export const MAX_ITERATIONS = 1e9;

function show(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (typeof v === "function") return "a function";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v;
}

/** Edit distance (insert, delete, substitute, swap of neighbours), for did-you-mean. */
export function editDistance(a: string, b: string): number {
  const m = a.length, n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[m]![n]!;
}

/** The closest known name to `key` (case-insensitive edit distance ≤ max(2, length/3)), if any. */
export function suggest(key: string, known: Iterable<string>): string | null {
  let best: string | null = null, bestD = Infinity;
  const k = key.toLowerCase();
  for (const name of known) {
    const d = editDistance(k, name.toLowerCase());
    if (d < bestD) {
      best = name;
      bestD = d;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : null;
}

// Checks shared by the entry points.
const positiveInteger = (max = MAX_ITERATIONS): Check => (v, fail) => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) fail(`must be a positive integer ≤ ${max}, got ${show(v)}.`);
};
const nonNegative: Check = (v, fail) => {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) fail(`must be a finite number ≥ 0, got ${show(v)}.`);
};
const integer: Check = (v, fail) => {
  if (typeof v !== "number" || !Number.isSafeInteger(v)) fail(`must be an integer, got ${show(v)}.`);
};
const fn: Check = (v, fail) => {
  if (typeof v !== "function") fail(`must be a function, got ${show(v)}.`);
};
const string: Check = (v, fail) => {
  if (typeof v !== "string") fail(`must be a string, got ${show(v)}.`);
};
const oneOf = (values: readonly string[]): Check => (v, fail) => {
  if (typeof v !== "string" || !values.includes(v)) {
    const near = typeof v === "string" ? suggest(v, values) : null;
    fail(`must be one of ${values.map((x) => JSON.stringify(x)).join(", ")}, got ${show(v)}${near ? ` (did you mean "${near}"?)` : ""}.`);
  }
};
const record: Check = (v, fail) => {
  if (v === null || typeof v !== "object" || Array.isArray(v)) fail(`must be a record, got ${show(v)}.`);
};

/** Options of gradient-fitted variables (engine/gradient.ts), checked key by key like the rest. */
const GRADIENT: Record<string, Check> = {
  samples: positiveInteger(1e6),
  optimizer: (v, fail) => {
    if (v === null || typeof v !== "object" || typeof (v as { init?: unknown }).init !== "function") fail(`must be an optimiser such as adam({ lr: 0.05 }), got ${show(v)}.`);
  },
  schedule: (v, fail) => {
    if (v === null || typeof v !== "object" || typeof (v as { rate?: unknown }).rate !== "function") fail(`must be a learning-rate schedule such as exponentialDecay(0.05, 0.02, 3000), got ${show(v)}.`);
  },
  raoBlackwell: (v, fail) => {
    if (typeof v !== "boolean") fail(`must be true or false, got ${show(v)}.`);
  },
  bound: (v, fail) => {
    const kind = (v as { kind?: unknown } | null)?.kind;
    if (v === null || typeof v !== "object" || !(kind === "elbo" || kind === "iwae" || kind === "renyi")) fail(`must be elboBound(), iwaeBound(K) or renyiBound(α, K), got ${show(v)}.`);
  },
  // The joint step of groups sharing density factors (engine/joint-step.ts) and its KL weight.
  joint: (v, fail) => {
    if (v !== "auto" && v !== true && v !== false) fail(`must be "auto", true or false, got ${show(v)}.`);
  },
  klWeight: (v, fail) => {
    if (typeof v !== "function" && (typeof v !== "number" || !Number.isFinite(v) || v < 0)) fail(`must be a finite number ≥ 0 or a function of the step (e.g. (t) => Math.min(1, t / 1000)), got ${show(v)}.`);
  },
};

/** cavi's gradient options add the stopping rule and the final estimate to GRADIENT. */
const CAVI_GRADIENT: Record<string, Check> = {
  ...GRADIENT,
  convergence: (v, fail) => {
    if (v !== false && (v === null || typeof v !== "object")) fail(`must be false or { window, tol, patience }, got ${show(v)}.`);
  },
  elboSamples: positiveInteger(1e9),
  averageFrom: (v, fail) => {
    if (typeof v !== "number" || !(v >= 0)) fail(`must be a sweep count ≥ 0 (or Infinity), got ${show(v)}.`);
  },
  evaluate: (v, fail) => {
    const kind = (v as { kind?: unknown } | null)?.kind;
    if (v === null || typeof v !== "object" || !(kind === "elbo" || kind === "iwae" || kind === "renyi")) fail(`must be elboBound(), iwaeBound(K) or renyiBound(α, K), got ${show(v)}.`);
  },
  checkDraws: (v, fail) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) fail(`must be 0 (no check) or an integer ≥ 100, got ${show(v)}.`);
  },
};

/** A nested options record checked against `specs` (unknown keys suggested, values checked). */
const nested = (where: string, specs: Readonly<Record<string, Check>>): Check => (v, fail) => {
  if (v === null || typeof v !== "object" || Array.isArray(v)) fail(`must be an object of options, got ${show(v)}.`);
  checkOptions(where, v, specs, "{ samples: 10 }");
};

const LOCAL: Record<string, Check> = {
  localIterations: positiveInteger(),
  localTolerance: nonNegative,
  gradient: nested("gradient", GRADIENT),
};

const STREAM: Record<string, Check> = {
  onInvalid: oneOf(["error", "skip"]),
  skipped: (v, fail) => {
    if (typeof v !== "function" && (v === null || typeof v !== "object" || typeof (v as { next?: unknown }).next !== "function")) {
      fail(`must be a function or an object with next() (e.g. a Subject), got ${show(v)}.`);
    }
  },
  summaries: (v, fail) => {
    if (v !== "all" && v !== "none" && !(Array.isArray(v) && v.every((n) => typeof n === "string"))) fail(`must be "all", "none" or an array of variable names, got ${show(v)}.`);
  },
  startAt: record,
  summaryEvery: positiveInteger(Number.MAX_SAFE_INTEGER),
};

const CAVI: Record<string, Check> = {
  data: (v, fail) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) fail(`must be a record mapping observed and input variable names to arrays, got ${show(v)}.`);
  },
  maxIterations: positiveInteger(),
  tolerance: nonNegative,
  parameterTolerance: nonNegative,
  gradient: nested("cavi: gradient", CAVI_GRADIENT),
  seed: integer,
  restarts: positiveInteger(1e6),
  init: record,
  mixtureStart: oneOf(["seeded", "random", "alternate"]),
  threads: positiveInteger(256),
  schedule: (v, fail) => {
    if (!Array.isArray(v) || !v.every((n) => typeof n === "string")) fail(`must be an array of random variable names, got ${show(v)}.`);
  },
  onSweep: fn,
  localIterations: positiveInteger(),
  localTolerance: nonNegative,
};

const SVI: Record<string, Check> = {
  ...LOCAL,
  totalRows: (v, fail) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > Number.MAX_SAFE_INTEGER) fail(`(N, the rows of the subsampled plate in the whole data set) must be a positive integer, got ${show(v)}.`);
  },
  plate: string,
  tau: nonNegative,
  kappa: (v, fail) => {
    if (typeof v !== "number" || !(v > 0.5 && v <= 1)) fail(`must be in (0.5, 1] (the Robbins–Monro conditions), got ${show(v)}.`);
  },
  seed: integer,
  globalStart: (v, fail) => {
    if (v !== "prior" && v !== "random") fail(`must be "prior" or "random", got ${show(v)}.`);
  },
  psis: (v, fail) => {
    if (v !== false && (v === null || typeof v !== "object" || Array.isArray(v))) fail(`must be false or { every, draws }, got ${show(v)}.`);
  },
  elboEvery: (v, fail) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > Number.MAX_SAFE_INTEGER) fail(`must be an integer ≥ 0 (evaluate the batch ELBO every k-th step; 0: never), got ${show(v)}.`);
  },
  threads: positiveInteger(256),
};

const ONLINE: Record<string, Check> = {
  ...LOCAL,
  forgetting: (v, fail) => {
    if (typeof v !== "number" || !(v > 0 && v <= 1)) fail(`must be in (0, 1] (1 keeps all earlier evidence), got ${show(v)}.`);
  },
  maxIterations: positiveInteger(),
  tolerance: nonNegative,
  seed: integer,
  elboEvery: (v, fail) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > Number.MAX_SAFE_INTEGER) fail(`must be an integer ≥ 0 (evaluate the batch ELBO every k-th batch; 0: never), got ${show(v)}.`);
  },
};

const FIT_BBVI: Record<string, Check> = {
  maxIterations: positiveInteger(),
  convergence: (v, fail) => {
    if (v !== false && (v === null || typeof v !== "object")) fail(`must be false or { window, tolerance, patience }, got ${show(v)}.`);
  },
  batches: fn,
  averageFrom: (v, fail) => {
    if (typeof v !== "number" || !(v >= 0)) fail(`must be a step count ≥ 0 (or Infinity), got ${show(v)}.`);
  },
  onStep: fn,
};

/** Option names that were unified across the engines (one set of names): old → new, for the suggestion. */
const RENAMED_OPTIONS: Readonly<Record<string, string>> = { maxSteps: "maxIterations", onInvalidRow: "onInvalid" };

/** Checks an options record against `specs`: type, unknown keys (with a suggestion), each value. */
export function checkOptions(where: string, options: unknown, specs: Readonly<Record<string, Check>>, usage: string): void {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new VireoError("INVALID_OPTION", `${where}: options must be an object, e.g. ${usage}; got ${show(options)}.`);
  }
  const known = Object.keys(specs);
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(specs, key)) {
      const renamed = RENAMED_OPTIONS[key];
      const near = renamed !== undefined && known.includes(renamed) ? renamed : suggest(key, known);
      throw new VireoError(
        "INVALID_OPTION",
        `${where}: unknown option '${key}'${near ? `; did you mean '${near}'?` : ""} Known options are [${known.join(", ")}].`,
        { parameter: key },
      );
    }
    const value = (options as Record<string, unknown>)[key];
    if (value === undefined) continue;
    specs[key]!(value, (message) => {
      throw new VireoError("INVALID_OPTION", `${where}: option '${key}' ${message}`, { parameter: key });
    });
  }
}

function checkModel(where: string, model: unknown): asserts model is Model {
  const m = model as Model | null;
  if (m === null || typeof m !== "object" || typeof m.variables !== "object" || !Array.isArray(m.order) || !Array.isArray(m.factors)) {
    throw new VireoError("INVALID_MODEL", `${where}: expected a built model (new ModelBuilder() … .build()), got ${show(model)}.`);
  }
}

/** cavi(model, options): also checks that `data` is present and that `init` names random variables. */
export function checkCaviOptions(model: unknown, options: unknown): void {
  checkModel("cavi", model);
  if (options === undefined) {
    throw new VireoError("INVALID_OPTION", "cavi: options are missing; call cavi(model, { data: { y: [...] } }) with the data of every observed and input variable.", { parameter: "data" });
  }
  checkOptions("cavi", options, CAVI, "{ data: { y: [...] } }");
  const o = options as { data?: unknown; init?: Record<string, unknown> };
  if (o.data === undefined) {
    throw new VireoError("INVALID_OPTION", "cavi: option 'data' is missing; pass { data: { name: values } } for every observed and input variable.", { parameter: "data" });
  }
  if (o.init !== undefined) {
    const random = model.order.filter((n) => model.variables[n]!.kind === "random");
    for (const name of Object.keys(o.init)) {
      if (!random.includes(name)) {
        const near = suggest(name, random);
        throw new VireoError(
          "INVALID_OPTION",
          `cavi: init.${name}: '${name}' is not a random variable of the model${near ? `; did you mean '${near}'?` : ""} Random variables are [${random.join(", ")}].`,
          { parameter: "init", variable: name },
        );
      }
    }
  }
}

/** new SviEngine(model, options), or svi(model, options) (which adds the stream options). */
export function checkSviOptions(model: unknown, options: unknown, stream: boolean): void {
  checkModel("svi", model);
  if (options === undefined) throw new VireoError("INVALID_OPTION", "svi: options are missing; give at least { totalRows: N }, the rows of the subsampled plate in the whole data set.", { parameter: "totalRows" });
  if (typeof options === "object" && options !== null && "size" in options) {
    throw new VireoError("INVALID_OPTION", "svi: option 'size' is now called 'totalRows' (N, the rows of the subsampled plate in the whole data set; 'size' elsewhere means a vector length). Rename it.", { parameter: "size" });
  }
  checkOptions("svi", options, stream ? { ...SVI, ...STREAM } : SVI, "{ totalRows: N }");
  if ((options as { totalRows?: unknown }).totalRows === undefined) {
    throw new VireoError("INVALID_OPTION", "svi: option 'totalRows' is missing: give 'totalRows', N, the number of rows of the subsampled plate in the whole data set (N in the N/|B| scaling).", { parameter: "totalRows" });
  }
}

/** new OnlineEngine(model, options), or online(model, options). */
export function checkOnlineOptions(model: unknown, options: unknown, stream: boolean): void {
  checkModel("online", model);
  checkOptions("online", options === undefined ? {} : options, stream ? { ...ONLINE, ...STREAM } : ONLINE, "{ forgetting: 0.9 }");
}

/** svi(engine, options) / online(engine, options): only the stream options apply. */
export function checkStreamOptions(where: string, options: unknown): void {
  checkOptions(where, options === undefined ? {} : options, STREAM, `{ onInvalid: "skip" }`);
}

/** fitBbvi(engine, state, options). */
export function checkFitBbviOptions(options: unknown): void {
  checkOptions("fitBbvi", options === undefined ? {} : options, FIT_BBVI, "{ maxIterations: 2000 }");
}
