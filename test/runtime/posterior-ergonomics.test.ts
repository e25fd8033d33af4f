/**
 * Posterior ergonomics: typed params via .as(Family), sampling, Monte Carlo quantiles and
 * intervals (checked against exact Normal quantiles within 5 standard errors), JSON of results,
 * posterior predictive simulation, and the model description.
 */
import test from "ava";
import { Normal, Gamma, Generator, sampleStandardNormal, VireoError } from "@vireo/core";
import { ModelBuilder, cavi, posteriorPredictive, describeModel, modelOutline } from "@vireo/runtime";
import { readmeModel } from "../../examples/src/readme-model.js";

const normalGamma = () => readmeModel(ModelBuilder);

const model = normalGamma();
const result = cavi(model, { data: { y: [4.9, 5.3, 6.1, 5.0] } });

test("as(Family) types params() and checks the family", (t) => {
  const p = result.posteriors.mu!.as(Normal).params();
  t.is(p.mean, (result.posteriors.mu!.params() as { mean: number }).mean);
  t.is(p.mean, result.posteriors.mu!.meanOf() as number);
  const e = t.throws(() => result.posteriors.mu!.as(Gamma), { instanceOf: VireoError });
  t.regex(e.message, /Posterior of 'mu' is Normal, not Gamma; call \.as\(Normal\)/);
});

test("quantiles and intervals of a Normal posterior match the exact ones within 5 standard errors", (t) => {
  const q = result.posteriors.mu!.as(Normal);
  const { mean, variance } = q.params();
  const sd = Math.sqrt(variance);
  const draws = 40_000;
  const z: Record<number, number> = { 0.025: -1.959963984540054, 0.1: -1.2815515655446004, 0.5: 0, 0.9: 1.2815515655446004, 0.975: 1.959963984540054 };
  const probs = Object.keys(z).map(Number);
  const est = q.quantiles(probs, new Generator(5), { draws });
  probs.forEach((p, i) => {
    const exact = mean + sd * z[p]!;
    const density = Math.exp(-0.5 * z[p]! ** 2) / (sd * Math.sqrt(2 * Math.PI));
    const se = Math.sqrt((p * (1 - p)) / draws) / density;
    t.true(Math.abs(est[i]![0]! - exact) < 5 * se, `p = ${p}: ${est[i]![0]} vs ${exact} (se ${se})`);
  });
  const [lo, hi] = q.interval(new Generator(6), 0.95, { draws });
  t.true(lo[0]! < mean && mean < hi[0]!);
  t.throws(() => q.quantiles([1.5], new Generator(1)), { instanceOf: VireoError, message: /probabilities must lie in \[0, 1\]/ });
  t.throws(() => q.sample(new Generator(1), 3), { instanceOf: VireoError, message: /instance 3 is out of range/ });
});

test("a Gamma interval covers 95% of fresh draws (5-standard-error bound)", (t) => {
  const q = result.posteriors.tau!.as(Gamma);
  const [lo, hi] = q.interval(new Generator(9), 0.95, { draws: 40_000 });
  const rng = new Generator(10), n = 20_000;
  let inside = 0;
  for (let i = 0; i < n; i++) {
    const x = q.sample(rng);
    if (x >= lo[0]! && x <= hi[0]!) inside++;
  }
  // Interval endpoints are estimates too: allow their error as well as the coverage count's.
  const se = Math.sqrt((0.95 * 0.05) / n) + Math.sqrt((0.95 * 0.05) / 40_000);
  t.true(Math.abs(inside / n - 0.95) < 5 * se, `coverage ${inside / n}`);
});

test("results serialise to JSON through the posteriors' toJSON", (t) => {
  const json = JSON.parse(JSON.stringify(result));
  t.deepEqual(json.posteriors.mu.natural, Array.from(result.posteriors.mu!.natural));
  t.is(json.posteriors.mu.family, "Normal");
  t.deepEqual(json.posteriors.tau.mean, Array.from(result.posteriors.tau!.mean()));
  t.deepEqual(json.elbo, result.elbo);
});

test("posteriorPredictive: the predictive mean of a new y is E[mu] (5 standard errors)", (t) => {
  const draws = 20_000;
  const ys = posteriorPredictive(result.posteriors, (l, rng) => (l.mu as number) + sampleStandardNormal(rng) / Math.sqrt(l.tau as number), { rng: new Generator(3), draws });
  t.is(ys.length, draws);
  const mean = ys.reduce((a, b) => a + b, 0) / draws;
  const sd = Math.sqrt(ys.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws - 1));
  const Emu = result.posteriors.mu!.as(Normal).params().mean;
  t.true(Math.abs(mean - Emu) < (5 * sd) / Math.sqrt(draws), `${mean} vs ${Emu}`);
  t.throws(() => posteriorPredictive(result.posteriors, () => 0, { rng: new Generator(1), variables: ["nope"] }), { instanceOf: VireoError, message: /no posterior for 'nope'/ });
});

test("describeModel prints plates, variables and factors", (t) => {
  t.is(describeModel(model), [
    "Model: 3 variables, 3 factors, 1 plate",
    "  plates:",
    "    rows (size from the data)",
    "  variables:",
    "    mu    random ~ q Normal",
    "    tau   random ~ q Gamma",
    "    y     observed Normal over rows",
    "  factors:",
    "    Normal_0: Normal(out=mu, mean=0, precision=0.01)",
    "    Gamma_1: Gamma(out=tau, shape=1, rate=1)",
    "    Normal_2: Normal(out=y, mean=mu, precision=tau) over rows",
  ].join("\n"));
  // The outline keeps the prior constants as variables (four here) beside the three declared ones.
  t.deepEqual(modelOutline(model).variables.map((v) => v.kind), ["random", "random", "constant", "constant", "constant", "constant", "observed"]);
});
