// The detector contract: what a finding is, what one detector family provides, and the report
// runDetectors hands to policies. Findings carry offsets, never the matched value (DESIGN §9).

export type FindingKind = 'pii' | 'secret';

/**
 * One match in the scanned text. `start`/`end` are UTF-16 offsets (`text.slice(start, end)` is the
 * value); `type` is upper-case: EMAIL, PHONE, CARD, SSN, IBAN, IPV4, IPV6, OPENAI_KEY, ANTHROPIC_KEY,
 * AWS_ACCESS_KEY, AWS_SECRET_KEY, GITHUB_TOKEN, GITLAB_TOKEN, SLACK_TOKEN, STRIPE_KEY, PRIVATE_KEY,
 * JWT, HIGH_ENTROPY. `confidence` is 0..1.
 */
export interface Finding {
  kind: FindingKind;
  type: string;
  start: number;
  end: number;
  confidence: number;
}

export interface InjectionSignal {
  id: string;
  weight: number;
}

/** `score` is 0..1 (noisy-OR of the signal weights); `signals` lists each signal that fired once. */
export interface InjectionResult {
  score: number;
  signals: InjectionSignal[];
}

export interface DetectorReport {
  pii: Finding[];
  secrets: Finding[];
  /** null when injection detection was not requested. */
  injection: InjectionResult | null;
  /** true when the text was longer than maxChars and only its head was scanned. */
  truncated: boolean;
  scannedChars: number;
}

/**
 * One detector family (one file, one registry line). `scan` appends findings for `text` to `out` and
 * must run in time linear in `text.length`: every pattern starts at a literal or behind a boundary
 * look-behind and has bounded quantifiers, so no input makes it backtrack catastrophically.
 */
export interface Detector {
  readonly id: string;
  readonly kind: FindingKind;
  readonly types: readonly string[];
  scan(text: string, out: Finding[]): void;
}

/** A finding located in a file, for `warden scan`: 1-based line and column (UTF-16 units). */
export interface LocatedFinding extends Finding {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}
