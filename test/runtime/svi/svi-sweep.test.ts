/** SVI with ρ_t = 1 on one full batch reproduces one CAVI sweep of the globals exactly. */
import test from "ava";
import { Generator, sampleStandardNormal } from "@vireo/core";
import { SviEngine, CaviEngine, compile, bindData, initialise } from "@vireo/runtime";
import { gaussianMixture } from "../../../examples/src/gaussian-mixture.js";

const gmm = (K: number, d: number) => gaussianMixture(K, d, { alpha: 1, meanPrecision: 0.01, df: d + 1, scale: 1 });

test("SVI step with ρ = 1, N = |B| equals one CAVI sweep (bit for bit)", (t) => {
  const rng = new Generator(4);
  const N = 500, x = new Float64Array(N * 2);
  for (let i = 0; i < x.length; i++) x[i] = sampleStandardNormal(rng) + (i % 4 < 2 ? 4 : -4);
  const model = gmm(3, 2);

  const state = compile(model, bindData(model, { x }));
  initialise(state, new Generator(17));
  new CaviEngine(state).sweep();

  const engine = new SviEngine(model, { totalRows: N, tau: 0, kappa: 1, seed: 17 });
  const r = engine.step({ x });
  t.is(r.rho, 1);
  const svi = engine.posteriors();
  for (const name of ["pi", "mu", "Lambda"]) {
    const a = svi[name]!.natural, b = state.variables.get(name)!.eta;
    t.is(a.length, b.length);
    t.deepEqual(Array.from(a), Array.from(b), name);
  }
});

test("SVI step sizes follow (t + τ)^(−κ) and bad options are refused", (t) => {
  const model = gmm(2, 2);
  const engine = new SviEngine(model, { totalRows: 1000, tau: 4, kappa: 0.6 });
  t.is(engine.rho(1), Math.pow(5, -0.6));
  t.is(engine.rho(10), Math.pow(14, -0.6));
  for (const bad of [{ kappa: 0.5 }, { kappa: 1.2 }, { tau: -1 }, { totalRows: 0 }]) {
    const err = t.throws(() => new SviEngine(model, { totalRows: 1000, ...bad }));
    t.is((err as { code?: string }).code, "INVALID_OPTION");
  }
});
