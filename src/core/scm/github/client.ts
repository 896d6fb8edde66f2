// The one way Warden talks to the GitHub REST API: an Octokit (@octokit/rest) with the throttling and
// retry plugins, pointed at `apiUrl` (https://api.github.com or a GHES host's https://HOST/api/v3).
// It owns the transport policy every GitHub reporter shares: a per-attempt timeout, bounded retries on
// 5xx / network errors, bounded waits on primary and secondary rate limits, GitHub's recommended
// spacing of writes, and a logger that never sees the token.
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
// Bottleneck is the scheduler @octokit/plugin-throttling is built on; the plugin's documented
// `write` / `notifications` options take Bottleneck groups, which is how the write spacing is tuned.
import Bottleneck from 'bottleneck';

const WardenOctokit = Octokit.plugin(retry, throttling);

/** The client reporters receive. */
export type GithubClient = InstanceType<typeof WardenOctokit>;

/**
 * Time knobs. Production leaves them unset (the plugins' defaults, which follow GitHub's guidance);
 * tests shrink them so retries and pacing cost milliseconds instead of seconds.
 */
export interface GithubClientTiming {
  /** How long one "second" of Retry-After, x-ratelimit-reset or retry backoff lasts, in ms. Default 1000. */
  secondMs?: number;
  /** Minimum spacing between two writes (POST/PATCH/...). Default: the plugin's 1000 ms. */
  writeIntervalMs?: number;
  /** Minimum spacing between writes that notify people (reviews, comments). Default: the plugin's 3000 ms. */
  notificationIntervalMs?: number;
}

export interface GithubClientOptions {
  /** REST API root; a trailing slash is ignored. */
  apiUrl: string;
  /** Sent as `Authorization: token …`; never logged, never part of an error message. */
  token: string;
  /** Per HTTP attempt; a retried request gets a fresh timeout per attempt. */
  timeoutMs: number;
  /** One diagnostic line (stderr); receives no secrets. */
  log(msg: string): void;
  /** Retries after a 5xx, a network error or a timeout. Default 2. */
  retries?: number;
  /** Retries after a primary or secondary rate limit. Default 2. */
  rateLimitRetries?: number;
  /** The longest rate-limit wait honoured, in seconds; a longer one fails the request instead. Default 120. */
  maxRateLimitWaitSeconds?: number;
  timing?: GithubClientTiming;
  userAgent?: string;
}

export function createGithubClient(opts: GithubClientOptions): GithubClient {
  const timing = opts.timing ?? {};
  const secondMs = timing.secondMs ?? 1000;
  const rateLimitRetries = opts.rateLimitRetries ?? 2;
  const maxWait = opts.maxRateLimitWaitSeconds ?? 120;
  const log = opts.log;

  // Decides whether to wait out a rate limit; one line either way, so a slow CI step explains itself.
  const onLimit =
    (kind: string) =>
    (retryAfter: number, options: { method?: string; url?: string }, _octokit: unknown, retryCount: number): boolean => {
      const what = `${options.method ?? 'request'} ${options.url ?? ''}`.trim();
      if (retryCount >= rateLimitRetries) {
        log(`github: ${kind} rate limit on ${what}; giving up after ${retryCount} retries`);
        return false;
      }
      if (retryAfter > maxWait) {
        log(`github: ${kind} rate limit on ${what}; reset in ${retryAfter} s is longer than ${maxWait} s, not waiting`);
        return false;
      }
      log(`github: ${kind} rate limit on ${what}; retrying in ${retryAfter} s (retry ${retryCount + 1} of ${rateLimitRetries})`);
      return true;
    };

  const pacing: { write?: Bottleneck.Group; notifications?: Bottleneck.Group } = {};
  if (timing.writeIntervalMs !== undefined) pacing.write = new Bottleneck.Group({ maxConcurrent: 1, minTime: timing.writeIntervalMs });
  if (timing.notificationIntervalMs !== undefined) {
    pacing.notifications = new Bottleneck.Group({ maxConcurrent: 1, minTime: timing.notificationIntervalMs });
  }

  const noop = (): void => {};
  return new WardenOctokit({
    auth: opts.token,
    baseUrl: opts.apiUrl.replace(/\/+$/, ''),
    userAgent: opts.userAgent ?? 'warden',
    // Octokit's default logger is console; core code logs only through ctx.log. Its error lines are
    // per-attempt request logs: failures reach the caller as the reporter's result instead.
    log: { debug: noop, info: noop, warn: (m: string) => log(`github: ${m}`), error: noop },
    request: { fetch: timedFetch(opts.timeoutMs) },
    retry: {
      retries: opts.retries ?? 2,
      retryAfterBaseValue: secondMs,
      // 403/429 belong to the throttling plugin (rate limits) or are final (permissions).
      doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
    },
    throttle: {
      // A per-client id: pacing state is not shared with unrelated clients in the same process.
      id: `warden-${(clientSeq += 1)}`,
      retryAfterBaseValue: secondMs,
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
      ...pacing,
    },
  });
}

let clientSeq = 0;

/**
 * fetch with a timeout per attempt. A signal fixed at construction would expire once for the client's
 * whole life (and across retries), so each call gets its own AbortSignal.timeout, combined with any
 * caller's signal.
 */
function timedFetch(timeoutMs: number): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return fetch(input, { ...init, signal });
  };
}
