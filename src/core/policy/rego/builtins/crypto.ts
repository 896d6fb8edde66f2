// Hash and HMAC builtins via node:crypto: crypto.md5/sha1/sha256 (hex of the UTF-8 input),
// crypto.hmac.md5/sha1/sha256/sha512 (hex), and crypto.hmac.equal (constant-time comparison).

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { str } from './args.js';
import { T, defaultRegistry, type BuiltinDefinition } from './registry.js';

function hash(alg: 'md5' | 'sha1' | 'sha256'): BuiltinDefinition {
  const name = `crypto.${alg}`;
  return {
    name,
    args: [T.string],
    result: T.string,
    impl: (args) => createHash(alg).update(str(name, args, 0), 'utf8').digest('hex'),
  };
}

function hmac(alg: 'md5' | 'sha1' | 'sha256' | 'sha512'): BuiltinDefinition {
  const name = `crypto.hmac.${alg}`;
  return {
    name,
    args: [T.string, T.string],
    result: T.string,
    impl: (args) => {
      const x = str(name, args, 0);
      const key = str(name, args, 1);
      return createHmac(alg, Buffer.from(key, 'utf8')).update(x, 'utf8').digest('hex');
    },
  };
}

/** Constant-time equality of two strings' bytes (length is not secret, as in Go's hmac.Equal). */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export const cryptoBuiltins: BuiltinDefinition[] = [
  hash('md5'),
  hash('sha1'),
  hash('sha256'),
  hmac('md5'),
  hmac('sha1'),
  hmac('sha256'),
  hmac('sha512'),
  {
    name: 'crypto.hmac.equal',
    args: [T.string, T.string],
    result: T.boolean,
    impl: (args) => constantTimeEqual(str('crypto.hmac.equal', args, 0), str('crypto.hmac.equal', args, 1)),
  },
];

defaultRegistry.registerAll(cryptoBuiltins);
