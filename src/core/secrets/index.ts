// Where provider keys and tokens live: the OS keychain when one answers, else an encrypted file.
// Secret values never appear in errors or logs; only their names do.
import type { Env } from '../deps.js';
import { WardenError } from '../errors.js';
import type { WardenPaths } from '../paths.js';
import { FileSecretStore } from './file-store.js';
import { KeychainSecretStore, probeKeychain, type KeychainEntryFactory } from './keyring-store.js';

export interface SecretStore {
  readonly kind: 'keychain' | 'file';
  /** Undefined when no secret has that name. */
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<void>;
  /** False when there was nothing to delete. */
  delete(name: string): Promise<boolean>;
}

export interface OpenSecretStoreOptions {
  paths: Pick<WardenPaths, 'secretsFile' | 'secretsKeyFile'>;
  /** Reads WARDEN_SECRETS_BACKEND (`file` | `keychain`). */
  env: Env;
  /** How long the keychain probe may take before the file store is chosen. */
  probeTimeoutMs?: number;
  /** Keychain service name (tests use their own so they never touch the real one). */
  keychainService?: string;
  /** Stands in for the native keyring binding (tests). */
  keychainFactory?: KeychainEntryFactory;
}

export interface OpenedSecretStore {
  store: SecretStore;
  /** For humans: "OS keychain" or "encrypted file <path>". */
  description: string;
  /** Why the keychain was not used, when the file store was chosen by fallback. */
  fallbackReason?: string;
}

export const SECRETS_BACKEND_ENV = 'WARDEN_SECRETS_BACKEND';

export async function openSecretStore(opts: OpenSecretStoreOptions): Promise<OpenedSecretStore> {
  const forced = opts.env.get(SECRETS_BACKEND_ENV)?.trim().toLowerCase() || undefined;
  if (forced !== undefined && forced !== 'file' && forced !== 'keychain') {
    throw new WardenError('secrets_backend_invalid', `${SECRETS_BACKEND_ENV} must be "file" or "keychain", got "${forced}"`, {
      hint: `unset ${SECRETS_BACKEND_ENV} to let Warden choose`,
    });
  }
  const fileStore = (): OpenedSecretStore => ({
    store: new FileSecretStore({ file: opts.paths.secretsFile, keyFile: opts.paths.secretsKeyFile }),
    description: `encrypted file ${opts.paths.secretsFile}`,
  });
  if (forced === 'file') return fileStore();

  const probe = await probeKeychain({
    factory: opts.keychainFactory,
    service: opts.keychainService,
    timeoutMs: opts.probeTimeoutMs,
  });
  if (probe.ok) {
    return {
      store: new KeychainSecretStore({ factory: probe.factory, service: opts.keychainService }),
      description: 'OS keychain',
    };
  }
  if (forced === 'keychain') {
    throw new WardenError('keychain_unavailable', `${SECRETS_BACKEND_ENV}=keychain but the OS keychain is not available: ${probe.reason}`, {
      hint: `on Linux start a Secret Service (gnome-keyring, KeePassXC) with a DBus session, or set ${SECRETS_BACKEND_ENV}=file`,
    });
  }
  return { ...fileStore(), fallbackReason: probe.reason };
}

export { FileSecretStore, createFileSecretStore } from './file-store.js';
export { KeychainSecretStore, probeKeychain } from './keyring-store.js';
export type { KeychainEntry, KeychainEntryFactory } from './keyring-store.js';
