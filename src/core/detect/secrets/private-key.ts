// PEM and PGP private key blocks: the whole block from BEGIN to END is the finding. A block whose
// body is a placeholder (`...`) is documentation, not a key; a block cut off before its END line
// (a truncated paste) still counts up to where its base64 stops.
import type { Detector, Finding } from '../types.js';

const BEGIN = /-----BEGIN ((?:[A-Z0-9]{1,12} ){0,3})PRIVATE KEY( BLOCK)?-----/g;
/** How far to look for the END line: larger than any RSA-16384 PEM. */
const MAX_BLOCK = 16 * 1024;
const MIN_BODY = 64;

/** Counts base64 characters in text[from, to) and returns the offset after the last one. */
function base64Extent(text: string, from: number, to: number): { count: number; last: number } {
  let count = 0;
  let last = from;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    const b64 = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 61;
    if (b64) {
      count++;
      last = i + 1;
    } else if (!(c === 10 || c === 13 || c === 32 || c === 9 || c === 92 /* \n escaped in JSON */)) {
      // A header line (`Proc-Type: 4,ENCRYPTED`) is allowed; anything else ends a truncated body.
      if (c !== 58 && c !== 44 && c !== 45) break;
    }
  }
  return { count, last };
}

export const privateKeyDetector: Detector = {
  id: 'private-key',
  kind: 'secret',
  types: ['PRIVATE_KEY'],
  scan(text: string, out: Finding[]): void {
    if (text.indexOf('-----BEGIN ') < 0) return;
    BEGIN.lastIndex = 0;
    for (let m = BEGIN.exec(text); m !== null; m = BEGIN.exec(text)) {
      const label = `${m[1] ?? ''}PRIVATE KEY${m[2] ?? ''}`;
      const bodyStart = m.index + m[0].length;
      const endMarker = `-----END ${label}-----`;
      const endAt = text.indexOf(endMarker, bodyStart);
      let end: number;
      let body: number;
      if (endAt >= 0 && endAt - bodyStart <= MAX_BLOCK) {
        body = base64Extent(text, bodyStart, endAt).count;
        end = endAt + endMarker.length;
      } else {
        const ext = base64Extent(text, bodyStart, Math.min(text.length, bodyStart + MAX_BLOCK));
        body = ext.count;
        end = ext.last;
      }
      if (body < MIN_BODY) continue;
      out.push({ kind: 'secret', type: 'PRIVATE_KEY', start: m.index, end, confidence: endAt >= 0 ? 0.99 : 0.9 });
      BEGIN.lastIndex = end;
    }
  },
};
