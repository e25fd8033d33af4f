/**
 * Autoregressive(out | coefficients, precision): an AR(p) model of an observed scalar series, one
 * row per step, conditioned on its first p values:
 *   y_t | y_{t−1}, …, y_{t−p} ~ N(Σ_k a_k y_{t−k}, τ⁻¹)   (t ≥ p),
 *   E[log f_t] = ½E[log τ] − ½ log 2π − ½ E[τ] (y_t² − 2 E[a]ᵀ ỹ_t + tr(E[a aᵀ] ỹ_t ỹ_tᵀ)),
 * with ỹ_t = (y_{t−1}, …, y_{t−p}). Edges: out (Normal, observed: the series), coefficients
 * (MvNormal(p): a_1 … a_p, the order is its dimension), precision (Gamma τ, random or constant).
 * Both updates are the conjugate Bayesian linear regression of y_t on its own lags. For an AR
 * process observed with noise, write it as a state-space model (companion matrix in ChainDynamics).
 */
import { VireoError, Normal, MvNormal, Gamma } from "@vireo/core";
import { type NodeContext, weightAt } from "../contract/node.js";
import { defineNode } from "../contract/define.js";
import { requireKnown } from "../contract/edges.js";

/** Weighted sums over t ≥ p: Σ y_t², Σ y_t ỹ_t (p), Σ ỹ_t ỹ_tᵀ (p×p), and the count. */
function lagSums(ctx: NodeContext, p: number) {
  const y = ctx.edges.out.values, Syz = new Float64Array(p), Szz = new Float64Array(p * p);
  let Syy = 0, count = 0;
  for (let t = p; t < ctx.rows; t++) {
    const w = weightAt(ctx.weights, t), v = y[t]!;
    count += w;
    Syy += w * v * v;
    for (let k = 0; k < p; k++) {
      const zk = y[t - 1 - k]!;
      Syz[k] += w * v * zk;
      for (let l = 0; l < p; l++) Szz[k * p + l] += w * zk * y[t - 1 - l]!;
    }
  }
  return { Syy, Syz, Szz, count };
}

/** Σ_t E[(y_t − aᵀ ỹ_t)²] from the sums and the coefficients' statistics [E a, vec E[a aᵀ]]. */
function squaredResiduals(a: Float64Array, p: number, s: ReturnType<typeof lagSums>): number {
  let r = s.Syy;
  for (let k = 0; k < p; k++) {
    r -= 2 * a[k]! * s.Syz[k]!;
    for (let l = 0; l < p; l++) r += a[p + k * p + l]! * s.Szz[k * p + l]!;
  }
  return r;
}

const NAME = "Autoregressive";

export const AutoregressiveNode = defineNode({
  name: NAME,
  edges: {
    out: { family: Normal, doc: "the observed series y_t, one row per step", knownOnly: true },
    coefficients: { family: MvNormal, doc: "AR coefficients a_1 … a_p (the order p is the dimension)" },
    precision: { family: Gamma, doc: "innovation precision τ (random or constant)" },
  },
  check(info, nodeName) {
    requireKnown(info.out.known, nodeName, NAME, "out", "the node regresses the observed series on its own lags");
    if (!info.coefficients.family) {
      throw new VireoError("INVALID_MODEL", `Node '${nodeName}' (Autoregressive): 'coefficients' must be an MvNormal(p) variable or constant; its dimension is the order p.`, { node: nodeName, edge: "coefficients" });
    }
  },
  messages(ctx, edge, out) {
    const a = ctx.edges.coefficients, p = a.family!.dim, tau = ctx.edges.precision.stats, s = lagSums(ctx, p);
    if (ctx.rows <= p) {
      throw new VireoError("INVALID_DATA", `Node '${ctx.nodeName}' (Autoregressive): an AR(${p}) model needs more than ${p} steps, got ${ctx.rows}.`, { node: ctx.nodeName, edge: "out" });
    }
    if (edge === "coefficients") {
      for (let k = 0; k < p; k++) {
        out[k] += tau[1]! * s.Syz[k]!;
        for (let l = 0; l < p; l++) out[p + k * p + l] -= 0.5 * tau[1]! * s.Szz[k * p + l]!;
      }
    } else {
      out[0] += 0.5 * s.count;
      out[1] -= 0.5 * squaredResiduals(a.stats, p, s);
    }
  },
  logFactor(ctx) {
    const a = ctx.edges.coefficients, p = a.family!.dim, tau = ctx.edges.precision.stats, s = lagSums(ctx, p);
    return s.count * (0.5 * tau[0]! - 0.5 * Math.log(2 * Math.PI)) - 0.5 * tau[1]! * squaredResiduals(a.stats, p, s);
  },
});
