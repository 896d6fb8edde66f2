// The scan engine: for each file, picks the rules that apply (language family, files/ignores globs,
// a pre-filter on the literals the rule needs), parses with @ast-grep/napi, runs the rules, adds the
// complexity and secrets packs, and turns matches into Findings (1-based positions, bounded
// snippets, fingerprints, metavariables substituted into message and fix, inline suppressions).
// analyseText does one file synchronously; analyseBatch does many with a combined pre-pass in
// napi's Rust threads (see there) and gives the same results.
import nodeFs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { findInFiles, parse, type FindConfig, type SgNode, type SgRoot } from '@ast-grep/napi';
import picomatch from 'picomatch';
import { COMPLEXITY_LANGUAGES, DEFAULT_COMPLEXITY_THRESHOLD, functionComplexities } from './complexity.js';
import { fingerprint, occurrenceCounter } from './fingerprint.js';
import { ensureLanguage, expandoChar, languageOf, LANGUAGES, ruleTargets, type LanguageEntry } from './languages.js';
import type { AstGrepLoadedRule, BuiltinLoadedRule, LoadedRule } from './rules.js';
import { configRequirement, nodeRequirement, satisfied, TextIndex, type Requirement } from './prefilter.js';
import type { RuleObject } from './rule-schema.js';
import { compileAllowValues, findSecrets } from './secrets.js';
import type { Finding, Position, RuleMeta } from './types.js';

/** Snippets (matched text, masked secret lines) are cut to this many UTF-16 units. */
export const MAX_SNIPPET = 300;
/** Bracket nesting beyond this is not parsed: relational rules walk ancestors, O(depth²) per match. */
export const MAX_NESTING = 400;
/** A file this long whose lines average longer than MINIFIED_LINE is treated as minified. */
export const MINIFIED_MIN_BYTES = 16 * 1024;
export const MINIFIED_LINE = 500;
/** Bump when the engine's output for the same input and rules changes (cache key). */
const ENGINE_REVISION = 1;

let engineVersionMemo: string | undefined;

/** Identifies the engine's behaviour for the cache: Warden's engine revision and the parser packages' versions. */
export function engineVersion(): string {
  if (engineVersionMemo) return engineVersionMemo;
  const req = createRequire(import.meta.url);
  const versionOf = (pkg: string): string => {
    try {
      const main = req.resolve(pkg);
      let dir = path.dirname(main);
      for (let i = 0; i < 4; i++) {
        const f = path.join(dir, 'package.json');
        if (nodeFs.existsSync(f)) {
          const j = JSON.parse(nodeFs.readFileSync(f, 'utf8')) as { name?: string; version?: string };
          if (j.name === pkg) return j.version ?? '?';
        }
        dir = path.dirname(dir);
      }
    } catch {
      /* not installed: part of the version string as such */
    }
    return 'missing';
  };
  const pkgs = ['@ast-grep/napi', ...LANGUAGES.filter((l) => l.pkg).map((l) => l.pkg as string)];
  engineVersionMemo = `warden-engine/${ENGINE_REVISION} ${pkgs.map((p) => `${p}@${versionOf(p)}`).join(' ')}`;
  return engineVersionMemo;
}

// ---------------------------------------------------------------------------------------------
// Prepared rule sets

type PathTest = (p: string) => boolean;

interface Prepared<R extends LoadedRule> {
  rule: R;
  include?: PathTest;
  exclude?: PathTest;
}

interface PreparedAst extends Prepared<AstGrepLoadedRule> {
  /** Position in the prepared set (names its utils in combined matchers). */
  index: number;
  /** What the file must contain for the rule to match anywhere in it. */
  requirement: Requirement;
  /** What a node's own text must contain for the rule to match that node. */
  nodeRequirement: Requirement;
  /** File languages this rule failed to compile for (a TypeScript-only kind on a JavaScript tree). */
  incompatible: Set<string>;
}

interface PreparedSet {
  ast: PreparedAst[];
  byLanguage: Map<string, PreparedAst[]>;
  secrets: Prepared<BuiltinLoadedRule>[];
  /** The secrets rules' allowlist expressions, compiled once per rule set. */
  secretsAllowed?: (value: string) => boolean;
  complexity?: Prepared<BuiltinLoadedRule>;
}

const prepared = new WeakMap<readonly LoadedRule[], PreparedSet>();

function globTest(globs: readonly string[] | undefined): PathTest | undefined {
  if (!globs || globs.length === 0) return undefined;
  // ast-grep matches globs against the path from the project root; a slash-less glob also matches
  // a base name at any depth (picomatch's own basename option mishandles globs with slashes).
  return picomatch(
    globs.map((g) => (g.includes('/') ? g.replace(/^\.\//, '') : `**/${g}`)),
    { dot: true },
  );
}

function prepare(rules: readonly LoadedRule[]): PreparedSet {
  let set = prepared.get(rules);
  if (set) return set;
  set = { ast: [], byLanguage: new Map(), secrets: [] };
  for (const rule of rules) {
    const base = { include: globTest(rule.files), exclude: globTest(rule.ignores) };
    if (rule.engine === undefined) {
      set.ast.push({
        rule,
        ...base,
        index: set.ast.length,
        requirement: configRequirement(rule.config),
        nodeRequirement: nodeRequirement(rule.config.rule, rule.config.utils),
        incompatible: new Set(),
      });
    } else if (rule.engine === 'secrets') set.secrets.push({ rule, ...base });
    else set.complexity = { rule, ...base };
  }
  set.secretsAllowed = compileAllowValues(set.secrets.flatMap((p) => p.rule.options?.allowValues ?? []));
  prepared.set(rules, set);
  return set;
}

function astRulesFor(set: PreparedSet, lang: LanguageEntry): PreparedAst[] {
  let list = set.byLanguage.get(lang.id);
  if (!list) {
    list = set.ast.filter((p) => ruleTargets(p.rule.meta.language).includes(lang.id));
    set.byLanguage.set(lang.id, list);
  }
  return list;
}

const applies = (p: Prepared<LoadedRule>, relPath: string): boolean => (!p.include || p.include(relPath)) && !(p.exclude && p.exclude(relPath));

// ---------------------------------------------------------------------------------------------
// Matches → findings

interface RawMatch {
  meta: RuleMeta;
  start: Position;
  end: Position;
  /** Text the fingerprint is computed from. */
  identity: string;
  snippet: string;
  message: string;
  fix?: string;
  confidence?: RuleMeta['confidence'];
}

function cut(text: string, max = MAX_SNIPPET): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end -= 1; // do not split a surrogate pair
  return `${text.slice(0, end)}…`;
}

const TEMPLATE_VAR = /\$\$\$([A-Z_][A-Z0-9_]*)|\$([A-Z_][A-Z0-9_]*)/g;

/**
 * ast-grep's metavariable substitution in a fix template or message: `$$$ARGS` becomes the source
 * text spanning the matched nodes (separators included), `$VAR` a transform's output or the
 * matched node's text, and an unmatched variable the empty string. Unlike ast-grep's own fixer this
 * does not re-indent multi-line replacements.
 */
function substitute(template: string, node: SgNode, text: string): string {
  if (!template.includes('$')) return template;
  return template.replace(TEMPLATE_VAR, (_m, multi: string | undefined, single: string | undefined) => {
    if (multi !== undefined) {
      const nodes = node.getMultipleMatches(multi);
      if (nodes.length === 0) return '';
      return text.slice(nodes[0].range().start.index, nodes[nodes.length - 1].range().end.index);
    }
    const name = single as string;
    const transformed = node.getTransformed(name);
    if (transformed !== null && transformed !== undefined) return transformed;
    return node.getMatch(name)?.text() ?? '';
  });
}

// Inline suppression comments: `warden-ignore[: id, id]`, `nosemgrep[: id]`, `ast-grep-ignore[: id]`.
const SUPPRESS = /\b(warden-ignore|nosemgrep|ast-grep-ignore)\b(?:\s*:\s*([A-Za-z0-9_.\-/:]+(?:\s*,\s*[A-Za-z0-9_.\-/:]+)*))?/;
const COMMENT_ONLY = /^\s*(\/\/|#|\/\*|\*|--|<!--|;|%|')/;

function idMatches(given: string, ruleId: string): boolean {
  return given === ruleId || ruleId.endsWith(`.${given}`) || given.endsWith(`.${ruleId}`);
}

/** The comment suppressing `ruleId` on `line` (1-based): on that line, or alone on the line above. */
function suppressionFor(ruleId: string, line: number, lineText: (n: number) => string | undefined): string | undefined {
  for (const n of [line, line - 1]) {
    const t = lineText(n);
    if (t === undefined) continue;
    const m = SUPPRESS.exec(t);
    if (!m) continue;
    if (n !== line && !COMMENT_ONLY.test(t)) continue;
    const ids = m[2]?.split(',').map((s) => s.trim()).filter(Boolean);
    if (!ids || ids.some((id) => idMatches(id, ruleId))) return cut(t.slice(m.index).trim().replace(/\s*(\*\/|-->)\s*$/, ''), 200);
  }
  return undefined;
}

function lineReader(text: string): (n: number) => string | undefined {
  let starts: number[] | undefined;
  return (n) => {
    if (!starts) {
      starts = [0];
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    }
    if (n < 1 || n > starts.length) return undefined;
    const a = starts[n - 1];
    const b = n < starts.length ? starts[n] - 1 : text.length;
    // Suppression markers sit near the code; a huge line is read only in part.
    return text.slice(a, Math.min(b, a + 4096));
  };
}

// ---------------------------------------------------------------------------------------------
// Bounds

function maxBracketDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if ((c === 41 || c === 93 || c === 125) && depth > 0) depth--;
  }
  return max;
}

function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Entry points

export interface TextAnalysis {
  findings: Finding[];
  /** Why the syntax-tree rules did not run on this file (the secrets pack still did), if they did not. */
  skip?: string;
}

/** What one file needs: decided from its path and text before any parsing. */
interface FilePlan {
  lang?: LanguageEntry;
  /** ast-grep rules that apply and pass the pre-filter. */
  candidates: PreparedAst[];
  complexity?: Prepared<BuiltinLoadedRule>;
  /** Why the tree is not built (minified, too deeply nested). */
  skip?: string;
}

function planFile(set: PreparedSet, relPath: string, text: string): FilePlan {
  const lang = languageOf(relPath);
  if (!lang) return { candidates: [] };
  if (astRulesFor(set, lang).length > 0) {
    try {
      checkLanguage(set, lang);
    } catch (e) {
      return { lang, candidates: [], skip: `could not be parsed as ${lang.id}: ${(e as Error).message.split('\n')[0]}` };
    }
  }
  const astRules = astRulesFor(set, lang).filter((p) => !p.incompatible.has(lang.id) && applies(p, relPath));
  const complexity = set.complexity && COMPLEXITY_LANGUAGES.includes(lang.id) && applies(set.complexity, relPath) ? set.complexity : undefined;
  if (astRules.length === 0 && !complexity) return { lang, candidates: [] };
  const index = new TextIndex(text);
  const has = (w: string): boolean => index.has(w);
  const candidates = astRules.filter((p) => satisfied(p.requirement, has));
  if (candidates.length === 0 && !complexity) return { lang, candidates };
  const lines = countLines(text);
  if (text.length >= MINIFIED_MIN_BYTES && text.length / lines > MINIFIED_LINE) {
    return { lang, candidates: [], skip: `minified or generated (average line length ${Math.round(text.length / lines)}): only the secrets pack ran` };
  }
  if (maxBracketDepth(text, MAX_NESTING) > MAX_NESTING) {
    return { lang, candidates: [], skip: `nesting deeper than ${MAX_NESTING} brackets: only the secrets pack ran` };
  }
  return { lang, candidates, complexity };
}

/**
 * Finishes one file: parses it when a rule or the complexity pack needs the tree, runs `astRules`
 * (the plan's candidates, or fewer when a batch pre-pass ruled some out), then secrets.
 */
function runPlan(set: PreparedSet, relPath: string, text: string, plan: FilePlan, astRules: readonly PreparedAst[], parsed?: SgNode): TextAnalysis {
  const raw: RawMatch[] = [];
  let skip = plan.skip;
  const lang = plan.lang;
  if (lang && !skip && (astRules.length > 0 || plan.complexity)) {
    try {
      ensureLanguage(lang);
      const root = parsed ?? parse(lang.napi, text).root();
      for (const p of astRules) runAstRule(p, root, lang, text, raw);
      if (plan.complexity) runComplexity(plan.complexity.rule, root, lang, raw);
    } catch (e) {
      skip = `could not be parsed as ${lang.id}: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  if (set.secrets.length > 0) {
    const enabled = new Set(set.secrets.filter((p) => applies(p, relPath)).map((p) => p.rule.meta.id));
    if (enabled.size > 0) {
      const metas = new Map(set.secrets.map((p) => [p.rule.meta.id, p.rule.meta]));
      for (const s of findSecrets(text, enabled, MAX_SNIPPET, set.secretsAllowed)) {
        const meta = metas.get(s.ruleId) as RuleMeta;
        raw.push({ meta, start: s.start, end: s.end, identity: s.value, snippet: s.snippet, message: meta.message, confidence: s.confidence });
      }
    }
  }
  return { findings: toFindings(raw, relPath, text), ...(skip ? { skip } : {}) };
}

/**
 * Runs `rules` over one file's text. `relPath` (root-relative, forward slashes) picks the language
 * and is matched against each rule's files/ignores globs. Never throws for a file's content.
 */
export function analyseText(rules: readonly LoadedRule[], relPath: string, text: string): TextAnalysis {
  const set = prepare(rules);
  const plan = planFile(set, relPath, text);
  return runPlan(set, relPath, text, plan, plan.candidates);
}

// ---------------------------------------------------------------------------------------------
// Batches: a pre-pass over many files with all rules at once

/** `matches:` references renamed with a prefix (utils of several rules merged into one namespace). */
function prefixUtils(v: unknown, prefix: string, names: ReadonlySet<string>): unknown {
  if (Array.isArray(v)) return v.map((x) => prefixUtils(x, prefix, names));
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = k === 'matches' && typeof x === 'string' && names.has(x) ? prefix + x : prefixUtils(x, prefix, names);
  return out;
}

/**
 * One rule's matcher for the pre-pass: its rule, with constraints on variables its own pattern
 * binds folded in (inline when the pattern is just the variable, else as a descendant the node
 * must have), so the pre-pass never misses a match the rule would make and rarely adds any.
 */
function relaxedRule(rule: AstGrepLoadedRule): RuleObject {
  const r = rule.config.rule;
  const constraints = rule.config.constraints;
  if (!constraints) return r;
  const extra: RuleObject[] = [];
  const own = typeof r.pattern === 'string' ? r.pattern.trim() : undefined;
  for (const [name, c] of Object.entries(constraints)) {
    if (own === `$${name}`) extra.push(c);
    else if (own !== undefined && new RegExp(`(?<!\\$)\\$${name}(?![A-Z0-9_])`).test(own)) extra.push({ has: { ...c, stopBy: 'end' } } as RuleObject);
  }
  return extra.length ? { all: [r, ...extra] } : r;
}

interface Combined {
  config: { rule: RuleObject; utils: Record<string, RuleObject> };
  /** The kind of the language's root node (a branch matching it makes every file report its tree). */
  rootKind: string;
}

/** Languages whose rules were compile-checked against that grammar (per prepared set). */
const checkedLanguages = new WeakMap<PreparedSet, Set<string>>();

/**
 * Compiles each rule that targets `lang` against its grammar once, marking the ones that do not
 * compile there (a TypeScript-only kind on a JavaScript tree) so no batch matcher includes them.
 */
function checkLanguage(set: PreparedSet, lang: LanguageEntry): void {
  let done = checkedLanguages.get(set);
  if (!done) checkedLanguages.set(set, (done = new Set()));
  if (done.has(lang.id)) return;
  done.add(lang.id);
  ensureLanguage(lang);
  const empty = parse(lang.napi, '').root();
  for (const p of astRulesFor(set, lang)) {
    if (p.rule.meta.language === lang.id) continue; // compiled for this grammar when loaded
    try {
      empty.findAll(p.rule.config as Parameters<SgNode['findAll']>[0]);
    } catch {
      p.incompatible.add(lang.id);
    }
  }
}

const combinedCache = new WeakMap<PreparedSet, Map<string, Combined | null>>();
/** Distinct matchers kept per rule set; a batch has a few dozen candidate-rule combinations at most. */
const MAX_COMBINED = 512;
const rootKinds = new Map<string, string>();

/**
 * `rules` (candidates of some files of `lang`) as one matcher, each rule's utils prefixed to keep
 * them apart; with `withRoot`, also the root node, so every file's tree comes back (the complexity
 * pack needs it).
 */
function combinedFor(set: PreparedSet, lang: LanguageEntry, rules: readonly PreparedAst[], withRoot: boolean): Combined | null {
  let cache = combinedCache.get(set);
  if (!cache) combinedCache.set(set, (cache = new Map()));
  const key = `${lang.id}:${rules.map((p) => p.index).join(',')}${withRoot ? '+root' : ''}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let rootKind = rootKinds.get(lang.id);
  if (rootKind === undefined) {
    ensureLanguage(lang);
    rootKind = String(parse(lang.napi, '').root().kind());
    rootKinds.set(lang.id, rootKind);
  }
  const any: RuleObject[] = [];
  const utils: Record<string, RuleObject> = {};
  for (const p of rules) {
    const prefix = `w${p.index}_`;
    const names = new Set(Object.keys(p.rule.config.utils ?? {}));
    any.push(prefixUtils(relaxedRule(p.rule), prefix, names) as RuleObject);
    for (const [k, v] of Object.entries(p.rule.config.utils ?? {})) utils[prefix + k] = prefixUtils(v, prefix, names) as RuleObject;
  }
  if (withRoot) any.push({ kind: rootKind });
  const combined = any.length ? { config: { rule: { any }, utils }, rootKind } : null;
  if (cache.size >= MAX_COMBINED) cache.clear();
  cache.set(key, combined);
  return combined;
}

/** A file's tree from the pre-pass, with the texts of the nodes the rules matched (undefined: too many to narrow by). */
interface PrePassTree {
  root: SgRoot;
  texts: string[] | undefined;
  /** Whether a rule (not just the root branch) matched. */
  matched: boolean;
}

/**
 * findInFiles, resolving only after every file's callback ran: napi's promise can settle while
 * callbacks are still queued (ast-grep/ast-grep#206); it resolves to the number of callbacks due.
 */
async function findInFilesCounted(
  lang: string,
  paths: string[],
  matcher: FindConfig['matcher'],
  callback: (err: Error | null, nodes: SgNode[]) => void,
): Promise<void> {
  let seen = 0;
  let due: number | undefined;
  let release: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (release = resolve));
  due = await findInFiles(lang, { paths, matcher }, (err, nodes) => {
    try {
      callback(err, nodes);
    } finally {
      seen += 1;
      if (seen === due) release();
    }
  });
  if (seen < due) await all;
}

type Kinds = Set<string> | 'any';

function intersect(a: Kinds, b: Kinds): Kinds {
  if (a === 'any') return b;
  if (b === 'any') return a;
  return new Set([...a].filter((k) => b.has(k)));
}

function union(parts: Kinds[]): Kinds {
  if (parts.some((p) => p === 'any')) return 'any';
  const out = new Set<string>();
  for (const p of parts as Set<string>[]) for (const k of p) out.add(k);
  return out;
}

const patternKinds = new Map<string, Kinds>();

/** The kind of node a pattern matches (its effective node, as ast-grep finds it), or 'any' for a lone metavariable. */
function patternKind(lang: LanguageEntry, pattern: string): Kinds {
  const key = `${lang.id}\0${pattern}`;
  let k = patternKinds.get(key);
  if (k === undefined) {
    if (/^\$(\$\$)?[A-Z_][A-Z0-9_]*$|^\$\$\$$/.test(pattern.trim())) k = 'any';
    else {
      try {
        ensureLanguage(lang);
        const ch = expandoChar(lang);
        const source = ch === '$' ? pattern : pattern.replace(/\$\$\$(?:[A-Z_][A-Z0-9_]*)?|\$\$?[A-Z_][A-Z0-9_]*/g, (m) => m.replace(/\$/g, ch));
        let node = parse(lang.napi, source).root();
        for (;;) {
          const children = node.children();
          if (children.length !== 1) break;
          node = children[0];
        }
        const text = node.text();
        k = /^[$µ_]/.test(text) && /^.[A-Z_][A-Z0-9_]*$/.test(text) ? 'any' : new Set([String(node.kind())]);
      } catch {
        k = 'any';
      }
    }
    if (patternKinds.size > 10_000) patternKinds.clear();
    patternKinds.set(key, k);
  }
  return k;
}

/**
 * The node kinds a rule's match can have, from its kind, pattern, all/any and utils (relational
 * and `not` sub-rules say nothing about the matched node's own kind); 'any' when unrestricted.
 */
function ruleKinds(r: RuleObject, lang: LanguageEntry, utils: Record<string, RuleObject> | undefined, seen: Set<string> = new Set()): Kinds {
  let k: Kinds = 'any';
  if (r.kind) k = intersect(k, new Set([r.kind]));
  if (typeof r.pattern === 'string') k = intersect(k, patternKind(lang, r.pattern));
  else if (r.pattern?.selector) k = intersect(k, new Set([r.pattern.selector]));
  for (const sub of r.all ?? []) k = intersect(k, ruleKinds(sub, lang, utils, seen));
  if (r.any) k = intersect(k, union(r.any.map((sub) => ruleKinds(sub, lang, utils, seen))));
  if (r.matches && utils?.[r.matches] && !seen.has(r.matches)) {
    seen.add(r.matches);
    k = intersect(k, ruleKinds(utils[r.matches], lang, utils, seen));
    seen.delete(r.matches);
  }
  return k;
}

/** Whether a rule can match a node of `kind` in `lang` (conservative: true when unsure). */
function mayMatchKind(p: PreparedAst, lang: LanguageEntry, kind: string): boolean {
  try {
    const k = ruleKinds(p.rule.config.rule, lang, p.rule.config.utils);
    return k === 'any' || k.has(kind);
  } catch {
    return true;
  }
}

/** Pre-pass calls in flight per batch. */
const PRE_PASS_CONCURRENCY = 4;

/** Runs at most `n` of the functions passed to it at a time. */
function concurrency(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    while (active >= n) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** Beyond this many pre-pass matches in a file, narrowing its rules costs more than it saves. */
const MAX_NARROWING_NODES = 64;

export interface BatchFile {
  /** Root-relative path, forward slashes. */
  rel: string;
  /** Absolute path: the pre-pass reads the file itself. */
  abs: string;
  text: string;
}

/**
 * analyseText for many files, faster: napi compiles a rule on every call, which costs more than
 * running it, so a pre-pass runs every rule of a language at once over all the batch's files of
 * that language (findInFiles: one compile, parsing in Rust threads) and only the files it flags
 * are parsed again and run rule by rule, for exact matches, metavariables and fixes. Same results
 * as analyseText on each file.
 */
export async function analyseBatch(rules: readonly LoadedRule[], files: readonly BatchFile[]): Promise<TextAnalysis[]> {
  const set = prepare(rules);
  const plans = files.map((f) => planFile(set, f.rel, f.text));
  // Files with the same language and candidate rules share one pre-pass matcher, so each file is
  // matched against only the rules its pre-filter left (and the matcher is compiled once).
  const groups = new Map<string, { lang: LanguageEntry; rules: readonly PreparedAst[]; root: boolean; idxs: number[] }>();
  plans.forEach((p, i) => {
    if (!p.lang || p.skip || (p.candidates.length === 0 && !p.complexity)) return;
    const key = `${p.lang.id}:${p.candidates.map((c) => c.index).join(',')}${p.complexity ? '+root' : ''}`;
    const g = groups.get(key);
    if (g) g.idxs.push(i);
    else groups.set(key, { lang: p.lang, rules: p.candidates, root: !!p.complexity, idxs: [i] });
  });
  const trees = new Map<number, PrePassTree>();
  const failed = new Set<number>();
  // The groups run a few at a time: each call parses in its own Rust threads, small groups alone
  // would leave cores idle, and too many at once cost memory (every thread gets its own heap arena).
  const runs: Promise<void>[] = [];
  const limit = concurrency(PRE_PASS_CONCURRENCY);
  for (const { lang, rules: groupRules, root: withRoot, idxs } of groups.values()) {
    let combined: Combined | null;
    try {
      combined = combinedFor(set, lang, groupRules, withRoot);
    } catch {
      combined = null;
    }
    if (!combined) {
      for (const i of idxs) failed.add(i);
      continue;
    }
    const rootKind = combined.rootKind;
    const rootMatchable = withRoot && groupRules.some((p) => mayMatchKind(p, lang, rootKind));
    const byPath = new Map(idxs.map((i) => [files[i].abs, i]));
    runs.push(
      limit(() => findInFilesCounted(lang.napi, idxs.map((i) => files[i].abs), combined.config as FindConfig['matcher'], (err, nodes) => {
        if (err || nodes.length === 0) return;
        const root = nodes[0].getRoot();
        const i = byPath.get(root.filename());
        if (i === undefined) return;
        // Matches come in tree order, so the root branch's match, when there is one, is the first;
        // it stands for no rule unless one of the group's rules can match a root node itself.
        const first = nodes[0];
        const inner = withRoot && !rootMatchable && first.kind() === rootKind && first.parent() === null ? nodes.slice(1) : nodes;
        trees.set(i, { root, texts: inner.length <= MAX_NARROWING_NODES ? inner.map((n) => n.text()) : undefined, matched: inner.length > 0 });
      })).catch(() => {
        // The pre-pass is an optimisation: if it fails, the group's files get the full pass.
        for (const i of idxs) failed.add(i);
      }),
    );
  }
  await Promise.all(runs);
  return files.map((f, i) => {
    const plan = plans[i];
    if (failed.has(i)) return runPlan(set, f.rel, f.text, plan, plan.candidates);
    const tree = trees.get(i);
    if (!tree) return runPlan(set, f.rel, f.text, plan, []);
    let rules: readonly PreparedAst[] = [];
    if (tree.matched) {
      const texts = tree.texts;
      // A rule can only have matched a node whose text has what the rule needs of its node.
      rules = texts === undefined ? plan.candidates : plan.candidates.filter((p) => texts.some((t) => satisfied(p.nodeRequirement, (w) => t.includes(w))));
    }
    // The pre-pass read the file itself: use its tree only if it saw the same text.
    const root = tree.root.root();
    const same = root.range().end.index === f.text.length || root.text() === f.text;
    return runPlan(set, f.rel, f.text, plan, rules, same ? root : undefined);
  });
}
/** The findings of `rules` in one file (analyseText without the skip reason). */
export function scanText(rules: readonly LoadedRule[], relPath: string, text: string): Finding[] {
  return analyseText(rules, relPath, text).findings;
}

function runAstRule(p: PreparedAst, root: SgNode, lang: LanguageEntry, text: string, out: RawMatch[]): void {
  const { rule } = p;
  let nodes: SgNode[];
  try {
    nodes = root.findAll(rule.config as Parameters<SgNode['findAll']>[0]);
  } catch {
    // Compiled for its own language at load time; on a sibling grammar (a TypeScript rule on a
    // JavaScript tree) a kind may not exist. Skip the rule for this language from now on.
    p.incompatible.add(lang.id);
    return;
  }
  for (const node of nodes) {
    const r = node.range();
    const matched = node.text();
    out.push({
      meta: rule.meta,
      start: { line: r.start.line + 1, column: r.start.column + 1 },
      end: { line: r.end.line + 1, column: r.end.column + 1 },
      identity: matched,
      snippet: cut(matched),
      message: substitute(rule.meta.message, node, text),
      ...(rule.fix !== undefined ? { fix: substitute(rule.fix, node, text) } : {}),
    });
  }
}

function runComplexity(rule: BuiltinLoadedRule, root: SgNode, lang: LanguageEntry, out: RawMatch[]): void {
  const threshold = rule.options?.threshold ?? DEFAULT_COMPLEXITY_THRESHOLD;
  for (const f of functionComplexities(root, lang.id, threshold) ?? []) {
    out.push({
      meta: rule.meta,
      start: f.start,
      end: f.end,
      identity: `${f.name} ${f.header}`,
      snippet: cut(f.header),
      message: `Function ${f.name} has cyclomatic complexity ${f.complexity} (threshold ${threshold}).`,
    });
  }
}

function toFindings(raw: RawMatch[], relPath: string, text: string): Finding[] {
  if (raw.length === 0) return [];
  raw.sort(
    (a, b) =>
      a.start.line - b.start.line ||
      a.start.column - b.start.column ||
      (a.meta.id < b.meta.id ? -1 : a.meta.id > b.meta.id ? 1 : 0) ||
      a.end.line - b.end.line ||
      a.end.column - b.end.column,
  );
  const counter = occurrenceCounter();
  const lineText = lineReader(text);
  const out: Finding[] = [];
  let prev: RawMatch | undefined;
  for (const m of raw) {
    // The same rule matching the same span twice (any: branches overlapping) is one finding.
    if (prev && prev.meta === m.meta && prev.start.line === m.start.line && prev.start.column === m.start.column && prev.end.line === m.end.line && prev.end.column === m.end.column) continue;
    prev = m;
    const meta = m.meta;
    const f: Finding = {
      ruleId: meta.id,
      severity: meta.severity,
      message: m.message,
      path: relPath,
      start: m.start,
      end: m.end,
      snippet: m.snippet,
      fingerprint: fingerprint(meta.id, relPath, m.identity, counter.next(meta.id, relPath, m.identity)),
    };
    if (meta.cwe) f.cwe = meta.cwe;
    if (meta.owaspLlm) f.owaspLlm = meta.owaspLlm;
    const confidence = m.confidence ?? meta.confidence;
    if (confidence) f.confidence = confidence;
    if (m.fix !== undefined) f.fix = m.fix;
    const why = suppressionFor(meta.id, m.start.line, lineText);
    if (why !== undefined) f.suppressed = { kind: 'inline', justification: why };
    out.push(f);
  }
  return out;
}

