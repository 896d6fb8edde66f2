// Keeps the daemon's current policy set and its engine for hot reload: a reload that produces any
// error (a file that fails to parse, validate or compile) keeps the last good set and returns the
// errors, so a broken edit never replaces working policies. Watching files is the caller's job.
import type { Clock } from '../../deps.js';
import type { WardenError } from '../../errors.js';
import { PolicyEngine } from '../decision.js';
import { loadPolicySet, type LoadPolicyOptions, type PolicyDir, type PolicySet } from './loader.js';

export interface PolicySetHolderOptions extends LoadPolicyOptions {
  /** The directories to load, asked again on every reload (a repo may appear later). */
  dirs: readonly PolicyDir[] | (() => readonly PolicyDir[]);
  clock: Pick<Clock, 'monotonic'>;
  maxSteps?: number;
}

export interface ReloadResult {
  /** True when the new set replaced the old one. */
  swapped: boolean;
  /** The new load's errors; non-empty means the last good set was kept. */
  errors: WardenError[];
  /** Policies whose version differs from the previous set's (by name), or that are new. */
  changed: string[];
  /** Names in the previous set that the new one lacks. */
  removed: string[];
}

export class PolicySetHolder {
  private currentSet: PolicySet;
  private currentEngine: PolicyEngine;
  private errors: WardenError[];
  private readonly opts: PolicySetHolderOptions;

  /**
   * Loads once. With no last good set to fall back on, the first load is installed even when some
   * files failed (the others still protect traffic); its errors are in `lastErrors`.
   */
  constructor(opts: PolicySetHolderOptions) {
    this.opts = opts;
    this.currentSet = this.load();
    this.currentEngine = this.engineFor(this.currentSet);
    this.errors = this.currentSet.errors;
  }

  get set(): PolicySet {
    return this.currentSet;
  }

  get engine(): PolicyEngine {
    return this.currentEngine;
  }

  /** Errors of the latest load attempt (empty after a clean reload): for `warden status`. */
  get lastErrors(): readonly WardenError[] {
    return this.errors;
  }

  /** Loads again; swaps only when the new load has no errors. */
  reload(): ReloadResult {
    const next = this.load();
    this.errors = next.errors;
    if (next.errors.length > 0) return { swapped: false, errors: next.errors, changed: [], removed: [] };
    const before = new Map(this.currentSet.policies.map((p) => [p.meta.name, p.meta.version]));
    const changed = next.policies.filter((p) => before.get(p.meta.name) !== p.meta.version).map((p) => p.meta.name);
    const names = new Set(next.policies.map((p) => p.meta.name));
    const removed = [...before.keys()].filter((n) => !names.has(n));
    this.currentSet = next;
    this.currentEngine = this.engineFor(next);
    return { swapped: true, errors: [], changed, removed };
  }

  private load(): PolicySet {
    const dirs = typeof this.opts.dirs === 'function' ? this.opts.dirs() : this.opts.dirs;
    return loadPolicySet(dirs, { ...(this.opts.fs ? { fs: this.opts.fs } : {}), ...(this.opts.phases ? { phases: this.opts.phases } : {}) });
  }

  private engineFor(set: PolicySet): PolicyEngine {
    return new PolicyEngine(set.policies, { clock: this.opts.clock, ...(this.opts.maxSteps !== undefined ? { maxSteps: this.opts.maxSteps } : {}) });
  }
}
