import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { PROVIDER_TYPES } from '../../core/providers/index.js';
import type { ProviderInfo } from '../../core/protocol/api.js';
import { promptHidden, readAllStdin } from '../../ui/prompt.js';
import { WardenError } from '../../core/errors.js';

export default class ProvidersSet extends BaseCommand<typeof ProvidersSet> {
  static summary = 'Add or change an upstream provider and store its API key in the OS keychain (or an encrypted file).';
  static description = `The key goes to the OS keychain; where none answers (CI, headless Linux) it goes to an AES-256-GCM
encrypted file in the data dir, and the command says which it used. Without a stored key, the daemon
falls back to OPENAI_API_KEY / ANTHROPIC_API_KEY from its environment.

Models are routed by name: gpt-*, o1*/o3*/o4*, text-embedding-* → "openai"; claude-* → "anthropic";
add routes in config.yaml for other names. With a single provider, every model goes to it.`;
  static examples = [
    'echo "$OPENAI_API_KEY" | <%= config.bin %> providers set openai --type openai --api-key-stdin',
    '<%= config.bin %> providers set anthropic --type anthropic          # prompts for the key',
    '<%= config.bin %> providers set ollama --type openai-compatible --base-url http://127.0.0.1:11434/v1',
    '<%= config.bin %> providers set azure --type azure-openai --base-url https://NAME.openai.azure.com --api-version 2024-10-21 --api-key-stdin',
  ];
  static args = {
    name: Args.string({ description: 'provider name, used by routes (openai, anthropic, ollama, …)', required: true }),
  };
  static flags = {
    type: Flags.string({ description: 'wire format of the upstream', options: [...PROVIDER_TYPES], required: true }),
    'base-url': Flags.string({ description: 'upstream base URL (required for openai-compatible and azure-openai)' }),
    'api-version': Flags.string({ description: 'Azure OpenAI api-version' }),
    'api-key-stdin': Flags.boolean({ description: 'read the API key from standard input' }),
    'no-key': Flags.boolean({ description: 'the upstream needs no key (a local model server)' }),
  };

  async run(): Promise<ProviderInfo & { secret_store_description: string | null }> {
    let apiKey: string | undefined;
    if (this.flags['api-key-stdin']) {
      apiKey = (await readAllStdin()).trim();
      if (!apiKey) throw new WardenError('empty_api_key', 'no API key on standard input', { hint: 'echo "$KEY" | warden providers set …' });
    } else if (!this.flags['no-key'] && process.stdin.isTTY) {
      apiKey = (await promptHidden(`API key for ${this.args.name} (input hidden, empty for none): `)).trim() || undefined;
    }
    const client = await this.daemon();
    const r = await client.request<ProviderInfo & { secret_store_description: string | null }>(
      'PUT',
      `/providers/${encodeURIComponent(this.args.name)}`,
      { type: this.flags.type, base_url: this.flags['base-url'], api_version: this.flags['api-version'], api_key: apiKey },
    );
    if (!this.jsonEnabled()) {
      this.log(`Provider ${r.name} (${r.type}) → ${r.base_url}`);
      if (r.secret_store_description) this.log(`API key stored in ${r.secret_store_description}.`);
      else this.log(`API key: ${r.key_source}`);
      this.note(`Check it with: warden providers test ${r.name}`);
    }
    return r;
  }
}
