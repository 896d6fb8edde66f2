// The `secrets` pack: the proxy's secret detectors (src/core/detect, shared, not copied) run over
// every text file, one rule per secret type (`secrets.openai_key`, ...), with an allowlist of files
// that are all hashes (lockfiles) and of values that are documentation placeholders, plus the
// allowlist a repository or user configures (`scan.secrets.allow_paths` / `allow_values`). A finding's
// snippet is its line with every secret on it masked; the value itself never leaves this module.
import { RE2JS } from 're2js';
import { detectorsOf } from '../detect/registry.js';
import { scanSecrets } from '../detect/scan-secrets.js';
import type { BuiltinLoadedRule } from './rules.js';
import type { Confidence, Position, ScanSeverity } from './types.js';

/** Files that are hashes and URLs by construction; their "secrets" are integrity checksums. */
export const SECRETS_IGNORED_FILES: readonly string[] = Object.freeze([
  '**/package-lock.json', '**/npm-shrinkwrap.json', '**/yarn.lock', '**/pnpm-lock.yaml', '**/bun.lock',
  '**/Cargo.lock', '**/go.sum', '**/poetry.lock', '**/Pipfile.lock', '**/uv.lock', '**/Gemfile.lock',
  '**/composer.lock', '**/packages.lock.json', '**/gradle.lockfile', '**/*.min.js', '**/*.map',
]);

/** Values that are placeholders in docs and examples, not credentials (AWS's own examples end in EXAMPLE). */
const PLACEHOLDER = /example|placeholder|dummy|changeme|change_me|your[_-]|redacted|x{6,}|\*{4,}|<[^>]{1,40}>|\$\{[^}]{1,80}\}|\{\{[^}]{1,80}\}\}/i;

const SEVERITY: Record<string, ScanSeverity> = {
  PRIVATE_KEY: 'critical',
  AWS_SECRET_KEY: 'critical',
  OPENAI_KEY: 'critical',
  ANTHROPIC_KEY: 'critical',
  AWS_ACCESS_KEY: 'high',
  GITHUB_TOKEN: 'critical',
  GITLAB_TOKEN: 'critical',
  SLACK_TOKEN: 'high',
  STRIPE_KEY: 'critical',
  JWT: 'medium',
  HIGH_ENTROPY: 'medium',
};

const LABEL: Record<string, string> = {
  PRIVATE_KEY: 'a private key',
  AWS_SECRET_KEY: 'an AWS secret access key',
  AWS_ACCESS_KEY: 'an AWS access key id',
  OPENAI_KEY: 'an OpenAI API key',
  ANTHROPIC_KEY: 'an Anthropic API key',
  GITHUB_TOKEN: 'a GitHub token',
  GITLAB_TOKEN: 'a GitLab token',
  SLACK_TOKEN: 'a Slack token',
  STRIPE_KEY: 'a Stripe key',
  JWT: 'a JSON Web Token',
  HIGH_ENTROPY: 'a high-entropy value assigned to a credential name',
};

const LLM_KEYS = new Set(['OPENAI_KEY', 'ANTHROPIC_KEY']);

export const secretRuleId = (type: string): string => `secrets.${type.toLowerCase()}`;

/** The secret types the shared detectors report, in registry order. */
export function secretTypes(): string[] {
  return [...new Set(detectorsOf('secret').flatMap((d) => d.types))];
}

/** A repository's or user's allowlist (config `scan.secrets`). */
export interface SecretsAllowlist {
  /** Globs of files the pack does not read. */
  paths?: readonly string[];
  /** RE2 expressions; a value any of them finds is not reported. */
  values?: readonly string[];
}

/** The pack's rules: one per secret type, with the allowlist carried as plain data (workers get it). */
export function secretsRules(allow: SecretsAllowlist = {}): BuiltinLoadedRule[] {
  const allowValues = [...(allow.values ?? [])];
  return secretTypes().map((type) => ({
    engine: 'secrets',
    meta: {
      id: secretRuleId(type),
      message: `Hard-coded secret: ${LABEL[type] ?? type.toLowerCase().replace(/_/g, ' ')} in a tracked file.`,
      severity: SEVERITY[type] ?? 'high',
      language: 'text',
      note:
        'Secrets in a repository reach every clone, fork, CI log and backup, and stay in git history after ' +
        'they are deleted. Fix: revoke and rotate the secret first, then move it to the environment or a ' +
        'secrets manager (for LLM provider keys: `warden providers set`, which keeps them in the OS keychain).',
      cwe: ['CWE-798'],
      ...(LLM_KEYS.has(type) ? { owaspLlm: ['LLM02:2025 Sensitive Information Disclosure'] } : {}),
      references: ['https://cwe.mitre.org/data/definitions/798.html'],
      pack: 'secrets',
      source: 'builtin:secrets',
    },
    ignores: [...SECRETS_IGNORED_FILES, ...(allow.paths ?? [])],
    ...(allowValues.length > 0 ? { options: { allowValues } } : {}),
  }));
}

export interface SecretMatch {
  ruleId: string;
  start: Position;
  end: Position;
  /** The line with every secret on it replaced by `[REDACTED:TYPE]`. */
  snippet: string;
  /** The value, for the fingerprint only (hashed, never output). */
  value: string;
  confidence: Confidence;
}

function confidenceOf(c: number): Confidence {
  return c >= 0.85 ? 'high' : c >= 0.6 ? 'medium' : 'low';
}

/** A predicate over detected values from allowlist expressions (RE2 semantics: user input, linear time). */
export function compileAllowValues(sources: readonly string[]): ((value: string) => boolean) | undefined {
  if (sources.length === 0) return undefined;
  const res = [...new Set(sources)].map((src) => RE2JS.compile(src));
  return (value) => res.some((re) => re.matcher(value).find());
}

/**
 * Secret matches in a file's text for the enabled rule ids (`enabled` holds rule ids). Placeholder
 * values and values `allowed` accepts are dropped. `maxSnippet` bounds the masked line.
 */
export function findSecrets(text: string, enabled: ReadonlySet<string>, maxSnippet: number, allowed?: (value: string) => boolean): SecretMatch[] {
  const found = scanSecrets(text).filter((f) => {
    if (!enabled.has(secretRuleId(f.type))) return false;
    const value = text.slice(f.start, f.end);
    return !PLACEHOLDER.test(value) && !allowed?.(value);
  });
  if (found.length === 0) return [];
  const out: SecretMatch[] = [];
  for (const f of found) {
    const lineStart = text.lastIndexOf('\n', f.start - 1) + 1;
    let lineEnd = text.indexOf('\n', f.start);
    if (lineEnd < 0) lineEnd = text.length;
    // Mask every secret overlapping this line, right to left so offsets stay valid.
    let line = text.slice(lineStart, lineEnd);
    const onLine = found.filter((g) => g.start < lineEnd && g.end > lineStart).sort((a, b) => b.start - a.start);
    for (const g of onLine) {
      const a = Math.max(g.start, lineStart) - lineStart;
      const b = Math.min(g.end, lineEnd) - lineStart;
      line = `${line.slice(0, a)}[REDACTED:${g.type}]${line.slice(b)}`;
    }
    line = line.replace(/\r$/, '').trim();
    if (line.length > maxSnippet) {
      // Keep the masked span in view when the line is long (minified files, JSON on one line).
      const at = Math.max(0, line.indexOf('[REDACTED:') - 40);
      line = `${at > 0 ? '…' : ''}${line.slice(at, at + maxSnippet - 2)}…`;
    }
    out.push({
      ruleId: secretRuleId(f.type),
      start: { line: f.line, column: f.column },
      end: { line: f.endLine, column: f.endColumn },
      snippet: line,
      value: text.slice(f.start, f.end),
      confidence: confidenceOf(f.confidence),
    });
  }
  return out;
}
