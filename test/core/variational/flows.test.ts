/**
 * Flow layers are exact bijections: the inverse undoes the forward map, the log-determinant on the
 * tape equals log|det J| of a finite-difference Jacobian, its λ-gradient matches central
 * differences, and the flow family's log q at a draw (forward pass) equals log q evaluated at the
 * same point through the inverses. Also: a flow's density integrates to 1 (grid quadrature in 2-D).
 */
import test from "ava";
import {
  Tape, Generator, sampleStandardNormal, checkGradient, planar, radial, affineCoupling, iaf, flowQ, repeat,
  ad, type BijectorSpec, type Bijector, type TNode,
} from "@vireo/core";

const kinds: Record<string, BijectorSpec> = {
  planar: planar(), radial: radial(), affineCoupling: affineCoupling({ hidden: 5 }), iaf: iaf({ hidden: 5 }),
};

/** Random (not identity) parameters: the init plus unit noise, so every part of the layer is exercised. */
function randomParams(layer: Bijector, rng: Generator): Float64Array {
  const p = new Float64Array(layer.nParams);
  layer.init(p, rng);
  for (let i = 0; i < p.length; i++) p[i] += 0.4 * sampleStandardNormal(rng);
  return p;
}

function forwardValue(layer: Bijector, p: Float64Array, z: Float64Array): { y: Float64Array; logDet: number } {
  const t = new Tape();
  const s = layer.forward(t.constant(p), t.constant(z));
  return { y: Float64Array.from(s.y.value), logDet: s.logDet.value[0]! };
}

function logAbsDet(J: Float64Array, d: number): number {
  // LU with partial pivoting on a copy.
  const a = Float64Array.from(J);
  let s = 0;
  for (let c = 0; c < d; c++) {
    let piv = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r * d + c]!) > Math.abs(a[piv * d + c]!)) piv = r;
    if (piv !== c) for (let k = 0; k < d; k++) [a[c * d + k], a[piv * d + k]] = [a[piv * d + k]!, a[c * d + k]!];
    s += Math.log(Math.abs(a[c * d + c]!));
    for (let r = c + 1; r < d; r++) {
      const f = a[r * d + c]! / a[c * d + c]!;
      for (let k = c; k < d; k++) a[r * d + k] -= f * a[c * d + k]!;
    }
  }
  return s;
}

for (const [name, spec] of Object.entries(kinds)) {
  test(`${name}: inverse ∘ forward = id, log-det = log|det J| (finite differences), λ-gradient checks`, (t) => {
    const rng = new Generator(17);
    for (const d of [2, 3]) {
      for (let index = 0; index < 2; index++) {
        const layer = spec(d, index), p = randomParams(layer, rng);
        for (let rep = 0; rep < 5; rep++) {
          const z = new Float64Array(d);
          for (let i = 0; i < d; i++) z[i] = 1.3 * sampleStandardNormal(rng);
          const { y, logDet } = forwardValue(layer, p, z);
          const back = new Float64Array(d);
          layer.inverse(p, y, back);
          for (let i = 0; i < d; i++) t.true(Math.abs(back[i]! - z[i]!) < 1e-9, `${name} d=${d}: inverse ${back[i]} vs ${z[i]}`);
          const J = new Float64Array(d * d), h = 1e-6;
          for (let j = 0; j < d; j++) {
            const zp = Float64Array.from(z), zm = Float64Array.from(z);
            zp[j] += h;
            zm[j] -= h;
            const yp = forwardValue(layer, p, zp).y, ym = forwardValue(layer, p, zm).y;
            for (let i = 0; i < d; i++) J[i * d + j] = (yp[i]! - ym[i]!) / (2 * h);
          }
          t.true(Math.abs(logAbsDet(J, d) - logDet) < 1e-6, `${name} d=${d}: log-det ${logDet} vs finite differences ${logAbsDet(J, d)}`);
          const g = checkGradient((_tape, [pp, zz]) => {
            const s = layer.forward(pp!, zz!);
            return withProjection(s.logDet, s.y);
          }, [{ value: Float64Array.from(p) }, { value: Float64Array.from(z) }]);
          t.true(g.maxError < 1e-5, `${name} d=${d}: gradient error ${g.maxError}`);
        }
      }
    }
  });
}

/** log-det plus a fixed projection of y: checks the gradients of both outputs at once. */
function withProjection(logDet: TNode, y: TNode): TNode {
  const w = new Float64Array(y.size);
  for (let i = 0; i < w.length; i++) w[i] = 0.3 + 0.7 * i;
  return ad.add(logDet, ad.sum(ad.mul(y, y.tape.constant(w))));
}

test("flowQ: log q at a draw equals log q through the inverses, and q integrates to 1 on a 2-D grid", (t) => {
  for (const [name, spec] of Object.entries(kinds)) {
    const q = flowQ(2, repeat(3, spec), { seed: 5 });
    const lambda = new Float64Array(q.nParams);
    q.init(lambda);
    const rng = new Generator(23);
    for (let i = 0; i < lambda.length; i++) lambda[i] += 0.3 * sampleStandardNormal(rng);
    const z = new Float64Array(2);
    for (let rep = 0; rep < 20; rep++) {
      const lq = q.sampleWithLogDensity(lambda, rng, z);
      t.true(Math.abs(lq - q.logDensity(lambda, z)) < 1e-8, `${name}: ${lq} vs ${q.logDensity(lambda, z)}`);
    }
    // ∫ q = 1 by the midpoint rule on [−10, 10]² (q's tails are Gaussian-like beyond it).
    const n = 200, h = 20 / n;
    let mass = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        z[0] = -10 + (i + 0.5) * h;
        z[1] = -10 + (j + 0.5) * h;
        mass += Math.exp(q.logDensity(lambda, z)) * h * h;
      }
    }
    t.true(Math.abs(mass - 1) < 2e-3, `${name}: ∫q = ${mass}`);
  }
});

test("flowQ: rejects an empty layer list and a coupling layer on a scalar", (t) => {
  t.throws(() => flowQ(2, []), { message: /non-empty list of layers/ });
  t.throws(() => flowQ(1, [affineCoupling()]), { message: /dimension ≥ 2/ });
});
