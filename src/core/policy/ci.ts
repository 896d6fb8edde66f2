// CI policy evaluation for `warden ci`: the one entry point the orchestrator calls. Checks the
// repository's own Warden config (checkRepoConfig), builds the CI input document
// (buildCiPolicyInput, from ci-input.ts), and loads and evaluates the `ci`-phase packs — the
// built-in ones in the package's policies/ci, the global and repository policy directories and
// any --policies paths — through the same engine facade as the proxy (evaluateCiPolicies).
import nodeFs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfigText, readConfigFile } from '../config/load.js';
import type { Clock } from '../deps.js';
import { WardenError } from '../errors.js';
import {
  CI_CONFIG_FILE,
  CI_POLICY_DIR,
  boundErrors,
  ciConfigBlock,
  type CiConfigBlock,
  type CiConfigFileState,
  type CiPolicyFilesState,
  type CiPolicyInput,
} from './ci-input.js';
import { PolicyEngine, type Decision, type PolicyMeta } from './decision.js';
import { loadPolicySet, policyDirs, type LoadPolicyOptions, type PolicyDir, type PolicySet } from './packs/loader.js';

export {
  MAX_CI_CHANGED_FILES,
  MAX_CI_CONFIG_ERRORS,
  MAX_CI_FINDINGS,
  buildCiPolicyInput,
  completeCiPolicyInput,
  isCiInputDoc,
  type CiConfigBlock,
  type CiContextLike,
  type CiFinding,
  type CiPolicyInput,
  type CiPolicyInputParts,
} from './ci-input.js';

/**
 * Rego steps per CI policy. Higher than the proxy's per-request bound: a CI run evaluates once per
 * job, and its input may list thousands of findings (MAX_CI_FINDINGS).
 */
export const CI_MAX_STEPS = 1_000_000;

/** The built-in CI packs of this package (policies/ci at the package root). */
export function builtinCiPolicyDir(): string {
  // src/core/policy/ci.ts and dist/core/policy/ci.js are both three levels down.
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../policies/ci');
}

export type RepoConfigFs = NonNullable<LoadPolicyOptions['fs']>;

export interface RepoConfigDeps {
  /** Injected for tests; node:fs by default. */
  fs?: RepoConfigFs;
}

/**
 * The repository's Warden configuration as CI policies see it (`input.config`): whether
 * `.warden/config.yaml` exists and validates (with the config loader's own schema), and whether
 * the policy files under `.warden/policies` load. Errors are `file:line:col: message` with
 * repository-relative paths, as a pull-request comment should show them. Never throws.
 */
export function checkRepoConfig(root: string, deps: RepoConfigDeps = {}): CiConfigBlock {
  const fs = deps.fs ?? nodeFs;
  return ciConfigBlock(checkConfigFile(root, fs), checkPolicyFiles(root, fs));
}

function checkConfigFile(root: string, fs: RepoConfigFs): CiConfigFileState {
  const file = path.join(root, ...CI_CONFIG_FILE.split('/'));
  const state = (present: boolean, errors: string[]): CiConfigFileState => ({ path: CI_CONFIG_FILE, present, valid: errors.length === 0, errors });
  try {
    const text = readConfigFile(file, fs);
    if (text === undefined) return state(false, []);
    // Located against the repository-relative name, so the error reads the same on any runner.
    parseConfigText(text, CI_CONFIG_FILE);
  } catch (e) {
    return state(true, [located(e, root)]);
  }
  return state(true, []);
}

function checkPolicyFiles(root: string, fs: RepoConfigFs): CiPolicyFilesState {
  const dir = path.join(root, ...CI_POLICY_DIR.split('/'));
  const set = loadPolicySet([{ dir, origin: 'repo' }], { fs });
  const errors = boundErrors(set.errors.map((e) => located(e, root)));
  return { path: CI_POLICY_DIR, present: set.policies.length + set.errors.length > 0, count: set.policies.length, errors };
}

/** `file:line:col: message (first hint line)`, the file relative to `root` when it is inside it. */
function located(e: unknown, root: string): string {
  if (!(e instanceof WardenError)) return e instanceof Error ? e.message : String(e);
  const l = e.location;
  let where = '';
  if (l) {
    const rel = path.isAbsolute(l.file) ? path.relative(root, l.file) : l.file;
    const file = rel.startsWith('..') || path.isAbsolute(rel) ? l.file : rel.split(path.sep).join('/');
    where = `${file}${l.line ? `:${l.line}` : ''}${l.col ? `:${l.col}` : ''}: `;
  }
  // The first hint line is the "did you mean" kind; later lines (more errors, caret snippets) are not for a one-liner.
  const hint = e.hint?.split('\n')[0].trim();
  return `${where}${e.message.split('\n')[0]}${hint ? ` (${hint})` : ''}`;
}

export interface CiPolicyDirsOptions {
  /** The repository root; its `.warden/policies` is loaded. */
  root: string;
  /** WardenPaths.configDir: `<configDir>/policies` is loaded when given. */
  configDir?: string;
  /** --policies: extra directories or files, highest precedence. */
  extraPolicyPaths?: readonly string[];
  /** Include the built-in CI packs (default true). */
  builtin?: boolean;
}

/** The directories `warden ci` loads policies from, lowest precedence first: policyDirs() with the CI packs built in. */
export function ciPolicyDirs(opts: CiPolicyDirsOptions): PolicyDir[] {
  return policyDirs({
    builtinDir: builtinCiPolicyDir(),
    builtin: opts.builtin,
    configDir: opts.configDir,
    repoRoot: opts.root,
    extra: (opts.extraPolicyPaths ?? []).map((e) => path.resolve(e)),
  });
}

export interface EvaluateCiPoliciesOptions extends CiPolicyDirsOptions {
  input: CiPolicyInput;
  clock: Pick<Clock, 'monotonic'>;
  /** Fill the decision's per-policy explanation. */
  explain?: boolean;
  /** Rego steps per policy; default CI_MAX_STEPS. */
  maxSteps?: number;
  /** Injected for tests; node:fs by default. */
  fs?: RepoConfigFs;
}

export interface CiPolicyEvaluation {
  /** Violations, errors and the policies evaluated. A strict violation makes the verdict deny. */
  decision: Decision;
  /** One per file that failed to load (located), and one per --policies path that does not exist. */
  loadErrors: WardenError[];
  /** The ci-phase policies loaded (disabled ones included), in load order. */
  policies: PolicyMeta[];
  /** Policies replaced by a later origin's policy of the same name. */
  overridden: PolicySet['overridden'];
}

/**
 * Loads the ci-phase policies (built-in, global, repository, --policies; a later origin replaces
 * an earlier policy of the same name, so a repository turns a built-in pack off by shipping a
 * `phase: ci` policy of that name with `enabled: false`) and evaluates them against `input`.
 * Policies of other phases in those directories are compiled (their errors reported) but take no
 * part, not even in name overrides. A policy that breaks is in decision.errors and, unless it
 * is a monitor policy, fails closed as a violation. Never throws for a policy's fault.
 */
export function evaluateCiPolicies(opts: EvaluateCiPoliciesOptions): CiPolicyEvaluation {
  const fs = opts.fs ?? nodeFs;
  const dirs = ciPolicyDirs(opts);
  const missing: WardenError[] = [];
  for (const d of dirs) {
    if (d.origin !== 'path') continue;
    try {
      fs.statSync(d.dir);
    } catch {
      missing.push(
        new WardenError('path_not_found', `policy path ${d.dir} does not exist`, { location: { file: d.dir }, hint: 'check the --policies path' }),
      );
    }
  }
  const set = loadPolicySet(dirs, { fs, phases: ['ci'] });
  const engine = new PolicyEngine(set.policies, { clock: opts.clock, maxSteps: opts.maxSteps ?? CI_MAX_STEPS });
  const decision = engine.evaluate(opts.input, { phase: 'ci', explain: opts.explain ?? false });
  return { decision, loadErrors: [...missing, ...set.errors], policies: set.policies.map((p) => p.meta), overridden: set.overridden };
}
