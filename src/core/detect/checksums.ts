// Check-digit rules the PII detectors validate candidates with: Luhn (payment cards) and ISO 7064
// mod 97-10 (IBAN). Both take the candidate's characters as they appear and skip separators.

/** Luhn over the first `n` digit values of `digits` (most significant first). */
export function luhnDigitsValid(digits: ArrayLike<number>, n: number): boolean {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let d = digits[n - 1 - i] as number;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return n > 0 && sum % 10 === 0;
}

/** Luhn over the digits of `s` (spaces and dashes ignored); false when it holds anything else or no digit. */
export function luhnValid(s: string): boolean {
  const digits: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 45) continue;
    if (c < 48 || c > 57) return false;
    digits.push(c - 48);
  }
  return luhnDigitsValid(digits, digits.length);
}

/**
 * ISO 13616 check: move the first four characters to the end, read letters as 10..35, and the
 * number mod 97 must be 1. `iban` is compact (no spaces) and upper-case.
 */
export function ibanChecksumValid(iban: string): boolean {
  if (iban.length < 5) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97;
    else return false;
  }
  return rem === 1;
}
