// Test helper: runs translated rule documents through @ast-grep/napi, the engine's matcher.
import { parse, registerDynamicLanguage, type NapiConfig } from '@ast-grep/napi';
import python from '@ast-grep/lang-python';
import type { AstGrepRuleDoc } from '../../../../src/core/analysis/semgrep/index.js';

let registered = false;
function ensurePython(): void {
  if (registered) return;
  try {
    registerDynamicLanguage({ python });
  } catch {
    // Already registered in this process by another test file.
  }
  registered = true;
}

function config(doc: AstGrepRuleDoc): NapiConfig {
  // Our rule objects are ast-grep's YAML shape; napi's types spell the same fields.
  return { rule: doc.rule, constraints: doc.constraints } as unknown as NapiConfig;
}

/** The source text of every node the translated rule matches in `code`. */
export function matchTexts(doc: AstGrepRuleDoc, code: string): string[] {
  ensurePython();
  return parse(doc.language, code)
    .root()
    .findAll(config(doc))
    .map((n) => n.text());
}

/** An error message when ast-grep cannot compile the document, for `translateSemgrepRules`'s validate hook. */
export function napiValidate(doc: AstGrepRuleDoc): string | undefined {
  ensurePython();
  try {
    parse(doc.language, '').root().findAll(config(doc));
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}
