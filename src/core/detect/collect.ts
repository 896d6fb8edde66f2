// Runs a set of detectors over one text and resolves their findings into one sorted, de-duplicated
// list: a generic HIGH_ENTROPY finding yields to a vendor-specific secret on the same span, and PII
// inside a secret (digits in a key, an address in a PEM header) belongs to the secret.
import type { Detector, Finding } from './types.js';

const byPosition = (a: Finding, b: Finding) => a.start - b.start || b.end - a.end || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0);

/** Spans sorted by start with a running maximum of ends, for O(log n) overlap/containment tests. */
class SpanIndex {
  private readonly starts: number[];
  private readonly maxEnd: number[];
  constructor(spans: readonly Finding[]) {
    const sorted = [...spans].sort(byPosition);
    this.starts = sorted.map((s) => s.start);
    this.maxEnd = [];
    let m = -1;
    for (const s of sorted) this.maxEnd.push((m = Math.max(m, s.end)));
  }
  /** Max end over spans whose start satisfies start < bound (strict) or start <= bound. */
  private maxEndBefore(bound: number, inclusive: boolean): number {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const s = this.starts[mid] as number;
      if (s < bound || (inclusive && s === bound)) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? -1 : (this.maxEnd[lo - 1] as number);
  }
  overlaps(f: Finding): boolean {
    return this.maxEndBefore(f.end, false) > f.start;
  }
  contains(f: Finding): boolean {
    return this.maxEndBefore(f.start, true) >= f.end;
  }
}

function dedupe(sorted: Finding[]): Finding[] {
  const out: Finding[] = [];
  for (const f of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last.start === f.start && last.end === f.end && last.type === f.type) continue;
    out.push(f);
  }
  return out;
}

export interface Collected {
  pii: Finding[];
  secrets: Finding[];
}

export function collectFindings(text: string, detectors: readonly Detector[]): Collected {
  const pii: Finding[] = [];
  let secrets: Finding[] = [];
  for (const d of detectors) d.scan(text, d.kind === 'pii' ? pii : secrets);
  if (secrets.length > 0) {
    const specific = secrets.filter((f) => f.type !== 'HIGH_ENTROPY');
    if (specific.length > 0 && specific.length < secrets.length) {
      const idx = new SpanIndex(specific);
      secrets = secrets.filter((f) => f.type !== 'HIGH_ENTROPY' || !idx.overlaps(f));
    }
  }
  secrets = dedupe(secrets.sort(byPosition));
  let piiOut = dedupe(pii.sort(byPosition));
  if (secrets.length > 0 && piiOut.length > 0) {
    const idx = new SpanIndex(secrets);
    piiOut = piiOut.filter((f) => !idx.contains(f));
  }
  return { pii: piiOut, secrets };
}
