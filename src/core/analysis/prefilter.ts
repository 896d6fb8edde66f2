// The engine's pre-filter: from a rule, a necessary condition on a file's text (words its patterns
// spell out, literals its regexes cannot match without), so a rule whose condition fails is not run
// on that file at all. A requirement only ever says "cannot match here"; when in doubt it says
// nothing (null). Hand-written: it reads ast-grep rule objects and Rust regex syntax, which no
// library does, and it must stay conservative in ways a general regex analyser is not built for.
import type { RuleObject } from './rule-schema.js';

/** A necessary condition on a file's text: all/any of sub-conditions, a literal it must contain, or none (null). */
export type Requirement = { all: Requirement[] } | { any: Requirement[] } | { word: string } | null;

/** Literals shorter than this are in almost every file: they cost a check and filter nothing. */
const MIN_LITERAL = 3;
const MAX_LITERAL = 64;

const METAVAR = /\$\$\$(?:[A-Z_][A-Z0-9_]*)?|\$\$?[A-Z_][A-Z0-9_]*/g;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/g;

function simplify(kind: 'all' | 'any', parts: Requirement[]): Requirement {
  if (kind === 'all') {
    const real = parts.filter((p): p is Exclude<Requirement, null> => p !== null);
    if (real.length === 0) return null;
    return real.length === 1 ? real[0] : { all: real };
  }
  if (parts.length === 0 || parts.some((p) => p === null)) return null;
  return parts.length === 1 ? parts[0] : { any: parts };
}

/** The identifiers a pattern spells out (metavariables removed); the longest few are required. */
export function patternRequirement(pattern: string): Requirement {
  const words = new Set(pattern.replace(METAVAR, ' ').match(WORD) ?? []);
  const best = [...words].filter((w) => w.length >= 2).sort((a, b) => b.length - a.length).slice(0, 3);
  return simplify('all', best.map((word) => ({ word })));
}

/**
 * Literals a Rust-syntax regex cannot match without: per alternative, the runs of plain characters
 * that every match contains. Case-insensitive or verbose regexes, and anything not understood,
 * give null.
 */
export function regexRequirement(src: string): Requirement {
  if (/\(\?[a-zA-Z-]*[ix]/.test(src)) return null;
  let i = 0;
  let failed = false;

  const skipTo = (close: string): void => {
    while (i < src.length && src[i] !== close) i++;
    i++;
  };

  const parseAlternation = (): Requirement => {
    const alts = [parseSequence()];
    while (src[i] === '|') {
      i++;
      alts.push(parseSequence());
    }
    return simplify('any', alts);
  };

  const parseSequence = (): Requirement => {
    const parts: Requirement[] = [];
    let lit = '';
    const flush = (): void => {
      if (lit.length >= MIN_LITERAL) parts.push({ word: lit.slice(0, MAX_LITERAL) });
      lit = '';
    };
    while (i < src.length && src[i] !== '|' && src[i] !== ')' && !failed) {
      const c = src[i];
      let atomChar: string | undefined;
      let group: Requirement = null;
      let isGroup = false;
      if (c === '\\') {
        const n = src[i + 1];
        i += 2;
        if (n === undefined) {
          failed = true;
          break;
        }
        if (n === 'x' || n === 'u' || n === 'U') {
          if (src[i] === '{') skipTo('}');
          else i += n === 'x' ? 2 : n === 'u' ? 4 : 8;
        } else if (n === 'p' || n === 'P') {
          if (src[i] === '{') skipTo('}');
          else i += 1;
        } else if (/[^A-Za-z0-9]/.test(n)) {
          atomChar = n;
        }
        // Other escapes (\d \w \s \b \n \t ...) stand for a class or a position: no literal.
      } else if (c === '(') {
        i++;
        if (src[i] === '?') {
          // (?:...), (?P<name>...), (?<name>...), (?flags:...), or a bare (?flags).
          i++;
          if (src[i] === 'P' || src[i] === '<') {
            skipTo('>');
          } else {
            while (i < src.length && src[i] !== ':' && src[i] !== ')') i++;
            if (src[i] === ')') {
              i++;
              continue;
            }
            i++;
          }
        }
        group = parseAlternation();
        if (src[i] !== ')') {
          failed = true;
          break;
        }
        i++;
        isGroup = true;
      } else if (c === '[') {
        i++;
        if (src[i] === '^') i++;
        if (src[i] === ']') i++;
        let depth = 1;
        while (i < src.length && depth > 0) {
          if (src[i] === '\\') i += 2;
          else {
            if (src[i] === '[') depth++;
            else if (src[i] === ']') depth--;
            i++;
          }
        }
      } else if (c === '.' || c === '^' || c === '$') {
        i++;
      } else {
        atomChar = c;
        i++;
      }

      // Quantifier: an atom that may be absent ends the run and requires nothing; one that may
      // repeat is required once and then ends the run (`ab+c` need not contain "abc").
      let optional = false;
      let repeats = false;
      const q = src[i];
      if (q === '?' || q === '*') {
        optional = true;
        i++;
      } else if (q === '+') {
        repeats = true;
        i++;
      } else if (q === '{' && /^\{\d+(,\d*)?\}/.test(src.slice(i))) {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i)) as RegExpExecArray;
        i += m[0].length;
        if (Number(m[1]) === 0) optional = true;
        else if (m[2] !== undefined || Number(m[1]) > 1) repeats = true;
      }
      if (src[i] === '?' && (optional || repeats || q === '{')) i++; // lazy modifier

      if (optional) {
        flush();
        continue;
      }
      if (atomChar !== undefined) {
        lit += atomChar;
        if (repeats) flush();
      } else {
        flush();
        if (isGroup) parts.push(group);
      }
    }
    flush();
    return simplify('all', parts);
  };

  const req = parseAlternation();
  if (failed || i < src.length) return null;
  return req;
}

/**
 * What a rule object needs of the text to match anywhere: a pattern needs its words (a pattern
 * object's context need not be present, so it needs nothing), a regex its literals, a relational
 * rule its target; `not`, kinds and positions need nothing. Utility rules are followed (a cycle
 * among them requires nothing).
 */
export function ruleRequirement(r: RuleObject | undefined, utils: Record<string, RuleObject> | undefined): Requirement {
  return requirementWalk(r, utils, true);
}

/**
 * What a rule object needs of the text of the node it matches (not of the file): its pattern words,
 * regex literals and what its `has` sub-rules need; context rules (inside, precedes, follows) look
 * outside the node and say nothing about it.
 */
export function nodeRequirement(r: RuleObject | undefined, utils: Record<string, RuleObject> | undefined): Requirement {
  return requirementWalk(r, utils, false);
}

function requirementWalk(r: RuleObject | undefined, utils: Record<string, RuleObject> | undefined, context: boolean): Requirement {
  const memo = new Map<string, Requirement>();
  const visiting = new Set<string>();
  const relations = context ? (['inside', 'has', 'precedes', 'follows'] as const) : (['has'] as const);
  const walk = (x: RuleObject | undefined, depth: number): Requirement => {
    if (!x || depth > 200) return null;
    const parts: Requirement[] = [];
    if (typeof x.pattern === 'string') parts.push(patternRequirement(x.pattern));
    if (x.regex) parts.push(regexRequirement(x.regex));
    for (const k of relations) if (x[k]) parts.push(walk(x[k], depth + 1));
    if (x.all) parts.push(simplify('all', x.all.map((s) => walk(s, depth + 1))));
    if (x.any) parts.push(simplify('any', x.any.map((s) => walk(s, depth + 1))));
    if (x.matches && utils?.[x.matches]) {
      const name = x.matches;
      if (memo.has(name)) parts.push(memo.get(name) as Requirement);
      else if (!visiting.has(name)) {
        visiting.add(name);
        const req = walk(utils[name], depth + 1);
        visiting.delete(name);
        memo.set(name, req);
        parts.push(req);
      }
    }
    return simplify('all', parts);
  };
  return walk(r, 0);
}

/** Single metavariables a rule object always binds when it matches: those of its own and its `all` members' patterns. */
function alwaysBound(r: RuleObject): Set<string> {
  const out = new Set<string>();
  const from = (p: RuleObject['pattern']) => {
    if (typeof p !== 'string') return;
    for (const m of p.matchAll(/(?<!\$)\$([A-Z_][A-Z0-9_]*)/g)) if (m[1] !== '_') out.add(m[1]);
  };
  from(r.pattern);
  for (const s of r.all ?? []) from(s.pattern);
  return out;
}

/**
 * ruleRequirement of a whole rule config: its rule, plus the constraints on metavariables the rule
 * always binds (ast-grep lets a match through when a constrained variable is unbound).
 */
export function configRequirement(config: { rule: RuleObject; utils?: Record<string, RuleObject>; constraints?: Record<string, RuleObject> }): Requirement {
  const parts = [ruleRequirement(config.rule, config.utils)];
  const bound = alwaysBound(config.rule);
  for (const [name, c] of Object.entries(config.constraints ?? {})) if (bound.has(name)) parts.push(ruleRequirement(c, config.utils));
  return simplify('all', parts);
}

/**
 * Answers "does the text contain this literal?" quickly for many literals: a bitmap of the text's
 * character trigrams rules most absent literals out without scanning the text; the rest (and
 * literals shorter than three characters) are confirmed with a scan. Answers are memoised.
 */
export class TextIndex {
  private bits: Uint32Array | undefined;
  private readonly memo = new Map<string, boolean>();
  constructor(private readonly text: string) {}

  private static hash(a: number, b: number, c: number): number {
    return ((a * 961 + b * 31 + c) >>> 0) & 0xffff;
  }

  private build(): Uint32Array {
    const bits = new Uint32Array(2048);
    const t = this.text;
    for (let i = 0; i + 2 < t.length; i++) {
      const h = TextIndex.hash(t.charCodeAt(i), t.charCodeAt(i + 1), t.charCodeAt(i + 2));
      bits[h >>> 5] |= 1 << (h & 31);
    }
    return bits;
  }

  has(word: string): boolean {
    const known = this.memo.get(word);
    if (known !== undefined) return known;
    let v = true;
    if (word.length >= 3) {
      const bits = (this.bits ??= this.build());
      for (let i = 0; i + 2 < word.length; i++) {
        const h = TextIndex.hash(word.charCodeAt(i), word.charCodeAt(i + 1), word.charCodeAt(i + 2));
        if ((bits[h >>> 5] & (1 << (h & 31))) === 0) {
          v = false;
          break;
        }
      }
    }
    if (v) v = this.text.includes(word);
    this.memo.set(word, v);
    return v;
  }
}

/** Whether `req` holds, with `has(word)` telling whether the text contains a literal. */
export function satisfied(req: Requirement, has: (w: string) => boolean): boolean {
  if (req === null) return true;
  if ('word' in req) return has(req.word);
  if ('all' in req) return req.all.every((r) => satisfied(r, has));
  return req.any.some((r) => satisfied(r, has));
}
