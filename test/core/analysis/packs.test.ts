// Runs the built-in `llm` and `security` rule packs (policies/rules/{llm,security}) against their
// ast-grep rule tests (policies/rules/<pack>/tests/<id>-test.yml: `valid` cases must not match,
// `invalid` cases must), and checks that every rule carries what Warden reports: a schema-valid
// document, a unique well-formed id, message, note, severity, CWE, OWASP LLM category, confidence,
// references, and at least two cases of each kind. Each case runs on every file language the rule
// applies to (TypeScript rules also on TSX and JavaScript). The packs are loaded through Warden's
// rule loader (loadPacks) and each case is scanned with the engine's scanText, as a file of that
// language — the same path `warden scan --pack llm --pack security` takes.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { scanText } from '../../../src/core/analysis/engine.js';
import { resolveLanguage, ruleTargets, type LanguageEntry } from '../../../src/core/analysis/languages.js';
import { ruleDocumentSchema, type RuleDocument } from '../../../src/core/analysis/rule-schema.js';
import { loadPacks, type LoadedRule } from '../../../src/core/analysis/rules.js';
import { SCAN_SEVERITIES } from '../../../src/core/analysis/types.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PACKS = ['llm', 'security'] as const;
type Pack = (typeof PACKS)[number];

/** Language suffixes a rule id may carry; `js` rules are written in TypeScript and run on JS/TS/TSX. */
const ID_SUFFIX: Record<string, string> = { typescript: 'js', tsx: 'jsx', python: 'python', go: 'go', java: 'java' };
const OWASP_LLM_2025 = /^LLM(0[1-9]|10):2025 [A-Z][A-Za-z ]+$/;

interface RuleTest {
  id: string;
  valid: string[];
  invalid: string[];
}

/** A rule file of a pack, as written, with its rule tests. */
interface PackRule {
  pack: Pack;
  file: string;
  doc: RuleDocument;
  testFile: string;
  tests?: RuleTest;
}

function ruleFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return e.name === 'tests' ? [] : ruleFiles(p);
      return /\.ya?ml$/.test(e.name) ? [p] : [];
    })
    .sort();
}

function loadPack(pack: Pack): PackRule[] {
  const dir = path.join(ROOT, 'policies/rules', pack);
  return ruleFiles(dir).map((file) => {
    const raw: unknown = parseYaml(fs.readFileSync(file, 'utf8'));
    const parsed = ruleDocumentSchema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new Error(`${path.relative(ROOT, file)} is not a valid rule document: ${issues}`);
    }
    const doc = parsed.data;
    const testFile = path.join(dir, 'tests', `${doc.id}-test.yml`);
    const tests = fs.existsSync(testFile) ? (parseYaml(fs.readFileSync(testFile, 'utf8')) as RuleTest) : undefined;
    return { pack, file, doc, testFile, tests };
  });
}

const viaLoader = loadPacks([...PACKS]);
const loadedById = new Map<string, LoadedRule>(viaLoader.rules.map((r) => [r.meta.id, r]));

function targetLanguages(doc: RuleDocument): LanguageEntry[] {
  const lang = resolveLanguage(doc.language);
  if (!lang) throw new Error(`${doc.id}: unknown language ${doc.language}`);
  return ruleTargets(lang.id).map((id) => {
    const target = resolveLanguage(id);
    if (!target) throw new Error(`${doc.id}: unknown target language ${id}`);
    return target;
  });
}

/** Findings of one loaded rule in `code`, scanned as a file of `lang` by the engine. */
function matchCount(rule: LoadedRule, lang: LanguageEntry, code: string): number {
  return scanText([rule], `case.${lang.extensions[0]}`, code).filter((f) => f.ruleId === rule.meta.id).length;
}

function asList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

const loaded = Object.fromEntries(PACKS.map((p) => [p, loadPack(p)])) as Record<Pack, PackRule[]>;

interface PackStats {
  rules: number;
  byLanguage: Record<string, number>;
  cases: number;
  checks: number;
  failures: number;
}
const stats = Object.fromEntries(
  PACKS.map((p) => [p, { rules: 0, byLanguage: {}, cases: 0, checks: 0, failures: 0 } satisfies PackStats]),
) as Record<Pack, PackStats>;

afterAll(() => {
  const lines = ['built-in rule packs (loadPacks + scanText):'];
  for (const p of PACKS) {
    const s = stats[p];
    const langs = Object.entries(s.byLanguage)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([l, n]) => `${l} ${n}`)
      .join(', ');
    lines.push(
      `  ${p.padEnd(9)} ${String(s.rules).padStart(3)} rules (${langs}); ${s.cases} cases, ${s.checks} checks across target grammars, ${s.failures} failing`,
    );
  }
  console.log(lines.join('\n'));
});

describe('built-in rule packs: metadata', () => {
  const all = PACKS.flatMap((p) => loaded[p]);

  it('each pack has rules', () => {
    for (const p of PACKS) expect(loaded[p].length, p).toBeGreaterThan(0);
  });

  it('rule ids are unique across packs', () => {
    const seen = new Map<string, string>();
    const dupes: string[] = [];
    for (const r of all) {
      const prev = seen.get(r.doc.id);
      if (prev) dupes.push(`${r.doc.id}: ${prev} and ${path.relative(ROOT, r.file)}`);
      seen.set(r.doc.id, path.relative(ROOT, r.file));
    }
    expect(dupes).toEqual([]);
  });

  it.each(all.map((r) => [r.doc.id, r] as const))('%s is well-formed and documented', (_id, r) => {
    const { doc } = r;
    const lang = resolveLanguage(doc.language);
    expect(lang, 'language').toBeDefined();
    expect(doc.id).toMatch(new RegExp(`^${r.pack}\\.[a-z0-9]+(-[a-z0-9]+)*\\.${ID_SUFFIX[lang!.id] ?? lang!.id}$`));
    expect(doc.message?.trim(), 'message').toBeTruthy();
    expect(doc.note?.trim().length ?? 0, 'note').toBeGreaterThan(40);
    expect(SCAN_SEVERITIES as readonly string[], 'severity').toContain(doc.severity);
    const meta = doc.metadata;
    expect(meta, 'metadata').toBeDefined();
    const cwe = asList(meta!.cwe);
    expect(cwe.length, 'metadata.cwe').toBeGreaterThan(0);
    for (const c of cwe) expect(c).toMatch(/^CWE-\d+$/);
    // owasp_llm is required; the security pack may leave it empty where no LLM Top 10 category applies.
    expect(meta!.owasp_llm, 'metadata.owasp_llm').toBeDefined();
    const owasp = asList(meta!.owasp_llm);
    if (r.pack === 'llm') expect(owasp.length, 'metadata.owasp_llm').toBeGreaterThan(0);
    for (const o of owasp) expect(o).toMatch(OWASP_LLM_2025);
    expect(['low', 'medium', 'high'], 'metadata.confidence').toContain(meta!.confidence);
    const refs = asList(meta!.references);
    expect(refs.length, 'metadata.references').toBeGreaterThan(0);
    for (const u of refs) expect(u).toMatch(/^https:\/\/\S+$/);
  });

  it.each(all.map((r) => [r.doc.id, r] as const))('%s has rule tests with at least two valid and two invalid cases', (_id, r) => {
    expect(r.tests, `missing ${path.relative(ROOT, r.testFile)}`).toBeDefined();
    expect(r.tests!.id).toBe(r.doc.id);
    expect(r.tests!.valid?.length ?? 0).toBeGreaterThanOrEqual(2);
    expect(r.tests!.invalid?.length ?? 0).toBeGreaterThanOrEqual(2);
  });

  it("the packs load through Warden's rule loader without errors, metadata intact", () => {
    expect(viaLoader.errors.map((e) => `${e.location?.file ?? ''}:${e.location?.line ?? ''} ${e.message}`)).toEqual([]);
    for (const r of all) {
      const meta = loadedById.get(r.doc.id)?.meta;
      expect(meta, r.doc.id).toBeDefined();
      expect(meta!.pack).toBe(r.pack);
      expect(meta!.severity).toBe(r.doc.severity);
      expect(meta!.cwe).toEqual(asList(r.doc.metadata?.cwe));
      expect(meta!.confidence).toBe(r.doc.metadata?.confidence);
    }
  });

  it('every test file belongs to a rule', () => {
    const orphans: string[] = [];
    for (const p of PACKS) {
      const dir = path.join(ROOT, 'policies/rules', p, 'tests');
      const ids = new Set(loaded[p].map((r) => r.doc.id));
      for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
        const id = f.replace(/-test\.ya?ml$/, '');
        if (!ids.has(id)) orphans.push(`${p}/tests/${f}`);
      }
    }
    expect(orphans).toEqual([]);
  });
});

for (const pack of PACKS) {
  describe(`built-in rule pack ${pack}: rule tests`, () => {
    it.each(loaded[pack].filter((r) => r.tests).map((r) => [r.doc.id, r] as const))('%s', (_id, r) => {
      const s = stats[pack];
      s.rules++;
      s.byLanguage[r.doc.language] = (s.byLanguage[r.doc.language] ?? 0) + 1;
      const rule = loadedById.get(r.doc.id);
      expect(rule, `${r.doc.id} did not load`).toBeDefined();
      const failures: string[] = [];
      const cases = [
        ...(r.tests!.valid ?? []).map((code, i) => ({ kind: 'valid' as const, i, code })),
        ...(r.tests!.invalid ?? []).map((code, i) => ({ kind: 'invalid' as const, i, code })),
      ];
      for (const c of cases) {
        s.cases++;
        for (const lang of targetLanguages(r.doc)) {
          s.checks++;
          const n = matchCount(rule!, lang, c.code);
          const ok = c.kind === 'valid' ? n === 0 : n > 0;
          if (!ok) {
            s.failures++;
            const want = c.kind === 'valid' ? 'no match' : 'a match';
            failures.push(`${c.kind}[${c.i}] on ${lang.id}: expected ${want}, got ${n}\n${c.code.replace(/^/gm, '    | ')}`);
          }
        }
      }
      expect(failures, failures.join('\n')).toEqual([]);
    });
  });
}
