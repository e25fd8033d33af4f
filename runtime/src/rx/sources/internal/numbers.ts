/** Number parsing straight from a line's characters, without a substring per value. */

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k); // exact doubles up to 1e22

function isPad(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * Parses the decimal number in s[a, b) (surrounding spaces/tabs allowed): [+-]digits[.digits][e[+-]digits].
 * Returns NaN for anything else (empty, "NaN", "Infinity", hex, stray characters) and ±Infinity on overflow.
 * Exact: up to 15 significant digits and |exponent| ≤ 22 the value is m·10^e with both factors exact,
 * so one IEEE operation rounds correctly (Clinger's fast path); other inputs, already checked for
 * syntax, go to Number(), which is correctly rounded too.
 */
export function parseNumber(s: string, a: number, b: number): number {
  while (a < b && isPad(s.charCodeAt(a))) a++;
  while (b > a && isPad(s.charCodeAt(b - 1))) b--;
  let i = a, neg = false;
  let c = s.charCodeAt(i);
  if (c === 45 || c === 43) {
    neg = c === 45;
    i++;
  }
  let m = 0, sig = 0, exp = 0, digits = 0;
  for (; i < b; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    digits++;
    if (m !== 0 || d !== 0) {
      m = m * 10 + d;
      sig++;
    }
  }
  if (i < b && s.charCodeAt(i) === 46) {
    for (i++; i < b; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      digits++;
      exp--;
      if (m !== 0 || d !== 0) {
        m = m * 10 + d;
        sig++;
      }
    }
  }
  if (digits === 0) return NaN;
  if (i < b && (s.charCodeAt(i) | 32) === 101) {
    i++;
    let eneg = false, e = 0, edigits = 0;
    c = s.charCodeAt(i);
    if (c === 45 || c === 43) {
      eneg = c === 45;
      i++;
    }
    for (; i < b; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      edigits++;
      if (e < 1e6) e = e * 10 + d; // beyond this the value is 0 or Infinity anyway (Number() decides)
    }
    if (edigits === 0) return NaN;
    exp += eneg ? -e : e;
  }
  if (i !== b) return NaN;
  if (sig > 15 || exp > 22 || exp < -22) return Number(s.slice(a, b));
  const v = exp >= 0 ? m * POW10[exp]! : m / POW10[-exp]!;
  return neg ? -v : v;
}
