// Shape tests shared by the secret detectors: is a candidate random enough to be a credential
// rather than a placeholder (`sk-xxxx…`, `ghp_abcdef…`) or an identifier.
import { shannonEntropy } from './entropy.js';

const ASCENDING_RUN = 6;

/** True when `s` holds a strictly ascending run (`abcdef`, `123456`) of ASCENDING_RUN characters. */
export function hasAscendingRun(s: string): boolean {
  let run = 1;
  for (let i = 1; i < s.length; i++) {
    if (s.charCodeAt(i) === s.charCodeAt(i - 1) + 1) {
      if (++run >= ASCENDING_RUN) return true;
    } else run = 1;
  }
  return false;
}

/**
 * True when the key body after a vendor prefix looks generated: enough entropy for its length,
 * `classes` of upper/lower/digit, and no ascending filler (`abcdef`, `123456`). Vendor prefixes already make the
 * match specific, so the bar is only "not a placeholder".
 */
export function looksRandom(body: string, classes = 2): boolean {
  if (body.length < 8) return false;
  let upper = 0;
  let lower = 0;
  let digit = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c >= 65 && c <= 90) upper = 1;
    else if (c >= 97 && c <= 122) lower = 1;
    else if (c >= 48 && c <= 57) digit = 1;
  }
  if (upper + lower + digit < classes) return false;
  const h = shannonEntropy(body);
  if (h < Math.min(3.2, Math.log2(body.length) * 0.8)) return false;
  return !hasAscendingRun(body);
}
