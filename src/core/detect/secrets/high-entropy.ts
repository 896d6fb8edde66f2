// Generic secrets with no vendor prefix: a value assigned to a credential-named key
// (`api_key = "…"`, `"client_secret": "…"`, `Authorization: Bearer …`, `DB_PASSWORD=…`) whose
// Shannon entropy is high enough for its length and character set. Values a vendor detector also
// matches are dropped by runDetectors in favour of the specific type.
import { shannonEntropy } from '../entropy.js';
import { hasAscendingRun } from '../token-shape.js';
import type { Detector, Finding } from '../types.js';

// A credential word; the identifier around it is checked in code (word parts, not substrings).
const KEYWORD = /key|token|secret|passw|pwd|passphrase|credential|auth|bearer/gi;
const PARTS = new Set([
  'key', 'keys', 'apikey', 'token', 'tokens', 'secret', 'secrets', 'password', 'passwd', 'pwd',
  'passphrase', 'credential', 'credentials', 'auth', 'authorization', 'bearer', 'accesskey',
  'secretkey', 'privatekey', 'authtoken', 'accesstoken', 'pass',
]);
/** Parts that turn a credential word into something else (`key_id`, `token_url`, `password_hint`). */
const NOT_SECRET_PARTS = new Set(['id', 'ids', 'url', 'uri', 'name', 'names', 'file', 'path', 'hint', 'length', 'len', 'type', 'count', 'size', 'endpoint', 'header', 'field', 'env', 'var', 'policy', 'format', 'prefix', 'public', 'pub', 'cache', 'count', 'limit', 'max', 'usage']);
// Sticky: tried at one offset each.
const ASSIGN = /["']?\s{0,3}(?::=|=>|==?|:)\s{0,3}/y;
const SCHEME = /(?:Bearer|Basic|Token|token|bearer)\s{1,3}/y;
const VALUE_CHARS = /[^\s"'`,;)}\]<>]{1,256}/y;
const MIN_LEN = 12;
const COMPOUND_BEFORE = /(?:api|access|secret|private|auth)$/i;

/** [A-Za-z0-9_.-] */
function isIdentChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45;
}

/** Entropy a value of this length and alphabet must reach, in bits per character. */
export function entropyThreshold(value: string): number {
  const hex = /^[0-9a-fA-F]+$/.test(value);
  const cap = hex ? 3.0 : 3.5;
  return Math.min(cap, Math.log2(value.length) * 0.85);
}

/**
 * Whether the identifier text[a, b) names a credential: one of its word parts (split at `_.-` and
 * at lower→upper camelCase steps) is a credential word and none is a disqualifier (`token_url`).
 */
function namesCredential(text: string, a: number, b: number): boolean {
  let credential = false;
  let partStart = a;
  for (let i = a; i <= b; i++) {
    const c = i < b ? text.charCodeAt(i) : 46;
    const sep = c === 95 || c === 46 || c === 45;
    const camel = c >= 65 && c <= 90 && i > partStart && isLower(text.charCodeAt(i - 1));
    if (!sep && !camel) continue;
    if (i > partStart) {
      const part = text.slice(partStart, i).toLowerCase();
      if (NOT_SECRET_PARTS.has(part)) return false;
      if (PARTS.has(part)) credential = true;
    }
    partStart = sep ? i + 1 : i;
  }
  return credential;
}

function isLower(c: number): boolean {
  return c >= 97 && c <= 122;
}

/** Values that are references or placeholders, never literal credentials. */
function isReference(v: string): boolean {
  const c = v.charCodeAt(0);
  // $VAR, ${…}, {{…}}, <…>, %(…)s, /path, ./path, ~/path
  if (c === 36 || c === 123 || c === 60 || c === 37 || c === 47 || c === 126 || (c === 46 && v.charCodeAt(1) === 47)) return true;
  if (v.indexOf('://') >= 0 || v.indexOf('(') >= 0) return true;
  if (/^(?:process\.env|os\.environ|env\.|secrets\.|vars\.|self\.|this\.|config\.|settings\.)/.test(v)) return true;
  if (/^[a-z_.-]+$/.test(v) || /^[A-Z_]+$/.test(v)) return true; // identifiers, ENV_NAMES
  if (/^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$/.test(v)) return true; // dotted member access
  if (/^(?:x+|X+|\*+|\.+|#+|-+)$/.test(v) || /^(?:your|my|example|dummy|changeme|placeholder|redacted|todo)[\w-]*$/i.test(v)) return true;
  return false;
}

export const highEntropyDetector: Detector = {
  id: 'high-entropy',
  kind: 'secret',
  types: ['HIGH_ENTROPY'],
  scan(text: string, out: Finding[]): void {
    KEYWORD.lastIndex = 0;
    for (let m = KEYWORD.exec(text); m !== null; m = KEYWORD.exec(text)) {
      // A lower-case keyword glued to a lower-case letter (`monkey`, `xkey`) starts no word part,
      // unless it completes a compound credential word (`apikey`, `authtoken`).
      const before = m.index > 0 ? text.charCodeAt(m.index - 1) : 0;
      if (isLower(before) && isLower(text.charCodeAt(m.index)) && !COMPOUND_BEFORE.test(text.slice(Math.max(0, m.index - 7), m.index))) {
        continue;
      }
      // Expand to the whole identifier around the keyword (bounded both ways).
      let a = m.index;
      const aMin = Math.max(0, m.index - 48);
      while (a > aMin && isIdentChar(text.charCodeAt(a - 1))) a--;
      let b = m.index + m[0].length;
      const bMax = Math.min(text.length, b + 48);
      while (b < bMax && isIdentChar(text.charCodeAt(b))) b++;
      KEYWORD.lastIndex = b;
      // The assignment first (cheap, and absent for most keywords in prose), then the name.
      ASSIGN.lastIndex = b;
      const assign = ASSIGN.exec(text);
      if (assign === null || !namesCredential(text, a, b)) continue;
      let off = b + assign[0].length;
      const q = text[off];
      const quoted = q === '"' || q === "'" || q === '`';
      if (quoted) off++;
      SCHEME.lastIndex = off;
      const scheme = SCHEME.exec(text);
      if (scheme !== null) off += scheme[0].length;
      VALUE_CHARS.lastIndex = off;
      const vm = VALUE_CHARS.exec(text);
      if (vm === null) continue;
      // Whatever the verdict, the value is consumed: a keyword inside it is not a new assignment
      // (this keeps `key=key=key=…` linear).
      KEYWORD.lastIndex = off + vm[0].length;
      let value = vm[0];
      // A URL query parameter (`?api_key=…&x=1`) ends at the next parameter or fragment.
      const param = a > 0 && (text.charCodeAt(a - 1) === 63 || text.charCodeAt(a - 1) === 38);
      if (param) value = value.replace(/[&#].*$/, '');
      // Unquoted values end at sentence punctuation.
      if (!quoted) value = value.replace(/[.:!?]+$/, '');
      if (value.length < MIN_LEN || isReference(value) || hasAscendingRun(value)) continue;
      if (quoted && text[off + value.length] !== q) continue;
      const h = shannonEntropy(value);
      const need = entropyThreshold(value);
      if (h < need) continue;
      // Real tokens nearly always carry a digit; without one, demand length and mixed case.
      const hasDigit = /[0-9]/.test(value);
      if (!hasDigit && !(value.length >= 24 && /[A-Z]/.test(value) && /[a-z]/.test(value))) continue;
      const start = off;
      out.push({
        kind: 'secret',
        type: 'HIGH_ENTROPY',
        start,
        end: start + value.length,
        confidence: Math.round(Math.min(0.8, 0.5 + (h - need) * 0.3) * 100) / 100,
      });
    }
  },
};
