import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envFrom } from '../../../src/core/deps.js';
import { WardenError } from '../../../src/core/errors.js';
import { FileSecretStore, openSecretStore, type KeychainEntryFactory } from '../../../src/core/secrets/index.js';

let dir: string;
let paths: { secretsFile: string; secretsKeyFile: string };
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-secrets-'));
  paths = { secretsFile: path.join(dir, 'data/secrets.enc.json'), secretsKeyFile: path.join(dir, 'data/secrets.key') };
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const SECRET = 'sk-proj-SUPERSECRETVALUE123';
const mode = (p: string) => fs.statSync(p).mode & 0o777;

async function rejection(p: Promise<unknown>): Promise<WardenError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof WardenError) return e;
    throw e;
  }
  throw new Error('expected a WardenError');
}

/** An in-memory keychain that behaves like a working OS keychain. */
function memoryKeychain(): { factory: KeychainEntryFactory; data: Map<string, string> } {
  const data = new Map<string, string>();
  const factory: KeychainEntryFactory = (service, account) => {
    const k = `${service}/${account}`;
    return {
      getPassword: async () => data.get(k) ?? null,
      setPassword: async (v) => void data.set(k, v),
      deleteCredential: async () => data.delete(k),
    };
  };
  return { factory, data };
}

const brokenKeychain: KeychainEntryFactory = () => ({
  getPassword: async () => null,
  setPassword: async () => {
    throw new Error("Couldn't access platform storage: AccessDenied\n\nCaused by: ...");
  },
  deleteCredential: async () => false,
});

const hangingKeychain: KeychainEntryFactory = () => ({
  getPassword: () => new Promise(() => {}),
  setPassword: () => new Promise(() => {}),
  deleteCredential: () => new Promise(() => {}),
});

describe('FileSecretStore', () => {
  it('round-trips, lists absent names as undefined and deletes', async () => {
    const store = new FileSecretStore({ file: paths.secretsFile, keyFile: paths.secretsKeyFile });
    expect(await store.get('openai')).toBeUndefined();
    await store.set('openai', SECRET);
    await store.set('anthropic', 'sk-ant-x');
    expect(await store.get('openai')).toBe(SECRET);
    // A fresh instance reads the same files: nothing is only in memory.
    const again = new FileSecretStore({ file: paths.secretsFile, keyFile: paths.secretsKeyFile });
    expect(await again.get('anthropic')).toBe('sk-ant-x');
    expect(await again.delete('openai')).toBe(true);
    expect(await again.delete('openai')).toBe(false);
    expect(await store.get('openai')).toBeUndefined();
    expect(await store.get('anthropic')).toBe('sk-ant-x');
  });

  it('writes the key and the secrets file 0600 in a 0700 directory and never stores the plaintext', async () => {
    const store = new FileSecretStore({ file: paths.secretsFile, keyFile: paths.secretsKeyFile });
    await store.set('openai', SECRET);
    expect(mode(paths.secretsKeyFile)).toBe(0o600);
    expect(mode(paths.secretsFile)).toBe(0o600);
    expect(mode(path.dirname(paths.secretsFile))).toBe(0o700);
    const text = fs.readFileSync(paths.secretsFile, 'utf8');
    expect(text).not.toContain(SECRET);
    const json = JSON.parse(text);
    expect(json.version).toBe(1);
    expect(Object.keys(json.entries.openai).sort()).toEqual(['ct', 'iv', 'tag']);
    expect(Buffer.from(fs.readFileSync(paths.secretsKeyFile, 'utf8').trim(), 'base64')).toHaveLength(32);
    // No temp files left behind by the atomic write.
    expect(fs.readdirSync(path.dirname(paths.secretsFile)).sort()).toEqual(['secrets.enc.json', 'secrets.key']);
  });

  it('keeps 0600 after rewriting a file whose mode was loosened', async () => {
    const store = new FileSecretStore({ file: paths.secretsFile, keyFile: paths.secretsKeyFile });
    await store.set('a', '1');
    fs.chmodSync(paths.secretsFile, 0o644);
    await store.set('b', '2');
    expect(mode(paths.secretsFile)).toBe(0o600);
  });

  it('detects tampered ciphertext and names the entry but never the value', async () => {
    const store = new FileSecretStore({ file: paths.secretsFile, keyFile: paths.secretsKeyFile });
    await store.set('openai', SECRET);
    const json = JSON.parse(fs.readFileSync(paths.secretsFile, 'utf8'));
    const ct = Buffer.from(json.entries.openai.ct, 'base64');
    ct[0] ^= 0x01;
    json.entries.openai.ct = ct.toString('base64');
    fs.writeFileSync(paths.secretsFile, JSON.stringify(json));
    const err = await rejection(store.get('openai'));
    expect(err.code).toBe('secret_tampered');
    expect(err.message).toContain('"openai"');
    expect(JSON.stringify(err.toJSON()) + err.format()).not.toContain(SECRET);
    expect(err.cause).toBeUndefined();
  });

  it('refuses an entry copied under another name', async () => {
    const store = new FileSecretStore({ file: paths.secretsFile, keyFile: paths.secretsKeyFile });
    await store.set('openai', SECRET);
    await store.set('other', 'harmless');
    const json = JSON.parse(fs.readFileSync(paths.secretsFile, 'utf8'));
    json.entries.other = json.entries.openai;
    fs.writeFileSync(paths.secretsFile, JSON.stringify(json));
    const err = await rejection(store.get('other'));
    expect(err.code).toBe('secret_tampered');
    expect(err.message).toContain('"other"');
    expect(await store.get('openai')).toBe(SECRET);
  });

  it('fails clearly when entries exist but the key is gone, instead of minting a new key', async () => {
    const store = new FileSecretStore({ file: paths.secretsFile, keyFile: paths.secretsKeyFile });
    await store.set('openai', SECRET);
    fs.rmSync(paths.secretsKeyFile);
    const fresh = new FileSecretStore({ file: paths.secretsFile, keyFile: paths.secretsKeyFile });
    expect((await rejection(fresh.get('openai'))).code).toBe('secrets_key_missing');
    expect((await rejection(fresh.set('x', 'y'))).code).toBe('secrets_key_missing');
    expect(fs.existsSync(paths.secretsKeyFile)).toBe(false);
  });

  it('rejects a secrets file that is not JSON', async () => {
    fs.mkdirSync(path.dirname(paths.secretsFile), { recursive: true });
    fs.writeFileSync(paths.secretsFile, 'not json');
    const store = new FileSecretStore({ file: paths.secretsFile, keyFile: paths.secretsKeyFile });
    expect((await rejection(store.get('x'))).code).toBe('secrets_file_invalid');
  });

  it('does not lose concurrent writes from one process', async () => {
    const store = new FileSecretStore({ file: paths.secretsFile, keyFile: paths.secretsKeyFile });
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(`k${i}`, `v${i}`)));
    const values = await Promise.all(Array.from({ length: 20 }, (_, i) => store.get(`k${i}`)));
    expect(values).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
  });
});

describe('openSecretStore', () => {
  it.skipIf(process.platform !== 'linux' || !!process.env.DBUS_SESSION_BUS_ADDRESS)(
    'falls back to the encrypted file on a machine without a Secret Service',
    async () => {
      const opened = await openSecretStore({ paths, env: envFrom({}), keychainService: 'warden-test' });
      expect(opened.store.kind).toBe('file');
      expect(opened.description).toBe(`encrypted file ${paths.secretsFile}`);
      expect(opened.fallbackReason).toBeTruthy();
      await opened.store.set('x', 'y');
      expect(await opened.store.get('x')).toBe('y');
    },
  );

  it.skipIf(process.platform !== 'linux' || !!process.env.DBUS_SESSION_BUS_ADDRESS)(
    'refuses a forced keychain on a machine without a Secret Service',
    async () => {
      const err = await rejection(
        openSecretStore({ paths, env: envFrom({ WARDEN_SECRETS_BACKEND: 'keychain' }), keychainService: 'warden-test' }),
      );
      expect(err.code).toBe('keychain_unavailable');
      expect(err.message).not.toContain('\n');
    },
  );

  it('falls back when the keychain refuses writes, with a one-line reason', async () => {
    const opened = await openSecretStore({ paths, env: envFrom({}), keychainFactory: brokenKeychain });
    expect(opened.store.kind).toBe('file');
    expect(opened.fallbackReason).toBe("Couldn't access platform storage: AccessDenied");
  });

  it('falls back when the keychain hangs, within the probe timeout', async () => {
    const opened = await openSecretStore({ paths, env: envFrom({}), keychainFactory: hangingKeychain, probeTimeoutMs: 50 });
    expect(opened.store.kind).toBe('file');
    expect(opened.fallbackReason).toMatch(/did not answer within 50ms/);
  });

  it('uses a working keychain and leaves no probe entry behind', async () => {
    const kc = memoryKeychain();
    const opened = await openSecretStore({ paths, env: envFrom({}), keychainFactory: kc.factory });
    expect(opened.store.kind).toBe('keychain');
    expect(opened.description).toBe('OS keychain');
    expect([...kc.data.keys()]).toEqual([]);
    await opened.store.set('openai', SECRET);
    expect(kc.data.get('warden/openai')).toBe(SECRET);
    expect(await opened.store.get('openai')).toBe(SECRET);
    expect(await opened.store.delete('openai')).toBe(true);
    expect(await opened.store.get('openai')).toBeUndefined();
    expect(fs.existsSync(paths.secretsFile)).toBe(false);
  });

  it('honours WARDEN_SECRETS_BACKEND=file without probing the keychain', async () => {
    let probed = false;
    const factory: KeychainEntryFactory = (s, a) => {
      probed = true;
      return memoryKeychain().factory(s, a);
    };
    const opened = await openSecretStore({ paths, env: envFrom({ WARDEN_SECRETS_BACKEND: 'file' }), keychainFactory: factory });
    expect(opened.store.kind).toBe('file');
    expect(opened.fallbackReason).toBeUndefined();
    expect(probed).toBe(false);
  });

  it('errors with a hint when WARDEN_SECRETS_BACKEND=keychain and none answers', async () => {
    const err = await rejection(
      openSecretStore({ paths, env: envFrom({ WARDEN_SECRETS_BACKEND: 'keychain' }), keychainFactory: brokenKeychain }),
    );
    expect(err.code).toBe('keychain_unavailable');
    expect(err.hint).toContain('WARDEN_SECRETS_BACKEND=file');
  });

  it('uses the keychain when forced and available', async () => {
    const opened = await openSecretStore({
      paths,
      env: envFrom({ WARDEN_SECRETS_BACKEND: 'keychain' }),
      keychainFactory: memoryKeychain().factory,
    });
    expect(opened.store.kind).toBe('keychain');
  });

  it('rejects an unknown backend name', async () => {
    const err = await rejection(openSecretStore({ paths, env: envFrom({ WARDEN_SECRETS_BACKEND: 'vault' }) }));
    expect(err.code).toBe('secrets_backend_invalid');
  });
});
