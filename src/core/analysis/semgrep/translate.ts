// The semgrep front end: reads a semgrep YAML rule file and translates the mappable subset of each
// rule into ast-grep rule documents (the format the scan engine's loader takes). A rule that uses
// anything without a faithful ast-grep counterpart is listed as untranslated with the construct(s)
// named, never approximated silently; malformed rules are WardenErrors naming file, line and key.
// Hand-written: no library translates between the two rule languages. docs/semgrep.md lists which
// constructs are exact and which approximate.
import { LineCounter, parseDocument, type Document } from 'yaml';
import { RE2JS } from 're2js';
import { WardenError } from '../../errors.js';
import { locate } from '../../config/load.js';
import type { Confidence, ScanSeverity } from '../types.js';
import {
  commaEllipsisVariants,
  metavariablesOf,
  rewriteMetavariablesInText,
  rewritePattern,
  splitStatements,
  type PatternLanguage,
  type Sequence,
} from './patterns.js';

/** An ast-grep rule object (https://ast-grep.github.io/reference/rule.html), as plain data. */
export interface AstGrepRule {
  pattern?: string | { context: string; selector?: string; strictness?: string };
  kind?: string;
  regex?: string;
  inside?: AstGrepRelation;
  has?: AstGrepRelation;
  precedes?: AstGrepRelation;
  follows?: AstGrepRelation;
  all?: AstGrepRule[];
  any?: AstGrepRule[];
  not?: AstGrepRule;
  matches?: string;
}

export interface AstGrepRelation extends AstGrepRule {
  stopBy?: 'neighbor' | 'end' | AstGrepRule;
  field?: string;
}

/** Warden's metadata on a translated rule. */
export interface TranslatedRuleMetadata {
  cwe?: string[];
  owasp?: string[];
  confidence?: Confidence;
  references?: string[];
  /** Where the rule came from and what the translation approximated (empty when exact). */
  semgrep: { id: string; file: string; approximations: string[] };
}

/** One ast-grep rule document (ast-grep's YAML rule format as a plain object), one per language. */
export interface AstGrepRuleDoc {
  id: string;
  language: string;
  rule: AstGrepRule;
  constraints?: Record<string, AstGrepRule>;
  message: string;
  severity: ScanSeverity;
  note?: string;
  fix?: string;
  files?: string[];
  ignores?: string[];
  metadata: TranslatedRuleMetadata;
}

export interface UntranslatedRule {
  id: string;
  /** The semgrep constructs that have no ast-grep translation, e.g. `pattern-sinks`, `focus-metavariable`. */
  constructs: string[];
  reason: string;
}

export interface SemgrepTranslation {
  rules: AstGrepRuleDoc[];
  untranslated: UntranslatedRule[];
  errors: WardenError[];
}

export interface TranslateOptions {
  /**
   * Checks a translated document with the engine (for example by compiling it with
   * @ast-grep/napi); a returned message marks the rule untranslated instead of failing later.
   */
  validate?: (doc: AstGrepRuleDoc) => string | undefined;
}

const ERROR_CODE = 'rule_invalid';

// ---------------------------------------------------------------------------------------------
// Languages

/**
 * `(Type $X)` (Java, C, C#) and `($X: Type)` (TypeScript) are typed metavariables unless the
 * parenthesis follows a word or a closing bracket: then it is a parameter list, a call or a
 * `catch (E $X)` clause. An arrow parameter list `($X: T) => …` is not one either.
 */
function typedBy(re: RegExp, arrow: boolean): (code: string) => boolean {
  return (code) => {
    for (const m of code.matchAll(re)) {
      const before = code.slice(0, m.index).trimEnd();
      if (/[\w)\]$]$/.test(before) && !/\breturn$/.test(before)) continue;
      if (arrow && /^\s*(=>|:)/.test(code.slice(m.index + m[0].length))) continue;
      return true;
    }
    return false;
  };
}
const C_TYPED = typedBy(/\(\s*[A-Za-z_][\w.:<>[\], ]*?[\s*&]+\$[A-Z_][A-Z0-9_]*\s*\)/g, false);
const TS_TYPED = typedBy(/\(\s*\$[A-Z_][A-Z0-9_]*\s*:\s*[^)]+\)/g, true);
const GO_TYPED = (code: string): boolean => /\(\s*\$[A-Z_][A-Z0-9_]*\s*:\s*[^)]+\)/.test(code);

const JS_STRING = '^(?:["\']|`[^`$]*`$)';
const C_QUOTES = ['"', "'"] as const;

function lang(
  name: string,
  statements: PatternLanguage['statements'],
  quotes: readonly string[],
  stringLiteral: string,
  typedMetavariable?: (code: string) => boolean,
  stripSemicolon = false,
): PatternLanguage {
  return { name, statements, quotes, stringLiteral, typedMetavariable, stripSemicolon };
}

const PY = lang('python', 'indent', ['"""', "'''", '"', "'"], '^[rRbBuU]{0,2}["\']');
const JS = lang('javascript', 'brace', ['"', "'", '`'], JS_STRING, undefined, true);
const TS = lang('typescript', 'brace', ['"', "'", '`'], JS_STRING, TS_TYPED, true);
const TSX = lang('tsx', 'brace', ['"', "'", '`'], JS_STRING, TS_TYPED, true);

/** Semgrep language names → the ast-grep languages Warden scans with (semgrep's `ts` also covers .tsx). */
const LANGUAGES: Record<string, PatternLanguage[]> = {
  python: [PY],
  python2: [PY],
  python3: [PY],
  py: [PY],
  javascript: [JS],
  js: [JS],
  typescript: [TS, TSX],
  ts: [TS, TSX],
  go: [lang('go', 'brace', ['"', '`', "'"], '^["`]', GO_TYPED)],
  golang: [lang('go', 'brace', ['"', '`', "'"], '^["`]', GO_TYPED)],
  java: [lang('java', 'brace', C_QUOTES, '^"', C_TYPED)],
  ruby: [lang('ruby', 'none', C_QUOTES, '^["\']')],
  rust: [lang('rust', 'brace', ['"'], '^(?:b?r#*)?b?"')],
  php: [lang('php', 'brace', C_QUOTES, '^["\']')],
  c: [lang('c', 'brace', C_QUOTES, '^(?:L|u8?|U)?"', C_TYPED)],
  cpp: [lang('cpp', 'brace', C_QUOTES, '^(?:L|u8?|U)?R?"', C_TYPED)],
  'c++': [lang('cpp', 'brace', C_QUOTES, '^(?:L|u8?|U)?R?"', C_TYPED)],
  csharp: [lang('csharp', 'brace', C_QUOTES, '^[@$]{0,2}"', C_TYPED)],
  'c#': [lang('csharp', 'brace', C_QUOTES, '^[@$]{0,2}"', C_TYPED)],
  kotlin: [lang('kotlin', 'brace', C_QUOTES, '^"')],
  kt: [lang('kotlin', 'brace', C_QUOTES, '^"')],
  swift: [lang('swift', 'brace', ['"""', '"'], '^#*"')],
  scala: [lang('scala', 'brace', ['"""', '"', "'"], '^[a-z]*"')],
  bash: [lang('bash', 'none', C_QUOTES, '^["\']')],
  sh: [lang('bash', 'none', C_QUOTES, '^["\']')],
  yaml: [lang('yaml', 'none', C_QUOTES, '^["\']')],
  html: [lang('html', 'none', C_QUOTES, '^["\']')],
};

// ---------------------------------------------------------------------------------------------
// Rule-level keys

/** Keys translated (or harmless to drop: version bounds only gate semgrep releases). */
const RULE_KEYS = new Set([
  'id',
  'message',
  'severity',
  'languages',
  'pattern',
  'patterns',
  'pattern-either',
  'pattern-regex',
  'metadata',
  'paths',
  'options',
  'fix',
  'mode',
  'min-version',
  'max-version',
  'version',
]);

/** Valid semgrep rule keys with no ast-grep counterpart: the rule is reported untranslated. */
const UNTRANSLATABLE_RULE_KEYS = new Set([
  'pattern-sources',
  'pattern-sinks',
  'pattern-sanitizers',
  'pattern-propagators',
  'taint',
  'join',
  'extract',
  'dest-language',
  'dest-rules',
  'transform',
  'reduce',
  'fix-regex',
  'match',
  'equivalences',
  'r2c-internal-project-depends-on',
  'project-depends-on',
  'validators',
  'steps',
  'product',
]);

/** Valid operators inside `patterns` that have no ast-grep counterpart. */
const UNTRANSLATABLE_OPERATORS = new Set([
  'focus-metavariable',
  'metavariable-comparison',
  'metavariable-type',
  'metavariable-name',
  'metavariable-analysis',
  'pattern-where-python',
  'pattern-not-regex',
  'semgrep-internal-metavariable-name',
]);

/** Options that switch on semantics ast-grep lacks; any other known option is ignored. */
const UNTRANSLATABLE_WHEN_TRUE = new Set(['symmetric_eq', 'commutative_boolop', 'interfile']);
const KNOWN_OPTIONS = new Set([
  'ac_matching',
  'attr_expr',
  'commutative_boolop',
  'constant_propagation',
  'decorators_order_matters',
  'generic_comment_style',
  'generic_ellipsis_max_span',
  'implicit_return',
  'interfile',
  'symbolic_propagation',
  'symmetric_eq',
  'taint_assume_safe_functions',
  'taint_assume_safe_indexes',
  'vardef_assign',
  'xml_attrs_implicit_ellipsis',
]);

const SEVERITIES: Record<string, ScanSeverity> = {
  ERROR: 'high',
  WARNING: 'medium',
  INFO: 'low',
  CRITICAL: 'critical',
  HIGH: 'high',
  MEDIUM: 'medium',
  LOW: 'low',
  INVENTORY: 'info',
  EXPERIMENT: 'info',
};

/** Semgrep's severity names (old and new) → Warden's. */
export function mapSemgrepSeverity(s: string): ScanSeverity | undefined {
  return SEVERITIES[s.toUpperCase()];
}

// ---------------------------------------------------------------------------------------------
// Entry point

type Path = (string | number)[];

class RuleError extends Error {
  constructor(
    readonly path: Path,
    message: string,
    readonly atKey = false,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/**
 * Translates every rule of a semgrep rule file. Never throws for bad input: a YAML error or a
 * malformed rule is an entry in `errors` (code `rule_invalid`, with file, line and column); the
 * other rules are still translated.
 */
export function translateSemgrepRules(yamlText: string, file: string, opts: TranslateOptions = {}): SemgrepTranslation {
  const result: SemgrepTranslation = { rules: [], untranslated: [], errors: [] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const pos = lineCounter.linePos(err.pos[0]);
    result.errors.push(
      new WardenError(ERROR_CODE, `YAML syntax error: ${err.message.split('\n')[0]}`, { location: { file, line: pos.line, col: pos.col } }),
    );
    return result;
  }
  const fail = (e: RuleError): void => {
    result.errors.push(
      new WardenError(ERROR_CODE, e.message, { location: locate(doc as Document, lineCounter, file, e.path, e.atKey), hint: e.hint }),
    );
  };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    result.errors.push(new WardenError(ERROR_CODE, `YAML could not be read: ${(e as Error).message}`, { location: { file }, cause: e }));
    return result;
  }
  if (!isRecord(data)) {
    fail(new RuleError([], 'a semgrep rule file is a mapping with a `rules` list at the top level'));
    return result;
  }
  for (const key of Object.keys(data)) {
    if (key !== 'rules') fail(new RuleError([key], `${key}: unknown key at the top level of a semgrep rule file`, true, 'expected only `rules`'));
  }
  if (!Array.isArray(data.rules)) {
    fail(new RuleError(data.rules === undefined ? [] : ['rules'], 'rules: expected a list of semgrep rules'));
    return result;
  }
  const seen = new Set<string>();
  data.rules.forEach((raw: unknown, i: number) => {
    try {
      const out = translateRule(raw, ['rules', i], file, opts);
      if (seen.has(out.id)) throw new RuleError(['rules', i, 'id'], `rules[${i}].id: duplicate rule id "${out.id}"`);
      seen.add(out.id);
      if ('constructs' in out) result.untranslated.push(out);
      else result.rules.push(...out.docs);
    } catch (e) {
      if (e instanceof RuleError) fail(e);
      else throw e;
    }
  });
  return result;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function where(path: Path): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

function str(v: unknown, path: Path, what = 'a string'): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new RuleError(path, `${where(path)}: expected ${what}`);
}

// ---------------------------------------------------------------------------------------------
// One rule

function translateRule(
  raw: unknown,
  path: Path,
  file: string,
  opts: TranslateOptions,
): { id: string; docs: AstGrepRuleDoc[] } | UntranslatedRule {
  if (!isRecord(raw)) throw new RuleError(path, `${where(path)}: expected a rule (a mapping)`);
  const id = str(raw.id ?? missing(path, 'id'), [...path, 'id']);
  if (id.trim() === '') throw new RuleError([...path, 'id'], `${where([...path, 'id'])}: must not be empty`);

  const constructs: string[] = [];
  const note = (c: string): void => {
    if (!constructs.includes(c)) constructs.push(c);
  };
  for (const key of Object.keys(raw)) {
    if (UNTRANSLATABLE_RULE_KEYS.has(key)) note(key);
    else if (!RULE_KEYS.has(key)) {
      throw new RuleError([...path, key], `${where([...path, key])}: unknown key in semgrep rule "${id}"`, true);
    }
  }
  const mode = raw.mode === undefined ? 'search' : str(raw.mode, [...path, 'mode']);
  if (!['search', 'taint', 'join', 'extract'].includes(mode)) {
    throw new RuleError([...path, 'mode'], `${where([...path, 'mode'])}: expected search, taint, join or extract, got "${mode}"`);
  }
  if (mode !== 'search') note(`mode: ${mode}`);

  const severityText = raw.severity === undefined && mode === 'extract' ? 'INFO' : str(raw.severity ?? missing(path, 'severity'), [...path, 'severity']);
  const severity = mapSemgrepSeverity(severityText);
  if (!severity) {
    throw new RuleError(
      [...path, 'severity'],
      `${where([...path, 'severity'])}: expected one of ${Object.keys(SEVERITIES).join(', ')}, got "${severityText}"`,
    );
  }
  const message = mode === 'extract' && raw.message === undefined ? '' : str(raw.message ?? missing(path, 'message'), [...path, 'message']);
  // Join rules name their languages in their sub-rules.
  const languages = raw.languages ?? (mode === 'join' ? [] : missing(path, 'languages'));
  if (!Array.isArray(languages) || (languages.length === 0 && mode !== 'join')) {
    throw new RuleError([...path, 'languages'], `${where([...path, 'languages'])}: expected a non-empty list of languages`);
  }
  const langNames = languages.map((l, i) => str(l, [...path, 'languages', i]).toLowerCase());

  const formulaKeys = ['pattern', 'patterns', 'pattern-either', 'pattern-regex'].filter((k) => raw[k] !== undefined);
  if (formulaKeys.length > 1) {
    throw new RuleError([...path, formulaKeys[1]], `${where(path)}: only one of pattern, patterns, pattern-either, pattern-regex may be given`, true);
  }
  if (formulaKeys.length === 0 && constructs.length === 0) {
    throw new RuleError(path, `${where(path)}: rule "${id}" needs one of pattern, patterns, pattern-either, pattern-regex`);
  }

  // Options and paths are checked for shape even when the rule will not be translated.
  if (raw.options !== undefined) {
    if (!isRecord(raw.options)) throw new RuleError([...path, 'options'], `${where([...path, 'options'])}: expected a mapping`);
    for (const [k, v] of Object.entries(raw.options)) {
      if (!KNOWN_OPTIONS.has(k)) note(`options.${k}`);
      else if (UNTRANSLATABLE_WHEN_TRUE.has(k) && v === true) note(`options.${k}`);
    }
  }
  const paths = translatePaths(raw.paths, [...path, 'paths']);
  const metadata = raw.metadata === undefined ? {} : raw.metadata;
  if (!isRecord(metadata)) throw new RuleError([...path, 'metadata'], `${where([...path, 'metadata'])}: expected a mapping`);
  const fix = raw.fix === undefined ? undefined : str(raw.fix, [...path, 'fix']);

  const targets: PatternLanguage[] = [];
  for (const name of langNames) {
    const ls = LANGUAGES[name];
    if (!ls) note(`languages: ${name}`);
    else for (const l of ls) if (!targets.some((t) => t.name === l.name)) targets.push(l);
  }

  const docs: AstGrepRuleDoc[] = [];
  if (formulaKeys.length === 1) {
    const key = formulaKeys[0];
    // With no language to translate for, the formula is still read (as Python) for its errors.
    for (const target of targets.length ? targets : [PY]) {
      const t = new FormulaTranslator(target);
      const rule = t.top(key, raw[key], [...path, key]);
      t.checkConditionScopes();
      if (!targets.length) continue;
      for (const c of t.unsupported) note(c);
      if (constructs.length) continue;
      docs.push({
        id,
        language: target.name,
        rule,
        ...(Object.keys(t.constraints).length ? { constraints: t.constraints } : {}),
        message: rewriteMetavariablesInText(message.trim()),
        severity,
        note: translationNote(id, file, t.approximations),
        ...(fix !== undefined ? { fix: rewriteMetavariablesInText(fix) } : {}),
        ...(paths.include.length ? { files: paths.include } : {}),
        ...(paths.exclude.length ? { ignores: paths.exclude } : {}),
        metadata: {
          ...translateMetadata(metadata),
          semgrep: { id, file, approximations: [...t.approximations, ...(paths.include.length || paths.exclude.length ? ['paths globs'] : [])] },
        },
      });
    }
  }

  if (constructs.length === 0 && opts.validate) {
    for (const d of docs) {
      const problem = opts.validate(d);
      if (problem) {
        return { id, constructs: [`pattern ast-grep rejects (${d.language})`], reason: `ast-grep could not compile the translation: ${problem}` };
      }
    }
  }
  if (constructs.length > 0) {
    return { id, constructs, reason: `uses ${constructs.join(', ')}, which has no exact ast-grep translation` };
  }
  return { id, docs };
}

function missing(path: Path, key: string): never {
  throw new RuleError(path, `${where([...path, key])}: is required`);
}

function translationNote(id: string, file: string, approximations: readonly string[]): string {
  const base = `Translated from the semgrep rule "${id}" in ${file}.`;
  return approximations.length ? `${base} Approximate: ${approximations.join('; ')} (see docs/semgrep.md).` : base;
}

/** Semgrep's `paths` globs match a file's path and each parent directory at any depth. */
function translatePaths(raw: unknown, path: Path): { include: string[]; exclude: string[] } {
  const out = { include: [] as string[], exclude: [] as string[] };
  if (raw === undefined) return out;
  if (!isRecord(raw)) throw new RuleError(path, `${where(path)}: expected a mapping with include and/or exclude`);
  for (const key of Object.keys(raw)) {
    if (key !== 'include' && key !== 'exclude') {
      throw new RuleError([...path, key], `${where([...path, key])}: unknown key (expected include or exclude)`, true);
    }
    const v = raw[key];
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list)) throw new RuleError([...path, key], `${where([...path, key])}: expected a glob or a list of globs`);
    list.forEach((g, i) => {
      for (const glob of semgrepGlobToAstGrep(str(g, [...path, key, i]))) if (!out[key].includes(glob)) out[key].push(glob);
    });
  }
  return out;
}

/** One semgrep path glob → ast-grep globs over root-relative paths (the file itself, or anything under it). */
export function semgrepGlobToAstGrep(glob: string): string[] {
  let g = glob.trim().replace(/^\.\//, '').replace(/\/+$/, '');
  if (g.startsWith('/')) g = g.slice(1);
  else if (!g.startsWith('**/')) g = `**/${g}`;
  return g.endsWith('/**') ? [g] : [g, `${g}/**`];
}

function list(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).filter((x) => typeof x === 'string' || typeof x === 'number').map((x) => String(x).trim());
}

/** Semgrep metadata → Warden's: CWE ids as `CWE-n`, OWASP categories, confidence, references. */
export function translateMetadata(metadata: Record<string, unknown>): Omit<TranslatedRuleMetadata, 'semgrep'> {
  const out: Omit<TranslatedRuleMetadata, 'semgrep'> = {};
  const cwe = list(metadata.cwe).flatMap((c) => {
    const ids = [...c.matchAll(/CWE-\d+/gi)].map((m) => m[0].toUpperCase());
    return ids.length ? ids : [c];
  });
  if (cwe.length) out.cwe = [...new Set(cwe)];
  const owasp = list(metadata.owasp);
  if (owasp.length) out.owasp = owasp;
  const confidence = typeof metadata.confidence === 'string' ? metadata.confidence.toLowerCase() : undefined;
  if (confidence === 'low' || confidence === 'medium' || confidence === 'high') out.confidence = confidence;
  const references = list(metadata.references);
  if (references.length) out.references = references;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Formulas

interface Occurrence {
  name: string;
  /** The `patterns` blocks (by id) enclosing the pattern that binds it, outermost first. */
  scopes: number[];
  /** Inside a metavariable-pattern formula (by its id), or -1. */
  nested: number;
}

interface Condition {
  name: string;
  scope: number;
  operator: string;
}

type Polarity = 'positive' | 'negative';

/** Translates one rule's formula for one language, collecting constraints and unsupported constructs. */
class FormulaTranslator {
  readonly constraints: Record<string, AstGrepRule> = {};
  readonly unsupported: string[] = [];
  readonly approximations: string[] = [];
  private readonly occurrences: Occurrence[] = [];
  private readonly conditions: Condition[] = [];
  private readonly nestedFormulas: number[] = [];
  private readonly scopes: number[] = [];
  private nextScope = 0;
  private nested = -1;
  private polarity: Polarity = 'positive';
  private readonly counter = { n: 0 };

  constructor(private readonly lang: PatternLanguage) {}

  private unsupportedConstruct(c: string): void {
    if (!this.unsupported.includes(c)) this.unsupported.push(c);
  }

  private approximate(a: string): void {
    if (!this.approximations.includes(a)) this.approximations.push(a);
  }

  /** The rule's top-level formula: `pattern`, `patterns`, `pattern-either` or `pattern-regex`. */
  top(key: string, value: unknown, path: Path): AstGrepRule {
    return this.operator(key, value, path, 'either') ?? {};
  }

  // An operator in a formula. `context` says where it stands: a `patterns` list, a
  // `pattern-either` list, or the value of pattern-not / pattern-inside (a "general" formula).
  private operator(key: string, value: unknown, path: Path, context: 'patterns' | 'either' | 'general'): AstGrepRule | undefined {
    switch (key) {
      case 'pattern':
        return this.positivePattern(str(value, path), path);
      case 'pattern-regex':
        return this.regexRule(str(value, path), path, 'pattern-regex');
      case 'patterns':
        return this.conjunction(value, path);
      case 'pattern-either':
        return this.disjunction(value, path);
      case 'pattern-inside':
        if (context === 'either' || context === 'general') return this.general(value, path);
        break;
      case 'pattern-not':
      case 'pattern-not-inside':
        if (context === 'general') {
          const saved = this.polarity;
          this.polarity = 'negative';
          const inner = key === 'pattern-not' ? this.general(value, path) : this.insideOf(value, path);
          this.polarity = saved;
          return { not: inner };
        }
        break;
    }
    if (UNTRANSLATABLE_OPERATORS.has(key) || key === 'metavariable-regex' || key === 'metavariable-pattern') {
      if (context === 'either') {
        throw new RuleError(path.slice(0, -1), `${where(path.slice(0, -1))}: ${key} is only allowed in a \`patterns\` list`);
      }
      this.unsupportedConstruct(key);
      return undefined;
    }
    throw new RuleError(
      path.slice(0, -1),
      `${where(path.slice(0, -1))}: unknown semgrep operator "${key}"`,
      false,
      context === 'either' ? 'pattern-either takes pattern, patterns, pattern-either, pattern-inside, pattern-regex' : undefined,
    );
  }

  /** The value of pattern-not / pattern-inside / pattern-not-inside: a pattern string or a formula mapping. */
  private general(value: unknown, path: Path): AstGrepRule {
    if (!isRecord(value)) return this.positivePattern(str(value, path, 'a pattern or a formula'), path);
    const [key, ...extra] = Object.keys(value);
    if (key === undefined || extra.length) {
      throw new RuleError(path, `${where(path)}: expected exactly one operator (pattern, patterns, pattern-either, ...)`);
    }
    return this.operator(key, value[key], [...path, key], 'general') ?? {};
  }

  private singleKey(item: unknown, path: Path): [string, unknown] {
    if (!isRecord(item)) throw new RuleError(path, `${where(path)}: expected a mapping with one operator, e.g. "pattern: ..."`);
    const keys = Object.keys(item);
    if (keys.length !== 1) {
      throw new RuleError(
        keys.length ? [...path, keys[1]] : path,
        `${where(path)}: expected exactly one operator per list item, got ${keys.length ? keys.join(', ') : 'none'}`,
        keys.length > 1,
      );
    }
    return [keys[0], item[keys[0]]];
  }

  private disjunction(value: unknown, path: Path): AstGrepRule {
    if (!Array.isArray(value) || value.length === 0) throw new RuleError(path, `${where(path)}: expected a non-empty list`);
    const branches: AstGrepRule[] = [];
    value.forEach((item, i) => {
      const [key, v] = this.singleKey(item, [...path, i]);
      const r = this.operator(key, v, [...path, i, key], 'either');
      if (r) branches.push(r);
    });
    return branches.length === 1 ? branches[0] : { any: branches };
  }

  private conjunction(value: unknown, path: Path, implicitSelf = false): AstGrepRule {
    if (!Array.isArray(value) || value.length === 0) throw new RuleError(path, `${where(path)}: expected a non-empty list`);
    const scope = this.nextScope++;
    this.scopes.push(scope);
    const positives: AstGrepRule[] = [];
    const insides: { rule: AstGrepRule; value: unknown; path: Path }[] = [];
    const negatives: AstGrepRule[] = [];
    value.forEach((item, i) => {
      const itemPath: Path = [...path, i];
      const [key, v] = this.singleKey(item, itemPath);
      const p: Path = [...itemPath, key];
      switch (key) {
        case 'pattern':
        case 'pattern-regex':
        case 'patterns':
        case 'pattern-either': {
          const r = this.operator(key, v, p, 'patterns');
          if (r) positives.push(r);
          return;
        }
        case 'pattern-inside':
          insides.push({ rule: this.insideOf(v, p), value: v, path: p });
          return;
        case 'pattern-not':
        case 'pattern-not-inside': {
          const saved = this.polarity;
          this.polarity = 'negative';
          negatives.push({ not: key === 'pattern-not' ? this.general(v, p) : this.insideOf(v, p) });
          this.polarity = saved;
          return;
        }
        case 'metavariable-regex':
          this.metavariableRegex(v, p, scope);
          return;
        case 'metavariable-pattern':
          this.metavariablePattern(v, p, scope);
          return;
        default:
          this.operator(key, v, p, 'patterns');
      }
    });
    this.scopes.pop();
    if (positives.length === 0 && !implicitSelf) {
      if (insides.length === 0) {
        if (this.unsupported.length === 0) this.unsupportedConstruct('patterns without a positive pattern');
        return {};
      }
      // Semgrep intersects the ranges: with only pattern-inside operators the first one's own
      // matches are the result, kept when they lie inside the others.
      const first = insides.shift()!;
      positives.push(this.general(first.value, first.path));
    }
    const all = [...positives, ...insides.map((i) => i.rule), ...negatives];
    return all.length === 1 ? all[0] : { all };
  }

  // -- patterns ---------------------------------------------------------------------------------

  private rewrite(src: string): { text: string; seq: Sequence } {
    const rw = rewritePattern(src, this.lang, this.counter);
    rw.unsupported.forEach((u) => this.unsupportedConstruct(u));
    rw.approximations.forEach((a) => this.approximate(a));
    Object.assign(this.constraints, Object.fromEntries(Object.entries(rw.stringConstraints).map(([k, r]) => [k, { regex: r }])));
    for (const name of metavariablesOf(rw.text)) {
      this.occurrences.push({ name, scopes: [...this.scopes], nested: this.nested });
    }
    const seq = splitStatements(rw.text, this.lang);
    if (this.lang.statements === 'none' && /(^|\n)\s*\$\$\$\s*(\n|$)/.test(rw.text) && rw.text.trim() !== '$$$') {
      this.unsupportedConstruct(`statement ellipsis in a ${this.lang.name} pattern`);
    }
    return { text: rw.text, seq };
  }

  /** One ast-grep pattern, expanded into variants where a trailing `, $$$` must also match nothing. */
  private patternRule(text: string): AstGrepRule {
    const variants = commaEllipsisVariants(text);
    if (!variants) {
      this.unsupportedConstruct('more than 5 "..." after commas in one pattern');
      return { pattern: text };
    }
    return variants.length === 1 ? { pattern: variants[0] } : { any: variants.map((v) => ({ pattern: v })) };
  }

  /** The node matching a statement, or the statement-level node directly wrapping it. */
  private statement(text: string): AstGrepRule {
    const p = this.patternRule(text);
    return { any: [p, { has: p }] };
  }

  /**
   * A statement-level node that starts the sequence at `items[from]`: it matches that item and
   * the later items follow as siblings (ellipsis: anywhere later, the last one possibly nested).
   */
  private sequenceAnchor(seq: Sequence, from = 0): AstGrepRule {
    const item = seq.items[from];
    const self = this.statement(item.text);
    if (from === seq.items.length - 1) return self;
    const next = seq.items[from + 1];
    const isLast = from + 1 === seq.items.length - 1;
    let target: AstGrepRule = this.sequenceAnchor(seq, from + 1);
    if (next.afterEllipsis && isLast) {
      target = { any: [target, { has: { ...this.patternRule(next.text), stopBy: 'end' } }] };
    }
    return { all: [self, { precedes: { ...target, stopBy: next.afterEllipsis ? 'end' : 'neighbor' } }] };
  }

  /** `pattern:` text (and pattern-not's): the node the first statement matches. */
  private positivePattern(src: string, _path: Path): AstGrepRule {
    const { text, seq } = this.rewrite(src);
    if (seq.items.length === 0) {
      // A lone `...`: semgrep matches any code; no ast-grep rule says that.
      this.unsupportedConstruct('a pattern that is only "..."');
      return {};
    }
    if (seq.items.length === 1) {
      if (seq.leadingEllipsis || seq.trailingEllipsis) this.approximate('statement ellipsis before or after the only statement');
      return this.patternRule(seq.leadingEllipsis || seq.trailingEllipsis || this.lang.stripSemicolon ? seq.items[0].text : text);
    }
    this.approximate('statement sequence (reported at its first statement)');
    const anchor = this.sequenceAnchor(seq);
    return { all: [this.patternRule(seq.items[0].text), { any: [anchor, { inside: anchor }] }] };
  }

  /** pattern-inside / pattern-not-inside: the target lies within what the formula matches (inclusive). */
  private insideOf(value: unknown, path: Path): AstGrepRule {
    if (isRecord(value)) {
      const r = this.general(value, path);
      return { any: [r, { inside: { ...r, stopBy: 'end' } }] };
    }
    const { seq } = this.rewrite(str(value, path, 'a pattern or a formula'));
    if (seq.items.length === 0) {
      this.unsupportedConstruct('a pattern that is only "..."');
      return {};
    }
    if (seq.items.length === 1 && !seq.trailingEllipsis) {
      const r = this.patternRule(seq.items[0].text);
      if (seq.leadingEllipsis) this.approximate('statement ellipsis before the only statement');
      return { any: [r, { inside: { ...r, stopBy: 'end' } }] };
    }
    // A statement range: inside its first statement, or inside / at a later sibling of it.
    this.approximate('pattern-inside over a statement sequence (the range runs to the end of the block)');
    const anchor = this.sequenceAnchor(seq);
    return {
      any: [
        anchor,
        { inside: { ...anchor, stopBy: 'end' } },
        { follows: { ...anchor, stopBy: 'end' } },
        { inside: { follows: { ...anchor, stopBy: 'end' }, stopBy: 'end' } },
      ],
    };
  }

  private regexRule(src: string, path: Path, operator: string): AstGrepRule {
    const re = this.checkRegex(`(?m)${src}`, path, operator);
    if (re === undefined) return {};
    this.approximate('pattern-regex (reported as the smallest syntax node containing the match)');
    // The smallest nodes whose text contains a match: ast-grep's regex tests a node's whole text.
    return { all: [{ regex: re }, { not: { has: { regex: re, stopBy: 'end' } } }] };
  }

  /**
   * Returns the regex when RE2 (≈ ast-grep's Rust regex) accepts it. Unbalanced brackets are an
   * error in every dialect; anything else RE2 rejects is PCRE/Python syntax and untranslatable.
   */
  private checkRegex(re: string, path: Path, operator: string): string | undefined {
    try {
      RE2JS.compile(re);
      return re;
    } catch (e) {
      const msg = (e as Error).message;
      if (/missing closing|unexpected \)|missing argument to repetition|invalid nested repetition/i.test(msg)) {
        throw new RuleError(path, `${where(path)}: invalid regular expression: ${msg}`);
      }
      this.unsupportedConstruct(`${operator} with regex syntax outside RE2 (lookaround, backreferences, ...)`);
      return undefined;
    }
  }

  // -- conditions --------------------------------------------------------------------------------

  private conditionTarget(value: unknown, path: Path, operator: string): { spec: Record<string, unknown>; name: string } | undefined {
    if (!isRecord(value)) throw new RuleError(path, `${where(path)}: expected a mapping with metavariable and ${operator === 'metavariable-regex' ? 'regex' : 'a pattern'}`);
    const mv = str(value.metavariable ?? missing(path, 'metavariable'), [...path, 'metavariable']).trim();
    const m = /^\$(\.\.\.)?([A-Z_][A-Z0-9_]*)$/.exec(mv);
    if (!m) throw new RuleError([...path, 'metavariable'], `${where([...path, 'metavariable'])}: "${mv}" is not a metavariable`);
    if (this.polarity === 'negative') {
      this.unsupportedConstruct(`${operator} inside pattern-not / pattern-not-inside`);
      return undefined;
    }
    if (this.nested >= 0) {
      this.unsupportedConstruct(`${operator} nested in metavariable-pattern`);
      return undefined;
    }
    if (m[1]) {
      this.unsupportedConstruct(`${operator} on an ellipsis metavariable $...${m[2]}`);
      return undefined;
    }
    const name = m[2].startsWith('_') && m[2].length > 1 ? `WARDEN_U${m[2]}` : m[2];
    return { spec: value, name };
  }

  private addConstraint(name: string, rule: AstGrepRule): void {
    const prev = this.constraints[name];
    this.constraints[name] = prev ? { all: [prev, rule] } : rule;
  }

  private metavariableRegex(value: unknown, path: Path, scope: number): void {
    const t = this.conditionTarget(value, path, 'metavariable-regex');
    if (!isRecord(value)) return;
    for (const k of Object.keys(value)) {
      if (!['metavariable', 'regex', 'constant-propagation'].includes(k)) {
        throw new RuleError([...path, k], `${where([...path, k])}: unknown key in metavariable-regex`, true);
      }
    }
    const regex = str(value.regex ?? missing(path, 'regex'), [...path, 'regex']);
    if (value['constant-propagation'] === true) this.unsupportedConstruct('metavariable-regex with constant-propagation');
    if (!t) return;
    const re = this.checkRegex(anchorAtStart(regex), [...path, 'regex'], 'metavariable-regex');
    if (re === undefined) return;
    this.conditions.push({ name: t.name, scope, operator: 'metavariable-regex' });
    this.addConstraint(t.name, { regex: re });
  }

  private metavariablePattern(value: unknown, path: Path, scope: number): void {
    const t = this.conditionTarget(value, path, 'metavariable-pattern');
    if (!isRecord(value)) return;
    const formulaKeys = ['pattern', 'patterns', 'pattern-either', 'pattern-regex'].filter((k) => value[k] !== undefined);
    for (const k of Object.keys(value)) {
      if (!['metavariable', 'language', ...['pattern', 'patterns', 'pattern-either', 'pattern-regex']].includes(k)) {
        throw new RuleError([...path, k], `${where([...path, k])}: unknown key in metavariable-pattern`, true);
      }
    }
    if (formulaKeys.length !== 1) {
      throw new RuleError(path, `${where(path)}: needs exactly one of pattern, patterns, pattern-either, pattern-regex`);
    }
    if (value.language !== undefined) {
      const l = str(value.language, [...path, 'language']).toLowerCase();
      if (!LANGUAGES[l]?.some((x) => x.name === this.lang.name)) this.unsupportedConstruct('metavariable-pattern with another language');
    }
    if (!t) return;
    const key = formulaKeys[0];
    const id = this.nextScope;
    const savedNested = this.nested;
    this.nested = id;
    let rule: AstGrepRule;
    if (key === 'pattern-regex') {
      // Any match inside the metavariable's text: exactly ast-grep's regex on the bound node.
      rule = { regex: this.checkRegex(`(?m)${str(value[key], [...path, key])}`, [...path, key], 'pattern-regex') ?? '' };
    } else if (key === 'patterns') {
      const hasPositive = Array.isArray(value[key]) && value[key].some((it: unknown) => isRecord(it) && ['pattern', 'patterns', 'pattern-either', 'pattern-regex', 'pattern-inside'].some((k) => k in it));
      const f = this.conjunction(value[key], [...path, key], !hasPositive);
      // Semgrep matches the formula anywhere in the bound code; with only negative operators
      // the implicit positive is the bound code itself.
      rule = hasPositive ? { any: [f, { has: { ...f, stopBy: 'end' } }] } : f;
    } else {
      const f = this.operator(key, value[key], [...path, key], 'patterns') ?? {};
      rule = { any: [f, { has: { ...f, stopBy: 'end' } }] };
    }
    this.nested = savedNested;
    this.conditions.push({ name: t.name, scope, operator: 'metavariable-pattern' });
    // Metavariables of the nested formula must be its own (checked at the end, when all are known):
    // ast-grep matches a constraint without the rule's bindings.
    this.nestedFormulas.push(id);
    this.addConstraint(t.name, rule);
  }

  /**
   * ast-grep constraints hold rule-wide; a semgrep condition holds in its `patterns` block. They
   * agree when every binding of the metavariable lies inside that block.
   */
  checkConditionScopes(): void {
    for (const c of this.conditions) {
      const outside = this.occurrences.some((o) => o.name === c.name && o.nested < 0 && !o.scopes.includes(c.scope));
      if (outside) this.unsupportedConstruct(`${c.operator} scoped to a nested patterns block`);
    }
    for (const id of this.nestedFormulas) {
      const inside = new Set(this.occurrences.filter((o) => o.nested === id).map((o) => o.name));
      if (this.occurrences.some((o) => o.nested !== id && inside.has(o.name))) {
        this.unsupportedConstruct('metavariable-pattern sharing metavariables with the rule');
      }
    }
  }
}

/** Semgrep's metavariable-regex is left-anchored (Python re.match); ast-grep's regex searches. */
export function anchorAtStart(regex: string): string {
  if ((regex.startsWith('^') || regex.startsWith('\\A')) && !hasTopLevelAlternation(regex)) return regex;
  return `^(?:${regex})`;
}

function hasTopLevelAlternation(re: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < re.length; i++) {
    const ch = re[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      continue;
    }
    if (ch === '[') inClass = true;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '|' && depth === 0) return true;
  }
  return false;
}

