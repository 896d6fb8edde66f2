// Precision and recall per finding type on the labelled corpus (test/fixtures/detect/corpus.json,
// built by build-corpus.mjs): positives in prose, code, logs and JSON, and look-alike negatives.
// Floors sit a little under the measured values (docs/detectors.md) so a regression fails.
import { describe, expect, it } from 'vitest';
import { runDetectors } from '../../../src/core/detect/index.js';
import { loadCorpus, scoreCorpus } from '../../fixtures/detect/score.mjs';

const DEFAULT_FLOOR = { precision: 0.97, recall: 0.97 };
/** Measured below 1.0 on purpose (national phone formats, lower-case IBANs, short passwords, `Python 3.11.4.1`). */
const FLOORS: Record<string, { precision: number; recall: number }> = {
  PHONE: { precision: 0.97, recall: 0.92 },
  IPV4: { precision: 0.95, recall: 0.97 },
  IBAN: { precision: 0.97, recall: 0.95 },
  HIGH_ENTROPY: { precision: 0.95, recall: 0.95 },
};
const ALL_TYPES = ['EMAIL', 'PHONE', 'CARD', 'SSN', 'IBAN', 'IPV4', 'IPV6', 'OPENAI_KEY', 'ANTHROPIC_KEY', 'AWS_ACCESS_KEY', 'AWS_SECRET_KEY', 'GITHUB_TOKEN', 'GITLAB_TOKEN', 'SLACK_TOKEN', 'STRIPE_KEY', 'PRIVATE_KEY', 'JWT', 'HIGH_ENTROPY'];

describe('detector corpus', () => {
  const cases = loadCorpus();
  const { metrics, errors } = scoreCorpus(cases, (text) => {
    const r = runDetectors(text, { maxChars: 1 << 20, injection: false });
    return [...r.pii, ...r.secrets];
  });

  it('has positives for every type and look-alike negatives', () => {
    expect(cases.length).toBeGreaterThan(600);
    for (const t of ALL_TYPES) expect(metrics[t]?.tp ?? 0, t).toBeGreaterThanOrEqual(10);
    expect(cases.filter((c) => c.group.startsWith('neg-')).length).toBeGreaterThan(120);
  });

  it('meets the precision and recall floor for each type', () => {
    const lines = Object.entries(metrics).map(
      ([t, m]) => `${t.padEnd(15)} precision ${m.precision.toFixed(3)}  recall ${m.recall.toFixed(3)}  (tp ${m.tp}, fp ${m.fp}, fn ${m.fn})`,
    );
    console.log(`detector corpus, ${cases.length} cases:\n${lines.join('\n')}`);
    const misses = errors.map((e) => `${e.kind} ${e.type} ${e.id}`);
    for (const t of ALL_TYPES) {
      const m = metrics[t]!;
      const floor = FLOORS[t] ?? DEFAULT_FLOOR;
      expect(m.precision, `${t} precision; errors: ${misses.join(', ')}`).toBeGreaterThanOrEqual(floor.precision);
      expect(m.recall, `${t} recall; errors: ${misses.join(', ')}`).toBeGreaterThanOrEqual(floor.recall);
    }
  });
});
