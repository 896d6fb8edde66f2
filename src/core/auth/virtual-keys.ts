// Virtual keys (wk_…): generation, hashing, and the header forms SDKs send them in.
import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const KEY_PREFIX = 'wk_';
/** 32 base62 characters from rejection-sampled random bytes: ~190 bits of entropy. */
const KEY_BODY_LENGTH = 32;

function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      // 248 = 62 * 4: reject the top values so every character is equally likely.
      if (b < 248) out += ALPHABET[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export function generateVirtualKey(): string {
  return KEY_PREFIX + randomBase62(KEY_BODY_LENGTH);
}

export function hashVirtualKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** What may be shown of a key after creation: `wk_` and its first 6 characters. */
export function displayPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX.length + 6);
}

export function looksLikeVirtualKey(s: string): boolean {
  return s.startsWith(KEY_PREFIX) && s.length === KEY_PREFIX.length + KEY_BODY_LENGTH && /^[0-9A-Za-z]+$/.test(s.slice(3));
}

/**
 * The credential a client sent, from whichever header its SDK uses: `Authorization: Bearer`
 * (OpenAI SDKs, Anthropic auth-token mode), `x-api-key` (Anthropic SDKs), `api-key` (Azure).
 */
export function extractPresentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1].trim();
  }
  const x = headers['x-api-key'];
  if (typeof x === 'string' && x.trim() !== '') return x.trim();
  const a = headers['api-key'];
  if (typeof a === 'string' && a.trim() !== '') return a.trim();
  return undefined;
}

/**
 * Random bytes for ids come from a pool refilled 4 KiB at a time: a request id needs 10 characters
 * of randomness, and one randomBytes() call per request showed up in the proxy's profile.
 */
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let poolPos = 0;

function pooledBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    if (poolPos >= pool.length) {
      pool = randomBytes(POOL_SIZE);
      poolPos = 0;
    }
    const b = pool[poolPos++];
    if (b < 248) out += ALPHABET[b % 62];
  }
  return out;
}

/** Ids for keys, sessions and requests: a prefix, a time part that sorts, and randomness. */
export function newId(prefix: string, nowMs: number): string {
  return `${prefix}_${nowMs.toString(36).padStart(9, '0')}${pooledBase62(10)}`;
}
