import { describe, expect, it } from 'vitest';
import { budgetInputFromBody, parseAlertThresholds, redactWebhookUrl, validateTargetName, validateWebhookUrl } from '../../../src/core/budget/definition.js';
import { formatMicros, parseUsdAmount, usdToMicros } from '../../../src/core/budget/money.js';
import { WardenError } from '../../../src/core/errors.js';

function error(fn: () => unknown): WardenError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WardenError) return e;
    throw e;
  }
  throw new Error('expected a WardenError');
}

describe('budget amounts', () => {
  it('parses dollars exactly into micro-dollars, from the digits', () => {
    expect(parseUsdAmount('25')).toBe(25_000_000);
    expect(parseUsdAmount('12.50')).toBe(12_500_000);
    expect(parseUsdAmount('$0.1')).toBe(100_000);
    expect(parseUsdAmount('0.000001')).toBe(1);
    expect(parseUsdAmount('1000000')).toBe(1_000_000_000_000);
  });

  it('rejects what is not a positive amount, naming the flag, with exit code 2', () => {
    for (const bad of ['abc', '-5', '0', '0.0', '1e3', '1.2345678', '', '1,000', '1000001']) {
      const e = error(() => parseUsdAmount(bad, '--daily'));
      expect(e.code).toBe('invalid_amount');
      expect(e.exitCode).toBe(2);
      expect(e.message).toContain('--daily');
    }
  });

  it('sums of many small costs stay exact in micro-dollars', () => {
    let micros = 0;
    for (let i = 0; i < 1000; i++) micros += usdToMicros(0.1);
    expect(micros).toBe(100_000_000);
    expect(formatMicros(micros)).toBe('$100.00');
    expect(formatMicros(1234)).toBe('$0.001234');
  });
});

describe('budget definitions', () => {
  it('alert thresholds: a sorted, unique list of percentages, or none', () => {
    expect(parseAlertThresholds('100,50,80,80')).toEqual([50, 80, 100]);
    expect(parseAlertThresholds('75%, 150')).toEqual([75, 150]);
    expect(parseAlertThresholds('none')).toEqual([]);
    expect(error(() => parseAlertThresholds('50,abc', '--alert')).message).toMatch(/^--alert "50,abc" must be/);
    expect(error(() => parseAlertThresholds('0')).code).toBe('invalid_alert');
  });

  it('webhook URLs: http(s) only, shown by origin so an embedded token never leaks', () => {
    expect(validateWebhookUrl('https://hooks.slack.com/services/T0/B0/secret')).toBe('https://hooks.slack.com/services/T0/B0/secret');
    expect(error(() => validateWebhookUrl('ftp://x', '--webhook')).message).toBe('--webhook must be http:// or https://');
    expect(error(() => validateWebhookUrl('not a url', '--webhook')).code).toBe('invalid_webhook');
    expect(redactWebhookUrl('https://hooks.slack.com/services/T0/B0/secret')).toBe('https://hooks.slack.com/…');
    expect(redactWebhookUrl('http://127.0.0.1:9000')).toBe('http://127.0.0.1:9000');
    expect(redactWebhookUrl(null)).toBeNull();
  });

  it('every scope but global needs a name; global takes none', () => {
    expect(validateTargetName('', 'global')).toBe('*');
    expect(error(() => validateTargetName('', 'project', '--name')).message).toBe('--name is required for a project budget');
    expect(error(() => validateTargetName('x', 'global', '--name')).message).toMatch(/global budget has no --name/);
  });

  it('an admin API body is validated field by field; left-out optional fields stay undefined', () => {
    const input = budgetInputFromBody({ scope: 'project', name: 'checkout', period: 'daily', amount_usd: '10' });
    expect(input).toEqual({ scope: 'project', name: 'checkout', period: 'daily', limitMicros: 10_000_000, hard: undefined, alertPcts: undefined, tz: undefined, webhookUrl: undefined });
    expect(budgetInputFromBody({ scope: 'global', period: 'monthly', amount_usd: 5, hard: true, alert_pcts: [], tz: 'europe/paris', webhook_url: null })).toMatchObject({
      name: '*',
      hard: true,
      alertPcts: [],
      tz: 'Europe/Paris',
      webhookUrl: null,
    });
    expect(error(() => budgetInputFromBody({ scope: 'org', period: 'daily', amount_usd: 1 })).message).toMatch(/"scope" must be one of/);
    expect(error(() => budgetInputFromBody({ scope: 'global', period: 'hourly', amount_usd: 1 })).message).toMatch(/"period" must be one of/);
    expect(error(() => budgetInputFromBody({ scope: 'global', period: 'daily', amount_usd: -1 })).code).toBe('invalid_amount');
    expect(error(() => budgetInputFromBody({ scope: 'global', period: 'daily', amount_usd: 1, tz: 'Nowhere/Land' })).message).toMatch(/^"tz" "Nowhere\/Land"/);
  });
});
