import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import type { BudgetInfo } from '../../core/protocol/api.js';
import { formatUsd } from '../../ui/format.js';

export default class BudgetRm extends BaseCommand<typeof BudgetRm> {
  static summary = 'Remove a budget: requests are no longer checked or alerted against it.';
  static examples = [
    '<%= config.bin %> budget rm bud_0m3abc…',
    '<%= config.bin %> budget rm project:checkout',
    '<%= config.bin %> budget rm project:checkout:monthly',
    '<%= config.bin %> budget rm global',
  ];
  static args = {
    budget: Args.string({ description: 'budget id, scope:name, scope:name:period, "global", or a name only one budget has', required: true }),
  };

  async run(): Promise<BudgetInfo & { removed: true }> {
    const client = await this.daemon();
    const b = await client.removeBudget(this.args.budget);
    if (!this.jsonEnabled()) this.log(`Removed ${b.hard ? 'hard' : 'soft'} ${b.period} budget ${b.id} for ${b.target} (${formatUsd(b.limit_usd)}).`);
    return b;
  }
}
