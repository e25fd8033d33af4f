/** The row-wise fast paths of the families agree with their one-instance definitions. */
import test from "ava";
import { Normal, Gamma, Beta, Bernoulli, Poisson, Categorical, Dirichlet, MvNormal, Generator, sampleStandardNormal, type ExponentialFamily } from "@vireo/core";

const families: ExponentialFamily[] = [Normal, Gamma, Beta, Bernoulli, Poisson, Categorical(3), Dirichlet(3), MvNormal(2)];

for (const f of families) {
  test(`${f.key}: firstImproperRow finds the first row that isProper rejects`, (t) => {
    const rng = new Generator(41);
    const count = 40, eta = new Float64Array(count * f.size);
    let checked = 0;
    for (let trial = 0; trial < 30; trial++) {
      // Random natural parameters around the domain boundaries: some rows proper, some not.
      for (let i = 0; i < eta.length; i++) eta[i] = 0.6 * sampleStandardNormal(rng) - 0.4;
      let expected = -1;
      for (let r = 0; r < count && expected < 0; r++) if (!f.isProper(eta.subarray(r * f.size, (r + 1) * f.size))) expected = r;
      t.is(f.firstImproperRow(eta, count), expected, `trial ${trial}`);
      checked += expected >= 0 ? 1 : 0;
    }
    const alwaysProper = ["Bernoulli", "Poisson", "Categorical"].includes(f.name);
    t.true(alwaysProper ? checked === 0 : checked > 0, "the table exercised improper rows where the family has them");
  });
}
