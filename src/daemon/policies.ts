// The daemon's loaded policies: the built-in and global packs for every request, plus a
// repository's `.warden/policies` for requests of sessions `warden run` started in it. Polls the
// policy directories and hot-reloads on change; a load with errors keeps the last good set, and
// the errors are logged, audited and shown by `warden status`. Versions go to the store's history.
import fs from 'node:fs';
import path from 'node:path';
import type { Principal } from '../core/auth/key-cache.js';
import { findRepoRoot } from '../core/config/load.js';
import type { Clock } from '../core/deps.js';
import type { WardenError } from '../core/errors.js';
import type { PolicyEngine } from '../core/policy/decision.js';
import { PolicySetHolder } from '../core/policy/packs/holder.js';
import { formatLoadError, policyDirs, type PolicyDir } from '../core/policy/packs/loader.js';
import type { Store } from '../core/store/db.js';
import { recordVersions } from '../core/store/repos/policies.js';
import type { Logger } from '../core/util/logger.js';

export interface PolicyRuntimeDeps {
  configDir: string;
  store: Store;
  clock: Clock;
  logger: Logger;
  audit: (type: string, subject: string | null, data: Record<string, unknown>) => void;
  /** Flush queued audit events before the history writes its own (one hash chain). */
  flush: () => void;
  /** How often the policy directories are checked for changes; 0 disables. */
  pollMs: number;
}

export interface PolicyStatus {
  /** Policies of the global set (built-in + global dir). */
  loaded: number;
  /** Repositories with their own policies, by root. */
  repos: string[];
  /** The latest load's errors per set: "file:line:col: code: message". */
  errors: string[];
}

interface Watched {
  holder: PolicySetHolder;
  dirs: readonly PolicyDir[];
  signature: string;
  label: string;
}

const POLICY_FILE = /\.(ya?ml|rego)$/i;

/**
 * Names, inodes, sizes and mtimes of the policy files under the dirs: changes when any file does.
 * Skips hidden entries as the loader does (editor swap and lock files must not trigger reloads).
 * The inode catches a file replaced by rename within one mtime tick (timestamps are coarse).
 */
function signature(dirs: readonly PolicyDir[]): string {
  const parts: string[] = [];
  const visit = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      parts.push(`${dir}:absent`);
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory() && depth < 4) visit(full, depth + 1);
      else if (POLICY_FILE.test(e.name)) {
        try {
          const st = fs.statSync(full);
          parts.push(`${full}:${st.ino}:${st.size}:${st.mtimeMs}`);
        } catch {
          // vanished between readdir and stat: the next poll sees it
        }
      }
    }
  };
  for (const d of dirs) visit(d.dir, 0);
  return parts.sort().join('\n');
}

export class PolicyRuntime {
  private readonly global: Watched;
  private readonly repos = new Map<string, Watched>();
  private readonly sessionRepo = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: PolicyRuntimeDeps) {
    const dirs = policyDirs({ configDir: deps.configDir });
    this.global = this.open(dirs, 'global');
    if (deps.pollMs > 0) {
      this.timer = setInterval(() => this.poll(), deps.pollMs);
      this.timer.unref();
    }
  }

  /** The engine for a request: its session's repository set, else the global one. */
  engineFor(principal: Principal): PolicyEngine {
    const root = principal.sessionId ? this.sessionRepo.get(principal.sessionId) : undefined;
    const w = root ? this.repos.get(root) : undefined;
    return (w ?? this.global).holder.engine;
  }

  /** A session started in `cwd`: when its repository has `.warden/policies`, its requests get them. */
  attachSession(sessionId: string, cwd: string | null | undefined): void {
    if (!cwd) return;
    const root = findRepoRoot(cwd);
    if (!root || !fs.existsSync(path.join(root, '.warden', 'policies'))) return;
    if (!this.repos.has(root)) this.repos.set(root, this.open(policyDirs({ configDir: this.deps.configDir, repoRoot: root }), root));
    this.sessionRepo.set(sessionId, root);
  }

  detachSession(sessionId: string): void {
    this.sessionRepo.delete(sessionId);
  }

  status(): PolicyStatus {
    // Every repository set also loads the built-in and global dirs: one bad global file is an
    // error of each set, but one line for the reader.
    const errors = new Set<string>();
    for (const w of [this.global, ...this.repos.values()]) for (const e of w.holder.lastErrors) errors.add(formatLoadError(e));
    return { loaded: this.global.holder.set.policies.length, repos: [...this.repos.keys()], errors: [...errors] };
  }

  /** Checks every set's files now; reloads those that changed. */
  poll(): void {
    for (const w of [this.global, ...this.repos.values()]) {
      const sig = signature(w.dirs);
      if (sig === w.signature) continue;
      w.signature = sig;
      this.reload(w);
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private open(dirs: readonly PolicyDir[], label: string): Watched {
    const sig = signature(dirs);
    // CI policies in the same directories are `warden ci`'s: they must not replace a request built-in by name.
    const holder = new PolicySetHolder({ dirs, clock: this.deps.clock, phases: ['request', 'response'] });
    const w: Watched = { holder, dirs, signature: sig, label };
    this.reportErrors(w, holder.lastErrors, false);
    this.record(w);
    this.deps.logger.info({ set: label, policies: holder.set.policies.length, errors: holder.lastErrors.length }, 'policies loaded');
    return w;
  }

  private reload(w: Watched): void {
    const r = w.holder.reload();
    if (!r.swapped) {
      this.reportErrors(w, r.errors, true);
      return;
    }
    this.deps.logger.info({ set: w.label, changed: r.changed, removed: r.removed }, 'policies reloaded');
    this.deps.audit('policy.reloaded', w.label, { changed: r.changed, removed: r.removed, policies: w.holder.set.policies.length });
    this.record(w);
  }

  private reportErrors(w: Watched, errors: readonly WardenError[], keptOld: boolean): void {
    if (errors.length === 0) return;
    const lines = errors.map(formatLoadError);
    this.deps.logger.error({ set: w.label, errors: lines, kept_previous: keptOld }, 'policy load failed');
    this.deps.audit('policy.load_failed', w.label, { errors: lines, kept_previous: keptOld });
  }

  private record(w: Watched): void {
    try {
      this.deps.flush();
      recordVersions(this.deps.store, w.holder.set, { actor: 'daemon', now: this.deps.clock.now() });
    } catch (e) {
      this.deps.logger.error({ err: (e as Error).message }, 'recording policy versions failed');
    }
  }
}
