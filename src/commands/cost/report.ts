// `warden cost report`: spend and token usage grouped by model, project, tool, UTC day or session.
import { Flags } from '@oclif/core';
import { BaseCommand, sinceFlag } from '../../base-command.js';
import { COST_GROUP_BYS, costReport, type CostFigures, type CostReport } from '../../core/store/repos/requests.js';
import { parseSince } from '../../core/util/duration.js';
import { formatUsd } from '../../ui/format.js';

export type CostReportResult = CostReport;

const KEY_HEADING = { model: 'Model', project: 'Project', tool: 'Tool', day: 'Day (UTC)', session: 'Session' } as const;

export default class CostReportCommand extends BaseCommand<typeof CostReportCommand> {
  static override summary = 'Report spend and token usage, grouped.';

  static override description = `Sums the requests recorded by the proxy — request count, input, output and cache tokens, and cost
in USD — per model, project, tool, day or session, with a totals row.

Costs come from exact usage priced against the catalogue when the request settled. When a model has no
known price, its requests are NOT counted as $0: they are left out of the cost column and counted in
"Unpriced", and the cost reads "$X + N unpriced" (or "unknown" when nothing in the group is priced).
In --json, \`price_unknown\` counts those requests and \`cost_complete\` is false.
"Estimated" counts requests whose usage was estimated because the provider reported none.

Days are UTC calendar days, so the report is the same on every machine and in CI.`;

  static override examples = [
    '<%= config.bin %> cost report',
    '<%= config.bin %> cost report --by project --since 7d',
    '<%= config.bin %> cost report --by day --since 30d',
    '<%= config.bin %> cost report --by session --since 2025-06-01 --json',
  ];

  static override flags = {
    by: Flags.option({ options: COST_GROUP_BYS, default: 'model' as const, description: 'what to group by' })(),
    since: sinceFlag,
  };

  public override async run(): Promise<CostReportResult> {
    const { flags } = this;
    const since = flags.since === undefined ? undefined : parseSince(flags.since, this.deps.clock.now());
    const store = await this.readStore();
    const report = await costReport(store.db, { by: flags.by, since });

    if (!this.jsonEnabled()) {
      const row = (label: string, f: CostFigures) => [
        label,
        f.requests,
        f.input_tokens,
        f.output_tokens,
        f.cache_read_tokens,
        f.cache_write_tokens,
        money(f),
        f.price_unknown || '',
        f.estimated || '',
      ];
      const body = report.rows.map((r) => row(r.key ?? '(none)', r));
      body.push(row('Total', report.totals));
      const window = since === undefined ? 'all time' : `since ${new Date(since).toISOString()}`;
      this.log(`Cost by ${flags.by}, ${window}`);
      this.log(
        this.table([KEY_HEADING[flags.by], 'Requests', 'Input', 'Output', 'Cache read', 'Cache write', 'Cost (USD)', 'Unpriced', 'Estimated'], body),
      );
      if (report.totals.price_unknown > 0) {
        this.log(
          `${report.totals.price_unknown} request(s) have no known price; their cost is not included above. ` +
            'Add a price for the model (or update the catalogue) to price them.',
        );
      }
    }
    return report;
  }
}

function money(f: CostFigures): string {
  const known = formatUsd(f.cost_usd);
  if (f.price_unknown === 0) return known;
  if (f.price_unknown === f.requests) return 'unknown';
  return `${known} + ${f.price_unknown} unpriced`;
}
