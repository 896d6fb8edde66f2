// Payment card numbers: 13–19 digits, contiguous or grouped by one kind of separator (space or
// dash), Luhn-valid and with an issuer prefix and length that a card network uses. The issuer check
// matters: one random digit string in ten passes Luhn.
import { luhnDigitsValid } from '../checksums.js';
import type { Detector, Finding } from '../types.js';

// Digits with optional single separators, starting at a number boundary; bounded, and each step
// has one way to match, so a long digit run costs one attempt.
const CARD = /(?<![\w.,+\/-])[0-9](?:[ -]?[0-9]){12,18}(?![\w]|[.,\/-][0-9])/g;

interface Network {
  prefixes: readonly [number, number][]; // inclusive ranges over the leading digits
  width: number; // how many leading digits the ranges compare
  lengths: readonly number[];
}

// Issuer identification ranges (ISO/IEC 7812) for the networks a prompt is likely to carry.
const NETWORKS: readonly Network[] = [
  { width: 1, prefixes: [[4, 4]], lengths: [13, 16, 19] }, // Visa
  { width: 2, prefixes: [[51, 55]], lengths: [16] }, // Mastercard
  { width: 4, prefixes: [[2221, 2720]], lengths: [16] }, // Mastercard 2-series
  { width: 2, prefixes: [[34, 34], [37, 37]], lengths: [15] }, // American Express
  { width: 4, prefixes: [[6011, 6011]], lengths: [16, 17, 18, 19] }, // Discover
  { width: 3, prefixes: [[644, 649]], lengths: [16, 17, 18, 19] }, // Discover
  { width: 2, prefixes: [[65, 65]], lengths: [16, 17, 18, 19] }, // Discover
  { width: 3, prefixes: [[300, 305]], lengths: [14, 16, 17, 18, 19] }, // Diners Club
  { width: 2, prefixes: [[36, 36], [38, 39]], lengths: [14, 16, 17, 18, 19] }, // Diners Club
  { width: 4, prefixes: [[3528, 3589]], lengths: [16, 17, 18, 19] }, // JCB
  { width: 2, prefixes: [[62, 62]], lengths: [16, 17, 18, 19] }, // UnionPay
  { width: 2, prefixes: [[50, 50], [56, 58]], lengths: [13, 14, 15, 16, 17, 18, 19] }, // Maestro
  { width: 4, prefixes: [[6304, 6304], [6759, 6759], [6761, 6763]], lengths: [13, 14, 15, 16, 17, 18, 19] }, // Maestro
  { width: 4, prefixes: [[2200, 2204]], lengths: [16, 17, 18, 19] }, // Mir
];

const digitsBuf = new Uint8Array(19);

function issuerMatches(n: number): boolean {
  for (const net of NETWORKS) {
    if (!net.lengths.includes(n)) continue;
    let lead = 0;
    for (let i = 0; i < net.width; i++) lead = lead * 10 + (digitsBuf[i] as number);
    for (const [lo, hi] of net.prefixes) if (lead >= lo && lead <= hi) return true;
  }
  return false;
}

/**
 * Whether text[start, end) is a card number: 13–19 digits, grouped as a person writes them (no
 * separators, or one kind of separator between 2–5 groups of 3–7 digits), an issuer's prefix and
 * length, and a valid Luhn check digit. One pass, no allocation: the regex can hand it thousands
 * of candidates on hostile input.
 */
function isCard(text: string, start: number, end: number): boolean {
  let n = 0;
  let sep = 0;
  let groups = 1;
  let groupLen = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (n === 19) return false;
      digitsBuf[n++] = c - 48;
      groupLen++;
      continue;
    }
    if (sep === 0) sep = c;
    else if (sep !== c) return false;
    if (groupLen < 3 || groupLen > 7) return false;
    groups++;
    groupLen = 0;
  }
  if (n < 13 || (sep !== 0 && (groupLen < 3 || groupLen > 7 || groups > 5))) return false;
  return issuerMatches(n) && luhnDigitsValid(digitsBuf, n);
}

/**
 * Length of the card number the candidate at `start` starts with, or 0. A grouped candidate that
 * fails may have swallowed a following number (`4111 1111 1111 1111 123 items`), so shorter
 * prefixes ending at a group boundary are tried too (at most four).
 */
function cardLength(text: string, start: number, end: number): number {
  if (isCard(text, start, end)) return end - start;
  for (let i = end - 1; i > start + 12; i--) {
    const c = text.charCodeAt(i);
    if ((c === 32 || c === 45) && isCard(text, start, i)) return i - start;
  }
  return 0;
}

export const cardDetector: Detector = {
  id: 'card',
  kind: 'pii',
  types: ['CARD'],
  scan(text: string, out: Finding[]): void {
    CARD.lastIndex = 0;
    for (let m = CARD.exec(text); m !== null; m = CARD.exec(text)) {
      // A separator within the first three digits (`1 2 3 …`) is no card grouping.
      const c1 = m[0].charCodeAt(1);
      const c2 = m[0].charCodeAt(2);
      if (c1 === 32 || c1 === 45 || c2 === 32 || c2 === 45) continue;
      const len = cardLength(text, m.index, m.index + m[0].length);
      if (len === 0) continue;
      const grouped = text.charCodeAt(m.index + 4) === 32 || text.charCodeAt(m.index + 4) === 45;
      out.push({ kind: 'pii', type: 'CARD', start: m.index, end: m.index + len, confidence: grouped ? 0.95 : 0.85 });
    }
  },
};
