// The shared oclif base: --json, typed-error → exit-code mapping, and the deps every command uses.
import { Command, Flags, type Interfaces } from '@oclif/core';
import Table from 'cli-table3';
import { envFrom, systemClock, type Clock, type Env } from './core/deps.js';
import { ExitCode, WardenError } from './core/errors.js';
import { resolvePaths, type WardenPaths } from './core/paths.js';
import { openStore, type Store } from './core/store/db.js';
import { DaemonClient, daemonUrl } from './core/protocol/client.js';
import { ensureDaemon } from './core/lifecycle/spawn-daemon.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>;
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

export interface CliDeps {
  env: Env;
  clock: Clock;
  paths: WardenPaths;
}

export abstract class BaseCommand<T extends typeof Command> extends Command {
  static enableJsonFlag = true;

  static baseFlags = {};

  protected flags!: BaseFlags<T>;
  protected args!: BaseArgs<T>;
  protected deps!: CliDeps;
  /** Positional words past the declared args (commands with `strict = false`). */
  protected rest: string[] = [];
  private stores: Store[] = [];

  public async init(): Promise<void> {
    await super.init();
    const { args, flags, argv } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as BaseFlags<T>;
    this.args = args as BaseArgs<T>;
    this.rest = argv as string[];
    const env = envFrom(process.env);
    this.deps = { env, clock: systemClock, paths: resolvePaths(env) };
  }

  /** Read-only access to the store for reports (WAL lets them run beside the daemon). */
  protected async readStore(): Promise<Store> {
    const store = await openStore(this.deps.paths.dbFile, { readonly: true });
    this.stores.push(store);
    return store;
  }

  protected client(): DaemonClient {
    return new DaemonClient(this.deps.paths);
  }

  /** A client for a running daemon, starting one in the background first if none answers. */
  protected async daemon(): Promise<DaemonClient> {
    const { started, state } = await ensureDaemon(this.deps.paths);
    if (started) this.note(`warden: started the daemon at ${daemonUrl(state)} (pid ${state.pid}); \`warden down\` stops it`);
    return this.client();
  }

  /** Diagnostics and progress: stderr, never stdout. */
  protected note(msg: string): void {
    process.stderr.write(msg.endsWith('\n') ? msg : `${msg}\n`);
  }

  protected table(head: string[], rows: (string | number | null | undefined)[][]): string {
    const t = new Table({
      head,
      style: { head: process.stdout.isTTY && !process.env.NO_COLOR ? ['cyan'] : [], border: [] },
    });
    for (const r of rows) t.push(r.map((c) => (c === null || c === undefined ? '' : String(c))));
    return t.toString();
  }

  protected async finally(err: Error | undefined): Promise<unknown> {
    for (const s of this.stores) await s.close().catch(() => undefined);
    return super.finally(err);
  }

  protected async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (err instanceof WardenError) {
      if (this.jsonEnabled()) {
        process.stdout.write(`${JSON.stringify({ error: err.toJSON() }, null, 2)}\n`);
      } else {
        process.stderr.write(`${err.format()}\n`);
      }
      process.exitCode = err.exitCode;
      return undefined;
    }
    // oclif's own exits (this.exit, parse errors) keep their codes: parse errors are 2 (usage).
    if (err.oclif?.exit !== undefined) return super.catch(err);
    if (this.jsonEnabled()) {
      process.stdout.write(`${JSON.stringify({ error: { code: 'internal', message: err.message } }, null, 2)}\n`);
    } else {
      process.stderr.write(`warden: internal: ${err.message}\n`);
      if (process.env.WARDEN_DEBUG) process.stderr.write(`${err.stack}\n`);
    }
    process.exitCode = ExitCode.violations;
    return undefined;
  }
}

/** Flags several commands share. */
export const sinceFlag = Flags.string({ description: 'only rows newer than this: a duration (24h, 7d) or an ISO date' });
