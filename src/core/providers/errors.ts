// Error bodies in each API family's own shape, so SDK clients parse Warden's refusals exactly like the
// provider's own errors; and the typed error adapters throw when a request cannot be built.
import type { ApiFamily } from './types.js';

/** OpenAI's error envelope (also used by Azure OpenAI and OpenAI-compatible servers). */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Anthropic's error envelope. `request_id` is present when the caller supplied one. */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
  request_id?: string;
}

export type ProviderErrorBody = OpenAIErrorBody | AnthropicErrorBody;

export interface ErrorBodyOptions {
  /** Overrides the type derived from the status. */
  type?: string;
  /** OpenAI `code` (e.g. 'invalid_api_key', 'budget_exceeded'); overrides the status default. */
  code?: string | null;
  /** OpenAI `param`. */
  param?: string | null;
  /** Anthropic top-level `request_id`. */
  requestId?: string;
}

/** The error `type` each family uses for an HTTP status. */
export function errorType(family: ApiFamily, status: number): string {
  return family === 'anthropic' ? anthropicType(status) : openaiType(status);
}

function openaiType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 429:
      return 'rate_limit_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

function anthropicType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    case 504:
      return 'timeout_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

function openaiCode(status: number): string | null {
  switch (status) {
    case 401:
      return 'invalid_api_key';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_exceeded';
    default:
      return null;
  }
}

/** An error body in the family's shape for `status`. `message` must not contain secrets. */
export function errorBody(
  family: ApiFamily,
  status: number,
  message: string,
  opts: ErrorBodyOptions = {},
): ProviderErrorBody {
  const type = opts.type ?? errorType(family, status);
  if (family === 'anthropic') {
    const body: AnthropicErrorBody = { type: 'error', error: { type, message } };
    if (opts.requestId !== undefined) body.request_id = opts.requestId;
    return body;
  }
  return {
    error: {
      message,
      type,
      param: opts.param ?? null,
      code: opts.code === undefined ? openaiCode(status) : opts.code,
    },
  };
}

/**
 * The same error as one SSE event, for failures after a stream's headers were sent: Anthropic's
 * `event: error` and OpenAI's `data: {"error": ...}` (which the OpenAI SDKs raise as APIError).
 */
export function errorEvent(family: ApiFamily, status: number, message: string, opts: ErrorBodyOptions = {}): string {
  const json = JSON.stringify(errorBody(family, status, message, opts));
  return family === 'anthropic' ? `event: error\ndata: ${json}\n\n` : `data: ${json}\n\n`;
}

/**
 * Thrown by an adapter when the client request cannot be turned into an upstream request
 * (missing model for an Azure deployment, no base URL, endpoint not served). The proxy answers it
 * with errorBody(family, status, message).
 */
export class ProviderRequestError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ProviderRequestError';
    this.status = status;
  }
}
