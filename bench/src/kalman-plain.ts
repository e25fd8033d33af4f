/**
 * The Kalman filter and RTS smoother written by hand as the baselines of the timeseries suite:
 * one function each, generic in the state and observation dimensions (d, p), plain nested loops
 * over Float64Arrays, scratch allocated once by the caller. The filter does the same arithmetic as
 * core's kernel: predict (A m, A P Aᵀ + Q), innovation covariance S = C P Cᵀ + R and its Cholesky
 * factor, gain K = P Cᵀ S⁻¹ by triangular solves, the Joseph-form update
 * (I − K C) P (I − K C)ᵀ + K R Kᵀ, and the log evidence. The smoother is the RTS recursion with the
 * gain solved through the Cholesky factor of the predicted covariance, and lag-one covariances.
 */

export interface PlainChain {
  readonly d: number;
  readonly p: number;
  readonly A: Float64Array;
  readonly Q: Float64Array;
  readonly C: Float64Array;
  readonly R: Float64Array;
  readonly m0: Float64Array;
  readonly P0: Float64Array;
}

/** Per-step outputs, T × d and T × d × d. */
export interface PlainFilterOut {
  readonly mf: Float64Array;
  readonly Pf: Float64Array;
  readonly mp: Float64Array;
  readonly Pp: Float64Array;
}

export function plainScratch(d: number, p: number) {
  return {
    AP: new Float64Array(d * d), PCt: new Float64Array(d * p), S: new Float64Array(p * p), L: new Float64Array(p * p),
    K: new Float64Array(d * p), KR: new Float64Array(d * p), M: new Float64Array(d * d), MP: new Float64Array(d * d),
    r: new Float64Array(p), w: new Float64Array(p),
    Ld: new Float64Array(d * d), J: new Float64Array(d * d), D: new Float64Array(d * d), JD: new Float64Array(d * d), col: new Float64Array(d), diff: new Float64Array(d),
  };
}

/** Filters T observations (T × p) and returns the log evidence. */
export function plainKalmanFilter(c: PlainChain, y: Float64Array, T: number, out: PlainFilterOut, s: ReturnType<typeof plainScratch>): number {
  const { d, p, A, Q, C, R } = c, dd = d * d;
  const { mf, Pf, mp, Pp } = out;
  const { AP, PCt, S, L, K, KR, M, MP, r, w } = s;
  let logLik = 0;
  for (let t = 0; t < T; t++) {
    const md = t * d, Pd = t * dd;
    if (t === 0) {
      for (let i = 0; i < d; i++) mp[i] = c.m0[i]!;
      for (let i = 0; i < dd; i++) Pp[i] = c.P0[i]!;
    } else {
      const pm = md - d, pP = Pd - dd;
      for (let i = 0; i < d; i++) {
        let acc = 0;
        for (let k = 0; k < d; k++) acc += A[i * d + k]! * mf[pm + k]!;
        mp[md + i] = acc;
        for (let j = 0; j < d; j++) {
          let u = 0;
          for (let k = 0; k < d; k++) u += A[i * d + k]! * Pf[pP + k * d + j]!;
          AP[i * d + j] = u;
        }
      }
      for (let i = 0; i < d; i++) {
        for (let j = 0; j <= i; j++) {
          let u = Q[i * d + j]!;
          for (let k = 0; k < d; k++) u += AP[i * d + k]! * A[j * d + k]!;
          Pp[Pd + i * d + j] = u;
          Pp[Pd + j * d + i] = u;
        }
      }
    }
    // PCt = Pp Cᵀ; S = C Pp Cᵀ + R; r = y − C mp.
    for (let i = 0; i < d; i++) {
      for (let a = 0; a < p; a++) {
        let u = 0;
        for (let k = 0; k < d; k++) u += Pp[Pd + i * d + k]! * C[a * d + k]!;
        PCt[i * p + a] = u;
      }
    }
    for (let a = 0; a < p; a++) {
      let u = 0;
      for (let k = 0; k < d; k++) u += C[a * d + k]! * mp[md + k]!;
      r[a] = y[t * p + a]! - u;
      for (let b = 0; b <= a; b++) {
        let v = R[a * p + b]!;
        for (let k = 0; k < d; k++) v += C[a * d + k]! * PCt[k * p + b]!;
        S[a * p + b] = v;
        S[b * p + a] = v;
      }
    }
    // Cholesky of S.
    let logDet = 0;
    for (let j = 0; j < p; j++) {
      let v = S[j * p + j]!;
      for (let k = 0; k < j; k++) v -= L[j * p + k]! * L[j * p + k]!;
      if (!(v > 0)) throw new Error(`plain Kalman filter: S not positive definite at step ${t}`);
      const l = Math.sqrt(v);
      L[j * p + j] = l;
      logDet += Math.log(l);
      for (let i = j + 1; i < p; i++) {
        let u = S[i * p + j]!;
        for (let k = 0; k < j; k++) u -= L[i * p + k]! * L[j * p + k]!;
        L[i * p + j] = u / l;
      }
    }
    // w = S⁻¹ r; each row of K solves S k = PCt[i, :].
    for (let i = 0; i < p; i++) {
      let u = r[i]!;
      for (let k = 0; k < i; k++) u -= L[i * p + k]! * w[k]!;
      w[i] = u / L[i * p + i]!;
    }
    for (let i = p - 1; i >= 0; i--) {
      let u = w[i]!;
      for (let k = i + 1; k < p; k++) u -= L[k * p + i]! * w[k]!;
      w[i] = u / L[i * p + i]!;
    }
    let quad = 0;
    for (let a = 0; a < p; a++) quad += r[a]! * w[a]!;
    for (let row = 0; row < d; row++) {
      const o = row * p;
      for (let i = 0; i < p; i++) {
        let u = PCt[o + i]!;
        for (let k = 0; k < i; k++) u -= L[i * p + k]! * K[o + k]!;
        K[o + i] = u / L[i * p + i]!;
      }
      for (let i = p - 1; i >= 0; i--) {
        let u = K[o + i]!;
        for (let k = i + 1; k < p; k++) u -= L[k * p + i]! * K[o + k]!;
        K[o + i] = u / L[i * p + i]!;
      }
    }
    // mf = mp + K r; Joseph form Pf = M Pp Mᵀ + K R Kᵀ with M = I − K C.
    for (let i = 0; i < d; i++) {
      let u = mp[md + i]!;
      for (let a = 0; a < p; a++) u += K[i * p + a]! * r[a]!;
      mf[md + i] = u;
      for (let j = 0; j < d; j++) {
        let v = i === j ? 1 : 0;
        for (let a = 0; a < p; a++) v -= K[i * p + a]! * C[a * d + j]!;
        M[i * d + j] = v;
      }
      for (let a = 0; a < p; a++) {
        let v = 0;
        for (let b = 0; b < p; b++) v += K[i * p + b]! * R[b * p + a]!;
        KR[i * p + a] = v;
      }
    }
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let u = 0;
        for (let k = 0; k < d; k++) u += M[i * d + k]! * Pp[Pd + k * d + j]!;
        MP[i * d + j] = u;
      }
    }
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        let u = 0;
        for (let k = 0; k < d; k++) u += MP[i * d + k]! * M[j * d + k]!;
        for (let a = 0; a < p; a++) u += KR[i * p + a]! * K[j * p + a]!;
        Pf[Pd + i * d + j] = u;
        Pf[Pd + j * d + i] = u;
      }
    }
    logLik += -0.5 * (p * Math.log(2 * Math.PI) + 2 * logDet + quad);
  }
  return logLik;
}

/** RTS smoothing of T filtered steps into ms (T × d), Ps and the lag-one covariances Cx (T × d × d). */
export function plainRtsSmoother(
  c: PlainChain, T: number, f: PlainFilterOut, ms: Float64Array, Ps: Float64Array, Cx: Float64Array, s: ReturnType<typeof plainScratch>,
): void {
  const { d, A } = c, dd = d * d, { mf, Pf, mp, Pp } = f, { AP, Ld: L, J, D, JD, col, diff } = s;
  for (let i = 0; i < d; i++) ms[(T - 1) * d + i] = mf[(T - 1) * d + i]!;
  for (let i = 0; i < dd; i++) Ps[(T - 1) * dd + i] = Pf[(T - 1) * dd + i]!;
  for (let i = 0; i < dd; i++) Cx[i] = 0;
  for (let t = T - 2; t >= 0; t--) {
    const fo = t * dd, n = (t + 1) * dd;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let u = 0;
        for (let k = 0; k < d; k++) u += A[i * d + k]! * Pf[fo + k * d + j]!;
        AP[i * d + j] = u;
      }
    }
    // Cholesky of Pp_{t+1}; Jᵀ = Pp⁻¹ A Pf column by column.
    for (let j = 0; j < d; j++) {
      let v = Pp[n + j * d + j]!;
      for (let k = 0; k < j; k++) v -= L[j * d + k]! * L[j * d + k]!;
      if (!(v > 0)) throw new Error(`plain RTS smoother: Pp not positive definite at step ${t + 1}`);
      const l = Math.sqrt(v);
      L[j * d + j] = l;
      for (let i = j + 1; i < d; i++) {
        let u = Pp[n + i * d + j]!;
        for (let k = 0; k < j; k++) u -= L[i * d + k]! * L[j * d + k]!;
        L[i * d + j] = u / l;
      }
    }
    for (let j = 0; j < d; j++) {
      for (let i = 0; i < d; i++) {
        let u = AP[i * d + j]!;
        for (let k = 0; k < i; k++) u -= L[i * d + k]! * col[k]!;
        col[i] = u / L[i * d + i]!;
      }
      for (let i = d - 1; i >= 0; i--) {
        let u = col[i]!;
        for (let k = i + 1; k < d; k++) u -= L[k * d + i]! * col[k]!;
        col[i] = u / L[i * d + i]!;
      }
      for (let i = 0; i < d; i++) J[j * d + i] = col[i]!;
    }
    for (let i = 0; i < d; i++) diff[i] = ms[(t + 1) * d + i]! - mp[(t + 1) * d + i]!;
    for (let i = 0; i < d; i++) {
      let u = mf[t * d + i]!;
      for (let k = 0; k < d; k++) u += J[i * d + k]! * diff[k]!;
      ms[t * d + i] = u;
    }
    for (let i = 0; i < dd; i++) D[i] = Ps[n + i]! - Pp[n + i]!;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let u = 0;
        for (let k = 0; k < d; k++) u += J[i * d + k]! * D[k * d + j]!;
        JD[i * d + j] = u;
      }
    }
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        let u = Pf[fo + i * d + j]!;
        for (let k = 0; k < d; k++) u += JD[i * d + k]! * J[j * d + k]!;
        Ps[fo + i * d + j] = u;
        Ps[fo + j * d + i] = u;
      }
      for (let j = 0; j < d; j++) {
        let u = 0;
        for (let k = 0; k < d; k++) u += Ps[n + i * d + k]! * J[j * d + k]!;
        Cx[n + i * d + j] = u;
      }
    }
  }
}
