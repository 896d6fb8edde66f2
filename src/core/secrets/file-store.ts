// The encrypted-file secret store used where no OS keychain answers (CI, headless Linux):
// AES-256-GCM entries in one JSON file, keyed by a random 32-byte key in a separate 0600 file.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { WardenError } from '../errors.js';
import type { SecretStore } from './index.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FILE_VERSION = 1;
/** Ceiling on the secrets file so a corrupt or hostile file cannot exhaust memory. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

interface EncryptedEntry {
  iv: string;
  tag: string;
  ct: string;
}

interface SecretsFile {
  version: 1;
  entries: Record<string, EncryptedEntry>;
}

export interface FileSecretStoreOptions {
  /** JSON file of encrypted entries (paths.secretsFile). */
  file: string;
  /** Raw key file (paths.secretsKeyFile); created on first write. */
  keyFile: string;
}

/** Validates a secret's name; names appear in errors, values never do. */
export function assertSecretName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > 256 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new WardenError('secret_name_invalid', 'secret names are 1-256 printable characters');
  }
}

/**
 * Entries are bound to their names (the name is GCM additional authenticated data), so copying one
 * entry's ciphertext under another name fails authentication instead of yielding the wrong secret.
 */
export class FileSecretStore implements SecretStore {
  readonly kind = 'file' as const;
  private key: Buffer | undefined;
  /** Serialises read-modify-write cycles within this process. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: FileSecretStoreOptions) {}

  async get(name: string): Promise<string | undefined> {
    assertSecretName(name);
    const data = await this.readFile();
    const entry = data.entries[name];
    if (!entry) return undefined;
    const key = await this.loadKey(false);
    if (!key) {
      throw new WardenError('secrets_key_missing', `the key for ${this.opts.file} is missing (${this.opts.keyFile})`, {
        hint: 'restore the key file, or delete the secrets file and set the secrets again',
      });
    }
    return decrypt(key, name, entry);
  }

  set(name: string, value: string): Promise<void> {
    assertSecretName(name);
    if (typeof value !== 'string') throw new WardenError('secret_value_invalid', `secret "${name}" must be a string`);
    return this.exclusive(async () => {
      const data = await this.readFile();
      let key = await this.loadKey(false);
      if (!key) {
        if (Object.keys(data.entries).length > 0) {
          throw new WardenError('secrets_key_missing', `the key for ${this.opts.file} is missing (${this.opts.keyFile})`, {
            hint: 'restore the key file, or delete the secrets file and set the secrets again',
          });
        }
        key = await this.loadKey(true);
        if (!key) throw new WardenError('secrets_key_missing', `could not create ${this.opts.keyFile}`);
      }
      data.entries[name] = encrypt(key, name, value);
      await this.writeFile(data);
    });
  }

  delete(name: string): Promise<boolean> {
    assertSecretName(name);
    return this.exclusive(async () => {
      const data = await this.readFile();
      if (!(name in data.entries)) return false;
      delete data.entries[name];
      await this.writeFile(data);
      return true;
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The key, creating it (0600, directory 0700) when `create` and absent; undefined when absent. */
  private async loadKey(create: boolean): Promise<Buffer | undefined> {
    if (this.key) return this.key;
    const file = this.opts.keyFile;
    let raw: Buffer | undefined;
    try {
      raw = await fs.readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw unreadable(file, e);
    }
    if (!raw && create) {
      await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      const fresh = randomBytes(KEY_BYTES);
      try {
        // 'wx': if another process created the key first, use theirs rather than overwrite it.
        await fs.writeFile(file, fresh.toString('base64') + '\n', { flag: 'wx', mode: 0o600 });
        await fs.chmod(file, 0o600);
        raw = Buffer.from(fresh.toString('base64') + '\n');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw unreadable(file, e);
        raw = await fs.readFile(file);
      }
    }
    if (!raw) return undefined;
    const key = Buffer.from(raw.toString('utf8').trim(), 'base64');
    if (key.length !== KEY_BYTES) {
      throw new WardenError('secrets_key_invalid', `${file} does not hold a ${KEY_BYTES}-byte key`, {
        hint: 'restore the key file from a backup; without it the stored secrets cannot be read',
      });
    }
    this.key = key;
    return key;
  }

  private async readFile(): Promise<SecretsFile> {
    const file = this.opts.file;
    let text: string;
    try {
      const st = await fs.stat(file);
      if (st.size > MAX_FILE_BYTES) throw invalid(file, 'it is larger than 16MB');
      text = await fs.readFile(file, 'utf8');
    } catch (e) {
      if (e instanceof WardenError) throw e;
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: FILE_VERSION, entries: {} };
      throw unreadable(file, e);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw invalid(file, 'it is not valid JSON');
    }
    if (!isRecord(parsed) || parsed.version !== FILE_VERSION || !isRecord(parsed.entries)) {
      throw invalid(file, `expected {"version": ${FILE_VERSION}, "entries": {...}}`);
    }
    const entries: Record<string, EncryptedEntry> = Object.create(null);
    for (const [name, e] of Object.entries(parsed.entries)) {
      if (!isRecord(e) || typeof e.iv !== 'string' || typeof e.tag !== 'string' || typeof e.ct !== 'string') {
        throw invalid(file, `entry "${name}" is malformed`);
      }
      entries[name] = { iv: e.iv, tag: e.tag, ct: e.ct };
    }
    return { version: FILE_VERSION, entries };
  }

  /** Temp file in the same directory, then rename: readers see the old or the new file, never half. */
  private async writeFile(data: SecretsFile): Promise<void> {
    const file = this.opts.file;
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${randomBytes(8).toString('hex')}.tmp`;
    const body = JSON.stringify({ version: data.version, entries: { ...data.entries } }, null, 2) + '\n';
    try {
      const fh = await fs.open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(body, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.rename(tmp, file);
      await fs.chmod(file, 0o600);
    } catch (e) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw new WardenError('secrets_write_failed', `could not write ${file}: ${(e as Error).message}`, { cause: e });
    }
  }
}

export function createFileSecretStore(opts: FileSecretStoreOptions): FileSecretStore {
  return new FileSecretStore(opts);
}

function encrypt(key: Buffer, name: string, value: string): EncryptedEntry {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(name, 'utf8'));
  const ct = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ct: ct.toString('base64') };
}

function decrypt(key: Buffer, name: string, entry: EncryptedEntry): string {
  const iv = Buffer.from(entry.iv, 'base64');
  const tag = Buffer.from(entry.tag, 'base64');
  const ct = Buffer.from(entry.ct, 'base64');
  try {
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('bad iv or tag length');
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(name, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
  } catch {
    // The cause is deliberately dropped: it carries nothing useful and must not leak material.
    throw new WardenError(
      'secret_tampered',
      `secret "${name}" failed its integrity check: the secrets file was modified or does not match its key`,
      { hint: 'set the secret again to replace the damaged entry' },
    );
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(file: string, why: string): WardenError {
  return new WardenError('secrets_file_invalid', `${file} is not a Warden secrets file: ${why}`, {
    location: { file },
  });
}

function unreadable(file: string, e: unknown): WardenError {
  return new WardenError('secrets_unreadable', `cannot access ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
    cause: e,
  });
}
