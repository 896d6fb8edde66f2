// Delegation to a `semgrep` binary for the rules the translator cannot map: detecting the binary,
// running `semgrep --json` and converting its output (semgrep_output_v1's cli_output) into Warden
// findings fingerprinted exactly as the ast-grep engine fingerprints its own.
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import nodePath from 'node:path';
import { parseDocument, isMap, isSeq, isScalar } from 'yaml';
import { WardenError } from '../../errors.js';
import { fingerprint, occurrenceCounter } from '../fingerprint.js';
import type { Finding, Position } from '../types.js';
import { mapSemgrepSeverity, translateMetadata } from './translate.js';

export interface ProcessResult {
  /** Exit code; null when the process was killed by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell. Rejects when it cannot be started (ENOENT: not on PATH). */
export type ProcessRunner = (command: string, args: readonly string[], opts: { cwd?: string; timeoutMs?: number }) => Promise<ProcessResult>;

/** semgrep's JSON for a large repository can be big, but not unboundedly so. */
const MAX_OUTPUT_BYTES = 512 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;
const SNIPPET_MAX = 300;

/** The default runner: child_process.spawn with a timeout and an output bound. */
export const nodeProcessRunner: ProcessRunner = (command, args, opts) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let failure: Error | undefined;
    const kill = (e: Error): void => {
      failure ??= e;
      child.kill('SIGKILL');
    };
    const timer = opts.timeoutMs ? setTimeout(() => kill(new Error(`${command} timed out after ${opts.timeoutMs} ms`)), opts.timeoutMs) : undefined;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT_BYTES) kill(new Error(`${command} printed more than ${MAX_OUTPUT_BYTES} bytes`));
      else into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      if (failure) reject(failure);
      else resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });

/** True when a `semgrep` binary on PATH answers `semgrep --version`. */
export async function semgrepAvailable(runner: ProcessRunner = nodeProcessRunner): Promise<boolean> {
  try {
    const r = await runner('semgrep', ['--version'], { timeoutMs: 60_000 });
    return r.code === 0;
  } catch {
    return false;
  }
}

/** A problem semgrep reported that did not stop the run (a file it could not parse, a timeout). */
export interface SemgrepDiagnostic {
  level: 'error' | 'warn' | 'info';
  type: string;
  message: string;
  /** Relative to the scan root, when the problem is about one file. */
  path?: string;
  ruleId?: string;
}

export interface RunSemgrepOptions {
  runner?: ProcessRunner;
  /** Reads a file's bytes (matched text and exact columns come from the file). */
  readFile?: (absPath: string) => Promise<Uint8Array>;
  timeoutMs?: number;
  /** Told about every non-fatal problem in semgrep's `errors` list. */
  onDiagnostic?: (d: SemgrepDiagnostic) => void;
}

/**
 * Runs `semgrep --json` with `rulesFile` over `paths` (relative to `root`, or absolute; all of
 * `root` when empty) and returns its results as findings with root-relative paths. Semgrep's exit
 * codes other than 0 and 1 mean the run failed: a WardenError `semgrep_failed` with its message.
 */
export async function runSemgrep(rulesFile: string, paths: readonly string[], root: string, opts: RunSemgrepOptions = {}): Promise<Finding[]> {
  const runner = opts.runner ?? nodeProcessRunner;
  const readFile = opts.readFile ?? ((p: string) => fsp.readFile(p));
  const rulesAbs = nodePath.resolve(root, rulesFile);
  let ruleIds: string[] = [];
  try {
    ruleIds = ruleIdsOf(Buffer.from(await readFile(rulesAbs)).toString('utf8'));
  } catch {
    // Unreadable here means semgrep reports it below; ids only map prefixed check_ids back.
  }
  const args = ['--config', rulesAbs, '--json', '--metrics', 'off', '--disable-version-check', '--quiet', ...(paths.length ? paths : ['.'])];
  let res: ProcessResult;
  try {
    res = await runner('semgrep', args, { cwd: root, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  } catch (e) {
    const notFound = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new WardenError('semgrep_failed', notFound ? 'semgrep is not installed (no `semgrep` on PATH)' : `semgrep could not run: ${(e as Error).message}`, {
      cause: e,
      hint: notFound ? 'install semgrep, or drop the rules Warden could not translate' : undefined,
    });
  }
  let output: unknown;
  try {
    output = JSON.parse(res.stdout);
  } catch {
    throw new WardenError('semgrep_failed', `semgrep exited with code ${res.code} without JSON output: ${lastLine(res.stderr)}`);
  }
  if (res.code !== 0 && res.code !== 1) {
    const fatal = errorsOf(output, root).find((d) => d.level === 'error');
    throw new WardenError('semgrep_failed', `semgrep exited with code ${res.code}: ${fatal?.message ?? lastLine(res.stderr)}`);
  }
  const { findings, diagnostics } = await convertSemgrepOutput(output, { root, readFile, ruleIds });
  for (const d of diagnostics) opts.onDiagnostic?.(d);
  return findings;
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n');
  return lines[lines.length - 1] || '(no output)';
}

function ruleIdsOf(yamlText: string): string[] {
  const data: unknown = parseDocument(yamlText).toJS();
  if (!isObj(data) || !Array.isArray(data.rules)) return [];
  return data.rules.filter(isObj).map((r) => r.id).filter((id): id is string => typeof id === 'string');
}

/**
 * The YAML of `yamlText` with only the rules whose id is in `ids` (comments and layout kept), for
 * handing the untranslated rules of a file to semgrep without running the translated ones twice.
 */
export function semgrepRulesSubset(yamlText: string, ids: Iterable<string>): string {
  const keep = new Set(ids);
  const doc = parseDocument(yamlText);
  const rules = isMap(doc.contents) ? doc.contents.get('rules', true) : undefined;
  if (isSeq(rules)) {
    rules.items = rules.items.filter((item) => {
      if (!isMap(item)) return false;
      const id = item.get('id', true);
      return isScalar(id) && keep.has(String(id.value));
    });
  }
  return doc.toString();
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Semgrep prefixes rule ids with the config file's directories (`rules.my-rule`); map them back. */
function ruleIdFor(checkId: string, ruleIds: readonly string[]): string {
  if (ruleIds.includes(checkId)) return checkId;
  let best: string | undefined;
  for (const id of ruleIds) if (checkId.endsWith(`.${id}`) && (!best || id.length > best.length)) best = id;
  return best ?? checkId;
}

function relPath(root: string, p: string): string {
  return nodePath.relative(root, nodePath.resolve(root, p)).split(nodePath.sep).join('/');
}

function errorsOf(output: unknown, root: string): SemgrepDiagnostic[] {
  if (!isObj(output) || !Array.isArray(output.errors)) return [];
  return output.errors.filter(isObj).map((e) => {
    const level = e.level === 'error' || e.level === 'warn' ? e.level : 'info';
    const type = typeof e.type === 'string' ? e.type : Array.isArray(e.type) && typeof e.type[0] === 'string' ? e.type[0] : 'unknown';
    const message = String(e.message ?? e.long_msg ?? e.short_msg ?? type).trim();
    return {
      level,
      type,
      message,
      ...(typeof e.path === 'string' ? { path: relPath(root, e.path) } : {}),
      ...(typeof e.rule_id === 'string' ? { ruleId: e.rule_id } : {}),
    };
  });
}

export interface ConvertOptions {
  root: string;
  readFile: (absPath: string) => Promise<Uint8Array>;
  /** Rule ids of the config, to undo semgrep's path prefix on check_id. */
  ruleIds?: readonly string[];
}

/**
 * semgrep's `--json` output (cli_output: results[], errors[]) → findings and diagnostics. Lines,
 * UTF-16 columns and the matched text come from the file via the byte offsets when semgrep gives
 * them (offset ≥ 0), else from its line/col and `extra.lines`.
 */
export async function convertSemgrepOutput(
  output: unknown,
  opts: ConvertOptions,
): Promise<{ findings: Finding[]; diagnostics: SemgrepDiagnostic[] }> {
  if (!isObj(output) || !Array.isArray(output.results)) {
    throw new WardenError('semgrep_failed', 'semgrep output has no results list (expected `semgrep --json` output)');
  }
  const files = new Map<string, Promise<Buffer | undefined>>();
  const bytesOf = (rel: string): Promise<Buffer | undefined> => {
    let p = files.get(rel);
    if (!p) {
      p = opts
        .readFile(nodePath.resolve(opts.root, rel))
        .then((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength))
        .catch(() => undefined);
      files.set(rel, p);
    }
    return p;
  };
  const pending: (Omit<Finding, 'fingerprint'> & { text: string })[] = [];
  for (const r of output.results) {
    if (!isObj(r) || typeof r.check_id !== 'string' || typeof r.path !== 'string' || !isObj(r.start) || !isObj(r.end)) continue;
    const extra = isObj(r.extra) ? r.extra : {};
    const path = relPath(opts.root, r.path);
    const bytes = await bytesOf(path);
    const loc = locateMatch(bytes, r.start, r.end, extra);
    const meta = translateMetadata(isObj(extra.metadata) ? extra.metadata : {});
    const owaspLlm = (meta.owasp ?? []).filter((o) => /^LLM\d{2}/i.test(o));
    pending.push({
      ruleId: ruleIdFor(r.check_id, opts.ruleIds ?? []),
      severity: (typeof extra.severity === 'string' && mapSemgrepSeverity(extra.severity)) || 'medium',
      message: typeof extra.message === 'string' ? extra.message.trim() : '',
      path,
      start: loc.start,
      end: loc.end,
      snippet: loc.text.length > SNIPPET_MAX ? `${loc.text.slice(0, SNIPPET_MAX)}…` : loc.text,
      text: loc.text,
      ...(meta.cwe ? { cwe: meta.cwe } : {}),
      ...(owaspLlm.length ? { owaspLlm } : {}),
      ...(meta.confidence ? { confidence: meta.confidence } : {}),
      ...(typeof extra.fix === 'string' ? { fix: extra.fix } : {}),
      ...(extra.is_ignored === true ? { suppressed: { kind: 'inline' as const, justification: 'nosemgrep' } } : {}),
    });
  }
  pending.sort(
    (a, b) =>
      (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) ||
      a.start.line - b.start.line ||
      a.start.column - b.start.column ||
      (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0),
  );
  const occurrences = occurrenceCounter();
  const findings = pending.map(({ text, ...f }) => ({
    ...f,
    fingerprint: fingerprint(f.ruleId, f.path, text, occurrences.next(f.ruleId, f.path, text)),
  }));
  return { findings, diagnostics: errorsOf(output, opts.root) };
}

function locateMatch(
  buf: Buffer | undefined,
  start: Record<string, unknown>,
  end: Record<string, unknown>,
  extra: Record<string, unknown>,
): { start: Position; end: Position; text: string } {
  const so = num(start.offset);
  const eo = num(end.offset);
  if (buf && so !== undefined && eo !== undefined && so >= 0 && eo >= so && eo <= buf.length) {
    return { start: positionAt(buf, so), end: positionAt(buf, eo), text: buf.subarray(so, eo).toString('utf8') };
  }
  const lines = typeof extra.lines === 'string' && extra.lines !== 'requires login' ? extra.lines : '';
  return {
    start: { line: num(start.line) ?? 1, column: num(start.col) ?? 1 },
    end: { line: num(end.line) ?? num(start.line) ?? 1, column: num(end.col) ?? 1 },
    text: lines.trim(),
  };
}

const lineStartsCache = new WeakMap<Buffer, number[]>();

/** 1-based line and UTF-16 column of a byte offset (line starts indexed once per file). */
function positionAt(buf: Buffer, offset: number): Position {
  let starts = lineStartsCache.get(buf);
  if (!starts) {
    starts = [0];
    for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, i + 1)) starts.push(i + 1);
    lineStartsCache.set(buf, starts);
  }
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: buf.subarray(starts[lo], offset).toString('utf8').length + 1 };
}
