// Content detectors for prompts and files: PII, secrets, prompt injection, the request risk score
// and redaction (docs/detectors.md). Hand-written rather than a library, by the numbers on our
// labelled corpus: @arcjet/redact covers four of our PII types, is async and needs Node ≥ 22 in its
// current major; @openredaction/openredaction costs ~5 ms per 2 KB prompt (our whole budget is
// 100 µs) with lower precision; the @secretlint rules cover only part of the secrets (no Stripe,
// JWT or generic tokens, partial OpenAI/Anthropic shapes), are async and need Node ≥ 22 from v12.
import { collectFindings } from './collect.js';
import { detectInjection } from './injection.js';
import { DETECTORS } from './registry.js';
import type { Detector, DetectorReport } from './types.js';

export type * from './types.js';
export { DETECTORS, detectorsOf } from './registry.js';
export { collectFindings } from './collect.js';
export { detectInjection, INJECTION_SIGNALS } from './injection.js';
export { createRedactionState, redact } from './redact.js';
export type { RedactionResult, RedactionState } from './redact.js';
export { riskScore } from './risk.js';
export type { RiskHistory, RiskInput } from './risk.js';
export { scanSecrets } from './scan-secrets.js';
export type { ScanSecretsOptions } from './scan-secrets.js';
export { luhnValid, ibanChecksumValid } from './checksums.js';
export { shannonEntropy } from './entropy.js';

export interface RunDetectorsOptions {
  /** Each family runs unless set to false. */
  pii?: boolean;
  secrets?: boolean;
  injection?: boolean;
  /** Only the first maxChars characters are scanned (DESIGN §10: everything has a bound). */
  maxChars: number;
}

/** The text's head of at most `max` UTF-16 units, not ending inside a surrogate pair. */
function head(text: string, max: number): string {
  if (text.length <= max) return text;
  let n = Math.max(0, Math.floor(max));
  if (n > 0) {
    const c = text.charCodeAt(n - 1);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return text.slice(0, n);
}

export function runDetectors(text: string, opts: RunDetectorsOptions): DetectorReport {
  const max = Number.isFinite(opts.maxChars) ? Math.max(0, opts.maxChars) : 0;
  const scanned = head(text, max);
  const wantPii = opts.pii !== false;
  const wantSecrets = opts.secrets !== false;
  let detectors: readonly Detector[] = DETECTORS;
  if (!wantPii || !wantSecrets) detectors = DETECTORS.filter((d) => (d.kind === 'pii' ? wantPii : wantSecrets));
  const { pii, secrets } = detectors.length > 0 ? collectFindings(scanned, detectors) : { pii: [], secrets: [] };
  return {
    pii,
    secrets,
    injection: opts.injection === false ? null : detectInjection(scanned),
    truncated: scanned.length < text.length,
    scannedChars: scanned.length,
  };
}
