import {
  createHmac,
  generateKeyPairSync,
  sign as cryptoSign,
  constants as cryptoConstants,
  type KeyObject,
} from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compileModules } from '../../../../src/core/policy/rego/compile.js';
import { evalQuery } from '../../../../src/core/policy/rego/eval.js';
import { parseModule } from '../../../../src/core/policy/rego/parser.js';
import { ObjectValue, fromJson, toJson, type Value } from '../../../../src/core/policy/rego/value.js';
import { call, callIn, errorOf, lax, strict } from './builtins-helpers.js';

// Tokens are made here with node:crypto; certificates are built as DER and self-signed with the
// generated keys, so no key material lives in the repository.

const b64 = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

type Signer = (data: Buffer) => Buffer;

function token(header: Record<string, unknown>, payload: Record<string, unknown> | string, signer: Signer): string {
  const body = `${b64(JSON.stringify(header))}.${b64(typeof payload === 'string' ? payload : JSON.stringify(payload))}`;
  return `${body}.${b64(signer(Buffer.from(body)))}`;
}

const hs = (secret: string, hash = 'sha256'): Signer => (d) => createHmac(hash, secret).update(d).digest();
const rs = (key: KeyObject, hash = 'sha256'): Signer => (d) => cryptoSign(hash, d, key);
const ps = (key: KeyObject, hash = 'sha256'): Signer => (d) =>
  cryptoSign(hash, d, { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
const es = (key: KeyObject, hash = 'sha256'): Signer => (d) => cryptoSign(hash, d, { key, dsaEncoding: 'ieee-p1363' });
const ed = (key: KeyObject): Signer => (d) => cryptoSign(null, d, key);

// --- a minimal DER writer for self-signed X.509 v1 certificates -----------------------------------

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}
const seq = (...xs: Buffer[]): Buffer => tlv(0x30, Buffer.concat(xs));
const hex = (h: string): Buffer => Buffer.from(h.replace(/\s/g, ''), 'hex');

const SHA256_WITH_RSA = seq(hex('06092a864886f70d01010b'), hex('0500'));
const ECDSA_WITH_SHA256 = seq(hex('06082a8648ce3d040302'));

function selfSignedCertPem(pub: KeyObject, priv: KeyObject, cn: string): string {
  const rsa = pub.asymmetricKeyType === 'rsa';
  const algId = rsa ? SHA256_WITH_RSA : ECDSA_WITH_SHA256;
  const name = seq(tlv(0x31, seq(hex('0603550403'), tlv(0x0c, Buffer.from(cn)))));
  const validity = seq(tlv(0x17, Buffer.from('200101000000Z')), tlv(0x17, Buffer.from('491231235959Z')));
  const spki = pub.export({ format: 'der', type: 'spki' });
  const tbs = seq(hex('020101'), algId, name, validity, name, spki);
  const sig = cryptoSign('sha256', tbs, priv);
  const der = seq(tbs, algId, tlv(0x03, Buffer.concat([Buffer.from([0]), sig])));
  const body = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`;
}

const rsaPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const edPair = generateKeyPairSync('ed25519');

const rsaCert = selfSignedCertPem(rsaPair.publicKey, rsaPair.privateKey, 'warden-test-rsa');
const ecCert = selfSignedCertPem(p256.publicKey, p256.privateKey, 'warden-test-ec');
const pemPublic = (k: KeyObject): string => k.export({ format: 'pem', type: 'spki' }).toString();
const jwk = (k: KeyObject, extra: Record<string, string> = {}): Record<string, unknown> => ({ ...k.export({ format: 'jwk' }), ...extra });

const NOW_S = Number(strict.nowNs / 1_000_000_000n); // 2022-12-02T18:40:53Z
const claims = { sub: 'alice', iss: 'warden', aud: 'proxy', exp: NOW_S + 60, nbf: NOW_S - 60 };

function obj(v: Value | undefined): unknown {
  return v === undefined ? undefined : toJson(v);
}

describe('io.jwt.decode', () => {
  it('returns [header, payload, signature as hex] without verifying', () => {
    const t = token({ alg: 'HS256', typ: 'JWT' }, claims, hs('secret'));
    const sig = Buffer.from(t.split('.')[2], 'base64url').toString('hex');
    expect(obj(call('io.jwt.decode', t))).toEqual([{ alg: 'HS256', typ: 'JWT' }, claims, sig]);
  });

  it('keeps integers exact and accepts padded segments', () => {
    const body = `${b64('{"alg":"none"}')}=.${b64('{"n":12345678901234567890}')}.`;
    const [, payload, sig] = call('io.jwt.decode', body) as Value[];
    expect((payload as ObjectValue).get('n')).toBe(12345678901234567890n);
    expect(sig).toBe('');
  });

  it('decodes the inner token of a nested JWT (cty: JWT), quotes trimmed', () => {
    const inner = token({ alg: 'HS256' }, { sub: 'inner' }, hs('k'));
    const outer = token({ alg: 'HS256', cty: 'JWT' }, `"${inner}"`, hs('k'));
    expect(obj((call('io.jwt.decode', outer) as Value[])[1])).toEqual({ sub: 'inner' });
  });

  it('reports malformed tokens with OPA texts', () => {
    const msg = (t: Value): string => errorOf(() => call('io.jwt.decode', t)).message;
    expect(msg('abc')).toBe('io.jwt.decode: encoded JWT had no period separators');
    expect(msg('a.b.c.d')).toBe('io.jwt.decode: encoded JWT must have 3 sections, found 4');
    expect(msg('a!.b.c')).toBe('io.jwt.decode: JWT header had invalid encoding: illegal base64 data at input byte 1');
    expect(msg(`${b64('[1]')}.${b64('{}')}.`)).toBe('io.jwt.decode: bad JWT header: decoded JSON type was not an Object');
    expect(msg(`${b64('{"alg":"RSA-OAEP","enc":"A256GCM"}')}.${b64('{}')}.`)).toBe(
      'io.jwt.decode: JWT is a JWE object, which is not supported',
    );
    expect(msg(`${b64('{"alg":"HS256"}')}.${b64('"x"')}.`)).toBe('io.jwt.decode: decoded JSON type was not an Object');
    expect(msg(`${b64('{"alg":"HS256"}')}.${b64('{}')}.a`)).toBe(
      'io.jwt.decode: JWT signature had invalid encoding: illegal base64url string: a',
    );
    expect(msg(1)).toBe('io.jwt.decode: operand 1 must be string but got number');
    expect(errorOf(() => call('io.jwt.decode', 'abc')).code).toBe('eval_builtin_error');
    expect(callIn(lax, 'io.jwt.decode', 'abc')).toBeUndefined();
  });
});

describe('io.jwt.verify_hs*', () => {
  it('checks the HMAC with the secret', () => {
    const t = token({ alg: 'HS256' }, claims, hs('secret'));
    expect(call('io.jwt.verify_hs256', t, 'secret')).toBe(true);
    expect(call('io.jwt.verify_hs256', t, 'wrong')).toBe(false);
    expect(call('io.jwt.verify_hs384', token({ alg: 'HS384' }, claims, hs('s', 'sha384')), 's')).toBe(true);
    expect(call('io.jwt.verify_hs512', token({ alg: 'HS512' }, claims, hs('s', 'sha512')), 's')).toBe(true);
    expect(call('io.jwt.verify_hs512', t, 'secret')).toBe(false);
  });

  it('rejects non-string operands and malformed tokens', () => {
    expect(errorOf(() => call('io.jwt.verify_hs256', 'a.b.c', 1)).message).toBe(
      'io.jwt.verify_hs256: operand 2 must be string but got number',
    );
    expect(errorOf(() => call('io.jwt.verify_hs256', 'abc', 'k')).message).toBe(
      'io.jwt.verify_hs256: encoded JWT had no period separators',
    );
  });
});

describe('io.jwt.verify_rs*/ps*/es*/eddsa', () => {
  const rsToken = token({ alg: 'RS256' }, claims, rs(rsaPair.privateKey));

  it('verifies RSA signatures with a PEM certificate or public key', () => {
    expect(call('io.jwt.verify_rs256', rsToken, rsaCert)).toBe(true);
    expect(call('io.jwt.verify_rs256', rsToken, pemPublic(rsaPair.publicKey))).toBe(true);
    expect(call('io.jwt.verify_rs256', rsToken, pemPublic(otherRsa.publicKey))).toBe(false);
    expect(call('io.jwt.verify_rs384', token({ alg: 'RS384' }, claims, rs(rsaPair.privateKey, 'sha384')), rsaCert)).toBe(true);
    expect(call('io.jwt.verify_rs512', token({ alg: 'RS512' }, claims, rs(rsaPair.privateKey, 'sha512')), rsaCert)).toBe(true);
    // The builtin's hash decides, not the header: an RS256 signature fails verify_rs512.
    expect(call('io.jwt.verify_rs512', rsToken, rsaCert)).toBe(false);
    // A key of the wrong type never verifies.
    expect(call('io.jwt.verify_rs256', rsToken, ecCert)).toBe(false);
    expect(call('io.jwt.verify_ps256', token({ alg: 'PS256' }, claims, ps(rsaPair.privateKey)), rsaCert)).toBe(true);
  });

  it('verifies ECDSA (r‖s) and EdDSA signatures', () => {
    const esToken = token({ alg: 'ES256' }, claims, es(p256.privateKey));
    expect(call('io.jwt.verify_es256', esToken, ecCert)).toBe(true);
    expect(call('io.jwt.verify_es256', esToken, pemPublic(p256.publicKey))).toBe(true);
    expect(call('io.jwt.verify_es256', esToken, pemPublic(p384.publicKey))).toBe(false);
    expect(call('io.jwt.verify_es256', rsToken, ecCert)).toBe(false);
    const es384 = token({ alg: 'ES384' }, claims, es(p384.privateKey, 'sha384'));
    expect(call('io.jwt.verify_es384', es384, pemPublic(p384.publicKey))).toBe(true);
    expect(call('io.jwt.verify_es384', es384, pemPublic(p256.publicKey))).toBe(false);
    expect(call('io.jwt.verify_eddsa', token({ alg: 'EdDSA' }, claims, ed(edPair.privateKey)), pemPublic(edPair.publicKey))).toBe(true);
  });

  it('picks the JWKS key by kid, else tries keys whose alg matches the header', () => {
    const withKid = token({ alg: 'RS256', kid: 'b' }, claims, rs(rsaPair.privateKey));
    const set = (keys: unknown[]): string => JSON.stringify({ keys });
    const good = jwk(rsaPair.publicKey, { kid: 'b', alg: 'RS256' });
    const other = jwk(otherRsa.publicKey, { kid: 'a', alg: 'RS256' });
    expect(call('io.jwt.verify_rs256', withKid, set([other, good]))).toBe(true);
    // A kid match decides alone, even when another key would verify.
    const wrongKid = { ...jwk(otherRsa.publicKey), kid: 'b' };
    expect(call('io.jwt.verify_rs256', withKid, set([wrongKid, { ...good, kid: 'c' }]))).toBe(false);
    // No kid match: keys with a different alg are skipped, keys without alg are tried.
    expect(call('io.jwt.verify_rs256', rsToken, set([{ ...good, alg: 'RS512', kid: 'x' }]))).toBe(false);
    expect(call('io.jwt.verify_rs256', rsToken, set([jwk(rsaPair.publicKey)]))).toBe(true);
    // A single JWK (not a set) is accepted; unknown algs are ignored.
    expect(call('io.jwt.verify_rs256', rsToken, JSON.stringify(jwk(rsaPair.publicKey)))).toBe(true);
    expect(call('io.jwt.verify_rs256', rsToken, set([{ ...good, alg: 'XX1' }]))).toBe(false);
  });

  it('reports unusable keys as OPA does', () => {
    const msg = (key: string): string => errorOf(() => call('io.jwt.verify_rs256', rsToken, key)).message;
    expect(msg(`${rsaCert}extra`)).toBe('io.jwt.verify_rs256: extra data after a PEM certificate block');
    const privatePem = rsaPair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(msg(privatePem)).toBe('io.jwt.verify_rs256: failed to extract a Key from the PEM certificate');
    expect(msg('not a key')).toMatch(/^io\.jwt\.verify_rs256: failed to parse a JWK key \(set\): /);
    expect(errorOf(() => call('io.jwt.verify_rs256', rsToken, 3)).code).toBe('eval_type_error');
  });
});

describe('io.jwt.decode_verify', () => {
  const unverified = [false, {}, {}];

  it('verifies with a secret and checks iss, aud, exp and nbf against the query time', () => {
    const t = token({ alg: 'HS256', typ: 'JWT' }, claims, hs('secret'));
    const dv = (constraints: Record<string, Value>): unknown[] =>
      obj(call('io.jwt.decode_verify', t, ObjectValue.fromRecord(constraints))) as unknown[];
    expect(dv({ secret: 'secret', aud: 'proxy' })).toEqual([true, { alg: 'HS256', typ: 'JWT' }, claims]);
    expect(dv({ secret: 'wrong', aud: 'proxy' })).toEqual(unverified);
    expect(dv({ secret: 'secret', aud: 'proxy', iss: 'warden' })[0]).toBe(true);
    expect(dv({ secret: 'secret', aud: 'proxy', iss: 'other' })).toEqual(unverified);
    // A token with an aud claim needs a matching aud constraint.
    expect(dv({ secret: 'secret' })).toEqual(unverified);
    expect(dv({ secret: 'secret', aud: 'other' })).toEqual(unverified);
    expect(dv({ secret: 'secret', aud: 'proxy', alg: 'HS512' })).toEqual(unverified);
    // time is in nanoseconds; exp is exclusive, nbf inclusive.
    const ns = (s: number): bigint => BigInt(s) * 1_000_000_000n;
    expect(dv({ secret: 'secret', aud: 'proxy', time: ns(claims.exp) })).toEqual(unverified);
    expect(dv({ secret: 'secret', aud: 'proxy', time: ns(claims.exp - 1) })[0]).toBe(true);
    expect(dv({ secret: 'secret', aud: 'proxy', time: ns(claims.nbf) })[0]).toBe(true);
    expect(dv({ secret: 'secret', aud: 'proxy', time: ns(claims.nbf - 1) })).toEqual(unverified);
  });

  it('uses the query time (ctx.nowNs) when no time constraint is given', () => {
    const t = token({ alg: 'HS256' }, { exp: NOW_S - 1 }, hs('k'));
    expect(obj(call('io.jwt.decode_verify', t, ObjectValue.fromRecord({ secret: 'k' })))).toEqual(unverified);
    const later = token({ alg: 'HS256' }, { exp: NOW_S + 1 }, hs('k'));
    expect((call('io.jwt.decode_verify', later, ObjectValue.fromRecord({ secret: 'k' })) as Value[])[0]).toBe(true);
  });

  it('accepts aud arrays and verifies with certificates and JWKS by the header alg', () => {
    const payload = { aud: ['a', 'proxy'], sub: 'x' };
    const rsT = token({ alg: 'RS256', kid: 'k1' }, payload, rs(rsaPair.privateKey));
    const c = (cert: string): ObjectValue => ObjectValue.fromRecord({ cert, aud: 'proxy' });
    expect((call('io.jwt.decode_verify', rsT, c(rsaCert)) as Value[])[0]).toBe(true);
    expect(obj(call('io.jwt.decode_verify', rsT, c(pemPublic(otherRsa.publicKey))))).toEqual(unverified);
    const jwks = JSON.stringify({ keys: [jwk(otherRsa.publicKey, { kid: 'k0' }), jwk(rsaPair.publicKey, { kid: 'k1' })] });
    expect((call('io.jwt.decode_verify', rsT, c(jwks)) as Value[])[0]).toBe(true);
    const esT = token({ alg: 'ES256' }, payload, es(p256.privateKey));
    expect((call('io.jwt.decode_verify', esT, c(ecCert)) as Value[])[0]).toBe(true);
    // A secret never verifies an asymmetric algorithm, nor a certificate an HMAC.
    expect(obj(call('io.jwt.decode_verify', rsT, ObjectValue.fromRecord({ secret: 'x', aud: 'proxy' })))).toEqual(unverified);
    const hsT = token({ alg: 'HS256' }, payload, hs('x'));
    expect(obj(call('io.jwt.decode_verify', hsT, c(rsaCert)))).toEqual(unverified);
    // alg "none" and a missing alg are never verified.
    expect(obj(call('io.jwt.decode_verify', token({ alg: 'none' }, {}, () => Buffer.alloc(0)), ObjectValue.fromRecord({ secret: 'x' })))).toEqual(unverified);
    expect(obj(call('io.jwt.decode_verify', token({ typ: 'JWT' }, {}, hs('x')), ObjectValue.fromRecord({ secret: 'x' })))).toEqual(unverified);
  });

  it('verifies nested tokens layer by layer', () => {
    const inner = token({ alg: 'HS256' }, { sub: 'inner' }, hs('k'));
    const outer = token({ alg: 'HS256', cty: 'JWT' }, inner, hs('k'));
    expect(obj(call('io.jwt.decode_verify', outer, ObjectValue.fromRecord({ secret: 'k' })))).toEqual([
      true,
      { alg: 'HS256' },
      { sub: 'inner' },
    ]);
    const badInner = token({ alg: 'HS256', cty: 'JWT' }, token({ alg: 'HS256' }, {}, hs('other')), hs('k'));
    expect(obj(call('io.jwt.decode_verify', badInner, ObjectValue.fromRecord({ secret: 'k' })))).toEqual(unverified);
  });

  it('rejects bad constraints with OPA texts', () => {
    const t = token({ alg: 'HS256' }, {}, hs('k'));
    const msg = (c: Record<string, Value>): string =>
      errorOf(() => call('io.jwt.decode_verify', t, ObjectValue.fromRecord(c))).message;
    expect(msg({})).toBe('io.jwt.decode_verify: no key constraint');
    expect(msg({ secret: 'k', cert: rsaCert })).toBe('io.jwt.decode_verify: duplicate key constraints');
    expect(msg({ secret: 'k', foo: 1 })).toBe('io.jwt.decode_verify: unknown token validation constraint: foo');
    expect(msg({ secret: 1 })).toBe('io.jwt.decode_verify: secret constraint: must be a string');
    expect(msg({ secret: 'k', time: -1 })).toBe('io.jwt.decode_verify: token time constraint: must not be negative');
    expect(msg({ secret: 'k', time: 'x' })).toBe('io.jwt.decode_verify: token time constraint: must be a number');
    const badExp = token({ alg: 'HS256' }, { exp: 'soon' }, hs('k'));
    expect(errorOf(() => call('io.jwt.decode_verify', badExp, ObjectValue.fromRecord({ secret: 'k' }))).message).toBe(
      'io.jwt.decode_verify: exp value must be a number',
    );
    expect(errorOf(() => call('io.jwt.decode_verify', t, 'x')).message).toBe(
      'io.jwt.decode_verify: operand 2 must be object but got string',
    );
  });

  it('works from Rego, with the query time from nowNs', () => {
    const t = token({ alg: 'HS256' }, { sub: 'alice', exp: 2000 }, hs('secret'));
    const policy = compileModules([
      parseModule(
        `package jwt
claims := payload if {
  [valid, _, payload] := io.jwt.decode_verify(input.token, {"secret": "secret"})
  valid
}
`,
        { file: 'jwt.rego' },
      ),
    ]);
    const at = (sec: bigint): unknown =>
      evalQuery(policy, 'x = data.jwt.claims', {
        input: ObjectValue.fromRecord({ token: t }),
        nowNs: sec * 1_000_000_000n,
      }).map((r) => obj(r.bindings.x));
    expect(at(1999n)).toEqual([{ sub: 'alice', exp: 2000 }]);
    expect(at(2000n)).toEqual([]);
  });
});

// RFC 7515 appendix A.1/A.2 keys and the tokens OPA's own conformance cases expect for them
// (v1/test/cases/testdata/v1/jwtencodesign*), plus OPA's EdDSA case: deterministic algorithms, so
// the whole token is compared.
const RFC_OCT = { kty: 'oct', k: 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow' };
const RFC_RSA = {
  kty: 'RSA',
  e: 'AQAB',
  n: 'ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ',
  d: 'Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ',
  p: '4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc',
  q: 'uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc',
};
const RFC_PAYLOAD = {
  aud: ['bob', 'saul'],
  exp: 1300819380,
  'http://example.com/is_root': true,
  iss: 'joe',
  privateParams: { private_one: 'one', private_two: 'two' },
};
const RFC_PAYLOAD_B64 =
  'eyJhdWQiOlsiYm9iIiwic2F1bCJdLCJleHAiOjEzMDA4MTkzODAsImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlLCJpc3MiOiJqb2UiLCJwcml2YXRlUGFyYW1zIjp7InByaXZhdGVfb25lIjoib25lIiwicHJpdmF0ZV90d28iOiJ0d28ifX0';

const rv = (x: unknown): Value => fromJson(x);

describe('io.jwt.encode_sign and encode_sign_raw', () => {
  it('signs HS256 with a JWK oct key, serialising header and payload as compact sorted JSON', () => {
    expect(call('io.jwt.encode_sign', rv({ typ: 'JWT', alg: 'HS256' }), rv(RFC_PAYLOAD), rv(RFC_OCT))).toBe(
      `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${RFC_PAYLOAD_B64}.-Or2eol8bzly-Ztb0v7_7UkcKBkN_aNNpK33HK0MeOY`,
    );
  });

  it('signs RS256 with an RSA JWK, deriving dp, dq and qi when they are absent', () => {
    expect(call('io.jwt.encode_sign', rv({ alg: 'RS256' }), rv(RFC_PAYLOAD), rv(RFC_RSA))).toBe(
      `eyJhbGciOiJSUzI1NiJ9.${RFC_PAYLOAD_B64}.kvCjo2z80h4YO3umCn3iayUXEnBGgw-Nk4-cYNPWagW4SAg34nZSonUt9Kpnc5h0s6LpJAnam1xuEezk-2VRPnu05foQdWTDKJAze-9vZ0wr0L_KyXLZaW0vVfehdGpPgJj_FqVfgnc-hXdL0RADfrKjApsrO7oHpv-Ii3u7oKwauzq5oQ2AXt4cp6ahu8VhOBGQiPXtV98Yw3U3NBetMX-I_qR6-UGsN6Z0pRO0bsdk1ANvMiHT6Y04x8nh4kzk5pfv71ACgnxrs1zxwg7YfYzm2tQXGceu7fwI9sqO_jz2c8RvMsg4u8q0js58F-gR1SVjmTyipnXv0tAGzpZnhg`,
    );
  });

  it('signs EdDSA with an OKP Ed25519 JWK', () => {
    const key = { kty: 'OKP', alg: 'EdDSA', crv: 'Ed25519', x: 'wEZFfoAj1rFKTLOOmjJjVZlCHwksuvMb2I5y_hg70E8', d: '9XI34uQzYUJfWhDZf_0nYsLMBRVu8a6dFsy60P8uugk' };
    expect(call('io.jwt.encode_sign', rv({ alg: 'EdDSA', typ: 'JWT' }), rv(RFC_PAYLOAD), rv(key))).toBe(
      `eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.${RFC_PAYLOAD_B64}.T_X7SzKEehTnRdgYrDobpKO-EqZ0LW3Y-idx16wNHXCL5aiR24h2Ei0pWRHG2X2BYomwbvNwyxPcasgHqs_eBA`,
    );
  });

  it('signs the raw header and payload byte for byte (RFC 7515 A.1, A.2)', () => {
    const header = '{"typ":"JWT",\r\n "alg":"HS256"}';
    const payload = '{"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}';
    expect(call('io.jwt.encode_sign_raw', header, payload, JSON.stringify(RFC_OCT, null, 1))).toBe(
      'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
    );
    expect(call('io.jwt.encode_sign_raw', '{"alg":"RS256"}', payload, JSON.stringify(RFC_RSA))).toBe(
      'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw',
    );
  });

  it('accepts a non-JSON payload only when typ is not JWT', () => {
    const textHeader = '{"typ":"text/plain",\r\n "alg":"HS256"}';
    expect(call('io.jwt.encode_sign_raw', textHeader, 'e', JSON.stringify(RFC_OCT))).toBe(
      'eyJ0eXAiOiJ0ZXh0L3BsYWluIiwNCiAiYWxnIjoiSFMyNTYifQ.ZQ.oO8Vnc4Jv7-J231a1bEcQrgXfKbNW-kEvVY7BP1v5rM',
    );
    expect(call('io.jwt.encode_sign_raw', textHeader, '', JSON.stringify(RFC_OCT))).toBe(
      'eyJ0eXAiOiJ0ZXh0L3BsYWluIiwNCiAiYWxnIjoiSFMyNTYifQ..sXoGQMWwM-SmX495-htA7kndgbkwz1PnqsDeY275gnI',
    );
    const e = errorOf(() => call('io.jwt.encode_sign_raw', '{"alg":"HS256"}', 'e', JSON.stringify(RFC_OCT)));
    expect(e.code).toBe('eval_builtin_error');
    expect(e.message).toBe('io.jwt.encode_sign_raw: type is JWT but payload is not JSON');
  });

  it('makes ES256, ES384, PS256 and RS512 tokens that verify with the public key', () => {
    const cases: Array<[string, KeyObject, KeyObject]> = [
      ['ES256', p256.privateKey, p256.publicKey],
      ['ES384', p384.privateKey, p384.publicKey],
      ['PS256', rsaPair.privateKey, rsaPair.publicKey],
      ['RS512', rsaPair.privateKey, rsaPair.publicKey],
    ];
    for (const [alg, priv, pub] of cases) {
      const t = call('io.jwt.encode_sign', rv({ alg }), rv({ sub: 'alice' }), rv(jwk(priv))) as string;
      expect(call(`io.jwt.verify_${alg.toLowerCase()}`, t, pemPublic(pub)), alg).toBe(true);
      expect(obj(call('io.jwt.decode', t)), alg).toEqual([{ alg }, { sub: 'alice' }, expect.any(String)]);
    }
  });

  it('signs with the first key of a JWK set and round-trips through decode_verify', () => {
    const t = call('io.jwt.encode_sign', rv({ alg: 'HS384', kid: 'k1' }), rv({ iss: 'warden' }), rv({ keys: [{ kty: 'oct', k: b64('s3cret') }] }));
    expect(obj(call('io.jwt.decode_verify', t as Value, rv({ secret: 's3cret', iss: 'warden' })))).toEqual([
      true,
      { alg: 'HS384', kid: 'k1' },
      { iss: 'warden' },
    ]);
  });

  it('reports unusable headers and keys as builtin errors, undefined outside strict mode', () => {
    const payload = rv({ a: 1 });
    const msg = (h: unknown, k: unknown): string => errorOf(() => call('io.jwt.encode_sign', rv(h), payload, rv(k))).message;
    expect(msg({ typ: 'JWT' }, RFC_OCT)).toBe("io.jwt.encode_sign: missing or invalid 'alg' header");
    expect(msg({ alg: 'none' }, RFC_OCT)).toBe('io.jwt.encode_sign: unknown JWS algorithm: none');
    expect(msg({ alg: 'RS256' }, RFC_OCT)).toBe('io.jwt.encode_sign: failed to sign: RS256 requires a RSA key, got oct');
    expect(msg({ alg: 'ES256' }, jwk(p256.publicKey))).toBe('io.jwt.encode_sign: failed to sign: ES256 requires a private key');
    expect(msg({ alg: 'HS256' }, { keys: [] })).toBe('io.jwt.encode_sign: no keys found in JWK set');
    expect(msg({ alg: 'HS256' }, { kty: 'oct' })).toBe('io.jwt.encode_sign: failed to sign: missing key while signing payload');
    expect(msg({ alg: 'HS256' }, { kty: 'XYZ' })).toBe('io.jwt.encode_sign: failed to parse JWK: unsupported key type "XYZ"');
    expect(callIn(lax, 'io.jwt.encode_sign', rv({ alg: 'none' }), payload, rv(RFC_OCT))).toBeUndefined();
  });

  it('checks encode_sign_raw operand types, the key (operand 3) first', () => {
    const e = errorOf(() => call('io.jwt.encode_sign_raw', 1, 2, 3));
    expect(e.code).toBe('eval_type_error');
    expect(e.message).toBe('io.jwt.encode_sign_raw: operand 3 must be string but got number');
    expect(errorOf(() => call('io.jwt.encode_sign_raw', 1, '{}', '{}')).message).toBe('io.jwt.encode_sign_raw: operand 1 must be string but got number');
  });
});
