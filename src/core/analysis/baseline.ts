// Baselines (`--write-baseline FILE`, `--baseline FILE`): a JSON file of the fingerprints of findings
// a team has accepted, so a scan reports only new ones. Owns the file format (version 1, below), its
// validation (any problem is exit 2 naming the file, line and what is wrong) and the marking of
// known findings as suppressed {kind: 'baseline'} — they stay in the report (SARIF carries them as
// external suppressions) but no longer count for --fail-on.
//
//   { "version": 1, "tool": "warden", "created": "<ISO 8601>", "toolVersion"?: "…",
//     "fingerprints": [ { "fingerprint": "<sha-256 hex>", "rule": "<rule id>", "path": "<path>" }, … ] }
//
// rule and path are for the humans reviewing a baseline change; matching uses the fingerprint only,
// which already covers rule id and path and survives edits that only shift lines.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { parseYamlWithSchema } from '../config/load.js';
import { type Clock, systemClock } from '../deps.js';
import { ExitCode, WardenError } from '../errors.js';
import type { Finding } from './types.js';

export const BASELINE_VERSION = 1;
/** A baseline larger than this is refused rather than read (DESIGN §10). */
export const MAX_BASELINE_BYTES = 64 * 1024 * 1024;

export interface BaselineEntry {
  fingerprint: string;
  rule: string;
  path: string;
}

export interface Baseline {
  version: 1;
  tool: 'warden';
  created: string;
  toolVersion?: string;
  fingerprints: BaselineEntry[];
  /** The file it was read from (not stored in the file); names the suppression's justification. */
  file?: string;
}

export interface BaselineMeta {
  /** ISO 8601 creation time; default: now by `clock`. */
  created?: string;
  clock?: Clock;
  toolVersion?: string;
}

const entrySchema = z.strictObject({
  fingerprint: z.string().min(1).max(256),
  rule: z.string(),
  path: z.string(),
});

const baselineSchema = z.strictObject({
  version: z.literal(BASELINE_VERSION),
  tool: z.literal('warden'),
  created: z.string().min(1),
  toolVersion: z.string().optional(),
  fingerprints: z.array(entrySchema),
});

const KNOWN_KEYS: Record<string, string[]> = {
  '': ['version', 'tool', 'created', 'toolVersion', 'fingerprints'],
  'fingerprints.*': ['fingerprint', 'rule', 'path'],
};

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The baseline document for `findings`: one entry per fingerprint, sorted by path, rule and
 * fingerprint so regenerating it yields a reviewable diff. Inline-suppressed findings are left out
 * (their comment already suppresses them); baseline-suppressed ones stay, so rewriting a baseline
 * while applying it keeps what was accepted and still exists.
 */
export function buildBaseline(findings: readonly Finding[], meta: BaselineMeta = {}): Baseline {
  const byFp = new Map<string, BaselineEntry>();
  for (const f of findings) {
    if (f.suppressed?.kind === 'inline') continue;
    if (!byFp.has(f.fingerprint)) byFp.set(f.fingerprint, { fingerprint: f.fingerprint, rule: f.ruleId, path: f.path });
  }
  const fingerprints = [...byFp.values()].sort((a, b) => cmp(a.path, b.path) || cmp(a.rule, b.rule) || cmp(a.fingerprint, b.fingerprint));
  const created = meta.created ?? new Date((meta.clock ?? systemClock).now()).toISOString();
  const b: Baseline = { version: BASELINE_VERSION, tool: 'warden', created, fingerprints };
  if (meta.toolVersion) b.toolVersion = meta.toolVersion;
  return b;
}

/** Writes the baseline for `findings` to `file` atomically (temp file + rename), mode 0644. */
export function writeBaseline(file: string, findings: readonly Finding[], meta: BaselineMeta = {}): void {
  const b = buildBaseline(findings, meta);
  const doc: Record<string, unknown> = { version: b.version, tool: b.tool, created: b.created };
  if (b.toolVersion) doc.toolVersion = b.toolVersion;
  doc.fingerprints = b.fingerprints;
  const text = `${JSON.stringify(doc, null, 2)}\n`;

  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    fs.mkdirSync(dir, { recursive: true });
    const fd = fs.openSync(tmp, 'wx', 0o644);
    try {
      fs.writeFileSync(fd, text);
      fs.fchmodSync(fd, 0o644); // the umask may have narrowed the create mode
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new WardenError('baseline_write_failed', `cannot write baseline: ${(e as Error).message}`, {
      location: { file },
      exitCode: ExitCode.usage,
      cause: e,
    });
  }
}

/** Line and column (1-based) of a character offset. */
function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

/**
 * A JSON.parse failure as a short reason and, where it can be found, its line and column: from the
 * message's "at position N" (newer V8), else from the YAML parser's first error (JSON is YAML).
 */
function describeJsonError(text: string, message: string): { detail: string; line?: number; col?: number } {
  const token = /^Unexpected token '(.+?)', /.exec(message);
  const detail = token ? `unexpected "${token[1]}"` : message.replace(/\s+in JSON at position \d+[\s\S]*$/, '').split('\n')[0];
  const at = /at position (\d+)/.exec(message);
  if (at) return { detail, ...lineCol(text, Number(at[1])) };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const err = doc.errors[0];
  if (err) {
    const pos = lineCounter.linePos(err.pos[0]);
    return { detail, line: pos.line, col: pos.col };
  }
  return { detail };
}

/**
 * Reads and validates a baseline. Every problem — missing, unreadable, too large, not JSON, wrong
 * version or shape — is a WardenError with exit code 2, the file (and line where there is one) and
 * what is wrong.
 */
export function readBaseline(file: string): Baseline {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) throw new WardenError('baseline_invalid', 'is a directory, expected a baseline JSON file', { location: { file } });
    if (st.size > MAX_BASELINE_BYTES) {
      throw new WardenError('baseline_invalid', `is larger than ${MAX_BASELINE_BYTES / 1024 / 1024} MiB`, { location: { file } });
    }
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof WardenError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new WardenError('baseline_not_found', `baseline file not found: ${file}`, {
        location: { file },
        hint: 'create it with `warden scan --write-baseline FILE`',
        cause: e,
      });
    }
    throw new WardenError('baseline_unreadable', `cannot read baseline: ${(e as Error).message}`, { location: { file }, cause: e });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  try {
    JSON.parse(text);
  } catch (e) {
    if (text.trim() === '') {
      throw new WardenError('baseline_invalid', 'baseline file is empty, expected JSON', {
        location: { file, line: 1, col: 1 },
        hint: 'regenerate it with `warden scan --write-baseline FILE`',
      });
    }
    const { detail, line, col } = describeJsonError(text, (e as Error).message);
    throw new WardenError('baseline_invalid', `not valid JSON: ${detail}`, {
      location: { file, ...(line ? { line, col } : {}) },
      hint: 'regenerate it with `warden scan --write-baseline FILE`',
      cause: e,
    });
  }

  // JSON is YAML: the YAML validator points at the line and column of the offending key or value.
  const parsed = parseYamlWithSchema(text, file, baselineSchema, {
    code: 'baseline_invalid',
    known: (p) => KNOWN_KEYS[p.map((s) => (typeof s === 'number' ? '*' : String(s))).join('.')],
  });
  const b: Baseline = { version: BASELINE_VERSION, tool: 'warden', created: parsed.created, fingerprints: parsed.fingerprints, file };
  if (parsed.toolVersion !== undefined) b.toolVersion = parsed.toolVersion;
  return b;
}

/**
 * Marks findings whose fingerprint is in the baseline as suppressed {kind: 'baseline'} (justification:
 * the baseline's file). Returns a new array in the same order; nothing is dropped, and a finding
 * already suppressed inline keeps that suppression.
 */
export function applyBaseline(findings: readonly Finding[], baseline: Baseline): Finding[] {
  const known = new Set(baseline.fingerprints.map((e) => e.fingerprint));
  return findings.map((f) => {
    if (f.suppressed || !known.has(f.fingerprint)) return f;
    return { ...f, suppressed: { kind: 'baseline', justification: baseline.file ?? 'baseline' } };
  });
}
