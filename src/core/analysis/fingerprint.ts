// Finding fingerprints: the one definition the scan engine, the semgrep delegate, baselines and
// SARIF partialFingerprints share, so a finding keeps its identity whichever engine produced it.
import { createHash } from 'node:crypto';

/**
 * The matched text with every whitespace run collapsed to one space and the ends trimmed, so
 * re-indenting or re-wrapping the code does not change a finding's identity.
 */
export function normaliseMatchedText(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * SHA-256 hex of rule id + path + normalised matched text + occurrence index (0-based: how many
 * earlier findings of the same rule in the same file matched the same normalised text). Line
 * numbers are deliberately not part of it: edits elsewhere in the file shift lines, not identity.
 * `path` is relative to the scan root with forward slashes.
 */
export function fingerprint(ruleId: string, path: string, text: string, occurrence: number): string {
  return createHash('sha256')
    .update(ruleId)
    .update('\0')
    .update(path)
    .update('\0')
    .update(normaliseMatchedText(text))
    .update('\0')
    .update(String(occurrence))
    .digest('hex');
}

/**
 * Counts occurrences while findings of one scan are visited in file order (by path, then start
 * position): `next(ruleId, path, text)` returns the occurrence index to pass to `fingerprint`.
 */
export function occurrenceCounter(): { next(ruleId: string, path: string, text: string): number } {
  const seen = new Map<string, number>();
  return {
    next(ruleId, path, text) {
      const key = `${ruleId}\0${path}\0${normaliseMatchedText(text)}`;
      const n = seen.get(key) ?? 0;
      seen.set(key, n + 1);
      return n;
    },
  };
}
