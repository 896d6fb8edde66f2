// Test helper: runs translated rule documents through @ast-grep/napi, the engine's matcher.
import { parse, type NapiConfig } from '@ast-grep/napi';
import { ensureLanguage, resolveLanguage } from '../../../../src/core/analysis/languages.js';
import type { AstGrepRuleDoc } from '../../../../src/core/analysis/semgrep/index.js';

/** Registers the document's parser the way the scan engine does (all dynamic languages at once). */
function ensureParser(doc: AstGrepRuleDoc): void {
  const lang = resolveLanguage(doc.language);
  if (lang) ensureLanguage(lang);
}

function config(doc: AstGrepRuleDoc): NapiConfig {
  // Our rule objects are ast-grep's YAML shape; napi's types spell the same fields.
  return { rule: doc.rule, constraints: doc.constraints } as unknown as NapiConfig;
}

/** The source text of every node the translated rule matches in `code`. */
export function matchTexts(doc: AstGrepRuleDoc, code: string): string[] {
  ensureParser(doc);
  return parse(doc.language, code)
    .root()
    .findAll(config(doc))
    .map((n) => n.text());
}

/** An error message when ast-grep cannot compile the document, for `translateSemgrepRules`'s validate hook. */
export function napiValidate(doc: AstGrepRuleDoc): string | undefined {
  ensureParser(doc);
  try {
    parse(doc.language, '').root().findAll(config(doc));
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}
