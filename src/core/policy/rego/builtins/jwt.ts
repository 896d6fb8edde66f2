// JWT builtins via node:crypto with OPA's semantics and error texts: io.jwt.decode, io.jwt.verify_*
// (HMAC secret, or PEM certificate / PEM public key / JWK / JWKS), io.jwt.decode_verify, and
// io.jwt.encode_sign / encode_sign_raw (signing with the first key of a JWK or JWK set).

import {
  X509Certificate,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  timingSafeEqual,
  sign as cryptoSign,
  verify as cryptoVerify,
  constants as cryptoConstants,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { ObjectValue, parseJson, toFloat, toJsonText, isNumber, type Value } from '../value.js';
import { obj, str } from './args.js';
import { T, builtinError, defaultRegistry, type BuiltinDefinition } from './registry.js';

/** The algorithms OPA knows (tokenAlgorithms); JWKS keys declaring any other `alg` are skipped. */
const ALGORITHMS = new Set([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512', 'EdDSA',
]);

type Hash = 'sha256' | 'sha384' | 'sha512';

const HASH_OF: Record<string, Hash> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

/** A failure OPA reports as a builtin error (`<name>: <message>`). */
class JwtError extends Error {}

interface Token {
  header: string;
  payload: string;
  signature: string;
}

interface VerificationKey {
  key: KeyObject;
  alg: string;
  kid: string;
}

interface TokenHeader {
  alg: string;
  kid: string;
  cty: string;
  crit: Set<string>;
  unknown: string[];
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** OPA's base64url.decode: missing padding restored (RFC 7515 App. C), then Go's strict decoder. */
function base64UrlBytes(s: string): Buffer {
  let t = s;
  if (!t.endsWith('=')) {
    switch (t.length % 4) {
      case 0:
        break;
      case 2:
        t += '==';
        break;
      case 3:
        t += '=';
        break;
      default:
        throw new JwtError(`illegal base64url string: ${s}`);
    }
  }
  const bad = /[^A-Za-z0-9_-]/.exec(t.replace(/={1,2}$/, ''));
  if (bad) throw new JwtError(`illegal base64 data at input byte ${bad.index}`);
  if (t.length % 4 !== 0) throw new JwtError(`illegal base64 data at input byte ${t.length - (t.length % 4)}`);
  return Buffer.from(t, 'base64url');
}

function splitToken(name: string, args: Value[], i: number): Token {
  const encoded = str(name, args, i);
  if (!encoded.includes('.')) throw new JwtError('encoded JWT had no period separators');
  const parts = encoded.split('.');
  if (parts.length !== 3) throw new JwtError(`encoded JWT must have 3 sections, found ${parts.length}`);
  return { header: parts[0], payload: parts[1], signature: parts[2] };
}

function jsonObject(text: string): ObjectValue {
  let v: Value;
  try {
    v = parseJson(text);
  } catch (e) {
    throw new JwtError(`invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!(v instanceof ObjectValue)) throw new JwtError('decoded JSON type was not an Object');
  return v;
}

function decodeHeader(token: Token): ObjectValue {
  let bytes: Buffer;
  try {
    bytes = base64UrlBytes(token.header);
  } catch (e) {
    throw new JwtError(`JWT header had invalid encoding: ${(e as Error).message}`);
  }
  let header: ObjectValue;
  try {
    header = jsonObject(bytes.toString('utf8'));
  } catch (e) {
    throw new JwtError(`bad JWT header: ${(e as Error).message}`);
  }
  if (header.has('enc')) throw new JwtError('JWT is a JWE object, which is not supported');
  return header;
}

function decodePayloadText(token: Token): string {
  try {
    return base64UrlBytes(token.payload).toString('utf8');
  } catch (e) {
    throw new JwtError(`JWT payload had invalid encoding: ${(e as Error).message}`);
  }
}

function parseHeader(header: ObjectValue): TokenHeader {
  const out: TokenHeader = { alg: '', kid: '', cty: '', crit: new Set(), unknown: [] };
  for (const [k, v] of header.entries()) {
    const key = typeof k === 'string' ? k : '';
    if (key === 'alg' || key === 'kid' || key === 'cty' || key === 'typ') {
      if (typeof v !== 'string') throw new JwtError(`${key}: must be a string`);
      if (key !== 'typ') out[key] = v;
    } else if (key === 'crit') {
      if (!Array.isArray(v)) throw new JwtError('crit: must be a list');
      for (const x of v as Value[]) if (typeof x === 'string') out.crit.add(x);
      if (out.crit.size === 0) throw new JwtError('crit: must be a nonempty list');
    } else {
      out.unknown.push(key);
    }
  }
  return out;
}

/** RFC 7515: `alg` must be present and every critical parameter understood. */
function headerValid(h: TokenHeader): boolean {
  return h.alg !== '' && !h.unknown.some((u) => h.crit.has(u));
}

function decode(name: string, args: Value[]): Value {
  const token = splitToken(name, args, 0);
  return decodeToken(token);
}

function decodeToken(token: Token): Value {
  const header = decodeHeader(token);
  const payloadText = decodePayloadText(token);
  if (header.get('cty') === 'JWT') {
    // A nested token: jwt.io quotes it, so surrounding quotes are trimmed before recursing.
    const inner = payloadText.replace(/^["']+|["']+$/g, '');
    const parts = inner.split('.');
    if (!inner.includes('.')) throw new JwtError('encoded JWT had no period separators');
    if (parts.length !== 3) throw new JwtError(`encoded JWT must have 3 sections, found ${parts.length}`);
    return decodeToken({ header: parts[0], payload: parts[1], signature: parts[2] });
  }
  const payload = jsonObject(payloadText);
  let sig: Buffer;
  try {
    sig = base64UrlBytes(token.signature);
  } catch (e) {
    throw new JwtError(`JWT signature had invalid encoding: ${(e as Error).message}`);
  }
  return [header, payload, sig.toString('hex')];
}

// ---------------------------------------------------------------------------------------------
// Keys

const PEM = /-----BEGIN ([^\r\n-]+)-----\r?\n([\s\S]*?)-----END \1-----[ \t]*(?:\r?\n)?/;

/** The key(s) in a PEM certificate, a PEM public key, or a JWK / JWK set (getKeysFromCertOrJWK). */
function keysFromCertOrJwk(text: string): VerificationKey[] {
  const m = PEM.exec(text);
  if (m) {
    if (m.index + m[0].length < text.length) throw new JwtError('extra data after a PEM certificate block');
    const type = m[1];
    const der = Buffer.from(m[2].replace(/^[\w-]+:.*$/gm, '').replace(/\s+/g, ''), 'base64');
    if (type === 'CERTIFICATE') {
      try {
        return [{ key: new X509Certificate(der).publicKey, alg: '', kid: '' }];
      } catch (e) {
        throw new JwtError(`failed to parse a PEM certificate: ${(e as Error).message}`);
      }
    }
    if (type === 'PUBLIC KEY') {
      try {
        return [{ key: createPublicKey({ key: der, format: 'der', type: 'spki' }), alg: '', kid: '' }];
      } catch (e) {
        throw new JwtError(`failed to parse a PEM public key: ${(e as Error).message}`);
      }
    }
    throw new JwtError('failed to extract a Key from the PEM certificate');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new JwtError(`failed to parse a JWK key (set): ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new JwtError('failed to parse a JWK key (set): not a JSON object');
  }
  const rec = parsed as Record<string, unknown>;
  const list = Array.isArray(rec.keys) ? (rec.keys as unknown[]) : [rec];
  const out: VerificationKey[] = [];
  for (const k of list) {
    if (k === null || typeof k !== 'object') throw new JwtError('failed to parse a JWK key (set): key is not an object');
    const jwk = k as JsonWebKey & { alg?: unknown; kid?: unknown };
    const alg = typeof jwk.alg === 'string' ? jwk.alg : '';
    if (alg !== '' && !ALGORITHMS.has(alg)) continue;
    out.push({ key: jwkKey(jwk), alg, kid: typeof jwk.kid === 'string' ? jwk.kid : '' });
  }
  return out;
}

function jwkKey(jwk: JsonWebKey): KeyObject {
  try {
    if (jwk.kty === 'oct') {
      if (typeof jwk.k !== 'string') throw new Error('required field k is missing');
      return createSecretKey(Buffer.from(jwk.k, 'base64url'));
    }
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch (e) {
    throw new JwtError(`failed to parse a JWK key (set): ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Signatures

const CURVE_BYTES: Record<string, number> = { prime256v1: 32, secp384r1: 48, secp521r1: 66 };

/** A DER INTEGER for an unsigned big-endian byte string. */
function derInteger(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let b = bytes.subarray(i);
  if (b.length === 0) b = Buffer.from([0]);
  if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return Buffer.concat([Buffer.from([0x02]), derLength(b.length), b]);
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let x = n; x > 0; x >>= 8) bytes.unshift(x & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** OPA's verify_es*: r and s are the two halves of the signature, whatever its length. */
function verifyEcdsaHalves(key: KeyObject, hash: Hash, data: Buffer, sig: Buffer): boolean {
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ec') return false;
  const n = sig.length >> 1;
  const body = Buffer.concat([derInteger(sig.subarray(0, n)), derInteger(sig.subarray(n))]);
  const der = Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
  try {
    return cryptoVerify(hash, data, key, der);
  } catch {
    return false;
  }
}

function verifyRsa(key: KeyObject, hash: Hash, pss: boolean, data: Buffer, sig: Buffer): boolean {
  if (key.type !== 'public' || (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss')) return false;
  try {
    return cryptoVerify(
      hash,
      data,
      pss
        ? { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: cryptoConstants.RSA_PSS_SALTLEN_AUTO }
        : { key, padding: cryptoConstants.RSA_PKCS1_PADDING },
      sig,
    );
  } catch {
    return false;
  }
}

function verifyEd25519(key: KeyObject, data: Buffer, sig: Buffer): boolean {
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519') return false;
  try {
    return cryptoVerify(null, data, key, sig);
  } catch {
    return false;
  }
}

function hmacEqual(secret: Buffer, hash: Hash, data: Buffer, sig: Buffer): boolean {
  const mac = createHmac(hash, secret).update(data).digest();
  return mac.length === sig.length && timingSafeEqual(mac, sig);
}

/**
 * A JWS signature check by algorithm name (decode_verify's jwsbb.Verify): the key type must fit
 * the algorithm and ECDSA signatures must be exactly r‖s of the key's curve size.
 */
function verifyJws(key: KeyObject | Buffer, alg: string, data: Buffer, sig: Buffer): boolean {
  const hash = HASH_OF[alg.slice(2)];
  if (!ALGORITHMS.has(alg)) return false;
  if (alg.startsWith('HS')) {
    const secret = Buffer.isBuffer(key) ? key : key.type === 'secret' ? key.export() : undefined;
    return secret !== undefined && hmacEqual(secret, hash, data, sig);
  }
  if (Buffer.isBuffer(key)) return false;
  if (alg.startsWith('RS')) return verifyRsa(key, hash, false, data, sig);
  if (alg.startsWith('PS')) return verifyRsa(key, hash, true, data, sig);
  if (alg === 'EdDSA') return verifyEd25519(key, data, sig);
  // ES*
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ec') return false;
  const size = CURVE_BYTES[key.asymmetricKeyDetails?.namedCurve ?? ''];
  if (size === undefined || sig.length !== 2 * size) return false;
  try {
    return cryptoVerify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}

function decodeSignature(token: Token): Buffer {
  return base64UrlBytes(token.signature);
}

function signedBytes(token: Token): Buffer {
  return Buffer.from(`${token.header}.${token.payload}`, 'utf8');
}

type KeyCheck = (key: KeyObject, data: Buffer, sig: Buffer) => boolean;

/**
 * builtinJWTVerify: a key whose `kid` matches the header's decides alone; otherwise any key without
 * an `alg`, or whose `alg` equals the header's, that verifies the signature makes the token valid.
 */
function verifyWithKeys(name: string, args: Value[], check: KeyCheck): boolean {
  const token = splitToken(name, args, 0);
  const keys = keysFromCertOrJwk(str(name, args, 1));
  const sig = decodeSignature(token);
  const header = parseHeader(decodeHeader(token));
  const data = signedBytes(token);
  if (header.kid !== '') {
    const k = keys.find((x) => x.kid === header.kid);
    if (k) return check(k.key, data, sig);
  }
  for (const k of keys) {
    if (k.alg !== '' && k.alg !== header.alg) continue;
    if (check(k.key, data, sig)) return true;
  }
  return false;
}

function verifyHs(name: string, args: Value[], hash: Hash): boolean {
  str(name, args, 0);
  const secret = str(name, args, 1);
  const token = splitToken(name, args, 0);
  return hmacEqual(Buffer.from(secret, 'utf8'), hash, signedBytes(token), decodeSignature(token));
}

// ---------------------------------------------------------------------------------------------
// decode_verify

interface Constraints {
  secret: string;
  alg: string;
  iss: string;
  aud: string;
  keys?: VerificationKey[];
  /** Seconds since the epoch. */
  time: number;
}

function timeConstraint(v: Value): number {
  if (!isNumber(v)) throw new JwtError('token time constraint: must be a number');
  const t = toFloat(v);
  if (!Number.isFinite(t)) throw new JwtError('token time constraint: unvalid float64');
  if (t < 0) throw new JwtError('token time constraint: must not be negative');
  return t;
}

function parseConstraints(o: ObjectValue, nowNs: bigint): Constraints {
  const c: Constraints = { secret: '', alg: '', iss: '', aud: '', time: -1 };
  for (const [k, v] of o.entries()) {
    const key = typeof k === 'string' ? k : JSON.stringify(k);
    switch (key) {
      case 'cert':
        if (typeof v !== 'string') throw new JwtError('cert constraint: must be a string');
        c.keys = keysFromCertOrJwk(v);
        break;
      case 'secret':
      case 'alg':
      case 'iss':
      case 'aud':
        if (typeof v !== 'string') throw new JwtError(`${key} constraint: must be a string`);
        c[key] = v;
        break;
      case 'time':
        c.time = timeConstraint(v);
        break;
      default:
        throw new JwtError(`unknown token validation constraint: ${key}`);
    }
  }
  if (c.time === -1) c.time = Number(nowNs);
  const n = (c.keys ? 1 : 0) + (c.secret !== '' ? 1 : 0);
  if (n > 1) throw new JwtError('duplicate key constraints');
  if (n < 1) throw new JwtError('no key constraint');
  return c;
}

function constraintsVerify(c: Constraints, header: TokenHeader, token: Token, sig: Buffer): boolean {
  const data = signedBytes(token);
  if (c.keys) {
    if (header.kid !== '') {
      const k = c.keys.find((x) => x.kid === header.kid);
      if (k) return verifyJws(k.key, header.alg, data, sig);
    }
    return c.keys.some((k) => (k.alg === '' || k.alg === header.alg) && verifyJws(k.key, header.alg, data, sig));
  }
  return verifyJws(Buffer.from(c.secret, 'utf8'), header.alg, data, sig);
}

function validAudience(c: Constraints, aud: Value): boolean {
  if (typeof aud === 'string') return aud === c.aud;
  if (!Array.isArray(aud)) return false;
  return (aud as Value[]).some((x) => typeof x === 'string' && x === c.aud);
}

const UNVERIFIED: Value = [false, new ObjectValue(), new ObjectValue()];

function decodeVerify(name: string, args: Value[], nowNs: bigint): Value {
  const c = parseConstraints(obj(name, args, 1), nowNs);
  let token = splitToken(name, args, 0);
  let header: ObjectValue;
  let payloadText: string;
  for (;;) {
    header = decodeHeader(token);
    const h = parseHeader(header);
    if (!headerValid(h)) return UNVERIFIED;
    if (c.alg !== '' && c.alg !== h.alg) return UNVERIFIED;
    const sig = decodeSignature(token);
    if (!constraintsVerify(c, h, token, sig)) return UNVERIFIED;
    payloadText = decodePayloadText(token);
    if (h.cty.toLowerCase() !== 'jwt') break;
    // Nested JWT: verify the inner token with the same constraints.
    token = splitToken(name, [payloadText], 0);
  }
  const payload = jsonObject(payloadText);
  const nowSeconds = c.time / 1e9;
  if (c.iss !== '') {
    const iss = payload.get('iss');
    if (typeof iss !== 'string' || iss !== c.iss) return UNVERIFIED;
  }
  const aud = payload.get('aud');
  if (aud !== undefined) {
    if (!validAudience(c, aud)) return UNVERIFIED;
  } else if (c.aud !== '') {
    return UNVERIFIED;
  }
  const exp = payload.get('exp');
  if (exp !== undefined) {
    if (!isNumber(exp)) throw new JwtError('exp value must be a number');
    if (nowSeconds >= toFloat(exp)) return UNVERIFIED;
  }
  const nbf = payload.get('nbf');
  if (nbf !== undefined) {
    if (!isNumber(nbf)) throw new JwtError('nbf value must be a number');
    if (nowSeconds < toFloat(nbf)) return UNVERIFIED;
  }
  return [true, header, payload];
}

// ---------------------------------------------------------------------------------------------
// encode_sign

/** Go's json.Marshal text of a value: compact, keys sorted, <, >, & and U+2028/9 escaped. */
function goJson(v: Value): string {
  return toJsonText(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** A JWK member holding a base64url big-endian integer, as bytes (base64url or std, padding optional). */
function jwkBytes(jwk: Record<string, unknown>, name: string): Buffer | undefined {
  const v = jwk[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^[A-Za-z0-9_\-+/]*={0,2}$/.test(v)) throw new JwtError(`failed to parse JWK: invalid ${name}`);
  return Buffer.from(v.replace(/=+$/, ''), 'base64url');
}

const toBig = (b: Buffer): bigint => (b.length ? BigInt(`0x${b.toString('hex')}`) : 0n);

function fromBig(n: bigint): string {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex').toString('base64url');
}

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [((a % m) + m) % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % m) + m) % m;
}

type SigningKey = { kind: 'oct'; secret: Buffer } | { kind: 'RSA' | 'EC' | 'OKP'; key: KeyObject; private: boolean };

/** The first key of a JWK or a JWK set, as a signing key (RSA CRT parameters derived when absent). */
function signingKey(text: string): SigningKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new JwtError(`failed to parse JWK: ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new JwtError('failed to parse JWK: not a JSON object');
  let jwk = parsed as Record<string, unknown>;
  if ('keys' in jwk) {
    if (!Array.isArray(jwk.keys) || jwk.keys.length === 0) throw new JwtError('no keys found in JWK set');
    const first: unknown = jwk.keys[0];
    if (first === null || typeof first !== 'object' || Array.isArray(first)) throw new JwtError('failed to parse JWK: key is not an object');
    jwk = first as Record<string, unknown>;
  }
  const kty = jwk.kty;
  if (kty === 'oct') return { kind: 'oct', secret: jwkBytes(jwk, 'k') ?? Buffer.alloc(0) };
  if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP') throw new JwtError(`failed to parse JWK: unsupported key type ${JSON.stringify(kty)}`);
  const isPrivate = jwk.d !== undefined;
  const material: Record<string, unknown> = { ...jwk };
  delete material.alg;
  delete material.key_ops;
  delete material.use;
  try {
    if (kty === 'RSA' && isPrivate && (jwk.dp === undefined || jwk.dq === undefined || jwk.qi === undefined)) {
      const [d, p, q] = ['d', 'p', 'q'].map((n) => jwkBytes(jwk, n));
      if (!d || !p || !q) throw new JwtError('failed to parse JWK: RSA private key needs d, p and q');
      const [dn, pn, qn] = [d, p, q].map(toBig);
      material.dp = fromBig(dn % (pn - 1n));
      material.dq = fromBig(dn % (qn - 1n));
      material.qi = fromBig(modInverse(qn, pn));
    }
    const key = isPrivate
      ? createPrivateKey({ key: material as JsonWebKey, format: 'jwk' })
      : createPublicKey({ key: material as JsonWebKey, format: 'jwk' });
    return { kind: kty, key, private: isPrivate };
  } catch (e) {
    if (e instanceof JwtError) throw e;
    throw new JwtError(`failed to parse JWK: ${(e as Error).message}`);
  }
}

/** The JWS signature of `data` under `alg`; the key must be a private key of the algorithm's type. */
function signJws(key: SigningKey, alg: string, data: Buffer): Buffer {
  const hash = HASH_OF[alg.slice(2)];
  const family = alg === 'EdDSA' ? 'OKP' : alg.startsWith('HS') ? 'oct' : alg.startsWith('ES') ? 'EC' : 'RSA';
  if (key.kind !== family) throw new JwtError(`failed to sign: ${alg} requires a ${family} key, got ${key.kind}`);
  if (key.kind === 'oct') {
    if (key.secret.length === 0) throw new JwtError('failed to sign: missing key while signing payload');
    return createHmac(hash, key.secret).update(data).digest();
  }
  if (!key.private) throw new JwtError(`failed to sign: ${alg} requires a private key`);
  try {
    if (alg === 'EdDSA') {
      if (key.key.asymmetricKeyType !== 'ed25519') throw new JwtError('failed to sign: EdDSA requires an Ed25519 key');
      return cryptoSign(null, data, key.key);
    }
    if (alg.startsWith('ES')) return cryptoSign(hash, data, { key: key.key, dsaEncoding: 'ieee-p1363' });
    if (alg.startsWith('PS')) {
      return cryptoSign(hash, data, { key: key.key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: cryptoConstants.RSA_PSS_SALTLEN_DIGEST });
    }
    return cryptoSign(hash, data, { key: key.key, padding: cryptoConstants.RSA_PKCS1_PADDING });
  } catch (e) {
    if (e instanceof JwtError) throw e;
    throw new JwtError(`failed to sign: ${(e as Error).message}`);
  }
}

/** The string member `name` of a JOSE header given as JSON text (jwsbb.HeaderGetString). */
function headerString(headerText: string, name: string): string | undefined {
  let h: unknown;
  try {
    h = JSON.parse(headerText);
  } catch {
    return undefined;
  }
  if (h === null || typeof h !== 'object' || Array.isArray(h)) return undefined;
  const v = (h as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

/** OPA's commonBuiltinJWTEncodeSign over the exact header and payload bytes. */
function encodeSign(headerText: string, payloadText: string, jwkText: string): string {
  const key = signingKey(jwkText);
  const alg = headerString(headerText, 'alg');
  if (alg === undefined) throw new JwtError(`missing or invalid 'alg' header`);
  if (!ALGORITHMS.has(alg)) throw new JwtError(`unknown JWS algorithm: ${alg}`);
  const typ = headerString(headerText, 'typ');
  if (typ === undefined || typ === 'JWT') {
    try {
      JSON.parse(payloadText);
    } catch {
      throw new JwtError('type is JWT but payload is not JSON');
    }
  }
  const signingInput = `${b64url(headerText)}.${b64url(payloadText)}`;
  return `${signingInput}.${b64url(signJws(key, alg, Buffer.from(signingInput, 'utf8')))}`;
}

// ---------------------------------------------------------------------------------------------
// Registration

/** Runs a JWT builtin, turning JwtErrors into OPA's builtin errors (`<name>: <message>`). */
function wrap(name: string, f: (args: Value[], nowNs: bigint) => Value): BuiltinDefinition['impl'] {
  return (args, ctx) => {
    try {
      return f(args, ctx.nowNs);
    } catch (e) {
      if (e instanceof JwtError) throw builtinError(name, e.message);
      throw e;
    }
  };
}

function verifier(name: string, check: (args: Value[]) => boolean): BuiltinDefinition {
  return { name, args: [T.string, T.string], result: T.boolean, impl: wrap(name, (args) => check(args)) };
}

function keyVerifier(alg: string): BuiltinDefinition {
  const name = `io.jwt.verify_${alg.toLowerCase()}`;
  const hash = HASH_OF[alg.slice(2)];
  const check: KeyCheck = alg.startsWith('RS')
    ? (k, d, s) => verifyRsa(k, hash, false, d, s)
    : alg.startsWith('PS')
      ? (k, d, s) => verifyRsa(k, hash, true, d, s)
      : alg === 'EdDSA'
        ? (k, d, s) => verifyEd25519(k, d, s)
        : (k, d, s) => verifyEcdsaHalves(k, hash, d, s);
  return verifier(name, (args) => verifyWithKeys(name, args, check));
}

function hsVerifier(bits: '256' | '384' | '512'): BuiltinDefinition {
  const name = `io.jwt.verify_hs${bits}`;
  return verifier(name, (args) => verifyHs(name, args, HASH_OF[bits]));
}

export const jwtBuiltins: BuiltinDefinition[] = [
  {
    name: 'io.jwt.decode',
    args: [T.string],
    result: T.array(),
    impl: wrap('io.jwt.decode', (args) => decode('io.jwt.decode', args)),
  },
  hsVerifier('256'),
  hsVerifier('384'),
  hsVerifier('512'),
  ...['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'].map(keyVerifier),
  {
    // Headers, payload and key are serialised as Go's json.Marshal writes them (compact, sorted).
    name: 'io.jwt.encode_sign',
    args: [T.object(T.string, T.any), T.object(T.string, T.any), T.object(T.string, T.any)],
    result: T.string,
    nondeterministic: true,
    impl: wrap('io.jwt.encode_sign', (args) => encodeSign(goJson(args[0]), goJson(args[1]), goJson(args[2]))),
  },
  {
    // The header and payload are signed as given, byte for byte; OPA checks operand 3 first.
    name: 'io.jwt.encode_sign_raw',
    args: [T.string, T.string, T.string],
    result: T.string,
    nondeterministic: true,
    impl: wrap('io.jwt.encode_sign_raw', (args) => {
      const n = 'io.jwt.encode_sign_raw';
      const jwk = str(n, args, 2);
      return encodeSign(str(n, args, 0), str(n, args, 1), jwk);
    }),
  },
  {
    name: 'io.jwt.decode_verify',
    args: [T.string, T.object(T.string, T.any)],
    result: T.array(),
    impl: wrap('io.jwt.decode_verify', (args, nowNs) => decodeVerify('io.jwt.decode_verify', args, nowNs)),
  },
];

defaultRegistry.registerAll(jwtBuiltins);
