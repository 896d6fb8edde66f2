// Names the client tool behind a request from its User-Agent (claude-code, codex, openai-node, …).

const RULES: [RegExp, string][] = [
  [/^claude-cli\//i, 'claude-code'],
  [/claude-code/i, 'claude-code'],
  [/^codex_cli_rs\//i, 'codex'],
  [/^codex[-_ /]/i, 'codex'],
  [/^OpenAI\/JS\b/i, 'openai-node'],
  [/^OpenAI\/Python\b/i, 'openai-python'],
  [/^OpenAI\/Go\b/i, 'openai-go'],
  [/^Anthropic\/JS\b/i, 'anthropic-sdk'],
  [/^Anthropic\/Python\b/i, 'anthropic-python'],
  [/^curl\//i, 'curl'],
  [/^python-requests\//i, 'python-requests'],
  [/^python-httpx\//i, 'python-httpx'],
  [/^aider\b/i, 'aider'],
  [/^litellm\b/i, 'litellm'],
  [/^node$|^undici$|^node-fetch/i, 'node'],
];

/** A client sends the same User-Agent on every request: remember the answer (bounded). */
const cache = new Map<string, string>();
const CACHE_LIMIT = 1000;

/** An explicit `x-warden-tool` header wins; otherwise the User-Agent's product token. */
export function detectClientTool(userAgent: string | undefined, explicit?: string | undefined): string {
  if (explicit && /^[\w.-]{1,64}$/.test(explicit)) return explicit.toLowerCase();
  if (!userAgent) return 'unknown';
  let tool = cache.get(userAgent);
  if (tool === undefined) {
    tool = classify(userAgent);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(userAgent, tool);
  }
  return tool;
}

function classify(userAgent: string): string {
  for (const [re, name] of RULES) if (re.test(userAgent)) return name;
  const token = /^([A-Za-z][\w.-]{0,40})/.exec(userAgent);
  return token ? token[1].toLowerCase() : 'unknown';
}
