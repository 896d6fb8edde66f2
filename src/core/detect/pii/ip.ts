// IP addresses: dotted-quad IPv4 (no leading zeros, not part of a longer dotted number or a
// version string) and IPv6 in RFC 4291 text form (full, `::`-compressed, with an embedded IPv4).
import type { Detector, Finding } from '../types.js';

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
// Not glued to a word, a dot or another number on either side (`1.2.3.4.5`, `v1.2.3.4` are versions).
const IPV4 = new RegExp(`(?<![\\w.-])${OCTET}(?:\\.${OCTET}){3}(?!\\w|\\.[0-9])`, 'g');
// Hex groups and colons, tried only at the start of a hex/colon run around a ':' (sticky);
// validated in code. The hex and ':' classes are disjoint, so each step has one way to match.
const IPV6 = /(?<![\w:.])(?:[0-9A-Fa-f]{1,4}|:)?(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.[0-9]{1,3}){0,3}(?![\w:]|\.[0-9])/y;
const VERSION_BEFORE = /(?:\bv|version|release|build|ver\.?)\s{0,2}$/i;

/** True for RFC 4291 text: eight groups, or fewer with exactly one `::`, optionally ending in IPv4. */
export function ipv6Valid(s: string): boolean {
  let body = s;
  let groupsForV4 = 0;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.indexOf('.') >= 0) {
    if (!/^(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$/.test(tail)) return false;
    body = s.slice(0, lastColon + 1) + '0';
    groupsForV4 = 1; // the IPv4 takes two groups; '0' stands for one of them
  }
  const dbl = body.indexOf('::');
  if (dbl >= 0 && body.indexOf('::', dbl + 1) >= 0) return false;
  if (body.indexOf(':::') >= 0) return false;
  const parts = body.split(':');
  if (dbl < 0) {
    if (parts.length + groupsForV4 !== 8) return false;
    for (const p of parts) if (!/^[0-9A-Fa-f]{1,4}$/.test(p)) return false;
    return true;
  }
  const [head, rest] = [body.slice(0, dbl), body.slice(dbl + 2)];
  const hs = head === '' ? [] : head.split(':');
  const rs = rest === '' ? [] : rest.split(':');
  for (const p of [...hs, ...rs]) if (!/^[0-9A-Fa-f]{1,4}$/.test(p)) return false;
  const written = hs.length + rs.length + groupsForV4;
  if (written > 7) return false;
  // `::` alone, or `a::b` in code (`Foo::bar`) is too weak: require two groups and a digit or `::1`.
  if (written === 0) return false;
  if (written < 2 && !(hs.length === 0 && rs.length === 1)) return false;
  return /[0-9]/.test(body);
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

export const ipDetector: Detector = {
  id: 'ip',
  kind: 'pii',
  types: ['IPV4', 'IPV6'],
  scan(text: string, out: Finding[]): void {
    // IPv6 first: an IPv4 embedded in one (`::ffff:192.0.2.1`) belongs to it.
    const first = out.length;
    for (let colon = text.indexOf(':'); colon >= 0; colon = text.indexOf(':', colon + 1)) {
      const next = text.charCodeAt(colon + 1);
      if (!(next === 58 || (isHex(next) && isHex(text.charCodeAt(colon - 1))))) continue;
      let runStart = colon;
      const min = Math.max(0, colon - 40);
      while (runStart > min && (isHex(text.charCodeAt(runStart - 1)) || text.charCodeAt(runStart - 1) === 58)) runStart--;
      let runEnd = colon + 1;
      while (runEnd < text.length && (isHex(text.charCodeAt(runEnd)) || text.charCodeAt(runEnd) === 58 || text.charCodeAt(runEnd) === 46)) runEnd++;
      colon = runEnd - 1;
      IPV6.lastIndex = runStart;
      const m = IPV6.exec(text);
      if (m !== null) {
        let s = m[0];
        // A trailing ':' (`fe80::1: unreachable`) is punctuation.
        if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
        if (!ipv6Valid(s)) continue;
        out.push({ kind: 'pii', type: 'IPV6', start: m.index, end: m.index + s.length, confidence: 0.9 });
      }
    }
    const v6End = out.length;
    let v6 = first;
    if (text.indexOf('.') >= 0) {
      IPV4.lastIndex = 0;
      for (let m = IPV4.exec(text); m !== null; m = IPV4.exec(text)) {
        const start = m.index;
        const end = start + m[0].length;
        if (VERSION_BEFORE.test(text.slice(Math.max(0, start - 12), start))) continue;
        // Both lists are in text order: advance past IPv6 spans that end before this match.
        while (v6 < v6End && (out[v6] as Finding).end <= start) v6++;
        if (v6 < v6End && (out[v6] as Finding).start <= start) continue;
        out.push({ kind: 'pii', type: 'IPV4', start, end, confidence: 0.9 });
      }
    }
  },
};
