import { describe, expect, it } from 'vitest';
import { MARKDOWN_MAX_BYTES, renderMarkdown } from '../../../../src/core/analysis/outputs/markdown.js';
import type { Finding } from '../../../../src/core/analysis/types.js';
import { finding, report } from './fixtures.js';

function count(s: string, needle: string): number {
  return s.split(needle).length - 1;
}

describe('renderMarkdown', () => {
  const findings: Finding[] = [
    finding({ path: 'src/a.ts', line: 3, severity: 'critical' }),
    finding({ path: 'src/a.ts', line: 9, severity: 'low', ruleId: 'security.weak_hash', message: 'md5 | for passwords <script>alert(1)</script>' }),
    finding({ path: 'lib/b c.py', line: 7, severity: 'high', end: { line: 9, column: 1 } }),
    finding({ path: 'src/a.ts', line: 20, severity: 'medium', suppressed: { kind: 'baseline' } }),
  ];

  it('summarises counts by severity, links findings to file:line and shows suppressed and skipped in collapsible sections', () => {
    const md = renderMarkdown(report(findings, { skipped: [{ path: 'x.bin', reason: 'binary file' }] }), { failOn: 'high' });
    expect(md).toContain('**3 findings** in 12 files · 1 suppressed · 1 not analysed');
    expect(md).toContain('**Failed:** 2 at or above `high`.');
    expect(md).toContain('| critical | 1 |');
    expect(md).toContain('| high | 1 |');
    expect(md).toContain('| medium | 0 |'); // the suppressed medium is not counted
    // Most severe first, with relative links (a range for multi-line findings, encoded spaces).
    const rows = md.split('\n').filter((l) => /^\| (critical|high|medium|low|info) \| `/.test(l));
    expect(rows.map((r) => r.split(' | ')[0])).toEqual(['| critical', '| high', '| low']);
    expect(md).toContain('[src/a.ts:3](src/a.ts#L3)');
    expect(md).toContain('[lib/b c.py:7](lib/b%20c.py#L7-L9)');
    expect(md).toContain('<details><summary>Suppressed (1)</summary>');
    expect(md).toContain('<details><summary>Not analysed (1 file)</summary>');
    expect(count(md, '<details>')).toBe(count(md, '</details>'));
    expect(md).not.toContain('Truncated');
    // Rule notes stay Markdown; snippets are fenced with the file's extension.
    expect(md).toContain('**Never** pass it to `eval`');
    expect(md).toContain('```py\n  eval(completion.text)');
    // <summary> is raw HTML: HTML-escaped, no Markdown backslashes.
    expect(md).toContain('<details><summary><code>security.weak_hash</code> — 1 (low)</summary>');
  });

  it('escapes finding text so it cannot break the table or inject HTML', () => {
    const md = renderMarkdown(report(findings));
    const row = md.split('\n').find((l) => l.includes('security.weak_hash') && l.startsWith('| low'))!;
    expect(row).toContain('md5 \\| for passwords &lt;script&gt;alert\\(1\\)&lt;/script&gt;');
    expect(row.split(/(?<!\\)\|/).length).toBe(6); // 4 cells
    expect(md).not.toContain('<script>');
  });

  it('uses a link base when given', () => {
    const md = renderMarkdown(report([findings[0]]), { linkBase: 'https://github.com/o/r/blob/abc123/' });
    expect(md).toContain('[src/a.ts:3](https://github.com/o/r/blob/abc123/src/a.ts#L3)');
  });

  it('stays within the byte budget, closes open sections and says what it left out', () => {
    const many: Finding[] = [];
    for (let i = 0; i < 400; i++) many.push(finding({ path: `src/f${i % 7}.ts`, line: i + 1, severity: i % 3 ? 'medium' : 'high', ruleId: `rule.n${i % 5}` }));
    const md = renderMarkdown(report(many), { maxBytes: 16 * 1024 });
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(16 * 1024);
    expect(md).toMatch(/> \*\*Truncated:\*\* this summary is limited to 16 KiB .*; \d+ of 400 findings are not listed\./);
    expect(count(md, '<details>')).toBe(count(md, '</details>'));
    expect(md.startsWith('## Warden scan')).toBe(true);
  });

  it('never exceeds GitHub\'s 1 MiB step-summary limit, whatever is asked', () => {
    const many: Finding[] = [];
    const long = 'x'.repeat(1500);
    for (let i = 0; i < 3000; i++) many.push(finding({ path: `src/deep/dir/file-${i}.ts`, line: i + 1, snippet: long, message: `finding ${i} ${long}` }));
    const md = renderMarkdown(report(many), { maxBytes: 50 * 1024 * 1024, topFindings: 100_000 });
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(MARKDOWN_MAX_BYTES);
    expect(Buffer.byteLength(md)).toBeGreaterThan(MARKDOWN_MAX_BYTES - 64 * 1024);
    expect(md).toContain('**Truncated:**');
  });

  it('reports a clean scan without tables of findings', () => {
    const md = renderMarkdown(report([]));
    expect(md).toContain('**0 findings** in 12 files');
    expect(md).not.toContain('<details>');
  });
});
