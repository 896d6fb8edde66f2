// `warden scan --format markdown`: a summary for a pull-request comment or GitHub's job summary
// ($GITHUB_STEP_SUMMARY): counts by severity, a table of the most severe findings with file:line
// links, then collapsible details per rule, suppressed findings and skipped files.
// Bounded: GitHub refuses a step summary over 1 MiB, so blocks are added most-important first until
// the byte budget is spent; then open <details> are closed and a note says what was left out.
// Everything taken from findings (messages, snippets, paths) is escaped, so a message cannot break
// the table or inject HTML.
import type { Finding, RuleMeta, ScanReport, ScanSeverity } from '../types.js';
import { SCAN_SEVERITIES, severityRank } from '../types.js';
import { compareByPriority, compareFindings, countFindings } from './json.js';

/** GitHub's limit for one step's job summary. */
export const MARKDOWN_MAX_BYTES = 1024 * 1024;

export interface MarkdownOptions {
  /** Heading; default "Warden scan". */
  title?: string;
  /** Byte budget of the whole document (UTF-8); default and maximum 1 MiB. */
  maxBytes?: number;
  /** Rows of the top-findings table; default 25. */
  topFindings?: number;
  /**
   * Prefix for finding links, e.g. "https://github.com/o/r/blob/<sha>/" (a scan root below the
   * repository root adds its directory). Default: links relative to the document.
   */
  linkBase?: string;
  /** When given, a verdict line says how many findings are at or above it. */
  failOn?: ScanSeverity | 'none';
}

const RESERVE = 1024; // room kept for closing tags and the truncation note

/** Escapes text for a Markdown paragraph or table cell: no HTML, no emphasis, no pipes, one line. */
export function mdEscape(s: string): string {
  return s
    .replace(/\r?\n|\r/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]{}()#+!|~])/g, '\\$1');
}

/** For HTML contexts (a <summary> line is raw HTML: Markdown escapes would show). */
function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Rule notes are Markdown written by rule authors: kept as Markdown, but with HTML neutralised. */
function mdNote(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Fence info string from the file extension (GitHub's highlighter accepts extensions as aliases). */
function fenceLang(p: string): string {
  const m = /\.([A-Za-z0-9]{1,10})$/.exec(p);
  return m ? m[1].toLowerCase() : '';
}

/** Inline code that survives backticks and pipes in the text (pipes would split a table cell). */
function mdCode(s: string): string {
  const one = s.replace(/\r?\n|\r/g, ' ').replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(one.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = one.startsWith('`') || one.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${one}${pad}${fence}`;
}

function codeBlock(text: string, lang: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang.replace(/[^A-Za-z0-9+#-]/g, '')}\n${text.replace(/\r\n?/g, '\n')}\n${fence}`;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function href(f: Finding, base: string): string {
  const p = f.path.split('/').map(encodeURIComponent).join('/');
  const anchor = f.end.line > f.start.line ? `#L${f.start.line}-L${f.end.line}` : `#L${f.start.line}`;
  return `${base}${p}${anchor}`;
}

function link(f: Finding, base: string): string {
  return `[${mdEscape(`${f.path}:${f.start.line}`)}](${href(f, base).replace(/[()\s]/g, (c) => encodeURIComponent(c))})`;
}

class Budget {
  readonly parts: string[] = [];
  private used = 0;
  truncated = false;
  constructor(private readonly max: number) {}
  /** Adds `text` if it fits in the budget; once something did not fit, nothing more is added. */
  add(text: string): boolean {
    if (this.truncated) return false;
    const n = Buffer.byteLength(text, 'utf8');
    if (this.used + n > this.max - RESERVE) {
      this.truncated = true;
      return false;
    }
    this.parts.push(text);
    this.used += n;
    return true;
  }
}

export function renderMarkdown(report: ScanReport, opts: MarkdownOptions = {}): string {
  const maxBytes = Math.min(MARKDOWN_MAX_BYTES, Math.max(RESERVE * 2, opts.maxBytes ?? MARKDOWN_MAX_BYTES));
  const base = opts.linkBase ?? '';
  const counts = countFindings(report.findings);
  const ruleMeta = new Map<string, RuleMeta>();
  for (const r of report.rules) if (!ruleMeta.has(r.id)) ruleMeta.set(r.id, r);

  const open = report.findings.filter((f) => !f.suppressed).sort(compareByPriority);
  const suppressed = report.findings.filter((f) => f.suppressed).sort(compareFindings);
  const out = new Budget(maxBytes);
  let openDetails = 0;
  const shown = new Set<Finding>(); // unsuppressed findings that made it into the table or the details

  // Header and counts: always first, always fit (they are a few hundred bytes).
  const secs = (report.summary.durationMs / 1000).toFixed(1);
  const head = [
    `## ${mdEscape(opts.title ?? 'Warden scan')}`,
    '',
    `**${counts.total} finding${counts.total === 1 ? '' : 's'}** in ${report.summary.files} file${report.summary.files === 1 ? '' : 's'}` +
      (counts.suppressed ? ` · ${counts.suppressed} suppressed` : '') +
      (report.skipped.length ? ` · ${report.skipped.length} not analysed` : '') +
      ` · ${secs} s`,
    '',
  ];
  if (opts.failOn && opts.failOn !== 'none') {
    const failOn = opts.failOn;
    const failing = open.filter((f) => severityRank(f.severity) >= severityRank(failOn)).length;
    head.push(failing ? `**Failed:** ${failing} at or above \`${failOn}\`.` : `**Passed:** none at or above \`${failOn}\`.`, '');
  }
  head.push('| Severity | Findings |', '| --- | ---: |');
  for (const s of [...SCAN_SEVERITIES].reverse()) head.push(`| ${s} | ${counts.bySeverity[s]} |`);
  out.add(`${head.join('\n')}\n`);

  const top = open.slice(0, Math.max(0, opts.topFindings ?? 25));
  if (top.length) {
    const title = open.length > top.length ? `### Top ${top.length} of ${open.length} findings` : '### Findings';
    out.add(`\n${title}\n\n| Severity | Rule | Location | Message |\n| --- | --- | --- | --- |\n`);
    for (const f of top) {
      if (!out.add(`| ${f.severity} | ${mdCode(f.ruleId)} | ${link(f, base)} | ${mdEscape(truncate(f.message, 300))} |\n`)) break;
      shown.add(f);
    }
  }

  if (open.length && !out.truncated) {
    const byRule = new Map<string, Finding[]>();
    for (const f of open) {
      const l = byRule.get(f.ruleId);
      if (l) l.push(f);
      else byRule.set(f.ruleId, [f]);
    }
    const rules = [...byRule.entries()].sort(
      ([a, fa], [b, fb]) => severityRank(fb[0].severity) - severityRank(fa[0].severity) || (a < b ? -1 : a > b ? 1 : 0),
    );
    if (out.add(`\n<details><summary>All findings by rule (${open.length})</summary>\n\n`)) {
      openDetails++;
      for (const [id, list] of rules) {
        const meta = ruleMeta.get(id);
        const note = meta?.note ? `${mdNote(truncate(meta.note.trim(), 1000))}\n\n` : '';
        if (!out.add(`<details><summary><code>${htmlEscape(id)}</code> — ${list.length} (${list[0].severity})</summary>\n\n${note}`)) break;
        openDetails++;
        for (const f of [...list].sort(compareFindings)) {
          const snippet = f.snippet ? `\n\n${codeBlock(truncate(f.snippet, 2000), fenceLang(f.path))}`.replace(/\n/g, '\n  ') : '';
          if (!out.add(`- ${link(f, base)} — ${mdEscape(f.message)}${snippet}\n`)) break;
          shown.add(f);
        }
        if (!out.add('\n</details>\n\n')) break;
        openDetails--;
      }
      if (out.add('</details>\n')) openDetails--;
    }
  }

  if (suppressed.length && out.add(`\n<details><summary>Suppressed (${suppressed.length})</summary>\n\n`)) {
    openDetails++;
    for (const f of suppressed) {
      const why = f.suppressed!.kind === 'baseline' ? 'baseline' : `inline${f.suppressed!.justification ? `: ${mdEscape(truncate(f.suppressed!.justification, 200))}` : ''}`;
      if (!out.add(`- ${link(f, base)} ${mdCode(f.ruleId)} — ${mdEscape(truncate(f.message, 300))} (${why})\n`)) break;
    }
    if (out.add('\n</details>\n')) openDetails--;
  }

  if (report.skipped.length && out.add(`\n<details><summary>Not analysed (${report.skipped.length} file${report.skipped.length === 1 ? '' : 's'})</summary>\n\n`)) {
    openDetails++;
    for (const s of [...report.skipped].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
      if (!out.add(`- ${mdCode(s.path)}: ${mdEscape(s.reason)}\n`)) break;
    }
    if (out.add('\n</details>\n')) openDetails--;
  }

  let text = out.parts.join('');
  if (out.truncated) {
    text += '\n</details>\n'.repeat(openDetails);
    const missing = open.length - shown.size;
    text +=
      `\n> **Truncated:** this summary is limited to ${Math.floor(maxBytes / 1024)} KiB (GitHub's job-summary limit)` +
      (missing > 0 ? `; ${missing} of ${open.length} findings are not listed` : '') +
      '. Use `--format json` or `--format sarif` for the full report.\n';
  }
  return text;
}
