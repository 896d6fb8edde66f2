// Prompt-injection heuristic: weighted signals (instruction overrides, jailbreak personas, system
// prompt extraction, fake role delimiters, instructions hidden in base64 or invisible Unicode),
// combined by noisy-OR into a 0..1 score. Each signal fires at most once, with a fixed weight, so
// the score is deterministic and explainable by the list of signals. No library covers this in
// Node (the maintained detectors are Python models or hosted APIs), hence hand-written.
import { Buffer } from 'node:buffer';
import type { InjectionResult, InjectionSignal } from './types.js';

/**
 * One phrase rule: a sticky regex over the lower-cased text, tried only where one of its trigger
 * words starts. One pass of a trigger regex finds those places, so the cost is one scan of the
 * text plus a few anchored attempts, whatever the number of rules.
 */
interface PhraseRule {
  signal: string;
  triggers: readonly string[];
  re: RegExp;
}

const QUALIFIER = '(?:previous|prior|above|earlier|preceding|foregoing|original|initial|system|developer|safety|existing|old)';
const RULE_WORD = '(?:instructions?|prompts?|rules|directions|guidelines|guardrails|constraints|restrictions|polic(?:y|ies)|programming|directives|context)';
const LIMITS = '(?:restrictions|limitations|filters|filtering|censorship|guardrails|guidelines|polic(?:y|ies)|ethics|morals)';
const OVERRIDE_VERBS = ['ignore', 'disregard', 'forget', 'override', 'bypass', 'skip', 'abandon', 'discard'];
const MODE_WORDS = ['developer', 'god', 'jailbreak', 'jailbroken', 'unrestricted', 'unfiltered', 'uncensored', 'evil', 'opposite', 'sudo', 'debug'];
const EXTRACT_VERBS = ['reveal', 'show', 'print', 'display', 'output', 'repeat', 'recite', 'dump', 'leak', 'expose', 'tell', 'give', 'share', 'write', 'spell', 'what'];

const rule = (signal: string, triggers: readonly string[], source: string): PhraseRule => ({ signal, triggers, re: new RegExp(source, 'y') });

const RULES: readonly PhraseRule[] = [
  rule(
    'instruction_override',
    OVERRIDE_VERBS,
    `(?:${OVERRIDE_VERBS.join('|')})\\s+(?:(?:(?:all|any|each|every|of|the|your|my|these|those|its)\\s+){0,3}${QUALIFIER}\\s+(?:[a-z]+\\s+){0,2}?|(?:all|any|every)\\s+(?:(?:of\\s+)?(?:the|your)\\s+)?)${RULE_WORD}\\b`,
  ),
  rule('instruction_override', ['do', 'don'], `(?:do\\s+not|don'?t)\\s+follow\\s+(?:(?:all|any|the|your|these|those)\\s+){0,2}${QUALIFIER}\\s+${RULE_WORD}\\b`),
  rule('new_instructions', ['new', 'updated', 'real', 'actual', 'true', 'revised'], '(?:new|updated|real|actual|true|revised)\\s+(?:system\\s+)?instructions?\\s*:'),
  rule('new_instructions', ['from'], "from\\s+now\\s+on,?\\s+(?:you\\s+(?:are|will|must|shall|should|have)|your\\s+(?:only|new|sole))\\b"),
  rule('new_instructions', ['your'], 'your\\s+(?:new|real|true)\\s+(?:role|task|goal|objective|purpose|instructions)\\b'),
  rule('jailbreak_persona', ['do'], 'do\\s+anything\\s+now\\b'),
  rule('jailbreak_persona', MODE_WORDS, `(?:${MODE_WORDS.join('|')})\\s+mode\\b`),
  rule('jailbreak_persona', ['jailbreak', 'jailbroken', 'jailbreaking'], 'jailbr(?:eak|oken|eaking)\\b'),
  rule(
    'jailbreak_persona',
    ['you', 'act', 'acting', 'pretend', 'roleplay', 'role', 'become'],
    "(?:you\\s+are\\s+now|act\\s+as|acting\\s+as|pretend\\s+(?:to\\s+be|you\\s+are|you're)|roleplay\\s+as|role-play\\s+as|become)\\s+(?:an?\\s+|the\\s+)?(?:unrestricted|unfiltered|uncensored|evil|rogue|jailbroken|amoral|unethical|unaligned|unbound)\\b",
  ),
  rule(
    'restriction_removal',
    ['without', 'with', 'free', 'no', 'not', 'unbound'],
    `(?:without|with\\s+no|free\\s+(?:of|from)|no\\s+longer\\s+(?:bound|restricted)\\s+by|not\\s+bound\\s+by|unbound\\s+by)\\s+(?:(?:any|all)\\s+(?:of\\s+)?)?(?:(?:your|the|its|ethical|moral|safety|content)\\s+){0,2}${LIMITS}\\b`,
  ),
  rule(
    'system_prompt_extraction',
    EXTRACT_VERBS,
    "(?:reveal|show|print|display|output|repeat|recite|dump|leak|expose|tell\\s+me|give\\s+me|share|write\\s+out|spell\\s+out|what\\s+(?:is|are|was|were))\\s+(?:me\\s+)?(?:all\\s+)?(?:of\\s+)?(?:your|the)\\s+(?:(?:full|entire|exact|complete|original|initial|hidden|secret|internal|verbatim)\\s+){0,2}(?:system\\s+(?:prompt|message|instructions)|(?:initial|hidden|secret|original)\\s+(?:prompt|instructions)|instructions\\s+(?:above|you\\s+were\\s+given)|prompt\\s+above|pre-?prompt|developer\\s+(?:message|instructions))\\b",
  ),
  rule('system_prompt_extraction', ['repeat'], 'repeat\\s+(?:the\\s+|all\\s+(?:the\\s+)?)?(?:words|text|everything|content)\\s+above\\b'),
  rule('system_prompt_extraction', ['everything'], 'everything\\s+(?:above|before)\\s+this\\s+(?:line|message|point)\\b'),
  // A line that is only `System:` / `### New instructions:` opens a fake turn.
  rule('role_delimiter', ['system', 'new'], '(?<=(?:^|\\n)[ \\t]*(?:#{1,3}[ \\t]*)?)(?:system|new\\s+instructions?)[ \\t]*:[ \\t]*(?=\\r?\\n|$)'),
];

/** Chat-template tokens and tags that fake a role boundary; a match fires role_delimiter. */
const DELIMITERS = '<\\|(?:im_start|im_end|system|assistant|user|endoftext|start_header_id|end_header_id|eot_id)\\|>|\\[/?inst\\]|<</?sys>>|</?(?:system|system_prompt|instructions)>';
/** A markdown image whose URL carries prompt data out (rendering it makes the request). */
const EXFIL = /!\[[^\]\n]{0,100}\]\(https?:\/\/[^)\s]{1,200}\?[^)\s]{0,300}(?:\{|%7b|prompt|secret|token|password|history|conversation|data=)/y;
const DAN = /\b(?:you\s+are|you're|act\s+as|acting\s+as|called|named|become)\s+(?:now\s+)?DAN\b|\bDAN\s+(?:mode|prompt|jailbreak)\b/i;

const BY_TRIGGER = new Map<string, PhraseRule[]>();
for (const r of RULES) for (const t of r.triggers) BY_TRIGGER.set(t, [...(BY_TRIGGER.get(t) ?? []), r]);
// Two passes (words, then delimiters and `![`): one combined alternation defeats V8's word scan
// and costs more than both.
const TRIGGER = new RegExp(`\\b(?:${[...BY_TRIGGER.keys()].sort((a, b) => b.length - a.length).join('|')})\\b`, 'g');
const SYMBOLS = new RegExp(`${DELIMITERS}|!\\[`, 'g');

const PHRASE_WEIGHTS: Readonly<Record<string, number>> = {
  instruction_override: 0.5,
  new_instructions: 0.25,
  jailbreak_persona: 0.45,
  restriction_removal: 0.3,
  system_prompt_extraction: 0.45,
  role_delimiter: 0.3,
  exfiltration_url: 0.2,
};

const INVISIBLE_PRESENT = /[\u200B-\u200D\u2060-\u2064\uFEFF\u180E\u202A-\u202E\u2066-\u2069\uDB40]/;
const MIN_BLOB = 24;
const MAX_BLOB = 8192;
const MAX_DECODES = 32;

function isEmojiNeighbour(c: number): boolean {
  return (c >= 0xdc00 && c <= 0xdfff) || (c >= 0xd800 && c <= 0xdbff) || c === 0xfe0f || (c >= 0x2600 && c <= 0x27bf) || c === 0x20e3;
}

/** Scripts that use ZWJ/ZWNJ legitimately (Arabic, Persian, Indic). */
function isJoiningScript(c: number): boolean {
  return (c >= 0x0600 && c <= 0x08ff) || (c >= 0x0900 && c <= 0x0dff) || (c >= 0xfb50 && c <= 0xfeff);
}

interface Invisible {
  zeroWidth: number;
  bidi: number;
  tags: string; // ASCII carried by tag characters outside flag sequences
  tagCount: number;
}

function isInvisible(c: number): boolean {
  return (
    (c >= 0x200b && c <= 0x200d) ||
    (c >= 0x2060 && c <= 0x2064) ||
    c === 0xfeff ||
    c === 0x180e ||
    (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2066 && c <= 0x2069) ||
    c === 0xdb40
  );
}

/** Counts invisible characters from `from` on (a plain loop: on hostile input most characters are). */
function scanInvisible(text: string, from: number): Invisible {
  const r: Invisible = { zeroWidth: 0, bidi: 0, tags: '', tagCount: 0 };
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x180e || !isInvisible(c)) continue;
    if (c === 0xdb40) {
      const low = text.charCodeAt(i + 1);
      if (low < 0xdc00 || low > 0xdc7f) continue;
      // Subdivision flags (🏴 + tag letters + U+E007F cancel) are the one legitimate use.
      if (inFlagSequence(text, i)) continue;
      r.tagCount++;
      const ascii = low - 0xdc00;
      if (ascii >= 0x20 && ascii < 0x7f && r.tags.length < 4096) r.tags += String.fromCharCode(ascii);
      continue;
    }
    if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) {
      r.bidi++;
      continue;
    }
    if (c === 0xfeff && i === 0) continue;
    if (c === 0x200d || c === 0x200c) {
      const prev = i > 0 ? text.charCodeAt(i - 1) : 0;
      const next = text.charCodeAt(i + 1);
      if (c === 0x200d && isEmojiNeighbour(prev) && isEmojiNeighbour(next)) continue;
      if (isJoiningScript(prev) || isJoiningScript(next)) continue;
    }
    r.zeroWidth++;
  }
  return r;
}

/** The text without zero-width characters (a loop: on hostile input they may be most of it). */
function stripZeroWidth(text: string, from: number): string {
  let out = text.slice(0, from);
  let seg = from;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x200b && c <= 0x200d) || (c >= 0x2060 && c <= 0x2064) || c === 0xfeff || c === 0x180e) {
      if (i > seg) out += text.slice(seg, i);
      seg = i + 1;
    }
  }
  return seg < text.length ? out + text.slice(seg) : out;
}

/** True when the tag character at `i` belongs to a 🏴 (U+1F3F4) subdivision flag sequence. */
function inFlagSequence(text: string, i: number): boolean {
  let j = i;
  // Walk back over tag characters (each a surrogate pair) to what precedes them.
  for (let n = 0; n < 8 && j >= 2 && text.charCodeAt(j - 2) === 0xdb40; n++) j -= 2;
  return j >= 2 && text.charCodeAt(j - 2) === 0xd83c && text.charCodeAt(j - 1) === 0xdff4;
}

function phraseSignals(text: string, fired: Set<string>): void {
  const lower = text.toLowerCase();
  TRIGGER.lastIndex = 0;
  for (let m = TRIGGER.exec(lower); m !== null; m = TRIGGER.exec(lower)) {
    for (const r of BY_TRIGGER.get(m[0]) ?? []) {
      if (fired.has(r.signal)) continue;
      r.re.lastIndex = m.index;
      if (r.re.test(lower)) fired.add(r.signal);
    }
  }
  SYMBOLS.lastIndex = 0;
  for (let m = SYMBOLS.exec(lower); m !== null; m = SYMBOLS.exec(lower)) {
    if (m[0] !== '![') {
      fired.add('role_delimiter');
      continue;
    }
    if (fired.has('exfiltration_url')) continue;
    EXFIL.lastIndex = m.index;
    if (EXFIL.test(lower)) fired.add('exfiltration_url');
  }
  if (!fired.has('jailbreak_persona') && text.indexOf('DAN') >= 0 && DAN.test(text)) fired.add('jailbreak_persona');
}

function isBase64Char(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 45 || c === 95;
}

/**
 * True when a base64 blob (a run of at least MIN_BLOB base64/base64url characters) decodes to
 * readable text that itself carries injection phrases. Runs are found Boyer–Moore style: test the
 * last character of a MIN_BLOB window first and jump past any non-base64 character, so prose
 * (short words) costs about one look per MIN_BLOB characters.
 */
function encodedInstructions(text: string): boolean {
  const n = text.length;
  let decodes = 0;
  let i = 0;
  while (i + MIN_BLOB <= n && decodes < MAX_DECODES) {
    let j = i + MIN_BLOB - 1;
    while (j >= i && isBase64Char(text.charCodeAt(j))) j--;
    if (j >= i) {
      i = j + 1;
      continue;
    }
    // text[i, i + MIN_BLOB) is base64 and text[i - 1] is not: a run starts at i.
    let end = i + MIN_BLOB;
    while (end < n && isBase64Char(text.charCodeAt(end))) end++;
    const blob = text.slice(i, Math.min(end, i + MAX_BLOB));
    i = end + 1;
    // Encoded prose mixes cases; hex digests and identifiers do not.
    if (!/[a-z]/.test(blob) || !/[A-Z]/.test(blob)) continue;
    decodes++;
    const decoded = Buffer.from(blob, 'base64').toString('latin1');
    let printable = 0;
    for (let k = 0; k < decoded.length; k++) {
      const c = decoded.charCodeAt(k);
      if ((c >= 32 && c < 127) || c === 10 || c === 13 || c === 9) printable++;
    }
    if (decoded.length < 12 || printable / decoded.length < 0.9) continue;
    const inner = new Set<string>();
    phraseSignals(decoded, inner);
    if (inner.size > 0) return true;
  }
  return false;
}

const WEIGHTS: Readonly<Record<string, number>> = {
  ...PHRASE_WEIGHTS,
  encoded_instructions: 0.45,
  hidden_tag_text: 0.6,
  tag_characters: 0.35,
  bidi_control: 0.3,
  zero_width: 0.2,
  zero_width_cluster: 0.35,
};

/** Signal ids and weights, for documentation and policies that want to name them. */
export const INJECTION_SIGNALS: Readonly<Record<string, number>> = WEIGHTS;

export function detectInjection(text: string): InjectionResult {
  const fired = new Set<string>();
  phraseSignals(text, fired);
  if (encodedInstructions(text)) fired.add('encoded_instructions');
  // The class holds only non-Latin-1 characters, so V8 rejects a one-byte string without scanning it.
  const firstInvisible = text.search(INVISIBLE_PRESENT);
  if (firstInvisible >= 0) {
    const inv = scanInvisible(text, firstInvisible);
    if (inv.tagCount > 0) {
      const hidden = inv.tags.trim();
      fired.add(hidden.length >= 3 ? 'hidden_tag_text' : 'tag_characters');
      // Text smuggled in tag characters is scanned like visible text.
      if (hidden.length >= 3) phraseSignals(hidden, fired);
    }
    if (inv.bidi > 0) fired.add('bidi_control');
    // Zero-width characters inside words hide phrases from plain matching: scan without them.
    if (inv.zeroWidth > 0) phraseSignals(stripZeroWidth(text, firstInvisible), fired);
    // Eight or more invisible characters reads as an encoding, not a stray paste.
    if (inv.zeroWidth >= 8) fired.add('zero_width_cluster');
    else if (inv.zeroWidth > 0) fired.add('zero_width');
  }
  const signals: InjectionSignal[] = [];
  let keep = 1;
  for (const id of fired) {
    const weight = WEIGHTS[id] as number;
    signals.push({ id, weight });
    keep *= 1 - weight;
  }
  signals.sort((a, b) => b.weight - a.weight || (a.id < b.id ? -1 : 1));
  return { score: Math.round((1 - keep) * 1000) / 1000, signals };
}
