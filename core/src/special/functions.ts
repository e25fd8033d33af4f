/**
 * Special functions. The scalar ones come from @stdlib's math packages; only the multivariate
 * gamma/digamma (sums of the scalar ones) are composed here.
 */
import gammalnImpl from "@stdlib/math-base-special-gammaln";
import digammaImpl from "@stdlib/math-base-special-digamma";
import trigammaImpl from "@stdlib/math-base-special-trigamma";
import betalnImpl from "@stdlib/math-base-special-betaln";
import erfImpl from "@stdlib/math-base-special-erf";
import erfcImpl from "@stdlib/math-base-special-erfc";
import log1pImpl from "@stdlib/math-base-special-log1p";
import expm1Impl from "@stdlib/math-base-special-expm1";

export const gammaln: (x: number) => number = gammalnImpl;
export const digamma: (x: number) => number = digammaImpl;
export const trigamma: (x: number) => number = trigammaImpl;
export const betaln: (a: number, b: number) => number = betalnImpl;
export const erf: (x: number) => number = erfImpl;
export const erfc: (x: number) => number = erfcImpl;
export const log1p: (x: number) => number = log1pImpl;
export const expm1: (x: number) => number = expm1Impl;

export const LOG_2PI = Math.log(2 * Math.PI);
export const LOG_PI = Math.log(Math.PI);
export const LN2 = Math.LN2;

/** log Γ_d(a) = d(d-1)/4 log π + Σ_{i=1..d} log Γ(a + (1-i)/2): the multivariate log-gamma. */
export function mvgammaln(a: number, d: number): number {
  let s = (d * (d - 1) / 4) * LOG_PI;
  for (let i = 1; i <= d; i++) s += gammaln(a + (1 - i) / 2);
  return s;
}

/** ψ_d(a) = Σ_{i=1..d} ψ(a + (1-i)/2): the derivative of mvgammaln in a. */
export function mvdigamma(a: number, d: number): number {
  let s = 0;
  for (let i = 1; i <= d; i++) s += digamma(a + (1 - i) / 2);
  return s;
}

/** log(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return x > 0 ? x + log1p(Math.exp(-x)) : log1p(Math.exp(x));
}

/** 1 / (1 + e^-x) without overflow. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
