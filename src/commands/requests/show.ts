// `warden requests show ID`: one recorded request with every stored field (and its bodies, if stored).
import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { WardenError } from '../../core/errors.js';
import { getRequest, type RequestRow } from '../../core/store/repos/requests.js';

export interface RequestsShowResult {
  request: RequestRow;
}

const TIME_FIELDS = new Set(['started_at', 'finished_at']);
const BODY_FIELDS = new Set(['request_body', 'response_body']);

export default class RequestsShow extends BaseCommand<typeof RequestsShow> {
  static override summary = 'Show one request in full.';

  static override description = `Prints every field Warden recorded for a request: routing (provider, endpoint, model), who made it
(key, project, session, tool, repo, branch), usage and cost, timings (Warden's own overhead and the
upstream's time), and the error if it failed.

ID may be the full request id or any prefix that matches exactly one request, as shown by
\`warden requests list\`. Request and response bodies appear only if body storage was enabled
when the request was made; otherwise they are null.`;

  static override examples = [
    '<%= config.bin %> requests show 01J9Z8Q4W6T3',
    '<%= config.bin %> requests show 01J9Z8Q4W6T3KX7M2C5B0N8RDA --json',
  ];

  static override args = {
    id: Args.string({ description: 'request id, or a unique prefix of one', required: true }),
  };

  public override async run(): Promise<RequestsShowResult> {
    const store = await this.readStore();
    const request = await getRequest(store.db, this.args.id);
    if (!request) {
      throw new WardenError('request_not_found', `no request with id or id prefix "${this.args.id}"`, {
        hint: 'list recent ones with `warden requests list`',
      });
    }

    if (!this.jsonEnabled()) {
      const rows = Object.entries(request)
        .filter(([k]) => !BODY_FIELDS.has(k))
        .map(([k, v]) => [k, display(k, v, request)]);
      this.log(this.table(['Field', 'Value'], rows));
      for (const k of BODY_FIELDS) {
        const body = request[k as keyof RequestRow];
        if (typeof body === 'string') this.log(`\n${k}:\n${pretty(body)}`);
      }
    }
    return { request };
  }
}

function display(key: string, value: unknown, r: RequestRow): string {
  if (value === null || value === undefined) return '';
  if (TIME_FIELDS.has(key) && typeof value === 'number') return `${new Date(value).toISOString()} (${value})`;
  if (key === 'cost_usd' && r.price_unknown) return `unknown (no price for ${r.model ?? 'this model'})`;
  if (key === 'price_unknown' || key === 'stream') return value ? 'yes' : 'no';
  return String(value);
}

function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body; // SSE transcripts and non-JSON bodies are shown as stored
  }
}
