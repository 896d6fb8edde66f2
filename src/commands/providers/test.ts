import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import type { ProviderTestResult } from '../../core/protocol/api.js';

export default class ProvidersTest extends BaseCommand<typeof ProvidersTest> {
  static summary = 'Check that a provider answers and accepts its key (lists its models; costs nothing).';
  static description = 'Exit code 0 when the upstream answered 200, 1 otherwise.';
  static examples = ['<%= config.bin %> providers test openai'];
  static args = { name: Args.string({ description: 'provider name', required: true }) };

  async run(): Promise<ProviderTestResult> {
    const client = await this.daemon();
    const r = await client.request<ProviderTestResult>('POST', `/providers/${encodeURIComponent(this.args.name)}/test`);
    if (!this.jsonEnabled()) {
      if (r.ok) this.log(`${r.name}: ok (${r.latency_ms.toFixed(0)} ms${r.models !== null ? `, ${r.models} models` : ''})`);
      else this.log(`${r.name}: FAILED${r.status ? ` (HTTP ${r.status})` : ''}: ${r.error}`);
    }
    if (!r.ok) process.exitCode = 1;
    return r;
  }
}
