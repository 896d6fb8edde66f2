import { BaseCommand } from '../../base-command.js';
import type { BudgetInfo } from '../../core/protocol/api.js';
import { formatUsd } from '../../ui/format.js';

export default class BudgetList extends BaseCommand<typeof BudgetList> {
  static summary = 'List budgets: what each applies to, its period, limit, mode, alerts and time zone.';
  static description = 'For spend against each budget in its current period, see `warden budget status`.';
  static examples = ['<%= config.bin %> budget list', '<%= config.bin %> budget list --json'];

  async run(): Promise<BudgetInfo[]> {
    const client = await this.daemon();
    const budgets: BudgetInfo[] = (await client.listBudgets()).map((b) => ({
      id: b.id,
      scope: b.scope,
      name: b.name,
      target: b.target,
      period: b.period,
      limit_usd: b.limit_usd,
      hard: b.hard,
      alert_pcts: b.alert_pcts,
      tz: b.tz,
      webhook: b.webhook,
      created_at: b.created_at,
      updated_at: b.updated_at,
    }));
    if (!this.jsonEnabled()) {
      if (budgets.length === 0) this.log('No budgets yet. Set one: warden budget set --scope project --name NAME --daily 25 --hard');
      else
        this.log(
          this.table(
            ['id', 'applies to', 'period', 'limit', 'mode', 'alerts', 'time zone', 'webhook'],
            budgets.map((b) => [b.id, b.target, b.period, formatUsd(b.limit_usd), b.hard ? 'hard' : 'soft', b.alert_pcts.map((p) => `${p}%`).join(' '), b.tz, b.webhook]),
          ),
        );
    }
    return budgets;
  }
}
