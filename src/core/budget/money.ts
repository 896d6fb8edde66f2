// Money in budgets: integer micro-dollars inside the ledger (sums of many small LLM costs never
// drift the way float dollars do), USD numbers at the edges (API, audit, webhook payloads).
import { WardenError } from '../errors.js';

export const MICROS_PER_USD = 1_000_000;
/** The largest budget amount accepted: far above any local proxy's spend, far below 2^53 micros. */
export const MAX_BUDGET_USD = 1_000_000;

/** USD (a float, e.g. a request's cost_usd) → integer micro-dollars, rounded to the nearest. */
export function usdToMicros(usd: number): number {
  if (!Number.isFinite(usd) || usd <= 0) return 0;
  return Math.round(usd * MICROS_PER_USD);
}

/** Integer micro-dollars → USD, exact to the micro-dollar. */
export function microsToUsd(micros: number): number {
  return micros / MICROS_PER_USD;
}

/**
 * An amount typed by a person ("25", "12.50", "$0.75") → micro-dollars, parsed from the digits so
 * "0.1" is exactly 100000 micros. Throws a usage error naming `what` (the flag or field).
 */
export function parseUsdAmount(text: string, what = 'amount'): number {
  const m = /^\s*\$?\s*(\d{1,9})(?:\.(\d{0,6}))?\s*$/.exec(text);
  if (!m) {
    throw new WardenError('invalid_amount', `${what} "${text}" is not an amount in USD`, {
      hint: 'give dollars with at most 6 decimals, e.g. 25 or 12.50',
    });
  }
  const micros = Number(m[1]) * MICROS_PER_USD + Number((m[2] ?? '').padEnd(6, '0') || '0');
  if (micros <= 0) throw new WardenError('invalid_amount', `${what} must be more than $0`);
  if (micros > MAX_BUDGET_USD * MICROS_PER_USD) {
    throw new WardenError('invalid_amount', `${what} "${text}" is over the maximum of $${MAX_BUDGET_USD.toLocaleString('en-US')}`);
  }
  return micros;
}

/** A budget-sized amount for messages: $12.34, or $0.0012 below a cent. */
export function formatMicros(micros: number): string {
  const usd = microsToUsd(micros);
  const abs = Math.abs(usd);
  return `${usd < 0 ? '-' : ''}$${abs >= 0.01 || abs === 0 ? abs.toFixed(2) : abs.toFixed(6).replace(/0+$/, '')}`;
}
