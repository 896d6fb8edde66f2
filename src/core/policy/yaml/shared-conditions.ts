// YAML conditions both input documents support — globs over a field, `time` and `principal` — as
// closures generic over the document, so request and CI policies compile them the same way.
// Globs here are Warden's config globs (`*` any run, `?` one character, case-insensitive).
import { globToRegExp } from '../../config/schema.js';
import type { PolicyInput } from '../decision.js';
import type { ConditionDoc } from './schema.js';

/** A compiled condition over input document `I`. */
export type Test<I> = (input: I) => boolean;

/** What `time` and `principal` read: both documents have these two fields. */
export interface SharedFields {
  principal: PolicyInput['principal'];
  time: PolicyInput['time'];
}

export function globs(g: string | readonly string[]): RegExp[] {
  return (typeof g === 'string' ? [g] : g).map(globToRegExp);
}

/** Holds when the field is set and one of the globs matches it. */
export function globTest<I>(g: string | readonly string[], get: (i: I) => string | null): Test<I> {
  const res = globs(g);
  if (res.length === 1) {
    const re = res[0];
    return (i) => {
      const v = get(i);
      return v !== null && re.test(v);
    };
  }
  return (i) => {
    const v = get(i);
    if (v === null) return false;
    for (const re of res) if (re.test(v)) return true;
    return false;
  };
}

export function timeTest(t: NonNullable<ConditionDoc['time']>): Test<SharedFields> {
  let window: ((minutes: number) => boolean) | undefined;
  if (t.hours) {
    const [a, b] = t.hours.split('-').map((hm) => {
      const [h, m] = hm.split(':').map(Number);
      return h * 60 + m;
    });
    if (a === b) window = () => true;
    else if (a < b) window = (m) => m >= a && m < b;
    else window = (m) => m >= a || m < b;
  }
  const days = t.weekdays ? new Set<string>(t.weekdays) : undefined;
  return (i) => {
    if (days && !days.has(i.time.weekday)) return false;
    if (window && !window(i.time.hour * 60 + i.time.minute)) return false;
    return true;
  };
}

export function principalTest(p: NonNullable<ConditionDoc['principal']>): Test<SharedFields> {
  const checks: Test<SharedFields>[] = [];
  const field = (g: string | string[] | undefined, get: (i: SharedFields) => string | null): void => {
    if (g !== undefined) checks.push(globTest(g, get));
  };
  field(p.projects, (i) => i.principal.project);
  field(p.teams, (i) => i.principal.team);
  field(p.users, (i) => i.principal.user);
  field(p.keys, (i) => i.principal.key);
  field(p.sessions, (i) => i.principal.session);
  if (p.tags) {
    for (const [k, g] of Object.entries(p.tags)) {
      const re = globToRegExp(g);
      checks.push((i) => {
        const v = i.principal.tags[k];
        return v !== undefined && re.test(v);
      });
    }
  }
  return (i) => {
    for (const c of checks) if (!c(i)) return false;
    return true;
  };
}
