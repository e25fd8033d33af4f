/** Models and data shared by the checkpoint tests. */
import { Normal, Gamma, MvNormal, Wishart, Categorical, Dirichlet, Generator, sampleStandardNormal } from "@vireo/core";
import { MvNormalNode, CategoricalNode, DirichletNode, GammaNode, WishartNode } from "@vireo/nodes";
import { ModelBuilder, createRegistry, type Model, type Registry } from "@vireo/runtime";
import { studentTPack, studentTScale } from "@vireo/plugins";

/** A 2-D Gaussian mixture with K = 3 (Mixture node, component plate, inline and named constants). */
export function mixtureModel(): { model: Model; data: { x: number[][] } } {
  const K = 3, d = 2;
  const m = new ModelBuilder();
  const rows = m.plate("rows"), comps = m.plate("components", K);
  const pi = m.random("pi", Dirichlet(K));
  m.factor(DirichletNode, { out: pi, alpha: [1, 1, 1] });
  const mu = m.random("mu", MvNormal(d), { plate: comps });
  const prec = m.random("Lambda", Wishart(d), { plate: comps });
  m.constant("mu0", [0, 0], MvNormal(d));
  m.factor(MvNormalNode, { out: mu, mean: "mu0", precision: [0.01, 0, 0, 0.01] });
  m.factor(WishartNode, { out: prec, df: 3, scale: [1, 0, 0, 1] });
  const z = m.random("z", Categorical(K), { plate: rows });
  m.factor(CategoricalNode, { out: z, p: pi });
  m.mixture(MvNormalNode, { selector: z, out: m.observed("x", MvNormal(d), { plate: rows }), mean: mu, precision: prec }, { name: "likelihood" });
  const g = new Generator(5);
  const centres = [[-3, 0], [3, 1], [0, 4]];
  const x = Array.from({ length: 90 }, (_, i) => centres[i % 3]!.map((c) => c + 0.7 * sampleStandardNormal(g)));
  return { model: m.build(), data: { x } };
}

/** Robust regression with the Student-t plugin (node types resolved by name). */
export function studentTModel(registry: Registry = createRegistry(studentTPack)): { model: Model; data: { x: number[][]; y: number[] } } {
  const m = new ModelBuilder({ registry });
  const rows = m.plate("rows");
  const w = m.random("w", MvNormal(2));
  m.factor("MvNormal", { out: w, mean: [0, 0], precision: [0.01, 0, 0, 0.01] });
  const tau = m.random("tau", Gamma);
  m.factor(GammaNode, { out: tau, shape: 1, rate: 1 });
  const lambda = studentTScale(m, "lambda", { plate: rows, dof: 4 });
  m.factor("StudentTLinear", { out: m.observed("y", Normal, { plate: rows }), w, x: m.input("x", { plate: rows, size: 2 }), precision: tau, scale: lambda }, { name: "likelihood" });
  const g = new Generator(3);
  const x: number[][] = [], y: number[] = [];
  for (let i = 0; i < 60; i++) {
    const xi = -2 + (4 * i) / 59;
    x.push([1, xi]);
    y.push(i % 10 === 0 ? 12 : 0.5 - xi + 0.2 * sampleStandardNormal(g));
  }
  return { model: m.build(), data: { x, y } };
}

/** The bits of a double, for exact comparisons that also see −0 and NaN payloads. */
export function bits(x: number): string {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x, true);
  return v.getBigUint64(0, true).toString(16);
}
