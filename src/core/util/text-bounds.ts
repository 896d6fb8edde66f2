// Cutting text to a limit without breaking a character: by UTF-16 code units (what GitHub and
// GitLab count for comment and output lengths) or by UTF-8 bytes (step summaries, annotations).

/** `s` cut to at most `n` UTF-16 code units, never splitting a surrogate pair. */
export function cutChars(s: string, n: number): string {
  if (s.length <= n) return s;
  let end = Math.max(0, n);
  const c = s.charCodeAt(end - 1);
  if (end > 0 && c >= 0xd800 && c <= 0xdbff) end -= 1;
  return s.slice(0, end);
}

/** The longest prefix of `text` whose UTF-8 encoding has at most `maxBytes` bytes (never half a character). */
export function truncateUtf8(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  // Back up over continuation bytes (10xxxxxx) to the start of the character that does not fit.
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end -= 1;
  return buf.subarray(0, end).toString('utf8');
}
