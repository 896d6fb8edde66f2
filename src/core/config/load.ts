// Finding, reading and validating config files (global + repo `.warden/config.yaml`), with
// file:line:col on every error, and routing a model name to a provider through the merged routes.
import nodeFs from 'node:fs';
import path from 'node:path';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments, parseDocument, type Document, type Node } from 'yaml';
import type { z, core as zcore } from 'zod';
import { WardenError, type ErrorLocation } from '../errors.js';
import {
  configFileSchema,
  describeValue,
  globToRegExp,
  mergeLayers,
  type ConfigLayer,
  type RouteRule,
  type WardenConfig,
} from './schema.js';

/** Config files are hand-written; anything larger is a mistake, not a config. */
const MAX_CONFIG_BYTES = 1024 * 1024;

export interface RepoRootFs {
  existsSync(p: string): boolean;
}

/** The nearest directory at or above `cwd` holding `.warden` or `.git`; undefined at the filesystem root. */
export function findRepoRoot(cwd: string, fs: RepoRootFs = nodeFs): string | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    if (fs.existsSync(path.join(dir, '.warden')) || fs.existsSync(path.join(dir, '.git'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Where a repository's config lives. */
export function repoConfigFile(repoRoot: string): string {
  return path.join(repoRoot, '.warden', 'config.yaml');
}

export interface LoadConfigOptions {
  globalFile: string;
  repoFile?: string;
}

export interface LoadedConfig {
  config: WardenConfig;
  /** The files actually read, repo file first. */
  files: string[];
}

/**
 * Reads the repo and global files when present (a missing file is no error), validates each
 * and merges them (repo over global). Synchronous: it runs once at startup, never per request.
 * Throws WardenError `config_invalid` / `config_unreadable` with the file, line and column.
 */
export function loadConfig(opts: LoadConfigOptions): LoadedConfig {
  const layers: ConfigLayer[] = [];
  const files: string[] = [];
  const candidates = [opts.repoFile, opts.globalFile].filter((f): f is string => typeof f === 'string');
  for (const file of new Set(candidates.map((f) => path.resolve(f)))) {
    const text = readConfigFile(file);
    if (text === undefined) continue;
    layers.push(parseConfigText(text, file));
    files.push(file);
  }
  return { config: mergeLayers(layers), files };
}

/** What readConfigFile needs of node:fs (injectable for tests). */
export type ConfigFileFs = Pick<typeof nodeFs, 'statSync' | 'readFileSync'>;

/**
 * A config file's text, or undefined when there is none (the file or a directory on its path is
 * missing). Throws WardenError `config_unreadable` / `config_invalid` (a directory, over 1 MB,
 * unreadable), located at the file.
 */
export function readConfigFile(file: string, fs: ConfigFileFs = nodeFs): string | undefined {
  let buf: Buffer;
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) {
      throw new WardenError('config_unreadable', 'is a directory, expected a YAML file', { location: { file } });
    }
    if (st.size > MAX_CONFIG_BYTES) {
      throw new WardenError('config_invalid', `config file is larger than 1MB`, { location: { file } });
    }
    buf = fs.readFileSync(file);
  } catch (e) {
    if (e instanceof WardenError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new WardenError('config_unreadable', `cannot read config file: ${(e as Error).message}`, {
      location: { file },
      cause: e,
    });
  }
  return buf.toString('utf8');
}

/** Validates one file's text into the layer it contributes. `file` is used for error locations. */
export function parseConfigText(text: string, file: string): ConfigLayer {
  return parseYamlWithSchema(text, file, configFileSchema, { code: 'config_invalid', empty: {} });
}

export interface YamlSchemaOptions<T> {
  /** The error code of every failure (`config_invalid`, `policy_invalid`, ...). */
  code: string;
  /** What an empty document means; without it an empty document is an error. */
  empty?: T;
  /** Keys a mapping allows at a path, for "did you mean" hints (default: the config file's). */
  known?: (p: readonly PropertyKey[]) => string[] | undefined;
}

/**
 * Parses one YAML document (a mapping at the top) and validates it with `schema`. Every failure is
 * a WardenError with `opts.code` and the file, line and column of the offending key or value; the
 * first error in file order is the message, the next few are the hint.
 */
export function parseYamlWithSchema<T>(text: string, file: string, schema: z.ZodType<T>, opts: YamlSchemaOptions<T>): T {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  return validateYamlDocument(doc, lineCounter, file, schema, opts);
}

/** One document of a YAML stream, validated: its value, or the error that rejected it. */
export interface YamlStreamDocument<T> {
  value?: T;
  error?: WardenError;
  /** For locating later problems (locate()) in this document. */
  doc: Document;
  lineCounter: LineCounter;
}

/**
 * parseYamlWithSchema for a stream of `---`-separated documents (ast-grep rule files): each
 * document is validated on its own, so one bad document does not hide the others. Empty documents
 * are dropped. Line numbers are those of the whole file.
 */
export function parseYamlDocumentsWithSchema<T>(
  text: string,
  file: string,
  schema: z.ZodType<T>,
  opts: YamlSchemaOptions<T>,
): YamlStreamDocument<T>[] {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const docs: Document[] = Array.isArray(parsed) ? parsed : [];
  const out: YamlStreamDocument<T>[] = [];
  for (const doc of docs) {
    if (doc.errors.length === 0 && (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null))) continue;
    try {
      out.push({ value: validateYamlDocument(doc, lineCounter, file, schema, opts), doc, lineCounter });
    } catch (e) {
      if (!(e instanceof WardenError)) throw e;
      out.push({ error: e, doc, lineCounter });
    }
  }
  return out;
}

/** Validates one parsed document (see parseYamlWithSchema); throws WardenError `opts.code`. */
export function validateYamlDocument<T>(
  doc: Document,
  lineCounter: LineCounter,
  file: string,
  schema: z.ZodType<T>,
  opts: YamlSchemaOptions<T>,
): T {
  const code = opts.code;
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const pos = lineCounter.linePos(err.pos[0]);
    throw new WardenError(code, `YAML syntax error: ${err.message.split('\n')[0]}`, {
      location: { file, line: pos.line, col: pos.col },
      hint: doc.errors.length > 1 ? `${doc.errors.length - 1} more YAML error(s) follow this one` : undefined,
    });
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new WardenError(code, `YAML could not be read: ${(e as Error).message}`, {
      location: { file },
      cause: e,
    });
  }
  if ((data === null || data === undefined) && opts.empty !== undefined) return opts.empty;
  if (data === null || data === undefined || typeof data !== 'object' || Array.isArray(data)) {
    throw new WardenError(code, `expected a mapping at the top level, got ${describeValue(data)}`, {
      location: locate(doc, lineCounter, file, [], false),
    });
  }
  const result = schema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;

  // zod reports unknown keys after field errors; order by position so the first error is the first in the file.
  const described = result.error.issues
    .map((issue) => {
      const d = describeIssue(issue, opts.known);
      return { ...d, location: locate(doc, lineCounter, file, d.path, d.atKey) };
    })
    .sort((a, b) => (a.location.line ?? 0) - (b.location.line ?? 0) || (a.location.col ?? 0) - (b.location.col ?? 0));
  const [first, ...others] = described;
  const rest = others
    .slice(0, 5)
    .map((d) => `also ${d.text}${d.hint ? ` (${d.hint})` : ''}${d.location.line ? ` at line ${d.location.line}` : ''}`);
  if (others.length > 5) rest.push(`and ${others.length - 5} more`);
  const hints = [first.hint, ...rest].filter((h): h is string => !!h);
  throw new WardenError(code, first.text, {
    location: first.location,
    hint: hints.length ? hints.join('\n        ') : undefined,
  });
}

export interface IssueText {
  text: string;
  /** Path to point the location at. */
  path: PropertyKey[];
  /** Point at the key rather than its value (unknown keys, bad record keys). */
  atKey: boolean;
  hint?: string;
}

/**
 * One zod issue as a sentence naming its key path, with where to point. `known` gives the keys a
 * mapping allows (for "did you mean" hints); it defaults to the config file's keys.
 */
export function describeIssue(
  issue: zcore.$ZodIssue,
  known: (p: readonly PropertyKey[]) => string[] | undefined = knownKeys,
): IssueText {
  const p = issue.path;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0];
      const keyPath = [...p, key];
      const keys = known(p);
      const guess = keys ? closest(key, keys) : undefined;
      return {
        text: `${formatPath(keyPath)}: unknown key${issue.keys.length > 1 ? ` (also ${issue.keys.slice(1).join(', ')})` : ''}`,
        path: keyPath,
        atKey: true,
        hint: guess ? `did you mean "${guess}"?` : keys ? `known keys: ${keys.join(', ')}` : undefined,
      };
    }
    case 'invalid_key':
      return { text: `${formatPath(p)}: invalid key: ${issue.issues[0]?.message ?? issue.message}`, path: p, atKey: true };
    case 'invalid_type':
      if (issue.input === undefined) return { text: `${formatPath(p)}: is required`, path: p, atKey: false };
      return {
        text: `${formatPath(p)}: expected ${article(issue.expected)}, got ${describeValue(issue.input)}`,
        path: p,
        atKey: false,
      };
    case 'invalid_value':
      return {
        text: `${formatPath(p)}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(issue.input)}`,
        path: p,
        atKey: false,
      };
    case 'too_big':
    case 'too_small': {
      const bound = issue.code === 'too_big' ? issue.maximum : issue.minimum;
      const cmp = issue.code === 'too_big' ? (issue.inclusive === false ? '<' : '<=') : issue.inclusive === false ? '>' : '>=';
      const what = issue.origin === 'string' ? 'length' : issue.origin === 'array' ? 'number of entries' : 'value';
      return {
        text: `${formatPath(p)}: expected ${what} ${cmp} ${String(bound)}, got ${describeValue(issue.input)}`,
        path: p,
        atKey: false,
      };
    }
    case 'invalid_union': {
      // A branch that got past the type check is what the author meant: report its problem.
      const branches = issue.errors;
      const typeOnly = (i: zcore.$ZodIssue): boolean => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value');
      const meant = branches.find((b) => b.length > 0 && !b.every(typeOnly));
      if (meant) {
        const inner = meant.find((i) => !typeOnly(i)) ?? meant[0];
        return describeIssue({ ...inner, path: [...p, ...inner.path] } as zcore.$ZodIssue, known);
      }
      const expected = new Set<string>();
      for (const b of branches) {
        for (const i of b) {
          if (i.code === 'invalid_type') expected.add(article(i.expected));
          else if (i.code === 'invalid_value') for (const v of i.values) expected.add(JSON.stringify(v));
        }
      }
      if (expected.size === 0) return { text: `${formatPath(p)}: ${issue.message}`, path: p, atKey: false };
      return { text: `${formatPath(p)}: expected ${[...expected].join(' or ')}, got ${describeValue(issue.input)}`, path: p, atKey: false };
    }
    case 'invalid_format':
      return { text: `${formatPath(p)}: ${issue.message}, got ${describeValue(issue.input)}`, path: p, atKey: false };
    default:
      return { text: `${formatPath(p)}: ${issue.message}`, path: p, atKey: false };
  }
}

function article(expected: string): string {
  const names: Record<string, string> = {
    number: 'a number',
    int: 'an integer',
    string: 'a string',
    boolean: 'true or false',
    object: 'a mapping',
    record: 'a mapping',
    array: 'a list',
  };
  return names[expected] ?? expected;
}

/** `server.port`, `routes[0].match`, `(top level)` for the root. */
export function formatPath(p: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of p) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (!/^[A-Za-z0-9_-]+$/.test(String(seg))) out += `[${JSON.stringify(String(seg))}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** Keys the schema allows at a mapping path, for "did you mean" hints. */
function knownKeys(p: readonly PropertyKey[]): string[] | undefined {
  const KNOWN: Record<string, string[]> = {
    '': ['server', 'store_bodies', 'log_level', 'writer', 'providers', 'routes', 'pricing', 'policy', 'rate_limits'],
    policy: ['enabled', 'max_scan', 'default_max_output_tokens', 'timezone', 'reload_interval'],
    'rate_limits.*': ['scope', 'match', 'rpm', 'tpm', 'concurrent'],
    server: ['host', 'port', 'max_body', 'upstream_timeout', 'connect_timeout', 'stream_idle_timeout'],
    writer: ['flush_ms', 'max_batch'],
    pricing: ['overrides'],
    'providers.*': ['type', 'base_url', 'api_key_env', 'api_version'],
    'routes.*': ['match', 'provider'],
    'pricing.overrides.*': ['input_mtok', 'output_mtok', 'cache_read_mtok', 'cache_write_mtok', 'cache_write_1h_mtok'],
  };
  const key = p
    .map((seg, i) => (typeof seg === 'number' || (i === 1 && p[0] === 'providers') || (i === 2 && p[1] === 'overrides') ? '*' : String(seg)))
    .join('.');
  return KNOWN[key];
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/**
 * The position of the value at `p` (or of its key when `atKey`). Where the path runs out (a
 * missing required key) it points at the deepest node that exists.
 */
export function locate(
  doc: Document,
  lineCounter: LineCounter,
  file: string,
  p: readonly PropertyKey[],
  atKey: boolean,
): ErrorLocation {
  let node: unknown = doc.contents;
  let keyNode: unknown;
  let best: unknown = node;
  for (const seg of p) {
    if (isAlias(node)) node = node.resolve(doc);
    keyNode = undefined;
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((it) => (isScalar(it.key) ? String(it.key.value) : String(it.key)) === String(seg));
      if (pair) {
        keyNode = pair.key;
        next = pair.value ?? pair.key;
      }
    } else if (isSeq(node) && typeof seg === 'number') {
      next = node.items[seg];
    }
    if (next === undefined || next === null) break;
    node = next;
    best = atKey && keyNode ? keyNode : node;
  }
  const range = (best as Node | null | undefined)?.range;
  if (!range) return { file, line: 1, col: 1 };
  const pos = lineCounter.linePos(range[0]);
  return { file, line: pos.line, col: pos.col };
}

/** The provider name of the first route whose glob matches `model`, or undefined. */
export function routeModel(model: string, routes: readonly RouteRule[]): string | undefined {
  for (const r of routes) if (globToRegExp(r.match).test(model)) return r.provider;
  return undefined;
}
