// IBANs: a country code from the IBAN registry, two check digits and the country's fixed-length
// BBAN, compact or in groups of four, passing the ISO 7064 mod-97 check.
import { ibanChecksumValid } from '../checksums.js';
import type { Detector, Finding } from '../types.js';

// Upper-case only; the optional single spaces make each step deterministic, and the run is bounded.
const IBAN = /(?<![A-Za-z0-9])([A-Z]{2})([0-9]{2})(?: ?[A-Z0-9]){11,30}(?![a-z0-9])/g;

/** IBAN length per country (SWIFT IBAN registry). */
const LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22,
  IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
  LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18,
  NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31,
  SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29,
  VA: 22, VG: 24, XK: 20, YE: 30,
};

/**
 * Length (in the original text) of the IBAN the candidate starts with, or 0: the compact form must
 * have the country's length, and when the candidate ran on (`… 32 EUR`) it must stop at a space.
 */
function ibanLength(cand: string): number {
  const want = LENGTHS[cand.slice(0, 2)];
  if (want === undefined) return 0;
  let compact = '';
  let i = 0;
  for (; i < cand.length && compact.length < want; i++) {
    const c = cand[i] as string;
    if (c !== ' ') compact += c;
  }
  if (compact.length !== want) return 0;
  if (i < cand.length && cand[i] !== ' ') return 0;
  if (!ibanChecksumValid(compact)) return 0;
  // Spaced IBANs are written in groups of four.
  if (cand.slice(0, i).indexOf(' ') >= 0 && !/^[A-Z0-9]{4}(?: [A-Z0-9]{4})*(?: [A-Z0-9]{1,3})?$/.test(cand.slice(0, i))) return 0;
  return i;
}

export const ibanDetector: Detector = {
  id: 'iban',
  kind: 'pii',
  types: ['IBAN'],
  scan(text: string, out: Finding[]): void {
    IBAN.lastIndex = 0;
    for (let m = IBAN.exec(text); m !== null; m = IBAN.exec(text)) {
      const len = ibanLength(m[0]);
      if (len === 0) continue;
      out.push({ kind: 'pii', type: 'IBAN', start: m.index, end: m.index + len, confidence: 0.95 });
      // Resume right after the IBAN so a following match is not swallowed by this candidate.
      IBAN.lastIndex = m.index + len;
    }
  },
};
