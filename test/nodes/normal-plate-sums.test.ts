/**
 * Normal node over an i.i.d. plate (per-row x, shared μ and τ): its messages to μ and τ and its
 * E_q[log f] come from the plate sums Σw, Σw E[x], Σw E[x²]. Checked against the row-by-row
 * definitions written out here, with and without row multiplicities, for known and random x.
 */
import test from "ava";
import { Normal, Gamma, Generator, sampleStandardNormal, LOG_2PI } from "@vireo/core";
import { NormalNode, GammaNode } from "@vireo/nodes";
import { ModelBuilder, compile, bindData, initialise, type CompiledState } from "@vireo/runtime";

const rng = new Generator(41);
const N = 9;
const y = Float64Array.from({ length: N }, () => 2 + sampleStandardNormal(rng));
const counts = Float64Array.from({ length: N }, (_, n) => 1 + (n % 3));

function state(weighted: boolean, latentX: boolean): CompiledState {
  const m = new ModelBuilder();
  const rows = weighted ? m.plate("rows", { multiplicity: "c" }) : m.plate("rows");
  if (weighted) m.input("c", { plate: rows });
  const mu = m.random("mu", Normal), tau = m.random("tau", Gamma);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 0.1 });
  m.factor(GammaNode, { out: tau, shape: 2, rate: 1 });
  if (latentX) {
    // x_n latent around the data: the Normal(x | μ, τ) factor then reads random per-row statistics.
    const x = m.random("x", Normal, { plate: rows });
    m.factor(NormalNode, { out: x, mean: mu, precision: tau }, { name: "xFactor" });
    m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: x, precision: 5 });
  } else {
    m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: tau }, { name: "xFactor" });
  }
  const model = m.build();
  const s = compile(model, bindData(model, weighted ? { y, c: counts } : { y }));
  initialise(s, new Generator(3));
  // Move q(μ), q(τ) (and q(x)) away from the start so every term matters.
  const set = (name: string, eta: Float64Array) => {
    const v = s.variables.get(name)!;
    for (let i = 0; i < v.count; i++) v.eta.set(eta.length === v.size ? eta : eta.subarray(i * v.size, (i + 1) * v.size), i * v.size);
    v.family!.expectedStatsRows(v.eta, v.stats, v.count);
    s.changes.markChanged(v.stats);
  };
  set("mu", Normal.toNatural({ mean: 1.7, variance: 0.3 }));
  set("tau", Gamma.toNatural({ shape: 3, rate: 1.5 }));
  if (latentX) set("x", Float64Array.from({ length: 2 * N }, (_, i) => (i % 2 === 0 ? 2 * y[i / 2]! : -1)));
  return s;
}

for (const weighted of [false, true]) {
  for (const latentX of [false, true]) {
    test(`Normal node plate sums equal the row-by-row definitions (${weighted ? "row multiplicities" : "no weights"}, ${latentX ? "latent" : "observed"} x)`, (t) => {
      const s = state(weighted, latentX);
      const f = s.factors.find((f) => f.name === "xFactor")!;
      const ctx = f.ctx, x = ctx.edges.out!, mu = s.variables.get("mu")!.stats, tau = s.variables.get("tau")!.stats;
      t.is(x.layout, "row");
      const Em = Normal.ex(mu, 0), Em2 = Normal.ex2(mu, 0), Et = Gamma.ex(tau, 0), Elt = Gamma.elog(tau, 0);
      let logF = 0, mMean0 = 0, mMean1 = 0, mPrec0 = 0, mPrec1 = 0;
      for (let n = 0; n < N; n++) {
        const w = weighted ? counts[n]! : 1, ex = Normal.ex(x.stats, n), ex2 = Normal.ex2(x.stats, n);
        const sq = ex2 - 2 * ex * Em + Em2;
        logF += w * (0.5 * Elt - 0.5 * LOG_2PI - 0.5 * Et * sq);
        mMean0 += w * Et * ex;
        mMean1 -= 0.5 * w * Et;
        mPrec0 += 0.5 * w;
        mPrec1 -= 0.5 * w * sq;
      }
      const close = (a: number, b: number, what: string) => t.true(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
      close(f.spec.type.logFactor(ctx), logF, "E[log f]");
      const out = new Float64Array(2);
      f.spec.type.messages.mean!(ctx, out);
      close(out[0]!, mMean0, "message to μ, η₁");
      close(out[1]!, mMean1, "message to μ, η₂");
      out.fill(0);
      f.spec.type.messages.precision!(ctx, out);
      close(out[0]!, mPrec0, "message to τ, η₁");
      close(out[1]!, mPrec1, "message to τ, η₂");
      // A change of x's statistics (marked, as every update does) is seen, not a stale cached sum.
      x.stats[0] = x.stats[0]! + 1;
      s.changes.markChanged(x.stats);
      out.fill(0);
      f.spec.type.messages.mean!(ctx, out);
      close(out[0]!, mMean0 + (weighted ? counts[0]! : 1) * Et, "message to μ after x changed");
    });
  }
}
