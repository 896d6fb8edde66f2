import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { BUDGET_SCOPES, parseAlertThresholds, validateTargetName, validateWebhookUrl } from '../../core/budget/definition.js';
import { parseUsdAmount } from '../../core/budget/money.js';
import { validateTimeZone, type BudgetPeriod } from '../../core/budget/period.js';
import type { BudgetSetRequest, BudgetStatusInfo } from '../../core/protocol/api.js';
import { formatUsd } from '../../ui/format.js';

const PERIOD_FLAGS = ['daily', 'weekly', 'monthly'] as const;

export default class BudgetSet extends BaseCommand<typeof BudgetSet> {
  static summary = 'Create or update a spending budget for a key, project, team, user, or everything.';
  static description = `A budget limits spend per calendar day, ISO week (Monday first) or month in its time zone.
Soft budgets (the default) only alert; --hard budgets also deny requests that could overshoot them:
each request reserves its worst-case cost before it is forwarded, so concurrent requests cannot
overshoot either. Alerts fire once per period at each threshold, as audit events and optionally
as a JSON POST to --webhook.

Setting a budget that exists (same scope, name and period) updates it; flags left out keep their
current values.`;
  static examples = [
    '<%= config.bin %> budget set --scope project --name checkout --daily 25 --hard',
    '<%= config.bin %> budget set --scope team --name payments --monthly 500 --alert 50,80,100 --tz Europe/Paris',
    '<%= config.bin %> budget set --scope global --weekly 100 --webhook https://hooks.example.com/warden',
    '<%= config.bin %> budget set --scope key --name ci --daily 5 --hard --json',
  ];
  static flags = {
    scope: Flags.option({ options: BUDGET_SCOPES, required: true, description: 'what the budget applies to' })(),
    name: Flags.string({ description: 'the key (id, prefix or name), project, team or user; not used with --scope global' }),
    daily: Flags.string({ helpValue: 'USD', description: 'limit per calendar day', exactlyOne: [...PERIOD_FLAGS] }),
    weekly: Flags.string({ helpValue: 'USD', description: 'limit per ISO week (Monday to Sunday)', exactlyOne: [...PERIOD_FLAGS] }),
    monthly: Flags.string({ helpValue: 'USD', description: 'limit per calendar month', exactlyOne: [...PERIOD_FLAGS] }),
    hard: Flags.boolean({ allowNo: true, description: 'deny requests that could overshoot the limit (default: soft, alerts only)' }),
    alert: Flags.string({ helpValue: '50,80,100', description: 'alert thresholds in percent of the limit (default 80,100; "none" for none)' }),
    tz: Flags.string({ helpValue: 'ZONE', description: "IANA time zone of the periods (default: this machine's)" }),
    webhook: Flags.string({ helpValue: 'URL', description: 'POST alerts here as JSON ("none" removes it)' }),
  };

  async run(): Promise<BudgetStatusInfo & { created: boolean }> {
    const f = this.flags;
    const period = PERIOD_FLAGS.find((p) => f[p] !== undefined) as BudgetPeriod;
    const amount = f[period] as string;
    // Validate here, naming the flags, before a daemon is started for nothing.
    parseUsdAmount(amount, `--${period}`);
    if (f.scope === 'global' && f.name !== undefined) validateTargetName(f.name, 'global', '--name');
    const name = f.scope === 'global' ? undefined : validateTargetName(f.name ?? '', f.scope, '--name');
    const req: BudgetSetRequest = { scope: f.scope, name, period, amount_usd: amount };
    if (f.hard !== undefined) req.hard = f.hard;
    if (f.alert !== undefined) req.alert_pcts = parseAlertThresholds(f.alert, '--alert');
    if (f.tz !== undefined) req.tz = validateTimeZone(f.tz, '--tz');
    if (f.webhook !== undefined) req.webhook_url = f.webhook.trim().toLowerCase() === 'none' ? null : validateWebhookUrl(f.webhook, '--webhook');

    const client = await this.daemon();
    const b = await client.setBudget(req);
    if (!this.jsonEnabled()) {
      const alerts = b.alert_pcts.length ? `alerts at ${b.alert_pcts.map((p) => `${p}%`).join(', ')}` : 'no alerts';
      this.log(
        `${b.created ? 'Created' : 'Updated'} ${b.hard ? 'hard' : 'soft'} ${b.period} budget ${b.id} for ${b.target}: ${formatUsd(b.limit_usd)} per ${
          period === 'daily' ? 'day' : period === 'weekly' ? 'week' : 'month'
        } (${b.tz}), ${alerts}${b.webhook ? `, webhook ${b.webhook}` : ''}.`,
      );
      this.log(`This period (${b.period_label}): ${formatUsd(b.spent_usd)} spent, ${formatUsd(b.remaining_usd)} left.`);
    }
    return b;
  }
}
