// What a budget is (scope, target, period, limit, hard/soft, alert thresholds, time zone, webhook)
// and the validation every entry point shares: the CLI names its flags, the admin API its fields.
import { WardenError } from '../errors.js';
import { parseUsdAmount, MICROS_PER_USD, MAX_BUDGET_USD } from './money.js';
import { isBudgetPeriod, validateTimeZone, BUDGET_PERIODS, type BudgetPeriod } from './period.js';

export const BUDGET_SCOPES = ['key', 'project', 'team', 'user', 'global'] as const;
export type BudgetScope = (typeof BUDGET_SCOPES)[number];

/** The target name a global budget carries (it has no other). */
export const GLOBAL_NAME = '*';

/** Thresholds used when `--alert` is not given: a warning at 80 % and one when the limit is reached. */
export const DEFAULT_ALERT_PCTS: readonly number[] = [80, 100];

export interface BudgetDefinition {
  id: string;
  scope: BudgetScope;
  /** Key id, project, team or user name; `*` for global. */
  name: string;
  period: BudgetPeriod;
  limitMicros: number;
  /** Hard budgets deny requests that could overshoot them; soft ones only alert. */
  hard: boolean;
  /** Percentages of the limit (ascending, unique) at which an alert fires once per period. */
  alertPcts: number[];
  /** IANA zone the period's calendar boundaries are computed in. */
  tz: string;
  /** Where alerts are POSTed. May embed a token (Slack-style URLs): never log or echo it whole. */
  webhookUrl: string | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * A validated `budget set` request; `name` still unresolved for key scope (id, prefix or name).
 * Optional fields left undefined keep the stored value on update and take the default on create.
 */
export interface BudgetInput {
  scope: BudgetScope;
  name: string;
  period: BudgetPeriod;
  limitMicros: number;
  hard?: boolean;
  alertPcts?: number[];
  tz?: string;
  /** null removes the webhook. */
  webhookUrl?: string | null;
}

export function isBudgetScope(v: unknown): v is BudgetScope {
  return typeof v === 'string' && (BUDGET_SCOPES as readonly string[]).includes(v);
}

/** "50,80,100" → [50, 80, 100]; "none" → []. Percentages are integers 1–1000, so >100 alerts on overshoot of soft budgets. */
export function parseAlertThresholds(text: string, what = 'alert thresholds'): number[] {
  const t = text.trim().toLowerCase();
  if (t === 'none' || t === '') return [];
  const out = new Set<number>();
  for (const part of t.split(',')) {
    const p = part.trim().replace(/%$/, '');
    if (!/^\d{1,4}$/.test(p) || Number(p) < 1 || Number(p) > 1000) {
      throw new WardenError('invalid_alert', `${what} "${text}" must be a comma-separated list of percentages between 1 and 1000`, {
        hint: 'e.g. --alert 50,80,100, or --alert none',
      });
    }
    out.add(Number(p));
  }
  return [...out].sort((a, b) => a - b);
}

export function validateWebhookUrl(url: string, what = 'webhook URL'): string {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    throw new WardenError('invalid_webhook', `${what} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new WardenError('invalid_webhook', `${what} must be http:// or https://`);
  if (u.username || u.password) throw new WardenError('invalid_webhook', `${what} must not carry credentials in the URL`);
  if (u.href.length > 2000) throw new WardenError('invalid_webhook', `${what} is too long`);
  return u.href;
}

/**
 * What may be shown of a webhook URL: its origin. Paths of incoming-webhook URLs (Slack, Teams,
 * Discord) are bearer secrets, so they never reach output, logs or the audit log.
 */
export function redactWebhookUrl(url: string | null): string | null {
  if (url === null) return null;
  try {
    const u = new URL(url);
    return u.pathname === '/' && !u.search ? u.origin : `${u.origin}/…`;
  } catch {
    return '…';
  }
}

/** Target names: anything printable and short (users may be emails, projects may contain /). */
export function validateTargetName(name: string, scope: BudgetScope, what = 'name'): string {
  if (scope === 'global') {
    if (name !== '' && name !== GLOBAL_NAME && name !== 'global') {
      throw new WardenError('invalid_budget', `a global budget has no ${what}; leave it out`);
    }
    return GLOBAL_NAME;
  }
  const n = name.trim();
  if (n === '') throw new WardenError('invalid_budget', `${what} is required for a ${scope} budget`, { hint: `the ${scope} the budget applies to` });
  if (n.length > 200 || /[\u0000-\u001f\u007f]/.test(n)) throw new WardenError('invalid_budget', `${what} "${n.slice(0, 40)}" must be printable and at most 200 characters`);
  return n;
}

const field = (body: Record<string, unknown>, k: string): unknown => body[k];

/**
 * The admin API's `POST /budgets` body → a BudgetInput. Fields as in BudgetSetRequest
 * (protocol/api.ts); every error names the field.
 */
export function budgetInputFromBody(body: Record<string, unknown>): BudgetInput {
  const scope = field(body, 'scope');
  if (!isBudgetScope(scope)) throw new WardenError('invalid_request', `"scope" must be one of ${BUDGET_SCOPES.join(', ')}`);
  const period = field(body, 'period');
  if (!isBudgetPeriod(period)) throw new WardenError('invalid_request', `"period" must be one of ${BUDGET_PERIODS.join(', ')}`);
  const name = field(body, 'name') ?? '';
  if (typeof name !== 'string') throw new WardenError('invalid_request', '"name" must be a string');
  const amount = field(body, 'amount_usd');
  let limitMicros: number;
  if (typeof amount === 'string') limitMicros = parseUsdAmount(amount, '"amount_usd"');
  else if (typeof amount === 'number' && Number.isFinite(amount) && amount > 0 && amount <= MAX_BUDGET_USD) limitMicros = Math.round(amount * MICROS_PER_USD);
  else throw new WardenError('invalid_amount', `"amount_usd" must be a positive amount up to ${MAX_BUDGET_USD}`);
  if (limitMicros <= 0) throw new WardenError('invalid_amount', '"amount_usd" must be more than $0');
  const hard = field(body, 'hard');
  if (hard !== undefined && typeof hard !== 'boolean') throw new WardenError('invalid_request', '"hard" must be a boolean');
  const alerts = field(body, 'alert_pcts');
  let alertPcts: number[] | undefined;
  if (alerts === undefined) alertPcts = undefined;
  else if (Array.isArray(alerts) && alerts.every((a) => typeof a === 'number')) alertPcts = alerts.length ? parseAlertThresholds(alerts.join(','), '"alert_pcts"') : [];
  else if (typeof alerts === 'string') alertPcts = parseAlertThresholds(alerts, '"alert_pcts"');
  else throw new WardenError('invalid_request', '"alert_pcts" must be a list of percentages');
  const tz = field(body, 'tz');
  if (tz !== undefined && typeof tz !== 'string') throw new WardenError('invalid_request', '"tz" must be a string');
  const webhook = field(body, 'webhook_url');
  if (webhook !== undefined && webhook !== null && typeof webhook !== 'string') throw new WardenError('invalid_request', '"webhook_url" must be a string or null');
  return {
    scope,
    name: validateTargetName(name, scope, '"name"'),
    period,
    limitMicros,
    hard,
    alertPcts,
    tz: tz === undefined ? undefined : validateTimeZone(tz, '"tz"'),
    webhookUrl: webhook === undefined ? undefined : webhook === null || webhook === '' ? null : validateWebhookUrl(webhook, '"webhook_url"'),
  };
}

/** `project:checkout`, `global`: how a budget's target reads in messages. */
export function budgetTarget(def: Pick<BudgetDefinition, 'scope' | 'name'>): string {
  return def.scope === 'global' ? 'global' : `${def.scope}:${def.name}`;
}
