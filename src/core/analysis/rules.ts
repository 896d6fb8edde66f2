// Rule loading for `warden scan`: ast-grep YAML rule files (multi-document, ast-grep's format plus
// Warden's metadata), semgrep rule files (through the semgrep front end), and the built-in packs
// under policies/rules. Every rule is checked before a scan starts: schema (unknown keys), language,
// and a compile of its patterns, kinds, regexes, utils, constraints and transforms by @ast-grep/napi.
// A problem is a WardenError `rule_invalid` naming file, line, column and key path.
import nodeFs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@ast-grep/napi';
import { locate, parseYamlDocumentsWithSchema } from '../config/load.js';
import { WardenError } from '../errors.js';
import { complexityRules, DEFAULT_COMPLEXITY_THRESHOLD } from './complexity.js';
import { ensureLanguage, expandoChar, resolveLanguage, supportedLanguageNames, type LanguageEntry } from './languages.js';
import { knownRuleKeys, lenientRuleDocumentSchema, ruleDocumentSchema, type RuleDocument, type RuleObject, type RuleSeverity } from './rule-schema.js';
import { secretsRules, type SecretsAllowlist } from './secrets.js';
import { translateSemgrepRules, type AstGrepRuleDoc, type UntranslatedRule } from './semgrep/index.js';
import type { Confidence, RuleMeta, ScanSeverity } from './types.js';
import { sha256Hex } from './cache.js';
import { engineVersion } from './engine.js';

const ERROR_CODE = 'rule_invalid';
/** Rule files are hand-written or generated from a rule set; anything larger is a mistake. */
const MAX_RULE_FILE_BYTES = 4 * 1024 * 1024;

/** What @ast-grep/napi's findAll takes (NapiConfig), as plain data so it crosses to worker threads. */
export interface AstGrepConfig {
  rule: RuleObject;
  constraints?: Record<string, RuleObject>;
  utils?: Record<string, RuleObject>;
  transform?: Record<string, unknown>;
}

interface LoadedRuleBase {
  meta: RuleMeta;
  /** Globs over root-relative paths: the rule only runs on matching files (ast-grep `files`). */
  files?: string[];
  /** Globs over root-relative paths the rule skips (ast-grep `ignores`). */
  ignores?: string[];
}

/** A rule the ast-grep engine runs. */
export interface AstGrepLoadedRule extends LoadedRuleBase {
  engine?: undefined;
  config: AstGrepConfig;
  /** ast-grep's `fix` template; metavariables are substituted per match. */
  fix?: string;
}

export interface BuiltinOptions {
  /** complexity: report functions whose cyclomatic complexity exceeds this. */
  threshold?: number;
  /** secrets: RE2 expressions of values not to report (config scan.secrets.allow_values). */
  allowValues?: string[];
}

/** A rule of a built-in engine (the secrets detector, the complexity counter): no ast-grep config. */
export interface BuiltinLoadedRule extends LoadedRuleBase {
  engine: 'secrets' | 'complexity';
  options?: BuiltinOptions;
}

/** Everything in it is plain data (structured-cloneable), so workers get the rule set as loaded. */
export type LoadedRule = AstGrepLoadedRule | BuiltinLoadedRule;

/** A semgrep rule the front end could not translate (delegated to a semgrep binary when present). */
export interface UntranslatedSemgrepRule extends UntranslatedRule {
  /** The semgrep rule file it is in. */
  file: string;
}

export interface LoadedRules {
  rules: LoadedRule[];
  errors: WardenError[];
  /** Semgrep rules left untranslated, with the constructs named. */
  untranslated: UntranslatedSemgrepRule[];
}

/** Where a problem in a rule document is: the key path, and whether to point at the key. */
export interface RuleProblem {
  path: PropertyKey[];
  message: string;
  atKey?: boolean;
  hint?: string;
}

/** How a document's `severity` reads: ast-grep's names mapped (YAML files), or Warden's as-is (translated docs). */
export type SeverityScale = 'ast-grep' | 'warden';

const AST_GREP_SEVERITY: Record<RuleSeverity, ScanSeverity | 'off'> = {
  hint: 'info',
  info: 'low',
  warning: 'medium',
  error: 'high',
  off: 'off',
  low: 'low',
  medium: 'medium',
  high: 'high',
  critical: 'critical',
};

const list = (v: string | string[] | undefined): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

// ---------------------------------------------------------------------------------------------
// Compiling a rule with napi

/** `$VAR`, `$$VAR`, `$$$VAR`, `$$$`, `$_` in a pattern, rewritten to the language's expando character. */
function withExpando(pattern: string, ch: string): string {
  if (ch === '$') return pattern;
  return pattern.replace(/\$\$\$(?:[A-Z_][A-Z0-9_]*)?|\$\$?[A-Z_][A-Z0-9_]*/g, (m) => m.replace(/\$/g, ch));
}

/**
 * Whether a pattern is unusable the way ast-grep judges it: its effective node (found by descending
 * from the root while a node has a single child) is an ERROR node, so it has no kind to match
 * (`eval(`). ERROR nodes deeper inside a pattern are tolerated, as ast-grep does.
 */
const LONE_METAVAR = /^\$(\$\$)?[A-Z_][A-Z0-9_]*$|^\$\$\$$/;

function patternIsError(lang: LanguageEntry, source: string): boolean {
  let node = parse(lang.napi, source).root();
  for (;;) {
    const children = node.children();
    if (children.length !== 1) break;
    node = children[0];
  }
  return node.kind() === 'ERROR';
}

interface RuleSite {
  path: PropertyKey[];
  rule: RuleObject;
}

/** Every rule object in a config with its key path (rule, utils, constraints, nested sub-rules). */
function ruleSites(config: AstGrepConfig, base: PropertyKey[] = []): RuleSite[] {
  const out: RuleSite[] = [];
  const visit = (r: RuleObject | undefined, p: PropertyKey[]) => {
    if (!r || typeof r !== 'object') return;
    out.push({ path: p, rule: r });
    for (const k of ['inside', 'has', 'precedes', 'follows', 'not'] as const) visit(r[k], [...p, k]);
    for (const k of ['all', 'any'] as const) r[k]?.forEach((s, i) => visit(s, [...p, k, i]));
    const stop = (r as { stopBy?: unknown }).stopBy;
    if (stop && typeof stop === 'object') visit(stop as RuleObject, [...p, 'stopBy']);
    if (r.nthChild && typeof r.nthChild === 'object' && r.nthChild.ofRule) visit(r.nthChild.ofRule, [...p, 'nthChild', 'ofRule']);
  };
  visit(config.rule, [...base, 'rule']);
  for (const [k, v] of Object.entries(config.utils ?? {})) visit(v, [...base, 'utils', k]);
  for (const [k, v] of Object.entries(config.constraints ?? {})) visit(v, [...base, 'constraints', k]);
  return out;
}

function firstLine(msg: string): string {
  return msg
    .split('\n')
    .map((l) => l.replace(/^[\s|>-]+/, '').trim())
    .filter((l) => l !== '' && !/is not configured correctly/.test(l))
    .join(': ')
    .slice(0, 300);
}

/**
 * Compiles a rule's config for `lang` with napi, and parses each pattern looking for syntax errors
 * (ast-grep accepts a pattern that does not parse and then silently matches nothing). Returns the
 * first problem, with the key path of the offending matcher, or undefined when the rule compiles.
 */
export function compileProblem(lang: LanguageEntry, config: AstGrepConfig, fix?: string): RuleProblem | undefined {
  try {
    ensureLanguage(lang);
  } catch (e) {
    return { path: ['language'], message: (e as Error).message };
  }
  const expando = expandoChar(lang);
  for (const site of ruleSites(config)) {
    const p = site.rule.pattern;
    if (p === undefined) continue;
    const source = typeof p === 'string' ? p : p.context;
    // A lone metavariable matches any node whatever the grammar makes of it.
    if (typeof p === 'string' && !LONE_METAVAR.test(p.trim()) && patternIsError(lang, withExpando(source, expando))) {
      return {
        path: [...site.path, 'pattern'],
        message: `pattern does not parse as ${lang.id}: ${JSON.stringify(source.length > 80 ? `${source.slice(0, 77)}...` : source)}`,
        hint: 'a pattern must parse as code on its own; for a fragment use a pattern object with context and selector',
      };
    }
  }
  const empty = parse(lang.napi, '').root();
  try {
    empty.findAll(config as Parameters<typeof empty.findAll>[0]);
  } catch (e) {
    const msg = (e as Error).message;
    // Narrow down to the matcher napi rejected: compile each rule object's own matchers alone.
    for (const site of ruleSites(config)) {
      const r = site.rule;
      for (const key of ['kind', 'regex', 'pattern', 'nthChild', 'matches'] as const) {
        if (r[key] === undefined) continue;
        try {
          empty.findAll({ rule: { [key]: r[key] }, utils: config.utils } as Parameters<typeof empty.findAll>[0]);
        } catch (inner) {
          return { path: [...site.path, key], message: `${key}: ${firstLine((inner as Error).message)}` };
        }
      }
    }
    const section = /^`(\w+)`/.exec(msg)?.[1] ?? 'rule';
    return { path: [section], message: firstLine(msg), atKey: true };
  }
  if (fix !== undefined && /\$\$\$$|\$[A-Z_][A-Z0-9_]*\$/.test(fix)) {
    return { path: ['fix'], message: 'fix: malformed metavariable' };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// From a rule document to a LoadedRule

const SAFE_UTIL_ID = /^[A-Za-z0-9_-]+$/;

/**
 * Utility ids napi rejects (`$DB(..., password="...")` contains reserved characters) are renamed,
 * with every `matches:` reference to them: rule sets written for older ast-grep releases (such as
 * ast-grep-essentials) use them, and the rename does not change what the rule matches.
 */
function renameUnsafeUtils(config: AstGrepConfig): { config: AstGrepConfig; original: Map<string, string> } {
  const utils = config.utils;
  if (!utils || Object.keys(utils).every((k) => SAFE_UTIL_ID.test(k))) return { config, original: new Map() };
  const names = new Map<string, string>();
  Object.keys(utils).forEach((k, i) => names.set(k, SAFE_UTIL_ID.test(k) ? k : `util_${i}_${k.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40)}`));
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = k === 'matches' && typeof x === 'string' ? (names.get(x) ?? x) : rewrite(x);
    return out;
  };
  const renamed: Record<string, RuleObject> = {};
  for (const [k, v] of Object.entries(utils)) renamed[names.get(k) as string] = rewrite(v) as RuleObject;
  return {
    config: {
      ...config,
      rule: rewrite(config.rule) as RuleObject,
      utils: renamed,
      ...(config.constraints ? { constraints: rewrite(config.constraints) as Record<string, RuleObject> } : {}),
    },
    original: new Map([...names].map(([a, b]) => [b, a])),
  };
}

export interface FromDocumentOptions {
  source: string;
  pack?: string;
  severityScale?: SeverityScale;
  /** Compile the rule with napi to check it (default true; the built-in packs are checked by their tests instead). */
  compile?: boolean;
}

export type FromDocumentResult = { rule: AstGrepLoadedRule } | { disabled: true } | { problem: RuleProblem };

/** Builds (and compiles) the LoadedRule of one validated rule document. */
export function ruleFromDocument(doc: RuleDocument, opts: FromDocumentOptions): FromDocumentResult {
  const lang = resolveLanguage(doc.language);
  if (!lang) {
    return {
      problem: {
        path: ['language'],
        message: `language: unsupported language ${JSON.stringify(doc.language)}`,
        hint: `supported: ${supportedLanguageNames().join(', ')}`,
      },
    };
  }
  let severity: ScanSeverity | 'off';
  if (doc.severity === undefined) severity = 'info';
  else if (opts.severityScale === 'warden' && doc.severity === 'info') severity = 'info';
  else severity = AST_GREP_SEVERITY[doc.severity];
  if (severity === 'off') return { disabled: true };

  const written: AstGrepConfig = { rule: doc.rule };
  if (doc.constraints) written.constraints = doc.constraints;
  if (doc.utils) written.utils = doc.utils;
  if (doc.transform) written.transform = doc.transform;
  const { config, original } = renameUnsafeUtils(written);
  const fix = typeof doc.fix === 'string' ? doc.fix : doc.fix?.template;
  const problem = opts.compile === false ? undefined : compileProblem(lang, config, fix);
  if (problem) {
    if (problem.path[0] === 'utils' && original.has(String(problem.path[1]))) problem.path[1] = original.get(String(problem.path[1])) as string;
    return { problem };
  }

  const md = doc.metadata ?? {};
  const references = [...(list(md.references) ?? []), ...(doc.url ? [doc.url] : [])];
  const meta: RuleMeta = {
    id: doc.id,
    message: (doc.message ?? '').trim() || doc.id,
    severity,
    language: lang.id,
    ...(doc.note ? { note: doc.note.trim() } : {}),
    ...(md.cwe ? { cwe: list(md.cwe) } : {}),
    ...(md.owasp_llm ? { owaspLlm: list(md.owasp_llm) } : {}),
    ...(md.confidence ? { confidence: md.confidence as Confidence } : {}),
    ...(references.length ? { references } : {}),
    ...(opts.pack ? { pack: opts.pack } : {}),
    source: opts.source,
  };
  const rule: AstGrepLoadedRule = { meta, config };
  if (fix !== undefined) rule.fix = fix;
  if (doc.files?.length) rule.files = doc.files;
  if (doc.ignores?.length) rule.ignores = doc.ignores;
  return { rule };
}

/**
 * The semgrep front end's `validate` hook: why napi rejects a translated document, or undefined.
 * A translation that does not compile is then listed as untranslated rather than failing the run.
 */
export function validateRuleDocument(doc: AstGrepRuleDoc): string | undefined {
  const parsed = ruleDocumentSchema.safeParse(doc);
  if (!parsed.success) return parsed.error.issues[0]?.message ?? 'invalid rule document';
  const r = ruleFromDocument(parsed.data, { source: '', severityScale: 'warden' });
  return 'problem' in r ? r.problem.message : undefined;
}

// ---------------------------------------------------------------------------------------------
// Files

/** Rule files under a directory: *.yml/*.yaml, leaving out rule tests and snapshots (ast-grep's layout). */
export function ruleFilesIn(dir: string, fs: Pick<typeof nodeFs, 'readdirSync'> = nodeFs): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    const entries = fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name === 'tests' || e.name === '__snapshots__' || e.name.startsWith('.') || e.name === 'node_modules') continue;
        walk(p);
      } else if (e.isFile() && /\.ya?ml$/i.test(e.name) && !/-(test|snapshot)\.ya?ml$/i.test(e.name)) {
        out.push(p);
      }
    }
  };
  walk(dir);
  return out;
}

/** True when a YAML text is a semgrep rule file (a top-level `rules:` list) rather than ast-grep rules. */
export function isSemgrepRuleText(text: string): boolean {
  return /^rules\s*:/m.test(text) && !/^id\s*:/m.test(text);
}

export interface LoadRuleOptions {
  /** Set on every rule's meta (built-in packs). */
  pack?: string;
  /**
   * 'ignore' drops unknown keys inside relational rules (has/inside/precedes/follows) and nthChild
   * objects the way ast-grep itself does, instead of reporting them; for running rule sets written
   * against ast-grep (the conformance suite). Default 'error'.
   */
  unknownRelationKeys?: 'error' | 'ignore';
  /** See FromDocumentOptions.compile. */
  compile?: boolean;
  /** Parsed rule files by content, so a rule set is not parsed and checked again on every run. */
  cache?: RuleFileCache;
}

/** Where loadRuleFiles keeps the rules of a file it has parsed (ResultCache provides one). */
export interface RuleFileCache {
  getValue(key: string): unknown;
  putValue(key: string, value: unknown): void;
}

/** Bump when what a rule file loads into changes shape or meaning. */
const RULE_CACHE_REVISION = 1;

interface CachedRuleFile {
  rules: LoadedRule[];
  untranslated: UntranslatedSemgrepRule[];
}

function loadOneFile(file: string, opts: LoadRuleOptions, out: LoadedRules): void {
  let text: string;
  try {
    const st = nodeFs.statSync(file);
    if (st.size > MAX_RULE_FILE_BYTES) {
      out.errors.push(new WardenError(ERROR_CODE, 'rule file is larger than 4 MB', { location: { file } }));
      return;
    }
    text = nodeFs.readFileSync(file, 'utf8');
  } catch (e) {
    out.errors.push(new WardenError(ERROR_CODE, `cannot read rule file: ${(e as Error).message}`, { location: { file }, cause: e }));
    return;
  }

  const key = opts.cache
    ? sha256Hex(
        JSON.stringify([RULE_CACHE_REVISION, engineVersion(), file, opts.pack ?? null, opts.compile ?? true, opts.unknownRelationKeys ?? 'error', text]),
      )
    : undefined;
  if (key && opts.cache) {
    const hit = opts.cache.getValue(key) as CachedRuleFile | undefined;
    if (hit && Array.isArray(hit.rules) && Array.isArray(hit.untranslated)) {
      out.rules.push(...hit.rules);
      out.untranslated.push(...hit.untranslated);
      return;
    }
  }
  // Only a file that loaded without a problem is cached: problems are reported on every run.
  const before = { rules: out.rules.length, errors: out.errors.length, untranslated: out.untranslated.length };
  loadText(file, text, opts, out);
  if (key && opts.cache && out.errors.length === before.errors) {
    opts.cache.putValue(key, { rules: out.rules.slice(before.rules), untranslated: out.untranslated.slice(before.untranslated) } satisfies CachedRuleFile);
  }
}

function loadText(file: string, text: string, opts: LoadRuleOptions, out: LoadedRules): void {
  if (isSemgrepRuleText(text)) {
    const t = translateSemgrepRules(text, file, { validate: validateRuleDocument });
    out.errors.push(...t.errors);
    for (const u of t.untranslated) out.untranslated.push({ ...u, file });
    for (const d of t.rules) {
      const parsed = ruleDocumentSchema.safeParse(d);
      if (!parsed.success) {
        out.errors.push(new WardenError(ERROR_CODE, `translated rule ${d.id}: ${parsed.error.issues[0]?.message}`, { location: { file } }));
        continue;
      }
      const r = ruleFromDocument(parsed.data, { source: file, pack: opts.pack, severityScale: 'warden' });
      if ('rule' in r) out.rules.push(r.rule);
      else if ('problem' in r) out.untranslated.push({ id: d.id, constructs: ['translation ast-grep rejects'], reason: r.problem.message, file });
    }
    return;
  }

  const schema = opts.unknownRelationKeys === 'ignore' ? lenientRuleDocumentSchema : ruleDocumentSchema;
  const docs = parseYamlDocumentsWithSchema<RuleDocument>(text, file, schema, { code: ERROR_CODE, known: knownRuleKeys });
  for (const d of docs) {
    if (d.error) {
      out.errors.push(d.error);
      continue;
    }
    const value = d.value as RuleDocument;
    const r = ruleFromDocument(value, { source: file, pack: opts.pack, compile: opts.compile });
    if ('problem' in r) {
      const p = r.problem;
      out.errors.push(
        new WardenError(ERROR_CODE, `${value.id}: ${p.message}`, {
          location: locate(d.doc, d.lineCounter, file, p.path, p.atKey ?? false),
          hint: p.hint,
        }),
      );
    } else if ('rule' in r) {
      out.rules.push(r.rule);
    }
  }
}

/**
 * Loads rule files and directories (directories recursively, see ruleFilesIn). Never throws for bad
 * rules: each problem is an entry in `errors` (WardenError `rule_invalid`, exit code 2, with file,
 * line, column and key path) and the other rules still load. A rule id defined twice is an error
 * at the second definition.
 */
export function loadRuleFiles(paths: readonly string[], opts: LoadRuleOptions = {}): LoadedRules {
  const out: LoadedRules = { rules: [], errors: [], untranslated: [] };
  for (const p of paths) {
    let st: nodeFs.Stats;
    try {
      st = nodeFs.statSync(p);
    } catch {
      out.errors.push(new WardenError(ERROR_CODE, `no rule file or directory at ${p}`, { location: { file: p } }));
      continue;
    }
    const files = st.isDirectory() ? ruleFilesIn(p) : [p];
    for (const f of files) loadOneFile(f, opts, out);
  }
  const seen = new Map<string, string>();
  out.rules = out.rules.filter((r) => {
    const prev = seen.get(r.meta.id);
    if (prev !== undefined) {
      out.errors.push(new WardenError(ERROR_CODE, `rule id ${r.meta.id} is defined twice (first in ${prev})`, { location: { file: r.meta.source } }));
      return false;
    }
    seen.set(r.meta.id, r.meta.source);
    return true;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Built-in packs

/** policies/rules of the installed package (the same path from src/ and from dist/). */
export function builtinPackDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../policies/rules');
}

/** Packs run by engines rather than (only) by rule files. */
const ENGINE_PACKS = ['secrets', 'complexity'] as const;

/** The names of the built-in packs: the subdirectories of builtinPackDir() plus the engine packs. */
export function listPacks(): string[] {
  const names = new Set<string>(ENGINE_PACKS);
  try {
    for (const e of nodeFs.readdirSync(builtinPackDir(), { withFileTypes: true })) if (e.isDirectory() && !e.name.startsWith('.')) names.add(e.name);
  } catch {
    /* no rule directory shipped: only the engine packs */
  }
  return [...names].sort();
}

export interface PackOptions {
  /** complexity pack threshold (default 15). */
  complexityThreshold?: number;
  /** secrets pack allowlist (config scan.secrets). */
  secretsAllow?: SecretsAllowlist;
  /** Compile the packs' rules with napi as user rules are (default false). */
  compile?: boolean;
  cache?: RuleFileCache;
}

/**
 * The rules of the named built-in packs. An unknown pack name is an error entry; a pack's rule
 * files load like loadRuleFiles with `meta.pack` set.
 */
export function loadPacks(names: readonly string[], opts: PackOptions = {}): LoadedRules {
  const out: LoadedRules = { rules: [], errors: [], untranslated: [] };
  const known = listPacks();
  for (const name of [...new Set(names)]) {
    if (!known.includes(name)) {
      out.errors.push(new WardenError('pack_unknown', `no built-in rule pack named ${JSON.stringify(name)}`, { hint: `packs: ${known.join(', ')}` }));
      continue;
    }
    if (name === 'secrets') out.rules.push(...secretsRules(opts.secretsAllow));
    if (name === 'complexity') out.rules.push(...complexityRules(opts.complexityThreshold ?? DEFAULT_COMPLEXITY_THRESHOLD));
    const dir = path.join(builtinPackDir(), name);
    if (nodeFs.existsSync(dir)) {
      // Shipped rules are compiled by their own tests (policies/rules/*/tests); checking them again
      // on every run would cost a third of a second.
      const r = loadRuleFiles([dir], { pack: name, compile: opts.compile ?? false, cache: opts.cache });
      out.rules.push(...r.rules);
      out.errors.push(...r.errors);
      out.untranslated.push(...r.untranslated);
    }
  }
  return out;
}
