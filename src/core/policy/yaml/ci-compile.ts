// Conditions of YAML `phase: ci` policies compiled to closures over the CI input document
// (ci-input.ts): `findings`, `config` and `changes`, plus all/any/not, `time` and `principal`
// shared with request policies. Also picks the findings a rule's message templates list.
// The schema has already rejected request-only keys in a ci policy (schema.ts checkPhase).
import picomatch from 'picomatch';
import { severityRank } from '../../analysis/types.js';
import type { CiFinding, CiPolicyInput } from '../ci-input.js';
import type { ConditionDoc } from './schema.js';
import { globs, principalTest, timeTest, type Test } from './shared-conditions.js';

export type CiTest = Test<CiPolicyInput>;

/** The keys of one condition mapping, in file order, each compiled on its own (for --explain). */
export function compileCiConditions(c: ConditionDoc): { key: string; test: CiTest }[] {
  const out: { key: string; test: CiTest }[] = [];
  for (const key of Object.keys(c) as (keyof ConditionDoc)[]) {
    if (c[key] === undefined) continue;
    out.push({ key, test: compileKey(c, key) });
  }
  return out;
}

function compileCondition(c: ConditionDoc): CiTest {
  const tests = compileCiConditions(c).map((t) => t.test);
  if (tests.length === 1) return tests[0];
  return (input) => {
    for (const t of tests) if (!t(input)) return false;
    return true;
  };
}

function compileKey(c: ConditionDoc, key: keyof ConditionDoc): CiTest {
  switch (key) {
    case 'all': {
      const parts = c.all!.map(compileCondition);
      return (input) => {
        for (const p of parts) if (!p(input)) return false;
        return true;
      };
    }
    case 'any': {
      const parts = c.any!.map(compileCondition);
      return (input) => {
        for (const p of parts) if (p(input)) return true;
        return false;
      };
    }
    case 'not': {
      const inner = compileCondition(c.not!);
      return (input) => !inner(input);
    }
    case 'time':
      return timeTest(c.time!);
    case 'principal':
      return principalTest(c.principal!);
    case 'findings': {
      const f = c.findings!;
      const select = findingFilter(f);
      const min = f.min_count ?? 1;
      return (input) => {
        let n = 0;
        for (const x of input.scan.findings) if (select(x) && ++n >= min) return true;
        return false;
      };
    }
    case 'config': {
      const { present, valid } = c.config!;
      return (input) => (present === undefined || input.config.present === present) && (valid === undefined || input.config.valid === valid);
    }
    case 'changes':
      return changesTest(c.changes!);
    default:
      // The schema's phase check lets no other key through to a ci policy.
      throw new Error(`${key} is not a ci condition`);
  }
}

/**
 * Path globs as ast-grep's `files:` reads them (and `warden scan` rules do): picomatch, `**`
 * crossing directories, dotfiles included, and a glob without `/` matching a base name at any depth.
 */
function pathMatcher(g: string | readonly string[]): (p: string) => boolean {
  const list = typeof g === 'string' ? [g] : [...g];
  return picomatch(
    list.map((x) => (x.includes('/') ? x.replace(/^\.\//, '') : `**/${x}`)),
    { dot: true },
  );
}

type FindingsDoc = NonNullable<ConditionDoc['findings']>;

/** Whether one finding passes every filter of a `findings` condition. */
function findingFilter(f: FindingsDoc): (x: CiFinding) => boolean {
  const minRank = f.min_severity ? severityRank(f.min_severity) : 0;
  const packs = f.packs !== undefined ? globs(f.packs) : undefined;
  const rules = f.rules !== undefined ? globs(f.rules) : undefined;
  const paths = f.paths !== undefined ? pathMatcher(f.paths) : undefined;
  const withSuppressed = f.include_suppressed ?? false;
  return (x) => {
    if (x.suppressed && !withSuppressed) return false;
    if (minRank > 0 && severityRank(x.severity) < minRank) return false;
    if (packs) {
      const pack = x.pack;
      if (pack === null || !packs.some((re) => re.test(pack))) return false;
    }
    if (rules && !rules.some((re) => re.test(x.rule_id))) return false;
    if (paths && !paths(x.path)) return false;
    return true;
  };
}

function changesTest(t: NonNullable<ConditionDoc['changes']>): CiTest {
  const checks: CiTest[] = [];
  if (t.files !== undefined || t.min_files !== undefined) {
    const match = t.files !== undefined ? pathMatcher(t.files) : undefined;
    const min = t.min_files ?? 1;
    checks.push((i) => {
      // Without a glob the count is exact even when the listed paths are truncated.
      if (!match) return i.changes.file_count >= min;
      let n = 0;
      for (const p of i.changes.files) if (match(p) && ++n >= min) return true;
      return n >= min;
    });
  }
  const added = t.added_lines;
  if (added !== undefined) {
    checks.push((i) => {
      const v = i.changes.added_lines;
      if (typeof added === 'number') return v === added;
      if (added.present === false) return false;
      return (
        (added.gt === undefined || v > added.gt) &&
        (added.gte === undefined || v >= added.gte) &&
        (added.lt === undefined || v < added.lt) &&
        (added.lte === undefined || v <= added.lte) &&
        (added.eq === undefined || v === added.eq) &&
        (added.ne === undefined || v !== added.ne)
      );
    });
  }
  return (i) => {
    for (const c of checks) if (!c(i)) return false;
    return true;
  };
}

/**
 * The findings a rule's messages list ({{ findings_count }}, {{ findings_rules }},
 * {{ findings_locations }}): those its first `findings` condition (depth first, in file order,
 * outside `not`) selects; undefined when the rule has none (the template then lists every
 * unsuppressed finding).
 */
export function ciFindingsSelector(when: ConditionDoc | undefined): ((input: CiPolicyInput) => CiFinding[]) | undefined {
  const doc = when ? firstFindings(when) : undefined;
  if (!doc) return undefined;
  const select = findingFilter(doc);
  return (input) => input.scan.findings.filter(select);
}

function firstFindings(c: ConditionDoc): FindingsDoc | undefined {
  for (const key of Object.keys(c) as (keyof ConditionDoc)[]) {
    if (key === 'findings' && c.findings) return c.findings;
    if (key === 'all' || key === 'any') {
      for (const x of c[key] ?? []) {
        const f = firstFindings(x);
        if (f) return f;
      }
    }
  }
  return undefined;
}
