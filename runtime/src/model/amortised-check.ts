/**
 * Build-time checks of amortised latents (`m.random("z", MvNormal(K), { plate: rows, q:
 * amortised(encoder, { from: "x" }) })`): the latent is plate-local (one q per row of a data
 * plate), the encoder reads known variables of that same plate, and its input and output sizes
 * fit those variables and the latent. Each message names the variable and the fix.
 */
import { VireoError, transformInputSize, type AmortisedGaussian } from "@vireo/core";
import type { Model, VariableSpec } from "./spec.js";
import { isKnown } from "./validate.js";

/**
 * Whether `q` is an amortised Gaussian, read from its `kind` tag rather than by instanceof, so a
 * conjugate-only bundle (@vireo/runtime/conjugate) need not carry the encoder machinery.
 */
export function isAmortisedGaussian(q: unknown): q is AmortisedGaussian {
  return typeof q === "object" && q !== null && (q as { kind?: unknown }).kind === "amortised-gaussian";
}

/** Whether a variable's q is amortised by an encoder network. */
export function isAmortisedSpec(v: VariableSpec): boolean {
  return isAmortisedGaussian(v.gradient?.q);
}

export function checkAmortised(model: Model): void {
  for (const v of Object.values(model.variables)) {
    const q = v.gradient?.q;
    if (!isAmortisedGaussian(q)) continue;
    const where = `Variable '${v.name}' (q: amortised)`;
    const plate = v.plate === null ? null : model.plates[v.plate]!;
    if (plate === null || plate.size !== null) {
      throw new VireoError(
        "INVALID_MODEL",
        `${where}: an amortised q maps each row's observed values to that row's q, so the variable must be plate-local: declare it in a data plate, e.g. m.random('${v.name}', …, { plate: rows, q: amortised(encoder, { from: "x" }) })${plate ? ` ('${plate.name}' has a fixed size ${plate.size}, so it is not a data plate)` : ""}.`,
        { variable: v.name },
      );
    }
    if (q.from.length === 0) {
      throw new VireoError("INVALID_MODEL", `${where}: name the observed variables the encoder reads with amortised(encoder, { from: "x" }) (or { from: ["x", "t"] }).`, { variable: v.name });
    }
    let width = 0;
    for (const name of q.from) {
      const u = model.variables[name];
      if (u === undefined || !isKnown(u) || u.kind === "constant") {
        throw new VireoError(
          "INVALID_MODEL",
          `${where}: the encoder reads '${name}', which ${u === undefined ? "is not declared" : `is ${u.kind}`}; 'from' must name observed or input variables of plate '${v.plate}'.`,
          { variable: v.name },
        );
      }
      if (u.plate !== v.plate) {
        throw new VireoError("INVALID_MODEL", `${where}: the encoder reads '${name}' of plate ${u.plate === null ? "(none)" : `'${u.plate}'`}, but the latent lives in plate '${v.plate}'; each row's q reads that row's values, so 'from' must name variables of plate '${v.plate}'.`, { variable: v.name });
      }
      width += u.valueSize;
    }
    if (width !== q.encoder.inputs) {
      throw new VireoError(
        "DIMENSION_MISMATCH",
        `${where}: the encoder takes ${q.encoder.inputs} inputs per row, but [${q.from.map((n) => `'${n}' (${model.variables[n]!.valueSize})`).join(", ")}] give ${width}; make its first layer ${width} wide.`,
        { variable: v.name },
      );
    }
    const bijector = v.gradient!.bijector ?? v.family!.supportBijector!;
    if (!bijector.elementwise) {
      throw new VireoError("INVALID_MODEL", `${where}: its bijector '${bijector.name}' maps one whole value at a time; an amortised q needs an element-wise one (identity, log, logit).`, { variable: v.name });
    }
    const K = transformInputSize(bijector, v.family!.valueSize);
    if (K !== q.latent) {
      const outputs = q.covariance === "diagonal" ? `${2 * K} (μ and log σ)` : `${K + (K * (K + 1)) / 2} (μ and the packed Cholesky factor)`;
      throw new VireoError(
        "DIMENSION_MISMATCH",
        `${where}: the encoder outputs ${q.outputs} values per row, a ${q.latent}-dimensional ${q.covariance} Gaussian, but '${v.name}' (${v.family!.key}) has ${K} values per row; the encoder's last layer must output ${outputs}.`,
        { variable: v.name },
      );
    }
    if (v.gradient!.estimator === "score") {
      throw new VireoError("INVALID_MODEL", `${where}: an amortised q is fitted by reparameterised gradients; drop estimator 'score'.`, { variable: v.name });
    }
  }
}
