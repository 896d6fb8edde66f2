// The environment that points SDKs and dev tools at the daemon, and its rendering per shell.

/**
 * OpenAI clients want the base URL with /v1; Anthropic clients add /v1 themselves. Claude Code
 * reads ANTHROPIC_AUTH_TOKEN (Bearer) and SDKs read ANTHROPIC_API_KEY (x-api-key): both are set.
 */
export function proxyEnv(url: string, key: string, sessionId?: string): Record<string, string> {
  const env: Record<string, string> = {
    OPENAI_BASE_URL: `${url}/v1`,
    OPENAI_API_KEY: key,
    ANTHROPIC_BASE_URL: url,
    ANTHROPIC_API_KEY: key,
    ANTHROPIC_AUTH_TOKEN: key,
  };
  if (sessionId) env.WARDEN_SESSION = sessionId;
  return env;
}

export const SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const;
export type Shell = (typeof SHELLS)[number];

function singleQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

export function renderEnv(vars: Record<string, string>, shell: Shell): string {
  const lines = Object.entries(vars).map(([k, v]) => {
    switch (shell) {
      case 'fish':
        return `set -gx ${k} '${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}';`;
      case 'powershell':
        return `$env:${k} = '${v.replace(/'/g, "''")}'`;
      default:
        return `export ${k}=${singleQuote(v)}`;
    }
  });
  return `${lines.join('\n')}\n`;
}

/** The user's shell from $SHELL, defaulting to bash. */
export function detectShell(shellPath: string | undefined): Shell {
  const name = (shellPath ?? '').split(/[\\/]/).pop() ?? '';
  if (name.includes('fish')) return 'fish';
  if (name.includes('zsh')) return 'zsh';
  if (name.includes('pwsh') || name.includes('powershell')) return 'powershell';
  return 'bash';
}
