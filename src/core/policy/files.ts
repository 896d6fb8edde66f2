// Collects policy sources the way `opa eval -d` / `opa test` do: `.rego` modules and `.json`/`.yaml`/
// `.yml` data documents from files and directories (recursively, hidden entries skipped), with
// each data document placed under `data` at its directory path relative to the root it was found
// under (`-d policies` and policies/users/data.json → data.users; a file named directly → data).
// Supported: objects merge deeply; any other collision is a `policy_data_conflict`. Not supported:
// bundles (.tar.gz, .manifest), `--ignore` patterns, and multi-document YAML streams.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ExitCode, WardenError } from '../errors.js';
import type { RegoVersionMode } from './rego/ast.js';
import type { SourceFile } from './rego/compile.js';
import { JsonSyntaxError, ObjectValue, fromJson, parseJson, type Value } from './rego/value.js';

export const REGO_EXT = '.rego';
const DATA_EXTS = new Set(['.json', '.yaml', '.yml']);

/** Where each kind of file was found. Paths are as given, joined with the relative path under them. */
export interface CollectedFiles {
  rego: string[];
  /** Data files with the `data` path (directory parts) they load under. */
  data: { file: string; prefix: string[] }[];
}

export interface CollectOptions {
  /** Also collect data files (default true); `fmt` and `check` want only modules. */
  data?: boolean;
}

function pathError(p: string, e: unknown): WardenError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file or directory' : (e as Error).message;
  return new WardenError('path_not_found', `${p}: ${why}`, {
    hint: 'pass existing .rego files or directories holding them',
    exitCode: ExitCode.usage,
  });
}

/**
 * Walks `paths` (files or directories) and returns the policy and data files under them, each
 * list sorted so loading order (and therefore error order) is stable. Hidden files and directories
 * are skipped while recursing; a path named explicitly is always used.
 */
export function collectPolicyFiles(paths: readonly string[], opts: CollectOptions = {}): CollectedFiles {
  const wantData = opts.data !== false;
  const out: CollectedFiles = { rego: [], data: [] };
  const seen = new Set<string>();
  const take = (file: string, prefix: string[], explicit: boolean): void => {
    const ext = path.extname(file).toLowerCase();
    const key = path.resolve(file);
    if (seen.has(key)) return;
    if (ext === REGO_EXT) {
      seen.add(key);
      out.rego.push(file);
    } else if (wantData && DATA_EXTS.has(ext)) {
      seen.add(key);
      out.data.push({ file, prefix });
    } else if (explicit) {
      throw new WardenError('policy_file_type', `${file}: not a .rego${wantData ? ', .json or .yaml' : ''} file`, {
        exitCode: ExitCode.usage,
      });
    }
  };
  const walk = (dir: string, prefix: string[]): void => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p, [...prefix, e.name]);
      else if (e.isFile()) take(p, prefix, false);
    }
  };
  for (const p of paths) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch (e) {
      throw pathError(p, e);
    }
    if (st.isDirectory()) walk(p, []);
    else take(p, [], true);
  }
  return out;
}

/**
 * Reads the `.rego` files as compiler sources (file names kept as collected, for error locations),
 * each to be parsed with `regoVersion` ('v0' for --v0-compatible; 'auto' detects per module).
 */
export function readSources(files: readonly string[], regoVersion?: RegoVersionMode): SourceFile[] {
  return files.map((file) => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw pathError(file, e);
    }
    return regoVersion === undefined ? { file, text } : { file, text, regoVersion };
  });
}

/** Parses one JSON (exact numbers) or YAML data document. */
export function parseDataFile(file: string, text: string): Value {
  const ext = path.extname(file).toLowerCase();
  try {
    if (ext === '.json') return parseJson(text);
    return fromJson(parseYaml(text) ?? null);
  } catch (e) {
    const msg = e instanceof JsonSyntaxError || e instanceof Error ? e.message : String(e);
    throw new WardenError('policy_data_invalid', `${file}: ${msg}`, { location: { file }, exitCode: ExitCode.usage });
  }
}

/** Places `value` at `prefix` inside `root`, merging objects; anything else colliding is an error. */
export function mergeData(root: ObjectValue, prefix: readonly string[], value: Value, file: string): void {
  if (prefix.length === 0) {
    if (!(value instanceof ObjectValue)) {
      throw new WardenError('policy_data_invalid', `${file}: a data document at the root of data must be an object`, {
        location: { file },
        exitCode: ExitCode.usage,
      });
    }
    mergeInto(root, value, [], file);
    return;
  }
  let node = root;
  for (const [i, k] of prefix.entries()) {
    if (i === prefix.length - 1) {
      const cur = node.get(k);
      if (cur === undefined) node.set(k, value);
      else if (cur instanceof ObjectValue && value instanceof ObjectValue) mergeInto(cur, value, prefix, file);
      else throw conflict(prefix, file);
      return;
    }
    let next = node.get(k);
    if (next === undefined) {
      next = new ObjectValue();
      node.set(k, next);
    }
    if (!(next instanceof ObjectValue)) throw conflict(prefix.slice(0, i + 1), file);
    node = next;
  }
}

function mergeInto(target: ObjectValue, src: ObjectValue, at: readonly string[], file: string): void {
  for (const [k, v] of src.entries()) {
    const cur = target.get(k);
    if (cur === undefined) target.set(k, v);
    else if (cur instanceof ObjectValue && v instanceof ObjectValue) {
      // Copy before merging so a document loaded earlier is never mutated through a shared reference.
      const merged = cur.copy();
      mergeInto(merged, v, [...at, String(k)], file);
      target.set(k, merged);
    } else throw conflict([...at, String(k)], file);
  }
}

function conflict(at: readonly string[], file: string): WardenError {
  return new WardenError('policy_data_conflict', `${file}: data.${at.join('.')} is already defined by another data file`, {
    location: { file },
    exitCode: ExitCode.usage,
  });
}

export interface LoadedPolicyFiles {
  sources: SourceFile[];
  /** Base documents from the data files (an empty object when there are none). */
  data: ObjectValue;
  dataFiles: string[];
}

export interface LoadOptions {
  /** How the modules are parsed: 'v0' (--v0-compatible), 'v1', or per-module detection ('auto'). */
  regoVersion?: RegoVersionMode;
  /**
   * Leave out YAML files that are Warden's own (a YAML policy has top-level `rules`, a YAML test
   * file top-level `cases`): `policy test` over a policy directory must not read them as data.
   */
  skipWardenYaml?: boolean;
}

function isWardenYaml(file: string, doc: Value): boolean {
  if (!/\.ya?ml$/i.test(file) || !(doc instanceof ObjectValue)) return false;
  return Array.isArray(doc.get('rules')) || Array.isArray(doc.get('cases'));
}

/** Collects and reads everything under `paths`: modules as sources, data files merged into one document. */
export function loadPolicyFiles(paths: readonly string[], opts: LoadOptions = {}): LoadedPolicyFiles {
  const found = collectPolicyFiles(paths);
  const data = new ObjectValue();
  const dataFiles: string[] = [];
  for (const d of found.data) {
    let text: string;
    try {
      text = fs.readFileSync(d.file, 'utf8');
    } catch (e) {
      throw pathError(d.file, e);
    }
    const doc = parseDataFile(d.file, text);
    if (opts.skipWardenYaml && isWardenYaml(d.file, doc)) continue;
    mergeData(data, d.prefix, doc, d.file);
    dataFiles.push(d.file);
  }
  return { sources: readSources(found.rego, opts.regoVersion), data, dataFiles };
}
