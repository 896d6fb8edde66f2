// Shannon entropy of a candidate token, in bits per character: what tells a random key from a word.

/** Bits per character of the character distribution of `s` (0 for the empty string). */
export function shannonEntropy(s: string): number {
  const n = s.length;
  if (n === 0) return 0;
  // ASCII (every candidate token in practice) counts in a reused table; the rest in a Map.
  const ascii = ASCII_COUNTS.fill(0);
  let other: Map<number, number> | undefined;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 128) ascii[c]++;
    else (other ??= new Map()).set(c, (other.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (let c = 0; c < 128; c++) {
    const k = ascii[c] as number;
    if (k > 0) h -= (k / n) * Math.log2(k / n);
  }
  if (other !== undefined) for (const k of other.values()) h -= (k / n) * Math.log2(k / n);
  return h;
}

const ASCII_COUNTS = new Uint32Array(128);
