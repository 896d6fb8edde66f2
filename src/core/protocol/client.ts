// The CLI's client for the daemon's admin API: finds the daemon from its state file, sends the admin token.
import fs from 'node:fs';
import { ExitCode, WardenError, daemonUnreachable } from '../errors.js';
import type { WardenPaths } from '../paths.js';
import { ADMIN_PREFIX, type BudgetInfo, type BudgetSetRequest, type BudgetStatusInfo, type DaemonState } from './api.js';

export function readDaemonState(paths: WardenPaths): DaemonState | null {
  try {
    return JSON.parse(fs.readFileSync(paths.stateFile, 'utf8')) as DaemonState;
  } catch {
    return null;
  }
}

export function daemonUrl(state: Pick<DaemonState, 'host' | 'port'>): string {
  const host = state.host.includes(':') ? `[${state.host}]` : state.host;
  return `http://${host}:${state.port}`;
}

export class DaemonClient {
  constructor(
    private readonly paths: WardenPaths,
    private readonly timeoutMs = 10_000,
  ) {}

  state(): DaemonState | null {
    return readDaemonState(this.paths);
  }

  baseUrl(): string {
    const st = this.state();
    if (!st) throw daemonUnreachable('(no daemon state file)');
    return daemonUrl(st);
  }

  private token(): string {
    try {
      return fs.readFileSync(this.paths.tokenFile, 'utf8').trim();
    } catch {
      throw daemonUnreachable(this.paths.tokenFile);
    }
  }

  /** True when a daemon answers its health check. */
  async ping(timeoutMs = 1000): Promise<boolean> {
    const st = this.state();
    if (!st) return false;
    try {
      const res = await fetch(`${daemonUrl(st)}${ADMIN_PREFIX}/health`, { signal: AbortSignal.timeout(timeoutMs) });
      return res.ok;
    } catch {
      return false;
    }
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const st = this.state();
    if (!st) throw daemonUnreachable('(not running)');
    const url = `${daemonUrl(st)}${ADMIN_PREFIX}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token()}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw daemonUnreachable(daemonUrl(st), e);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string; hint?: string } } | undefined)?.error;
      throw new WardenError(err?.code ?? 'daemon_error', err?.message ?? `daemon answered ${res.status}`, {
        hint: err?.hint,
        exitCode: res.status >= 500 ? ExitCode.violations : ExitCode.usage,
      });
    }
    return json as T;
  }

  /** Every budget with its current period's spend, reservations and alerts. */
  listBudgets(): Promise<BudgetStatusInfo[]> {
    return this.request<BudgetStatusInfo[]>('GET', '/budgets');
  }

  setBudget(req: BudgetSetRequest): Promise<BudgetStatusInfo & { created: boolean }> {
    return this.request('POST', '/budgets', req);
  }

  /** `ref`: id, `scope:name`, `scope:name:period`, `global`, or a unique name. */
  removeBudget(ref: string): Promise<BudgetInfo & { removed: true }> {
    return this.request('DELETE', `/budgets/${encodeURIComponent(ref)}`);
  }
}
