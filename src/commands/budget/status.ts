import { BaseCommand } from '../../base-command.js';
import type { BudgetStatusInfo } from '../../core/protocol/api.js';
import { formatUsd } from '../../ui/format.js';

/** "2025-03-31 00:00 Europe/Paris": when the period ends, as the budget's owner reads it. */
function localTime(isoTime: string, tz: string): string {
  const f = new Intl.DateTimeFormat('sv-SE', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return `${f.format(Date.parse(isoTime))} ${tz}`;
}

export default class BudgetStatus extends BaseCommand<typeof BudgetStatus> {
  static summary = 'Show each budget in its current period: spent, reserved, limit, remaining, alerts crossed.';
  static description = `Spent is the settled cost of requests started in the period; reserved is the worst-case cost of
requests still in flight. A hard budget denies a request when its worst case does not fit in what
remains.`;
  static examples = ['<%= config.bin %> budget status', '<%= config.bin %> budget status --json'];

  async run(): Promise<BudgetStatusInfo[]> {
    const client = await this.daemon();
    const budgets = await client.listBudgets();
    if (!this.jsonEnabled()) {
      if (budgets.length === 0) this.log('No budgets yet. Set one: warden budget set --scope project --name NAME --daily 25 --hard');
      else
        this.log(
          this.table(
            ['applies to', 'period', 'mode', 'spent', 'reserved', 'limit', 'remaining', 'used', 'alerts crossed', 'resets'],
            budgets.map((b) => [
              b.target,
              `${b.period} ${b.period_label}`,
              b.hard ? 'hard' : 'soft',
              formatUsd(b.spent_usd),
              formatUsd(b.reserved_usd),
              formatUsd(b.limit_usd),
              formatUsd(b.remaining_usd),
              `${b.used_pct}%${b.state === 'exhausted' ? ' (exhausted)' : ''}`,
              b.alerts_crossed.length ? b.alerts_crossed.map((p) => `${p}%`).join(' ') : '-',
              localTime(b.period_end, b.tz),
            ]),
          ),
        );
    }
    return budgets;
  }
}
