// Provider credentials recognisable by their vendor prefix: OpenAI, Anthropic, AWS access key ids
// (and the 40-character secret next to one or to an AWS label), GitHub, GitLab, Slack, Stripe.
// One table; one pass of a regex over all the vendor prefixes finds candidates, and only the rows
// whose prefix starts there are tried, anchored (sticky), at that offset.
import { looksRandom } from '../token-shape.js';
import type { Detector, Finding } from '../types.js';

interface KeyRule {
  type: string;
  /** The first two characters a match can start with (keys of the PREFIX lookup). */
  heads: readonly string[];
  re: RegExp;
  /** Index of the prefix length within the match: the random part is `match.slice(prefix)`. */
  prefix: (match: string) => number;
  confidence: (match: string) => number;
  /** Extra shape test on the whole match; the body must also pass looksRandom. */
  check?: (match: string) => boolean;
  /** How many of upper/lower/digit the body must mix (default 2). */
  classes?: number;
}

const fixed = (n: number) => () => n;

const RULES: readonly KeyRule[] = [
  {
    type: 'ANTHROPIC_KEY',
    heads: ['sk'],
    re: /(?<![\w-])sk-ant-[a-z]{2,8}[0-9]{0,3}-[A-Za-z0-9_-]{32,200}(?![\w-])/y,
    prefix: (s) => s.indexOf('-', 7) + 1,
    confidence: fixed(0.99),
  },
  {
    type: 'OPENAI_KEY',
    heads: ['sk'],
    re: /(?<![\w-])sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,250}(?![\w-])/y,
    prefix: (s) => s.indexOf('-', 3) + 1,
    confidence: fixed(0.98),
  },
  {
    // Legacy user keys: 48 base62 characters, many with the `T3BlbkFJ` marker in the middle.
    type: 'OPENAI_KEY',
    heads: ['sk'],
    re: /(?<![\w-])sk-[A-Za-z0-9]{32,64}(?![\w-])/y,
    prefix: fixed(3),
    confidence: (s) => (s.indexOf('T3BlbkFJ') >= 0 ? 0.99 : 0.85),
  },
  {
    type: 'AWS_ACCESS_KEY',
    heads: ['AK', 'AS', 'AB', 'AC'],
    re: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9])/y,
    prefix: fixed(4),
    confidence: (s) => (s.startsWith('AKIA') ? 0.95 : 0.9),
    // Base32 upper-case: one random id in thirty has no digit.
    classes: 1,
  },
  {
    type: 'GITHUB_TOKEN',
    heads: ['gh'],
    re: /(?<![\w-])gh[opusr]_[A-Za-z0-9]{36,251}(?![\w-])/y,
    prefix: fixed(4),
    confidence: fixed(0.98),
  },
  {
    type: 'GITHUB_TOKEN',
    heads: ['gi'],
    re: /(?<![\w-])github_pat_[A-Za-z0-9_]{60,240}(?![\w-])/y,
    prefix: fixed(11),
    confidence: fixed(0.98),
  },
  {
    type: 'GITLAB_TOKEN',
    heads: ['gl'],
    re: /(?<![\w-])gl(?:pat|dt|ptt|rt|oas|cbt)-[A-Za-z0-9_-]{20,100}(?:\.[0-9]{2}\.[a-z0-9]{9})?(?![\w-])/y,
    prefix: (s) => s.indexOf('-') + 1,
    confidence: (s) => (s.startsWith('glpat-') ? 0.97 : 0.9),
  },
  {
    // xoxb-/xoxp-/xoxa-/xoxs-/xoxr-/xoxo- then a numeric team or app id, then the token parts.
    type: 'SLACK_TOKEN',
    heads: ['xo'],
    re: /(?<![\w-])xox[abposr]-[0-9]{1,14}-[A-Za-z0-9-]{8,240}(?![\w-])/y,
    // The numeric team/user ids are not random; the last part is.
    prefix: (s) => s.lastIndexOf('-') + 1,
    confidence: fixed(0.95),
    check: (s) => s.length >= 24,
  },
  {
    // Secret and restricted keys only: `pk_live_` publishable keys are meant to be public.
    type: 'STRIPE_KEY',
    heads: ['sk', 'rk'],
    re: /(?<![\w-])[sr]k_(?:live|test)_[A-Za-z0-9]{20,247}(?![\w-])/y,
    prefix: fixed(8),
    confidence: (s) => (s.indexOf('_live_') >= 0 ? 0.97 : 0.75),
  },
];

const AWS_SECRET = /(?<![A-Za-z0-9\/+])[A-Za-z0-9\/+]{40}(?![A-Za-z0-9\/+=])/g;
const AWS_CONTEXT = /aws|secret.?access|accesskey/i;
const AWS_LABEL_BEFORE = /(?:aws|secret|access)[\w.-]{0,40}["']?\s{0,3}(?::=|=>|[:=])?\s{0,3}["']?$/i;

/**
 * The 40-character AWS secret access key has no prefix: it counts only behind an AWS/secret label
 * (`aws_secret_access_key = …`) or within a few lines after an access key id.
 */
function scanAwsSecrets(text: string, out: Finding[], keyIdEnds: readonly number[]): void {
  if (!AWS_CONTEXT.test(text)) return;
  AWS_SECRET.lastIndex = 0;
  for (let m = AWS_SECRET.exec(text); m !== null; m = AWS_SECRET.exec(text)) {
    const s = m[0];
    // Git SHA-1s and other hex are 40 characters too; a base64 secret mixes cases.
    if (!/[A-Z]/.test(s) || !/[a-z]/.test(s) || !looksRandom(s)) continue;
    const labelled = AWS_LABEL_BEFORE.test(text.slice(Math.max(0, m.index - 80), m.index));
    const nearKeyId = keyIdEnds.some((e) => e <= m!.index && m!.index - e < 300);
    if (!labelled && !nearKeyId) continue;
    out.push({ kind: 'secret', type: 'AWS_SECRET_KEY', start: m.index, end: m.index + s.length, confidence: labelled && nearKeyId ? 0.95 : 0.85 });
  }
}

/**
 * Every vendor prefix, each followed by the rows' look-behind (not glued to a word: `task-`,
 * `xghp_`; for AWS ids only letters and digits glue). Written after the literal so the engine finds
 * the literal first; the rows to try at a hit are looked up by its first two characters.
 */
const PREFIX = new RegExp(
  [
    ...['sk-', 'gh[opusr]_', 'github_pat_', 'gl(?:pat|dt|ptt|rt|oas|cbt)-', 'xox[abposr]-', '[sr]k_(?:live|test)_'].map((p) => `${p}(?<![\\w-]${p})`),
    'A(?:KIA|SIA|BIA|CCA)(?<![A-Za-z0-9]A(?:KIA|SIA|BIA|CCA))',
  ].join('|'),
  'g',
);
const BY_HEAD = new Map<string, KeyRule[]>();
for (const rule of RULES) for (const h of rule.heads) BY_HEAD.set(h, [...(BY_HEAD.get(h) ?? []), rule]);

export const providerKeyDetector: Detector = {
  id: 'provider-keys',
  kind: 'secret',
  types: ['OPENAI_KEY', 'ANTHROPIC_KEY', 'AWS_ACCESS_KEY', 'AWS_SECRET_KEY', 'GITHUB_TOKEN', 'GITLAB_TOKEN', 'SLACK_TOKEN', 'STRIPE_KEY'],
  scan(text: string, out: Finding[]): void {
    const keyIdEnds: number[] = [];
    PREFIX.lastIndex = 0;
    for (let p = PREFIX.exec(text); p !== null; p = PREFIX.exec(text)) {
      for (const rule of BY_HEAD.get(p[0].slice(0, 2)) ?? []) {
        rule.re.lastIndex = p.index;
        const m = rule.re.exec(text);
        if (m === null) continue;
        const s = m[0];
        if (rule.check !== undefined && !rule.check(s)) continue;
        if (!looksRandom(s.slice(rule.prefix(s)), rule.classes)) continue;
        out.push({ kind: 'secret', type: rule.type, start: p.index, end: p.index + s.length, confidence: rule.confidence(s) });
        if (rule.type === 'AWS_ACCESS_KEY') keyIdEnds.push(p.index + s.length);
        PREFIX.lastIndex = p.index + s.length;
        break;
      }
    }
    scanAwsSecrets(text, out, keyIdEnds);
  },
};
