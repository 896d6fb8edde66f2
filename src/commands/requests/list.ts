// `warden requests list`: the proxied requests recorded in the store, newest first.
import { Flags } from '@oclif/core';
import { BaseCommand, sinceFlag } from '../../base-command.js';
import { listRequests, REQUEST_STATUSES, type RequestSummary } from '../../core/store/repos/requests.js';
import { parseSince } from '../../core/util/duration.js';
import { formatUsd } from '../../ui/format.js';

export interface RequestsListResult {
  /** Epoch ms lower bound applied, null for all time. */
  since: number | null;
  count: number;
  requests: RequestSummary[];
}

export default class RequestsList extends BaseCommand<typeof RequestsList> {
  static override summary = 'List proxied requests, newest first.';

  static override description = `Every request a dev tool or SDK sent through the Warden proxy is recorded with its model, project,
status, token usage and cost. This lists them newest first, without request or response bodies
(use \`warden requests show ID\` for one request in full).

Token counts prefixed with "~" were estimated because the provider reported no usage. A cost of
"unknown" means the model has no price in the catalogue: the tokens are known, the dollars are not.

Statuses: ok, upstream_error (the provider answered non-2xx), error (Warden could not complete it),
rejected (refused by Warden: policy, auth, budget), client_aborted, interrupted, started (in flight).

Reads the local database directly, so it works whether or not the daemon is running.`;

  static override examples = [
    '<%= config.bin %> requests list',
    '<%= config.bin %> requests list --since 24h --status upstream_error',
    '<%= config.bin %> requests list --project billing --model gpt-4o-mini --limit 200',
    '<%= config.bin %> requests list --since 2025-01-01 --json',
  ];

  static override flags = {
    since: sinceFlag,
    model: Flags.string({ description: 'only requests for this model (exact name, as recorded)' }),
    project: Flags.string({ description: 'only requests made with keys of this project' }),
    status: Flags.option({ options: REQUEST_STATUSES, description: 'only requests with this status' })(),
    limit: Flags.integer({ description: 'show at most this many requests', default: 50, min: 1, max: 100_000 }),
  };

  public override async run(): Promise<RequestsListResult> {
    const { flags } = this;
    const since = flags.since === undefined ? undefined : parseSince(flags.since, this.deps.clock.now());
    const store = await this.readStore();
    const requests = await listRequests(store.db, {
      since,
      model: flags.model,
      project: flags.project,
      status: flags.status,
      limit: flags.limit,
    });

    if (!this.jsonEnabled()) {
      if (requests.length === 0) {
        this.log('No requests match.');
      } else {
        this.log(
          this.table(
            ['ID', 'Started (UTC)', 'Status', 'Model', 'Project', 'In', 'Out', 'Cost', 'ms'],
            requests.map((r) => [
              r.id,
              utc(r.started_at),
              r.http_status === null ? r.status : `${r.status} ${r.http_status}`,
              r.model,
              r.project,
              tokens(r.input_tokens, r.usage_source),
              tokens(r.output_tokens, r.usage_source),
              cost(r),
              r.duration_ms === null ? null : Math.round(r.duration_ms),
            ]),
          ),
        );
        if (requests.length === flags.limit) this.note(`showing the newest ${flags.limit}; use --limit or --since to see others`);
      }
    }
    return { since: since ?? null, count: requests.length, requests };
  }
}

function utc(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

function tokens(n: number | null, source: string | null): string {
  if (n === null) return '';
  return source === 'estimated' ? `~${n}` : String(n);
}

function cost(r: RequestSummary): string {
  if (r.price_unknown) return 'unknown';
  if (r.cost_usd === null) return '';
  return formatUsd(r.cost_usd);
}
