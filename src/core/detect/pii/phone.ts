// Phone numbers in two shapes that plain numbers, dates, versions and IP addresses do not take:
// international (`+` or `00` then a country code, 8–15 digits in all, E.164) and NANP with
// separators (`(415) 555-0132`, `415-555-0132`, `+1 415 555 0132`). Bare digit runs are not phones:
// without separators a ten-digit number is as likely an order id or a timestamp.
import type { Detector, Finding } from '../types.js';

// A '+' or '00' not glued to a word or another number, then digits and separators (bounded run).
const INTERNATIONAL = /(?<![\w+.\/-])(?:\+|00)[1-9][0-9 ().\-]{6,22}[0-9]/g;
// NANP: optional country code 1, area code in parentheses or followed by a separator, exchange,
// separator, line number. Fixed length, no nested quantifiers.
const NANP =
  /(?<![\w+.\/-])(?:1[ .-]?)?(?:\(([2-9][0-9]{2})\)[ .-]?|([2-9][0-9]{2})([ .-]))([2-9][0-9]{2})([ .-])([0-9]{4})(?![\w]|[.\/-][0-9])/g;

const DATE_LIKE = /^\+?\d{4}[-./]\d{1,2}[-./]\d{1,2}$/;

/**
 * Digits and grouping of an international candidate: 8–15 digits; separators are single spaces,
 * one kind of '-' or '.', and one balanced pair of parentheses (`+44 (0)20 7946 0958`). `openParen`
 * is true when the candidate is preceded by '(' (`(+44) 20 …`), whose ')' then closes inside it.
 */
function internationalValid(cand: string, openParen: boolean): boolean {
  let digits = 0;
  let groups = 0;
  let depth = openParen ? 1 : 0;
  let parens = openParen ? 1 : 0;
  let punct = -1;
  let prev = 0;
  for (let i = cand.charCodeAt(0) === 43 ? 1 : 2; i < cand.length; i++) {
    const c = cand.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (!(prev >= 48 && prev <= 57)) groups++;
      digits++;
    } else if (c === 40) {
      if (depth > 0 || ++parens > 1 || !(prev === 32 || (prev >= 48 && prev <= 57))) return false;
      depth++;
    } else if (c === 41) {
      if (depth === 0 || !(prev >= 48 && prev <= 57)) return false;
      depth--;
    } else if (c === 32) {
      if (prev === 32 || prev === 45 || prev === 46 || prev === 40) return false;
    } else {
      // '-' or '.': after a digit or ')', and the same kind throughout.
      if (!((prev >= 48 && prev <= 57) || prev === 41)) return false;
      if (punct >= 0 && punct !== c) return false;
      punct = c;
    }
    prev = c;
  }
  if (depth !== 0 || digits < 8 || digits > 15 || groups > 7) return false;
  // More than 13 digits with no grouping after the country code reads as an id, not a number.
  return !(groups === 1 && digits > 13);
}

export const phoneDetector: Detector = {
  id: 'phone',
  kind: 'pii',
  types: ['PHONE'],
  scan(text: string, out: Finding[]): void {
    const firstOut = out.length;
    if (text.indexOf('+') >= 0 || text.indexOf('00') >= 0) {
      INTERNATIONAL.lastIndex = 0;
      for (let m = INTERNATIONAL.exec(text); m !== null; m = INTERNATIONAL.exec(text)) {
        const cand = m[0];
        // The candidate must not run on into more digits or a word.
        const end = m.index + cand.length;
        const next = text.charCodeAt(end);
        if ((next >= 48 && next <= 57) || (next >= 65 && next <= 90) || (next >= 97 && next <= 122) || next === 95) continue;
        if ((next === 46 || next === 45) && isDigit(text.charCodeAt(end + 1))) continue;
        if (DATE_LIKE.test(cand)) continue;
        if (cand.charCodeAt(0) === 48) {
          // `00` dialling prefix: needs a separated country code, and must not continue a digit
          // group (`3566 0020 2036 0505`, `DE89 3704 0044 …`).
          if (!/^00[1-9]\d{0,2}[ .-]/.test(cand)) continue;
          if (m.index >= 2 && text.charCodeAt(m.index - 1) === 32 && isDigit(text.charCodeAt(m.index - 2))) continue;
        }
        const openParen = m.index > 0 && text.charCodeAt(m.index - 1) === 40 && cand.indexOf(')') >= 0;
        if (!internationalValid(cand, openParen)) continue;
        const start = openParen ? m.index - 1 : m.index;
        out.push({ kind: 'pii', type: 'PHONE', start, end, confidence: cand.charCodeAt(0) === 43 ? 0.85 : 0.7 });
      }
    }
    NANP.lastIndex = 0;
    for (let m = NANP.exec(text); m !== null; m = NANP.exec(text)) {
      const area = m[1] ?? m[2];
      // N11 codes (211…911) are service codes, never area codes.
      if (area === undefined || (area[1] === '1' && area[2] === '1')) continue;
      // Dashes and dots must agree (`415-555.0132` is rarely a phone); parentheses may mix with either.
      const sep1 = m[3];
      const sep2 = m[5] as string;
      if (sep1 !== undefined && sep1 !== sep2) continue;
      const start = m.index;
      const end = start + m[0].length;
      if (overlapsFrom(out, firstOut, start, end)) continue;
      out.push({ kind: 'pii', type: 'PHONE', start, end, confidence: m[1] !== undefined || sep2 === '-' ? 0.8 : 0.65 });
    }
  },
};

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function overlapsFrom(out: readonly Finding[], from: number, start: number, end: number): boolean {
  for (let i = from; i < out.length; i++) {
    const f = out[i] as Finding;
    if (f.start < end && start < f.end) return true;
  }
  return false;
}
