// The OS-keychain secret store (macOS Keychain, Windows Credential Manager, Secret Service) via
// @napi-rs/keyring's async API, with a time guard on every call so a hung DBus cannot block Warden.
import { randomBytes } from 'node:crypto';
import { WardenError } from '../errors.js';
import type { SecretStore } from './index.js';
import { assertSecretName } from './file-store.js';

export const KEYCHAIN_SERVICE = 'warden';

/** The slice of a keyring entry Warden uses; @napi-rs/keyring's AsyncEntry satisfies it. */
export interface KeychainEntry {
  getPassword(signal?: AbortSignal): Promise<string | null | undefined>;
  setPassword(password: string, signal?: AbortSignal): Promise<void>;
  deleteCredential(signal?: AbortSignal): Promise<boolean>;
}

export type KeychainEntryFactory = (service: string, account: string) => KeychainEntry;

let nativeFactory: Promise<KeychainEntryFactory> | undefined;

/**
 * The native keyring binding, loaded on first use: a platform without a prebuilt binary then
 * fails here (and falls back) instead of when the module graph loads.
 */
export function loadNativeKeychain(): Promise<KeychainEntryFactory> {
  nativeFactory ??= import('@napi-rs/keyring').then(
    (mod) => (service: string, account: string) => new mod.AsyncEntry(service, account) as KeychainEntry,
  );
  return nativeFactory;
}

export interface KeychainStoreOptions {
  factory: KeychainEntryFactory;
  service?: string;
  /** Per-call ceiling; a keychain prompt waiting for the user can take a while. */
  timeoutMs?: number;
}

export class KeychainSecretStore implements SecretStore {
  readonly kind = 'keychain' as const;
  private readonly service: string;
  private readonly timeoutMs: number;

  constructor(private readonly opts: KeychainStoreOptions) {
    this.service = opts.service ?? KEYCHAIN_SERVICE;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  async get(name: string): Promise<string | undefined> {
    assertSecretName(name);
    try {
      const v = await guarded(this.timeoutMs, (signal) => this.entry(name).getPassword(signal));
      return v ?? undefined;
    } catch (e) {
      if (isNoEntry(e)) return undefined;
      throw keychainError(`could not read secret "${name}" from the OS keychain`, e);
    }
  }

  async set(name: string, value: string): Promise<void> {
    assertSecretName(name);
    try {
      await guarded(this.timeoutMs, (signal) => this.entry(name).setPassword(value, signal));
    } catch (e) {
      throw keychainError(`could not store secret "${name}" in the OS keychain`, e);
    }
  }

  async delete(name: string): Promise<boolean> {
    assertSecretName(name);
    try {
      return await guarded(this.timeoutMs, (signal) => this.entry(name).deleteCredential(signal));
    } catch (e) {
      if (isNoEntry(e)) return false;
      throw keychainError(`could not delete secret "${name}" from the OS keychain`, e);
    }
  }

  private entry(name: string): KeychainEntry {
    return this.opts.factory(this.service, name);
  }
}

export type KeychainProbe = { ok: true; factory: KeychainEntryFactory } | { ok: false; reason: string };

/**
 * Whether the keychain answers: writes, reads back and deletes a throwaway entry within
 * `timeoutMs`. A keychain that only reads (or reads back something else) does not count.
 */
export async function probeKeychain(
  opts: { factory?: KeychainEntryFactory; service?: string; timeoutMs?: number } = {},
): Promise<KeychainProbe> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  let factory: KeychainEntryFactory;
  try {
    factory = opts.factory ?? (await loadNativeKeychain());
  } catch (e) {
    return { ok: false, reason: `the keyring module did not load (${firstLine(e)})` };
  }
  const entry = factory(opts.service ?? KEYCHAIN_SERVICE, '__warden_probe__');
  const token = randomBytes(12).toString('hex');
  try {
    await guarded(timeoutMs, async (signal) => {
      await entry.setPassword(token, signal);
      const back = await entry.getPassword(signal);
      await entry.deleteCredential(signal).catch(() => false);
      if (back !== token) throw new Error('the keychain did not return what was stored');
    });
    return { ok: true, factory };
  } catch (e) {
    return { ok: false, reason: firstLine(e) };
  }
}

class KeychainTimeout extends Error {
  constructor(ms: number) {
    super(`the keychain did not answer within ${ms}ms`);
  }
}

/** Runs `fn`, abandoning it (and signalling abort) after `ms`; the native call may linger, Warden does not. */
async function guarded<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      reject(new KeychainTimeout(ms));
    }, ms);
    timer.unref();
  });
  try {
    return await Promise.race([fn(ac.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function isNoEntry(e: unknown): boolean {
  return /no matching entry|NoEntry/i.test(firstLine(e));
}

/** The first line of an error: native keyring errors append a Rust backtrace nobody needs. */
function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].trim() || 'unknown error';
}

function keychainError(message: string, e: unknown): WardenError {
  return new WardenError('keychain_error', `${message}: ${firstLine(e)}`, {
    hint: 'set WARDEN_SECRETS_BACKEND=file to use the encrypted file store instead',
  });
}
