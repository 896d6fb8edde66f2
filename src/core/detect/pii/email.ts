// Email addresses: a local part and a dotted domain ending in an alphabetic TLD. Anchored at each
// '@' that a domain label and a dot follow: the local part's start is found by walking back at most
// 64 characters and the pattern is tried there once, so the cost follows the number of such '@'.
import type { Detector, Finding } from '../types.js';

// Starts behind a boundary look-behind; every quantifier is bounded (RFC 5321 limits: 64-char
// local part, 63-char labels).
const EMAIL =
  /(?<![A-Za-z0-9._%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}([A-Za-z]{2,24})(?![A-Za-z0-9-]|\.[A-Za-z0-9])/y;

/**
 * An '@' followed by a first domain label and a dot: found by the regex engine, so hostile input
 * ('a@' × 50k) costs no JavaScript per '@'. Only these are expanded and tried.
 */
const AT_DOMAIN = /@(?=[A-Za-z0-9][A-Za-z0-9-]{0,62}\.[A-Za-z0-9])/g;

/** File extensions that look like TLDs after an `@2x`-style asset name (`icon@2x.png`). */
const FILE_EXTENSIONS = new Set([
  'png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'ico', 'bmp', 'tif', 'tiff', 'avif', 'heic', 'pdf',
  'js', 'mjs', 'cjs', 'ts', 'tsx', 'jsx', 'css', 'scss', 'json', 'yaml', 'yml', 'md', 'txt',
  'html', 'htm', 'xml', 'py', 'rb', 'go', 'rs', 'java', 'kt', 'sh', 'lock', 'map', 'wasm', 'zip', 'gz',
]);

/** True when the local part starting at `localStart` sits in a URL's userinfo (`scheme://user:pass@host`), which is not an address. */
function inUrlUserinfo(text: string, localStart: number): boolean {
  const from = Math.max(0, localStart - 256);
  for (let i = localStart - 1; i >= from; i--) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 34 || c === 39 || c === 60) return false;
    if (c === 47 && i > 0 && text.charCodeAt(i - 1) === 47 && i > 1 && text.charCodeAt(i - 2) === 58) return true;
  }
  return false;
}

export const emailDetector: Detector = {
  id: 'email',
  kind: 'pii',
  types: ['EMAIL'],
  scan(text: string, out: Finding[]): void {
    // indexOf jumps to the next '@' (fast on prose); from there the regex skips, natively, every
    // '@' that no domain follows.
    for (let from = text.indexOf('@'); from >= 0; from = text.indexOf('@', from)) {
      AT_DOMAIN.lastIndex = from;
      const a = AT_DOMAIN.exec(text);
      if (a === null) return;
      const at = a.index;
      from = at + 1;
      let start = at;
      const min = Math.max(0, at - 65);
      while (start > min && isLocalChar(text.charCodeAt(start - 1))) start--;
      if (start === at) continue;
      EMAIL.lastIndex = start;
      const m = EMAIL.exec(text);
      if (m === null) continue;
      const end = start + m[0].length;
      from = end;
      const tld = (m[1] as string).toLowerCase();
      if (FILE_EXTENSIONS.has(tld)) continue;
      const prev = start > 0 ? text.charCodeAt(start - 1) : 0;
      // `scheme://user:pass@host` userinfo and `git@host:org/repo` remotes are not addresses.
      if ((prev === 58 || prev === 47) && inUrlUserinfo(text, start)) continue;
      if (text.charCodeAt(end) === 58 && text.startsWith('git@', start)) continue;
      out.push({ kind: 'pii', type: 'EMAIL', start, end, confidence: 0.95 });
    }
  },
};

/** [A-Za-z0-9._%+-] */
function isLocalChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
}
