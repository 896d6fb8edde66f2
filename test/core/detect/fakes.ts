// Deterministic fake credentials for the detector tests: vendor-shaped, FAKE in the body, random
// otherwise (placeholders like `xxxx` are rejected by design, so tests need real-looking bodies).

const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `n` pseudo-random characters of `alphabet`, the same for the same seed. */
export function randomChars(n: number, seed: number, alphabet = B62): string {
  let x = seed >>> 0 || 1;
  let out = '';
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out += alphabet[x % alphabet.length];
  }
  return out;
}

/** FAKE followed by random characters, `n` in all. */
export const fakeBody = (n: number, seed: number, alphabet = B62) => `FAKE${randomChars(n - 4, seed, alphabet)}`;

export const fake = {
  openaiProject: (seed = 1) => `sk-proj-${fakeBody(48, seed)}`,
  openaiLegacy: (seed = 2) => `sk-${fakeBody(20, seed)}T3BlbkFJ${randomChars(20, seed + 1)}`,
  anthropic: (seed = 3) => `sk-ant-api03-${fakeBody(93, seed)}AA`,
  awsKeyId: (seed = 4) => `AKIA${fakeBody(16, seed, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`,
  awsSecret: (seed = 5) => `${randomChars(8, seed)}EXAMPLE${randomChars(25, seed + 1, `${B62}+/`)}`,
  github: (seed = 6) => `ghp_${fakeBody(36, seed)}`,
  githubFine: (seed = 7) => `github_pat_11${fakeBody(20, seed)}_${randomChars(59, seed + 1)}`,
  gitlab: (seed = 8) => `glpat-${fakeBody(20, seed)}`,
  slack: (seed = 9) => `xoxb-123456789012-1234567890123-${fakeBody(24, seed)}`,
  stripe: (seed = 10) => `sk_live_${fakeBody(32, seed)}`,
  generic: (seed = 11) => randomChars(32, seed),
};

export function fakeJwt(alg = 'HS256'): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg, typ: 'JWT' })}.${enc({ sub: 'fake-user', iat: 1700000000 })}.${alg === 'none' ? '' : randomChars(43, 12)}`;
}

export function fakePem(label = 'RSA PRIVATE KEY', bodyChars = 256): string {
  const body = (Buffer.from('FAKE KEY FOR TESTS ONLY ').toString('base64') + randomChars(bodyChars, 13, `${B62}+/`)).match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----`;
}
