import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { detectShell, proxyEnv, renderEnv } from '../../../src/core/session/proxy-env.js';

describe('proxy env', () => {
  it('gives OpenAI clients /v1 and Anthropic clients the bare origin', () => {
    const env = proxyEnv('http://127.0.0.1:4141', 'wk_x', 'ses_1');
    expect(env).toEqual({
      OPENAI_BASE_URL: 'http://127.0.0.1:4141/v1',
      OPENAI_API_KEY: 'wk_x',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:4141',
      ANTHROPIC_API_KEY: 'wk_x',
      ANTHROPIC_AUTH_TOKEN: 'wk_x',
      WARDEN_SESSION: 'ses_1',
    });
  });

  it('renders exports that bash evaluates back to the same values, quotes included', () => {
    const vars = { A: "it's $HOME `x`", B: 'plain' };
    const script = `${renderEnv(vars, 'bash')}printf '%s|%s' "$A" "$B"`;
    const out = execFileSync('bash', ['-c', script], { encoding: 'utf8' });
    expect(out).toBe("it's $HOME `x`|plain");
  });

  it('renders fish and powershell syntax', () => {
    expect(renderEnv({ A: 'v' }, 'fish')).toBe("set -gx A 'v';\n");
    expect(renderEnv({ A: "o'k" }, 'powershell')).toBe("$env:A = 'o''k'\n");
  });

  it('detects the shell from $SHELL', () => {
    expect(detectShell('/usr/bin/fish')).toBe('fish');
    expect(detectShell('/bin/zsh')).toBe('zsh');
    expect(detectShell(undefined)).toBe('bash');
  });
});
