/**
 * The one error type Vireo throws. `code` is stable and machine-readable; the message says what is
 * wrong, where (variable, node, edge, batch, row, parameter) and what was expected instead.
 */
export type VireoErrorCode =
  | "INVALID_PARAMETER"
  | "DIMENSION_MISMATCH"
  | "NOT_POSITIVE_DEFINITE"
  | "INVALID_DATA"
  | "INVALID_MODEL"
  | "UNKNOWN_NAME"
  | "MISSING_RULE"
  | "DUPLICATE_NAME"
  | "INVALID_NODE"
  | "INVALID_OPTION"
  | "INVALID_BATCH"
  | "INVALID_CHECKPOINT"
  | "INVALID_STATE"
  | "NUMERICAL_FAILURE";

export interface VireoErrorContext {
  readonly variable?: string;
  readonly node?: string;
  readonly edge?: string;
  readonly batch?: number;
  readonly row?: number;
  readonly column?: number;
  readonly field?: string;
  readonly parameter?: string;
}

export class VireoError extends Error {
  override readonly name = "VireoError";
  readonly code: VireoErrorCode;
  readonly context: VireoErrorContext;

  constructor(code: VireoErrorCode, message: string, context: VireoErrorContext = {}) {
    super(message);
    this.code = code;
    this.context = context;
  }
}

export function isVireoError(e: unknown, code?: VireoErrorCode): e is VireoError {
  return e instanceof VireoError && (code === undefined || e.code === code);
}

/** Formats a number for messages: keeps NaN/Infinity readable and long floats short. */
export function fmt(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  return Number.isInteger(x) ? String(x) : x.toPrecision(6);
}

/** Throws INVALID_PARAMETER unless `x` is a finite number. `where` names the owner (family, node). */
export function requireFinite(x: number, parameter: string, where: string): void {
  if (typeof x !== "number" || !Number.isFinite(x)) {
    throw new VireoError(
      "INVALID_PARAMETER",
      `${where}: parameter '${parameter}' must be a finite number, got ${typeof x === "number" ? fmt(x) : typeof x}.`,
      { parameter },
    );
  }
}

/** Throws INVALID_PARAMETER unless `x` is finite and > 0. */
export function requirePositive(x: number, parameter: string, where: string): void {
  requireFinite(x, parameter, where);
  if (!(x > 0)) {
    throw new VireoError(
      "INVALID_PARAMETER",
      `${where}: parameter '${parameter}' must be > 0, got ${fmt(x)}.`,
      { parameter },
    );
  }
}
