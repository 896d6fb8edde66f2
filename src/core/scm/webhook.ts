// Webhook authenticity for the team server: GitHub's X-Hub-Signature-256 (HMAC-SHA256 of the raw
// request body, `sha256=<hex>`) and GitLab's X-Gitlab-Token (a shared secret sent as is). Both
// compare in constant time; a missing or malformed header is `false`, never an exception, so a
// handler can answer 401 without a try/catch. The HMAC must be computed over the bytes as received:
// re-serialising parsed JSON changes them.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const SHA256_HEX_LENGTH = 64;

function bytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/** `sha256=<hex>` as GitHub sends it in X-Hub-Signature-256 for `rawBody` signed with `secret`. */
export function githubSignature(secret: string, rawBody: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(bytes(rawBody)).digest('hex')}`;
}

/**
 * True when `header` is GitHub's X-Hub-Signature-256 for `rawBody` under `secret`. Only the sha256
 * form is accepted (the legacy X-Hub-Signature sha1 is not); the hex is checked for shape first, so
 * the constant-time compare always sees two 32-byte digests.
 */
export function verifyGithubSignature(secret: string, rawBody: string | Uint8Array, header: string | undefined): boolean {
  if (typeof header !== 'string' || !secret) return false;
  const m = /^sha256=([0-9a-fA-F]+)$/.exec(header.trim());
  if (!m || m[1].length !== SHA256_HEX_LENGTH) return false;
  const given = Buffer.from(m[1], 'hex');
  const expected = createHmac('sha256', secret).update(bytes(rawBody)).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * True when GitLab's X-Gitlab-Token `header` equals the configured secret. Both sides are hashed
 * first so the comparison takes the same time whatever the lengths (timingSafeEqual needs equal
 * lengths, and an early length check would leak the secret's length).
 */
export function verifyGitlabToken(expected: string, header: string | undefined): boolean {
  if (typeof header !== 'string' || !expected) return false;
  const a = createHash('sha256').update(header, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
