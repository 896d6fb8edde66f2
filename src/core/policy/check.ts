// `policy check` logic: parse every module and compile them together, collecting coded, located
// errors instead of stopping at the first. Every file's parse error is reported (one per file: the
// parser stops at its first); the modules that parsed are then compiled together and the compiler's
// first error is added (the compiler stops at its first error).
import { WardenError } from '../errors.js';
import type { Module } from './rego/ast.js';
import { compileModules, type SourceFile } from './rego/compile.js';
import { parseModule } from './rego/parser.js';

export interface PolicyCheckError {
  code: string;
  message: string;
  location?: { file: string; line?: number; col?: number };
}

export interface PolicyCheckResult {
  files: string[];
  errors: PolicyCheckError[];
  ok: boolean;
}

function toCheckError(e: unknown): PolicyCheckError {
  if (e instanceof WardenError) return { code: e.code, message: e.message, ...(e.location ? { location: e.location } : {}) };
  throw e;
}

/** Parses and compiles `sources`; never throws for a policy error (only for bugs). */
export function checkPolicySources(sources: readonly SourceFile[]): PolicyCheckResult {
  const errors: PolicyCheckError[] = [];
  const modules: Module[] = [];
  for (const s of sources) {
    try {
      modules.push(parseModule(s.text, { file: s.file }));
    } catch (e) {
      errors.push(toCheckError(e));
    }
  }
  if (modules.length > 0) {
    try {
      compileModules(modules);
    } catch (e) {
      const err = toCheckError(e);
      // With a file left out for its syntax error, a function it defines looks undefined elsewhere.
      const maybeSpurious = errors.length > 0 && /^undefined function /.test(err.message);
      if (!maybeSpurious) errors.push(err);
    }
  }
  return { files: sources.map((s) => s.file), errors, ok: errors.length === 0 };
}

/** `warden: <code>: file:line:col: message`, the line `policy check` prints per error. */
export function formatCheckError(e: PolicyCheckError): string {
  const l = e.location;
  const where = l ? `${l.file}${l.line ? `:${l.line}` : ''}${l.col ? `:${l.col}` : ''}: ` : '';
  return `warden: ${e.code}: ${where}${e.message}`;
}
