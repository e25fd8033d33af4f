/**
 * Binding the next minibatch of a stream straight into a compiled state of the same schema.
 * `bindData` resolves a model's whole data schema for every binding (names, kinds, plates, index
 * columns, deterministic variables) and builds fresh records; a stream of equal-shaped batches
 * needs none of that again. This binder resolves the schema once and then, per batch, only checks
 * what can change: the names present, each field's length, and its values (finite and in the
 * family's support, with the same INVALID_DATA error, row and column as `bindData`). It copies
 * the values into the state's own buffers and refreshes their statistics, allocating nothing.
 *
 * It declines (returns false, having changed nothing) whatever is not the plain case: a field that
 * is not a Float64Array (or a dense row-major ndarray over one), a missing or unknown name, a
 * length that does not fit, another number of rows than the state was compiled for, or a model
 * with index columns, row multiplicities or deterministic variables. The caller then binds through
 * `bindData`, which gives the full diagnosis.
 */
import { isDenseRowMajor, type Arr } from "@vireo/core";
import type { Model, VariableSpec } from "../model/spec.js";
import { checkValues, type DataBinding, type BoundData } from "./bind.js";
import type { CompiledState, VariableState, FactorState } from "./state.js";

interface Field {
  readonly name: string;
  readonly spec: VariableSpec;
  readonly plate: string;
  readonly valueSize: number;
  /** Whether every finite value is in its family's support (the finite check is then the whole check). */
  readonly finiteSupport: boolean;
  /** How errors name it (bindData's label). */
  readonly label: string;
}

export class FastBinder {
  /** Whether the model's data schema allows the fast path at all. */
  readonly applicable: boolean;
  private readonly fields: readonly Field[];
  private readonly names: ReadonlySet<string>;
  private readonly nameList: readonly string[];
  /** The validated arrays of the batch being bound (reused: no allocation per batch). */
  private readonly arrays: (Float64Array | null)[];
  /** The state the per-field variable states were looked up in, and those states. */
  private state: CompiledState | null = null;
  private variables: VariableState[] = [];
  private live: BoundData | null = null;

  constructor(model: Model) {
    const fields: Field[] = [];
    let applicable = true;
    for (const name of model.order) {
      const v = model.variables[name]!;
      if (v.kind === "deterministic") applicable = false;
      if (v.kind !== "observed" && v.kind !== "input") continue;
      if (v.plate === null) applicable = false;
      else fields.push({ name, spec: v, plate: v.plate, valueSize: v.valueSize, finiteSupport: v.family === null || v.family.finiteSupport, label: `Data '${name}'` });
    }
    for (const p of Object.values(model.plates)) if (p.multiplicity !== null) applicable = false;
    for (const f of model.factors) for (const b of Object.values(f.edges)) if (b.index !== null) applicable = false;
    this.applicable = applicable && fields.length > 0;
    this.fields = fields;
    this.names = new Set(fields.map((f) => f.name));
    this.nameList = fields.map((f) => f.name);
    this.arrays = fields.map(() => null);
  }

  /**
   * Binds `batch` into `state` when it is a plain batch of the state's shape: validates every
   * field (throwing INVALID_DATA as bindData would), then copies. Returns false, with nothing
   * changed, when the batch needs the general path.
   */
  bindInto(state: CompiledState, batch: DataBinding): boolean {
    if (!this.applicable || batch === null || typeof batch !== "object") return false;
    if (this.state !== state) this.attach(state);
    // The field names are few: comparing interned strings beats a Set lookup per key.
    const fields = this.fields, names = this.nameList, arrays = this.arrays, sizes = this.rows;
    let keys = 0;
    for (const k in batch) {
      let known = false;
      for (let i = 0; i < names.length; i++) if (names[i] === k) known = true;
      if (!known) return false;
      keys++;
    }
    if (keys !== fields.length) return false;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!, data = plainArray(batch[f.name], f.valueSize);
      if (data === null || data.length % f.valueSize !== 0) return this.decline();
      const rows = data.length / f.valueSize;
      if (rows === 0 || rows !== sizes[i]) return this.decline();
      // Values of a field are checked once its shape is known good, in bindData's order. x·0 is
      // NaN exactly when x is not finite, so a sum finds a bad value; checkValues then names it.
      if (!allFinite(data)) checkValues(f.spec, data, rows, f.label);
      if (!f.finiteSupport) f.spec.family!.checkSupport(data, rows, f.label, f.name);
      arrays[i] = data;
    }
    const changes = state.changes;
    for (let i = 0; i < fields.length; i++) {
      const v = this.variables[i]!;
      const src = arrays[i]!, dst = v.values;
      // A loop beats TypedArray.prototype.set's call overhead on the few values of a small batch.
      if (src.length <= 16) for (let j = 0; j < src.length; j++) dst[j] = src[j]!;
      else dst.set(src);
      arrays[i] = null;
      if (v.family !== null) v.family.knownStatsRows(dst, v.count, v.stats);
      changes.markChanged(dst);
      changes.markChanged(v.stats);
    }
    // The state's binding now reads from its own buffers (never from a caller's earlier array).
    (state as { data: BoundData }).data = this.live!;
    const checked = this.checked;
    for (let i = 0; i < checked.length; i++) checked[i]!.spec.type.checkData!(checked[i]!.ctx);
    return true;
  }
  private checked: readonly FactorState[] = [];
  /** Rows of each field's plate in the attached state. */
  private rows: readonly number[] = [];

  /** Looks up, once per compiled state, what binding into it touches (changes nothing in it). */
  private attach(state: CompiledState): void {
    this.variables = this.fields.map((f) => state.variables.get(f.name)!);
    const values: Record<string, Float64Array> = Object.create(null);
    for (const v of this.variables) values[v.name] = v.values;
    this.live = { plateSizes: state.data.plateSizes, values };
    this.rows = this.fields.map((f) => state.data.plateSizes[f.plate]!);
    // Only factors with data checks on a bound field need them again.
    this.checked = state.factors.filter((f) => f.spec.type.checkData !== undefined && Object.values(f.spec.edges).some((b) => this.names.has(b.variable)));
    this.state = state;
  }

  private decline(): false {
    this.arrays.fill(null);
    return false;
  }
}

/** The Float64Array behind a field given as one, or as a dense row-major [rows] / [rows, k] ndarray; else null. */
function plainArray(value: unknown, valueSize: number): Float64Array | null {
  if (value instanceof Float64Array) return value;
  if (value === null || typeof value !== "object" || ArrayBuffer.isView(value) || Array.isArray(value)) return null;
  const a = value as Arr;
  if (!(a.data instanceof Float64Array) || !Array.isArray(a.shape) || !Array.isArray(a.stride) || typeof a.get !== "function") return null;
  const ok = a.shape.length === 1 ? valueSize === 1 : a.shape.length === 2 && a.shape[1] === valueSize;
  return ok && isDenseRowMajor(a) ? a.data : null;
}

/** Whether every value is finite: Σ x·0 is NaN exactly when some x is not (four sums: no long dependency chain). */
function allFinite(data: Float64Array): boolean {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, j = 0;
  const n = data.length;
  for (; j + 3 < n; j += 4) {
    s0 += data[j]! * 0;
    s1 += data[j + 1]! * 0;
    s2 += data[j + 2]! * 0;
    s3 += data[j + 3]! * 0;
  }
  for (; j < n; j++) s0 += data[j]! * 0;
  return s0 + s1 + s2 + s3 === 0;
}
