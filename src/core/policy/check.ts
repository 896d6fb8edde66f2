// `policy check` logic: parse every module and compile them together, collecting coded, located
// errors instead of stopping at the first. Every file's parse error is reported (one per file: the
// parser stops at its first); the modules that parsed are then compiled together and every error
// of the compiler's first failing stage is added (OPA's stage order: a later stage's errors only
// show once the earlier ones are fixed).
import { WardenError } from '../errors.js';
import type { Module, RegoVersionMode } from './rego/ast.js';
import { compileModulesCollect, type SourceFile } from './rego/compile.js';
import { parseModule } from './rego/parser.js';

export interface PolicyCheckError {
  code: string;
  message: string;
  location?: { file: string; line?: number; col?: number };
  /** The offending source line and a caret under the column (two lines). */
  snippet?: string;
  /** Advice beyond the message (e.g. that the module is valid Rego v0). */
  hint?: string;
}

export interface PolicyCheckResult {
  files: string[];
  errors: PolicyCheckError[];
  ok: boolean;
}

export interface PolicyCheckOptions {
  /** Module syntax: 'v0' (--v0-compatible), 'v1', or per-module detection ('auto', the default). */
  regoVersion?: RegoVersionMode;
}

function toCheckError(e: unknown): PolicyCheckError {
  if (!(e instanceof WardenError)) throw e;
  const out: PolicyCheckError = { code: e.code, message: e.message, ...(e.location ? { location: e.location } : {}) };
  // Rego errors carry `\n<line>\n<caret>` in their hint, then any advice on further lines.
  if (e.hint !== undefined) {
    const lines = e.hint.startsWith('\n') && e.location?.line ? e.hint.slice(1).split('\n') : undefined;
    if (lines && lines.length >= 2 && /^[\t ]*\^$/.test(lines[1])) {
      out.snippet = `${lines[0]}\n${lines[1]}`;
      const rest = lines.slice(2).join('\n').trim();
      if (rest) out.hint = rest;
    } else if (e.hint.trim()) out.hint = e.hint.trim();
  }
  return out;
}

/** Parses and compiles `sources`; never throws for a policy error (only for bugs). */
export function checkPolicySources(sources: readonly SourceFile[], opts: PolicyCheckOptions = {}): PolicyCheckResult {
  const errors: PolicyCheckError[] = [];
  const modules: Module[] = [];
  for (const s of sources) {
    try {
      modules.push(parseModule(s.text, { file: s.file, regoVersion: s.regoVersion ?? opts.regoVersion ?? 'auto' }));
    } catch (e) {
      errors.push(toCheckError(e));
    }
  }
  if (modules.length > 0) {
    const parseFailed = errors.length > 0;
    const res = compileModulesCollect(modules, { sources });
    for (const e of res.errors) {
      const err = toCheckError(e);
      // With a file left out for its syntax error, a function it defines looks undefined elsewhere.
      if (parseFailed && /^undefined function data\./.test(err.message)) continue;
      errors.push(err);
    }
  }
  return { files: sources.map((s) => s.file), errors, ok: errors.length === 0 };
}

/**
 * One error as `policy check` prints it: `file:line:col: code: message`, then the source line and
 * a caret under the column (indented), then any hint.
 */
export function formatCheckError(e: PolicyCheckError): string {
  const l = e.location;
  const where = l ? `${l.file}${l.line ? `:${l.line}` : ''}${l.col ? `:${l.col}` : ''}: ` : '';
  let out = `${where}${e.code}: ${e.message}`;
  if (e.snippet) out += `\n${e.snippet.split('\n').map((x) => `  ${x}`).join('\n')}`;
  if (e.hint) out += `\n  hint: ${e.hint}`;
  return out;
}
