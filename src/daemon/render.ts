// What the foreground daemon prints: the start banner and one live line per request.
import type { ResolvedProvider } from '../core/providers/resolve.js';
import type { SettledSummary } from './proxy.js';

export function formatBanner(i: {
  url: string;
  dataDir: string;
  version: string;
  configFiles: string[];
  providers: ResolvedProvider[];
  interrupted: number;
}): string {
  const lines = [
    `Warden ${i.version} listening on ${i.url}`,
    `  data dir: ${i.dataDir}`,
    `  config:   ${i.configFiles.length ? i.configFiles.join(', ') : '(defaults; no config.yaml found)'}`,
  ];
  if (!isLoopback(i.url)) {
    lines.push('  WARNING: listening beyond loopback: anyone who can reach this address can try virtual keys against it');
  }
  if (i.interrupted) lines.push(`  marked ${i.interrupted} request(s) from the previous run as interrupted`);
  lines.push(
    i.providers.length
      ? `  providers: ${i.providers.map((p) => `${p.config.name} (${p.config.type}, key: ${p.keySource})`).join(', ')}`
      : '  providers: none yet. Add one: `warden providers set openai --type openai --api-key-stdin`',
    '',
    'Point your tools at it:',
    '  warden run -- <command>                 # one command, with everything below set for it',
    '  eval "$(warden env)"                    # or set it in this shell',
    'or by hand, with a key from `warden keys create --project NAME`:',
    `  export OPENAI_BASE_URL=${i.url}/v1`,
    `  export ANTHROPIC_BASE_URL=${i.url}`,
    '  export OPENAI_API_KEY=wk_…  ANTHROPIC_API_KEY=wk_…',
    '',
    'Live requests (Ctrl-C stops the daemon):',
    '',
  );
  return lines.join('\n');
}

function fmtCost(s: SettledSummary): string {
  if (s.costUsd !== null) return `$${s.costUsd.toFixed(6)}`; // fixed width for a live log
  return s.priceUnknown ? '$?' : '-';
}

export function formatRequestLine(s: SettledSummary, color: boolean): string {
  const time = new Date().toISOString().slice(11, 19);
  const status = String(s.httpStatus);
  const paint = (code: string, t: string) => (color ? `\u001b[${code}m${t}\u001b[0m` : t);
  const st = s.httpStatus < 300 ? paint('32', status) : s.httpStatus < 500 ? paint('33', status) : paint('31', status);
  const tokens = s.usage ? `${s.usage.inputTokens}→${s.usage.outputTokens} tok${s.usageSource === 'estimated' ? ' (est)' : ''}` : '';
  return [
    time,
    st,
    s.path,
    s.model ?? '-',
    s.provider ?? '-',
    tokens,
    fmtCost(s),
    `${s.durationMs.toFixed(0)}ms`,
    `(+${s.overheadMs.toFixed(2)}ms)`,
    s.tool,
    s.project ?? '',
    s.status !== 'ok' ? s.status : '',
  ]
    .filter((x) => x !== '')
    .join('  ');
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
