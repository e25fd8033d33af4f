/**
 * Plain reference implementations for the chain tests, written independently of the kernels:
 * number[][] matrices, Gauss–Jordan inverses, the textbook (non-Joseph) Kalman update and RTS.
 */
import { Generator, sampleStandardNormal } from "@vireo/core";

export type M = number[][];

export const mat = (a: ArrayLike<number>, r: number, c: number): M =>
  Array.from({ length: r }, (_, i) => Array.from({ length: c }, (_, j) => a[i * c + j]!));
export const flat = (a: M): Float64Array => Float64Array.from(a.flat());
export const T_ = (a: M): M => a[0]!.map((_, j) => a.map((row) => row[j]!));
export const mul = (a: M, b: M): M => a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
export const add = (a: M, b: M, s = 1): M => a.map((row, i) => row.map((v, j) => v + s * b[i]![j]!));
export const eye = (n: number): M => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
export const col = (v: ArrayLike<number>): M => Array.from(v, (x) => [x]);

/** Inverse by Gauss–Jordan with partial pivoting. */
export function inv(a: M): M {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...eye(n)[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const piv = m[c]![c]!;
    for (let j = 0; j < 2 * n; j++) m[c]![j] = m[c]![j]! / piv;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]!;
      for (let j = 0; j < 2 * n; j++) m[r]![j] = m[r]![j]! - f * m[c]![j]!;
    }
  }
  return m.map((row) => row.slice(n));
}

/** log det by LU (Gaussian elimination with partial pivoting). */
export function logDet(a: M): number {
  const m = a.map((r) => r.slice());
  const n = m.length;
  let s = 0;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    s += Math.log(Math.abs(m[c]![c]!));
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let j = c; j < n; j++) m[r]![j] = m[r]![j]! - f * m[c]![j]!;
    }
  }
  return s;
}

export function randomSpd(rng: Generator, n: number, scale = 1): M {
  const B = Array.from({ length: n }, () => Array.from({ length: n }, () => sampleStandardNormal(rng)));
  return add(mul(B, T_(B)), eye(n), n).map((r) => r.map((v) => (v * scale) / n));
}

export interface RefChain { A: M; Q: M; C: M; R: M; m0: M; P0: M }

/** Textbook Kalman filter and RTS smoother; returns per-step means/covariances and the log-likelihood. */
export function referenceKalman(ch: RefChain, ys: M[]) {
  const mf: M[] = [], Pf: M[] = [], mp: M[] = [], Pp: M[] = [];
  let ll = 0;
  for (let t = 0; t < ys.length; t++) {
    const m = t === 0 ? ch.m0 : mul(ch.A, mf[t - 1]!);
    const P = t === 0 ? ch.P0 : add(mul(mul(ch.A, Pf[t - 1]!), T_(ch.A)), ch.Q);
    mp.push(m);
    Pp.push(P);
    const S = add(mul(mul(ch.C, P), T_(ch.C)), ch.R);
    const Si = inv(S);
    const K = mul(mul(P, T_(ch.C)), Si);
    const r = add(ys[t]!, mul(ch.C, m), -1);
    mf.push(add(m, mul(K, r)));
    Pf.push(mul(add(eye(P.length), mul(K, ch.C), -1), P));
    const p = r.length;
    ll += -0.5 * (p * Math.log(2 * Math.PI) + logDet(S) + mul(mul(T_(r), Si), r)[0]![0]!);
  }
  const ms: M[] = new Array(ys.length), Ps: M[] = new Array(ys.length), cross: M[] = new Array(ys.length);
  const n = ys.length - 1;
  ms[n] = mf[n]!;
  Ps[n] = Pf[n]!;
  for (let t = n - 1; t >= 0; t--) {
    const J = mul(mul(Pf[t]!, T_(ch.A)), inv(Pp[t + 1]!));
    ms[t] = add(mf[t]!, mul(J, add(ms[t + 1]!, mp[t + 1]!, -1)));
    Ps[t] = add(Pf[t]!, mul(mul(J, add(Ps[t + 1]!, Pp[t + 1]!, -1)), T_(J)));
    cross[t + 1] = mul(Ps[t + 1]!, T_(J));
  }
  return { mf, Pf, ms, Ps, cross, ll };
}
