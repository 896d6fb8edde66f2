import { describe, expect, it } from 'vitest';
import { runDetectors, scanSecrets, shannonEntropy } from '../../../src/core/detect/index.js';
import { entropyThreshold } from '../../../src/core/detect/secrets/high-entropy.js';
import { fake, fakeJwt, fakePem, randomChars } from './fakes.js';

/** [type, value] of each secret finding in `text`. */
function secrets(text: string): [string, string][] {
  const r = runDetectors(text, { maxChars: 1 << 20, pii: false, injection: false });
  return r.secrets.map((f) => [f.type, text.slice(f.start, f.end)]);
}

describe('provider keys', () => {
  it.each([
    ['OPENAI_KEY', fake.openaiProject()],
    ['OPENAI_KEY', fake.openaiLegacy()],
    ['OPENAI_KEY', `sk-svcacct-${randomChars(64, 21)}`],
    ['ANTHROPIC_KEY', fake.anthropic()],
    ['AWS_ACCESS_KEY', fake.awsKeyId()],
    ['AWS_ACCESS_KEY', 'AKIAIOSFODNN7EXAMPLE'],
    ['GITHUB_TOKEN', fake.github()],
    ['GITHUB_TOKEN', `gho_${randomChars(36, 22)}`],
    ['GITHUB_TOKEN', `ghs_${randomChars(36, 23)}`],
    ['GITHUB_TOKEN', fake.githubFine()],
    ['GITLAB_TOKEN', fake.gitlab()],
    ['SLACK_TOKEN', fake.slack()],
    ['SLACK_TOKEN', `xoxp-123456789012-123456789012-123456789012-${randomChars(32, 24)}`],
    ['STRIPE_KEY', fake.stripe()],
    ['STRIPE_KEY', `rk_live_${randomChars(32, 25)}`],
  ])('finds a %s by its vendor prefix', (type, key) => {
    expect(secrets(`export TOKEN_VALUE=${key}\n`)).toEqual([[type, key]]);
    expect(secrets(`"${key}"`)).toEqual([[type, key]]);
    expect(secrets(`my key is ${key}.`)).toEqual([[type, key]]);
  });

  it('rates live Stripe keys above test keys', () => {
    const live = runDetectors(fake.stripe(), { maxChars: 1000 }).secrets[0]!;
    const test = runDetectors(`sk_test_${randomChars(32, 26)}`, { maxChars: 1000 }).secrets[0]!;
    expect(live.confidence).toBeGreaterThan(test.confidence);
  });

  it('ignores placeholders, publishable keys, look-alike words and prefixes glued to words', () => {
    for (const t of [
      'see the sk-learn docs',
      'OPENAI_API_KEY=sk-your-key-here',
      'sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
      'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD',
      `pk_live_${randomChars(32, 27)}`,
      'AKIAXXXXXXXXXXXXXXXX',
      'ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
      'xoxo-gossip-girl-season-two',
      'glpat-xxxxxxxxxxxxxxxxxxxx',
      `task-${randomChars(48, 28)}`,
      `disk-${randomChars(48, 29)}`,
    ]) {
      expect(secrets(t), t).toEqual([]);
    }
  });

  it('finds an AWS secret key only behind an AWS/secret label or near an access key id', () => {
    const id = fake.awsKeyId();
    const secret = fake.awsSecret();
    expect(secrets(`aws_secret_access_key = ${secret}`)).toEqual([['AWS_SECRET_KEY', secret]]);
    expect(secrets(`AWS_ACCESS_KEY_ID=${id}\nAWS_SECRET_ACCESS_KEY=${secret}`)).toEqual([
      ['AWS_ACCESS_KEY', id],
      ['AWS_SECRET_KEY', secret],
    ]);
    expect(secrets(`{"AccessKeyId": "${id}", "SecretAccessKey": "${secret}"}`)).toEqual([
      ['AWS_ACCESS_KEY', id],
      ['AWS_SECRET_KEY', secret],
    ]);
    // 40 base64 characters without AWS context, and a git SHA-1 next to the word "secret".
    expect(secrets(`checksum ${secret} ok`)).toEqual([]);
    expect(secrets('secret rotation commit 9fceb02d0ae598e95dc970b74767f19372d61af8')).toEqual([]);
  });
});

describe('private keys', () => {
  it('reports the whole PEM block, for RSA, EC, OpenSSH, PKCS#8 and PGP labels', () => {
    for (const label of ['RSA PRIVATE KEY', 'EC PRIVATE KEY', 'OPENSSH PRIVATE KEY', 'PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'PGP PRIVATE KEY BLOCK']) {
      const pem = fakePem(label);
      expect(secrets(`key:\n${pem}\nthanks`), label).toEqual([['PRIVATE_KEY', pem]]);
    }
  });

  it('reports a block cut off before its END line up to where the base64 stops', () => {
    const pem = fakePem();
    const cut = pem.slice(0, pem.indexOf('-----END'));
    expect(secrets(`${cut}\n`)).toEqual([['PRIVATE_KEY', cut.trimEnd()]]);
  });

  it('finds a PEM with JSON-escaped newlines', () => {
    const escaped = fakePem().replaceAll('\n', '\\n');
    expect(secrets(`{"private_key": "${escaped}"}`)).toEqual([['PRIVATE_KEY', escaped]]);
  });

  it('ignores public keys, certificates and placeholder bodies', () => {
    expect(secrets(fakePem('PUBLIC KEY'))).toEqual([]);
    expect(secrets(fakePem('CERTIFICATE'))).toEqual([]);
    expect(secrets('-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----')).toEqual([]);
  });
});

describe('JWT', () => {
  it('finds signed tokens whose header decodes to JSON with an algorithm', () => {
    const jwt = fakeJwt();
    expect(secrets(`Authorization: Bearer ${jwt}`)).toEqual([['JWT', jwt]]);
    expect(secrets(`/cb?token=${jwt}&x=1`)).toEqual([['JWT', jwt]]);
  });

  it('finds unsigned (alg none) tokens with lower confidence', () => {
    const jwt = fakeJwt('none');
    const r = runDetectors(`t=${jwt} `, { maxChars: 1000 });
    expect(r.secrets.map((f) => f.type)).toEqual(['JWT']);
    expect(r.secrets[0]!.confidence).toBeLessThan(0.9);
  });

  it('ignores two-part strings, undecodable headers and headers without alg', () => {
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    expect(secrets('eyJmb28iOiJiYXIifQ.eyJ4IjoxfQ')).toEqual([]);
    expect(secrets(`eyJ${randomChars(20, 30)}.eyJ${randomChars(20, 31)}.${randomChars(43, 32)}`)).toEqual([]);
    expect(secrets(`${enc({ typ: 'JWT' })}.${enc({ sub: 'x' })}.${randomChars(43, 33)}`)).toEqual([]);
  });
});

describe('high-entropy tokens', () => {
  it('finds random values assigned to credential-named keys in env, YAML, JSON and headers', () => {
    const v = fake.generic();
    for (const t of [`API_KEY=${v}`, `client_secret: "${v}"`, `{"apiKey": "${v}"}`, `X-Api-Key: ${v}`, `Authorization: Bearer ${v}`, `db_password = '${v}'`, `?access_token=${v}&x=1`]) {
      expect(secrets(t), t).toEqual([['HIGH_ENTROPY', v]]);
    }
  });

  it('ignores references, placeholders, identifiers, low entropy and non-secret names', () => {
    for (const t of [
      'password = ${DB_PASSWORD}',
      'api_key = os.environ["API_KEY"]',
      'api_key: process.env.OPENAI_API_KEY',
      'token: <your-token-here>',
      "secret_key = 'changeme'",
      'key = user_profile_settings_cache',
      'token_url = https://auth.example.com/oauth/token',
      `key_id = ${fake.generic(40)}`,
      `public_key: ${fake.generic(41)}`,
      'session_key = abcabcabcabcabcabc',
      `monkey = ${fake.generic(42)}`,
      'password: "********"',
      'the secret to good bread is time',
    ]) {
      expect(secrets(t), t).toEqual([]);
    }
  });

  it('gives way to the vendor-specific type on the same value', () => {
    const key = fake.openaiProject();
    expect(secrets(`OPENAI_API_KEY="${key}"`)).toEqual([['OPENAI_KEY', key]]);
  });

  it('scales the entropy bar with length and alphabet', () => {
    expect(shannonEntropy('')).toBe(0);
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBeCloseTo(2);
    expect(shannonEntropy('ab\u00e9\u00e9')).toBeCloseTo(1.5);
    expect(entropyThreshold('0123456789abcdef0123')).toBeLessThan(entropyThreshold('0123456789abcdefXYZW'));
    expect(entropyThreshold('x'.repeat(12))).toBeLessThan(entropyThreshold('x'.repeat(64)));
  });
});

describe('scanSecrets (files)', () => {
  it('locates findings by 1-based line and column with exclusive ends', () => {
    const key = fake.github();
    const pem = fakePem();
    const text = `# config\nname: demo\ntoken: ${key}\n\n${pem}\n`;
    const found = scanSecrets(text);
    expect(found.map((f) => [f.type, f.line, f.column, f.endLine])).toEqual([
      ['GITHUB_TOKEN', 3, 8, 3],
      ['PRIVATE_KEY', 5, 1, 5 + pem.split('\n').length - 1],
    ]);
    expect(found[0]!.endColumn).toBe(8 + key.length);
    expect(text.slice(found[0]!.start, found[0]!.end)).toBe(key);
  });

  it('reports secrets only, honours maxChars, and carries no values', () => {
    const key = fake.gitlab();
    const text = `mail a@example.com\nkey ${key}\n`;
    expect(scanSecrets(text).map((f) => f.type)).toEqual(['GITLAB_TOKEN']);
    expect(scanSecrets(text, { maxChars: 10 })).toEqual([]);
    expect(JSON.stringify(scanSecrets(text))).not.toContain(key);
  });
});
