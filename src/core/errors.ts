// Typed, coded, located errors and the one exit-code table every command maps to.

/** Exit codes (DESIGN.md, conventions §4). */
export const ExitCode = {
  ok: 0,
  violations: 1,
  usage: 2,
  daemonUnreachable: 3,
  remoteReportFailed: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorLocation {
  file: string;
  line?: number;
  col?: number;
}

export interface WardenErrorOptions {
  hint?: string;
  location?: ErrorLocation;
  exitCode?: ExitCode;
  cause?: unknown;
}

/**
 * The error every layer throws for a failure a user can act on. `code` is a stable
 * kebab/snake identifier (it appears in --json output); `message` never contains secrets.
 */
export class WardenError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly location?: ErrorLocation;
  readonly exitCode: ExitCode;

  constructor(code: string, message: string, opts: WardenErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'WardenError';
    this.code = code;
    this.hint = opts.hint;
    this.location = opts.location;
    this.exitCode = opts.exitCode ?? ExitCode.usage;
  }

  /** `warden: <code>: <message>` with `file:line:col` prefix and hint line where present. */
  format(): string {
    const loc = this.location
      ? `${this.location.file}${this.location.line ? `:${this.location.line}` : ''}${this.location.col ? `:${this.location.col}` : ''}: `
      : '';
    let out = `warden: ${this.code}: ${loc}${this.message}`;
    if (this.hint) out += `\n  hint: ${this.hint}`;
    return out;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.location ? { location: this.location } : {}),
    };
  }
}

export function isWardenError(e: unknown): e is WardenError {
  return e instanceof WardenError;
}

export function daemonUnreachable(url: string, cause?: unknown): WardenError {
  return new WardenError('daemon_unreachable', `the Warden daemon is not reachable at ${url}`, {
    hint: 'start it with `warden up` (background) or `warden daemon run` (foreground)',
    exitCode: ExitCode.daemonUnreachable,
    cause,
  });
}
