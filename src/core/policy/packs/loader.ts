// Loads policy packs from directories: the built-in packs shipped in the package's policies/request,
// the global `<config dir>/policies/`, a repository's `.warden/policies/` and any extra paths.
// One bad file never stops the load: its error (code, file:line:col) is returned beside the
// policies that did load. Versions are the SHA-256 of each file's bytes.
import { createHash } from 'node:crypto';
import nodeFs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WardenError } from '../../errors.js';
import type { LoadedPolicy, PolicyOrigin, PolicyPhase } from '../decision.js';
import { compileYamlPolicy } from '../yaml/compile.js';
import { compileRegoPack, parseRegoFile, type ParsedRegoFile } from './rego-pack.js';

/** Policy files are hand-written; anything larger is a mistake. */
export const MAX_POLICY_BYTES = 1024 * 1024;

export interface PolicyDir {
  dir: string;
  origin: PolicyOrigin;
}

export interface PolicySet {
  /** Load order: by origin (builtin, global, repo, path), then by file path. */
  policies: LoadedPolicy[];
  /** One per file that failed (parse, schema, compile, duplicate name), located. */
  errors: WardenError[];
  /** Policies replaced by a policy of the same name from a later origin. */
  overridden: { name: string; source: string; by: string }[];
  dirs: PolicyDir[];
}

export interface LoadPolicyOptions {
  /** Injected for tests; node:fs by default. */
  fs?: Pick<typeof nodeFs, 'readdirSync' | 'readFileSync' | 'statSync'>;
  /**
   * Keep only policies of these phases, before names are resolved: `warden ci` loads the same
   * directories as the proxy, and a request policy must not replace (or collide with) a CI pack
   * that happens to share its name. Files of every phase are still compiled, so their errors
   * are still reported. Default: every phase.
   */
  phases?: readonly PolicyPhase[];
}

/** The built-in request packs of this package (policies/request at the package root). */
export function builtinPolicyDir(): string {
  // src/core/policy/packs/loader.ts and dist/core/policy/packs/loader.js are both four levels down.
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../policies/request');
}

export interface PolicyDirsOptions {
  /** WardenPaths.configDir: the global dir is `<configDir>/policies` (left out when not given). */
  configDir?: string;
  /** The repository root; its `.warden/policies` is added when given. */
  repoRoot?: string;
  /** Include the built-in packs (default true). */
  builtin?: boolean;
  /** Where the built-in packs are: default the request packs (policies/request); `warden ci` passes policies/ci. */
  builtinDir?: string;
  /** Extra directories or files, highest precedence. */
  extra?: readonly string[];
}

/** The directories a daemon or command loads, lowest precedence first. */
export function policyDirs(opts: PolicyDirsOptions): PolicyDir[] {
  const out: PolicyDir[] = [];
  if (opts.builtin !== false) out.push({ dir: opts.builtinDir ?? builtinPolicyDir(), origin: 'builtin' });
  if (opts.configDir) out.push({ dir: path.join(opts.configDir, 'policies'), origin: 'global' });
  if (opts.repoRoot) out.push({ dir: path.join(opts.repoRoot, '.warden', 'policies'), origin: 'repo' });
  for (const e of opts.extra ?? []) out.push({ dir: e, origin: 'path' });
  return out;
}

/** Hex SHA-256 of a file's bytes: a policy's version. */
export function policyVersion(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const isTestFile = (name: string): boolean => /\.test\.ya?ml$/i.test(name) || /_test\.rego$/i.test(name);
const isPolicyFile = (name: string): boolean => /\.(ya?ml|rego)$/i.test(name) && !isTestFile(name);

interface FoundFile {
  file: string;
  origin: PolicyOrigin;
  text: string;
  version: string;
}

/**
 * Loads every policy under `dirs` (directories recursively, hidden entries skipped; `*.test.yaml`
 * and `*_test.rego` are tests, not policies). A missing directory is no error. Never throws for a
 * bad file: see PolicySet.errors. Names must be unique within an origin; a later origin's policy
 * replaces an earlier one of the same name (that is how a built-in is turned off or changed).
 */
export function loadPolicySet(dirs: readonly (PolicyDir | string)[], opts: LoadPolicyOptions = {}): PolicySet {
  const fs = opts.fs ?? nodeFs;
  const norm: PolicyDir[] = dirs.map((d) => (typeof d === 'string' ? { dir: d, origin: 'path' as const } : d));
  const errors: WardenError[] = [];
  const files: FoundFile[] = [];
  const seen = new Set<string>();
  for (const d of norm) collect(fs, d, files, errors, seen);

  // Rego: parse all first, so packs compile with every library module (any package that is not a pack).
  const parsed = new Map<FoundFile, ParsedRegoFile>();
  for (const f of files) {
    if (!f.file.toLowerCase().endsWith('.rego')) continue;
    try {
      parsed.set(f, parseRegoFile(f.file, f.text));
    } catch (e) {
      errors.push(asError(e, f.file));
    }
  }
  const libraries = [...parsed.values()].filter((p) => p.phase === undefined);

  const loaded: LoadedPolicy[] = [];
  for (const f of files) {
    let policy: LoadedPolicy;
    try {
      if (f.file.toLowerCase().endsWith('.rego')) {
        const p = parsed.get(f);
        if (!p || p.phase === undefined) continue;
        policy = compileRegoPack(p, libraries, { origin: f.origin, version: f.version });
      } else {
        policy = compileYamlPolicy(f.text, { file: f.file, origin: f.origin, version: f.version });
      }
    } catch (e) {
      errors.push(asError(e, f.file));
      continue;
    }
    if (opts.phases && !opts.phases.includes(policy.meta.phase)) continue;
    loaded.push(policy);
  }

  // Names: unique within an origin; a later origin overrides.
  const byName = new Map<string, LoadedPolicy>();
  const overridden: PolicySet['overridden'] = [];
  for (const p of loaded) {
    const prev = byName.get(p.meta.name);
    if (prev && prev.meta.origin === p.meta.origin) {
      errors.push(
        new WardenError('policy_duplicate_name', `policy name ${JSON.stringify(p.meta.name)} is already used by ${prev.meta.source}`, {
          location: { file: p.meta.source },
          hint: 'give one of them another `name`',
        }),
      );
      continue;
    }
    if (prev) overridden.push({ name: p.meta.name, source: prev.meta.source, by: p.meta.source });
    byName.set(p.meta.name, p);
  }
  const kept = new Set(byName.values());
  return { policies: loaded.filter((p) => kept.has(p)), errors: dedupe(errors), overridden, dirs: norm };
}

function collect(fs: NonNullable<LoadPolicyOptions['fs']>, d: PolicyDir, out: FoundFile[], errors: WardenError[], seen: Set<string>): void {
  let st: nodeFs.Stats;
  try {
    st = fs.statSync(d.dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    errors.push(new WardenError('policy_unreadable', `cannot read ${d.dir}: ${(e as Error).message}`, { location: { file: d.dir } }));
    return;
  }
  const take = (file: string): void => {
    const key = path.resolve(file);
    if (seen.has(key)) return;
    seen.add(key);
    try {
      const size = fs.statSync(file).size;
      if (size > MAX_POLICY_BYTES) {
        errors.push(new WardenError('policy_too_large', `policy file is larger than 1MB`, { location: { file } }));
        return;
      }
      const bytes = fs.readFileSync(file);
      out.push({ file, origin: d.origin, text: bytes.toString('utf8'), version: policyVersion(bytes) });
    } catch (e) {
      errors.push(new WardenError('policy_unreadable', `cannot read policy file: ${(e as Error).message}`, { location: { file } }));
    }
  };
  if (!st.isDirectory()) {
    take(d.dir);
    return;
  }
  const walk = (dir: string): void => {
    let entries: nodeFs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      errors.push(new WardenError('policy_unreadable', `cannot read ${dir}: ${(e as Error).message}`, { location: { file: dir } }));
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && isPolicyFile(e.name)) take(p);
    }
  };
  walk(d.dir);
}

function asError(e: unknown, file: string): WardenError {
  if (e instanceof WardenError) return e.location ? e : new WardenError(e.code, e.message, { location: { file }, ...(e.hint ? { hint: e.hint } : {}) });
  return new WardenError('policy_load_failed', e instanceof Error ? e.message : String(e), { location: { file } });
}

/** A broken library fails every pack compiled with it: report each distinct error once. */
function dedupe(errors: WardenError[]): WardenError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.code}\0${e.location?.file}\0${e.location?.line}\0${e.location?.col}\0${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** `file:line:col: code: message`, the way `warden status` and the daemon log show a load error. */
export function formatLoadError(e: WardenError): string {
  const l = e.location;
  const where = l ? `${l.file}${l.line ? `:${l.line}` : ''}${l.col ? `:${l.col}` : ''}: ` : '';
  return `${where}${e.code}: ${e.message}`;
}
