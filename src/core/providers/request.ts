// Small helpers adapters share when building upstream requests: URL joining, the client headers that
// may pass through, and body serialisation that forwards the client's exact bytes when unmodified.
import { ProviderRequestError } from './errors.js';
import type { BuildRequestInput, Endpoint, ProviderAdapter } from './types.js';

/** Client headers that carry no credentials and that every upstream understands. */
const COMMON_FORWARDED = ['accept', 'user-agent'] as const;

/**
 * Headers every upstream request starts with. `accept-encoding: identity` because the stream tap
 * parses the bytes as they pass, and compressed SSE would be opaque to it.
 */
export function baseHeaders(input: BuildRequestInput, extraForwarded: readonly string[]): Record<string, string> {
  const h: Record<string, string> = { 'accept-encoding': 'identity' };
  copyHeaders(input.clientHeaders, COMMON_FORWARDED, h);
  copyHeaders(input.clientHeaders, extraForwarded, h);
  if (input.body !== undefined || input.rawBody !== undefined) h['content-type'] = 'application/json';
  return h;
}

export function copyHeaders(
  from: BuildRequestInput['clientHeaders'],
  names: readonly string[],
  into: Record<string, string>,
): void {
  for (const name of names) {
    const v = from[name];
    if (typeof v === 'string') into[name] = v;
    else if (Array.isArray(v) && v.length > 0) into[name] = v.join(', ');
  }
}

/** The first value of a client header. */
export function headerValue(from: BuildRequestInput['clientHeaders'], name: string): string | undefined {
  const v = from[name];
  return Array.isArray(v) ? v[0] : v;
}

export function trimSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url.charCodeAt(end - 1) === 0x2f) end--;
  return url.slice(0, end);
}

/** The configured base URL, falling back to the adapter's default; throws when there is neither. */
export function resolveBase(adapter: ProviderAdapter, input: BuildRequestInput): string {
  const base = trimSlashes(input.provider.baseUrl || adapter.defaultBaseUrl || '');
  if (base === '') {
    throw new ProviderRequestError(500, `provider "${input.provider.name}" has no base URL configured`);
  }
  return base;
}

/** Bytes to send: the client's exact bytes unless the adapter rewrote the body. */
export function bodyBytes(input: BuildRequestInput, rewritten?: Record<string, unknown>): Buffer | undefined {
  if (rewritten !== undefined) return Buffer.from(JSON.stringify(rewritten), 'utf8');
  if (input.rawBody !== undefined) return input.rawBody;
  if (input.body !== undefined) return Buffer.from(JSON.stringify(input.body), 'utf8');
  return undefined;
}

export function assertServes(adapter: ProviderAdapter, endpoint: Endpoint): void {
  if (!adapter.endpoints.includes(endpoint)) {
    throw new ProviderRequestError(404, `a ${adapter.type} provider does not serve ${endpoint}`);
  }
}
