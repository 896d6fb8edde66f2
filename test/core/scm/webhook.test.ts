// Webhook authenticity checks for the team server: GitHub HMAC signatures and GitLab's shared token.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { githubSignature, verifyGithubSignature, verifyGitlabToken } from '../../../src/core/scm/webhook.js';

// GitHub's documented example (docs: "Validating webhook deliveries").
const DOC_SECRET = "It's a Secret to Everybody";
const DOC_PAYLOAD = 'Hello, World!';
const DOC_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe('githubSignature / verifyGithubSignature', () => {
  it("matches GitHub's documented example", () => {
    expect(githubSignature(DOC_SECRET, DOC_PAYLOAD)).toBe(DOC_SIGNATURE);
    expect(verifyGithubSignature(DOC_SECRET, DOC_PAYLOAD, DOC_SIGNATURE)).toBe(true);
  });

  it('signs the raw bytes: a string and its UTF-8 bytes agree with an independent HMAC', () => {
    const body = '{"action":"opened","title":"café ☕"}';
    const independent = `sha256=${createHmac('sha256', 's3cret').update(Buffer.from(body, 'utf8')).digest('hex')}`;
    expect(githubSignature('s3cret', body)).toBe(independent);
    expect(githubSignature('s3cret', new TextEncoder().encode(body))).toBe(independent);
    expect(verifyGithubSignature('s3cret', new Uint8Array(Buffer.from(body, 'utf8')), independent)).toBe(true);
  });

  it('accepts upper-case hex (hex is case-insensitive)', () => {
    expect(verifyGithubSignature(DOC_SECRET, DOC_PAYLOAD, `sha256=${DOC_SIGNATURE.slice(7).toUpperCase()}`)).toBe(true);
  });

  it('rejects a tampered body and a wrong secret', () => {
    expect(verifyGithubSignature(DOC_SECRET, 'Hello, World?', DOC_SIGNATURE)).toBe(false);
    expect(verifyGithubSignature('another secret', DOC_PAYLOAD, DOC_SIGNATURE)).toBe(false);
    expect(verifyGithubSignature('', DOC_PAYLOAD, DOC_SIGNATURE)).toBe(false);
  });

  it('rejects a missing, prefixless, wrongly prefixed or sha1 header without throwing', () => {
    const hex = DOC_SIGNATURE.slice('sha256='.length);
    const sha1 = `sha1=${createHmac('sha1', DOC_SECRET).update(DOC_PAYLOAD).digest('hex')}`;
    for (const header of [undefined, '', hex, `sha1=${hex}`, `sha512=${hex}`, `SHA256=${hex}`, `sha256:${hex}`, sha1, 'sha256=', 'garbage']) {
      expect(verifyGithubSignature(DOC_SECRET, DOC_PAYLOAD, header)).toBe(false);
    }
  });

  it('rejects hex of the wrong length or with non-hex characters', () => {
    expect(verifyGithubSignature(DOC_SECRET, DOC_PAYLOAD, DOC_SIGNATURE.slice(0, -2))).toBe(false);
    expect(verifyGithubSignature(DOC_SECRET, DOC_PAYLOAD, `${DOC_SIGNATURE}00`)).toBe(false);
    expect(verifyGithubSignature(DOC_SECRET, DOC_PAYLOAD, `${DOC_SIGNATURE.slice(0, -1)}g`)).toBe(false);
    // An odd-length hex string would decode to fewer bytes than it looks like.
    expect(verifyGithubSignature(DOC_SECRET, DOC_PAYLOAD, `${DOC_SIGNATURE.slice(0, -1)}`)).toBe(false);
  });
});

describe('verifyGitlabToken', () => {
  it('accepts exactly the configured token', () => {
    expect(verifyGitlabToken('hook-secret', 'hook-secret')).toBe(true);
  });

  it('rejects a different token of the same or another length, a missing header and an empty secret', () => {
    expect(verifyGitlabToken('hook-secret', 'hook-secreT')).toBe(false);
    expect(verifyGitlabToken('hook-secret', 'hook-secret-longer')).toBe(false);
    expect(verifyGitlabToken('hook-secret', 'hook')).toBe(false);
    expect(verifyGitlabToken('hook-secret', '')).toBe(false);
    expect(verifyGitlabToken('hook-secret', undefined)).toBe(false);
    expect(verifyGitlabToken('', '')).toBe(false);
  });
});
