// The language registry of the scan engine: which file extensions map to which ast-grep language,
// which names a rule's `language:` may use, and how the dynamic tree-sitter parsers of the
// @ast-grep/lang-* packages get registered with @ast-grep/napi. One line per language (DESIGN §5).
import { createRequire } from 'node:module';
import { registerDynamicLanguage } from '@ast-grep/napi';
import { WardenError } from '../errors.js';

export interface LanguageEntry {
  /** Canonical lower-case name: what RuleMeta.language and `languageOf` report. */
  id: string;
  /** The name napi's parse()/findAll take: a built-in `Lang` value or a dynamic registration key. */
  napi: string;
  /** File extensions without the dot, lower-case. */
  extensions: readonly string[];
  /** Other names a rule's `language:` may use (matched case-insensitively, like ast-grep). */
  aliases: readonly string[];
  /** The npm package holding the parser, for languages napi does not build in. */
  pkg?: string;
}

const builtin = (id: string, napi: string, extensions: string[], aliases: string[] = []): LanguageEntry => ({ id, napi, extensions, aliases });
const dynamic = (id: string, extensions: string[], aliases: string[] = []): LanguageEntry => ({
  id,
  napi: id,
  extensions,
  aliases,
  pkg: `@ast-grep/lang-${id}`,
});

/** The registry. Extensions follow ast-grep's own defaults (plus .pyi). */
export const LANGUAGES: readonly LanguageEntry[] = Object.freeze([
  builtin('javascript', 'JavaScript', ['js', 'mjs', 'cjs', 'jsx'], ['js', 'jsx']),
  builtin('typescript', 'TypeScript', ['ts', 'mts', 'cts'], ['ts']),
  builtin('tsx', 'Tsx', ['tsx']),
  builtin('html', 'Html', ['html', 'htm', 'xhtml']),
  builtin('css', 'Css', ['css']),
  dynamic('python', ['py', 'pyi'], ['py']),
  dynamic('go', ['go'], ['golang']),
  dynamic('java', ['java']),
  dynamic('ruby', ['rb', 'rbw', 'gemspec'], ['rb']),
  dynamic('rust', ['rs'], ['rs']),
  dynamic('php', ['php']),
  dynamic('c', ['c', 'h']),
  dynamic('cpp', ['cc', 'hpp', 'cpp', 'c++', 'hh', 'cxx', 'cu', 'ino'], ['c++']),
  dynamic('csharp', ['cs'], ['cs', 'c#']),
  dynamic('kotlin', ['kt', 'ktm', 'kts'], ['kt']),
  dynamic('bash', ['bash', 'bats', 'sh', 'zsh', 'ksh'], ['sh', 'shell']),
  dynamic('yaml', ['yaml', 'yml'], ['yml']),
  dynamic('swift', ['swift']),
  dynamic('scala', ['scala', 'sc', 'sbt']),
]);

/**
 * Which file languages a rule written for a language runs on. ast-grep itself runs a rule only on
 * its own language's files; Warden also runs TypeScript rules on JavaScript (JS is TypeScript
 * without types, and one rule then covers both) and on TSX, and TSX rules on JavaScript (JSX).
 * The rule runs on the file's own tree: a rule whose kinds do not exist in that grammar is skipped
 * for those files, never an error.
 */
const RULE_TARGETS: Readonly<Record<string, readonly string[]>> = {
  typescript: ['typescript', 'tsx', 'javascript'],
  tsx: ['tsx', 'javascript'],
};

const byExtension = new Map<string, LanguageEntry>();
const byName = new Map<string, LanguageEntry>();
for (const l of LANGUAGES) {
  for (const e of l.extensions) byExtension.set(e, l);
  for (const n of [l.id, l.napi, ...l.aliases]) byName.set(n.toLowerCase(), l);
}

/** The language of a file by its extension, or undefined for files no parser covers. */
export function languageOf(filePath: string): LanguageEntry | undefined {
  const slash = filePath.lastIndexOf('/');
  const base = filePath.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return undefined;
  return byExtension.get(base.slice(dot + 1).toLowerCase());
}

/** A rule's `language:` value (case-insensitive, ast-grep names and aliases), or undefined. */
export function resolveLanguage(name: string): LanguageEntry | undefined {
  return byName.get(name.trim().toLowerCase());
}

/** The file languages (ids) a rule written in `ruleLanguage` (an id) runs on. */
export function ruleTargets(ruleLanguage: string): readonly string[] {
  return RULE_TARGETS[ruleLanguage] ?? [ruleLanguage];
}

/** Language ids a rule may name, for error hints. */
export function supportedLanguageNames(): string[] {
  return LANGUAGES.map((l) => l.id);
}

interface LangRegistration {
  libraryPath: string;
  extensions: string[];
  languageSymbol?: string;
  metaVarChar?: string;
  expandoChar?: string;
}

let registered = false;
/** Dynamic languages whose parser could not be loaded on this platform, with the reason. */
const unavailable = new Map<string, string>();
const requireFromHere = createRequire(import.meta.url);

/**
 * Makes `lang` parseable, or throws WardenError `language_unavailable` when its parser cannot be
 * loaded here. napi accepts exactly one registration call per thread, so the first dynamic
 * language needed registers all of them (loading a parser is a dlopen, ~3 ms each).
 */
export function ensureLanguage(lang: LanguageEntry): void {
  if (!lang.pkg) return;
  if (!registered) {
    registered = true;
    const regs: Record<string, LangRegistration> = {};
    for (const l of LANGUAGES) {
      if (!l.pkg) continue;
      try {
        const mod = requireFromHere(l.pkg) as LangRegistration;
        regs[l.napi] = {
          libraryPath: mod.libraryPath,
          extensions: [...l.extensions],
          languageSymbol: mod.languageSymbol,
          expandoChar: mod.expandoChar,
          ...(mod.metaVarChar ? { metaVarChar: mod.metaVarChar } : {}),
        };
      } catch (e) {
        unavailable.set(l.id, (e as Error).message);
      }
    }
    registerDynamicLanguage(regs);
  }
  const why = unavailable.get(lang.id);
  if (why !== undefined) {
    throw new WardenError('language_unavailable', `no ${lang.id} parser is available on this platform: ${why}`, {
      hint: `reinstall ${lang.pkg}, or build its parser with tree-sitter-cli`,
    });
  }
}

/** The character a language's patterns use in place of `$` for metavariables (ast-grep's expando). */
export function expandoChar(lang: LanguageEntry): string {
  if (!lang.pkg) return '$';
  const mod = requireFromHere(lang.pkg) as LangRegistration;
  return mod.expandoChar ?? '$';
}
