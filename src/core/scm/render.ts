// How one finding reads where reviewers see it: an inline review comment or MR discussion (Markdown,
// with the hidden fingerprint marker), an annotation (plain text), and a console line. Shared by
// every reporter so GitHub and GitLab say the same thing.
import { mdEscape } from '../analysis/outputs/markdown.js';
import type { Finding, RuleMeta } from '../analysis/types.js';
import { fingerprintMarker } from './types.js';

const SEVERITY_BADGE: Record<Finding['severity'], string> = {
  critical: '🛑 **critical**',
  high: '🔴 **high**',
  medium: '🟠 **medium**',
  low: '🟡 **low**',
  info: 'ℹ️ **info**',
};

/** Markdown body of an inline comment for `f`, ending with its fingerprint marker. */
export function findingCommentBody(f: Finding, rule?: RuleMeta): string {
  const lines: string[] = [];
  lines.push(`${SEVERITY_BADGE[f.severity]} · \`${f.ruleId}\` — ${mdEscape(f.message)}`);
  const tags = [...(f.cwe ?? []), ...(f.owaspLlm ?? [])];
  if (tags.length > 0) lines.push('', tags.map((t) => mdEscape(t)).join(' · '));
  if (rule?.note) lines.push('', '<details><summary>Why and how to fix</summary>', '', rule.note.replace(/</g, '&lt;').replace(/>/g, '&gt;'), '', '</details>');
  // A GitHub ```suggestion replaces whole lines; a rule's fix replaces only the match, so it is shown as code.
  if (f.fix !== undefined) lines.push('', 'Proposed replacement for the match:', '', fence(f.fix));
  lines.push('', `<sub>Warden · suppress with \`warden-ignore: ${f.ruleId}\` on the line above</sub>`);
  lines.push(fingerprintMarker(f.fingerprint));
  return lines.join('\n');
}

function fence(code: string): string {
  let ticks = '```';
  while (code.includes(ticks)) ticks += '`';
  return `${ticks}\n${code}\n${ticks}`;
}

/** Title and message of a plain-text annotation (check run, workflow command). */
export function findingAnnotation(f: Finding): { title: string; message: string } {
  return {
    title: `${f.ruleId} (${f.severity})`,
    message: [f.message, ...(f.cwe?.length ? [f.cwe.join(', ')] : [])].join(' — '),
  };
}

/** `path:line:col severity rule-id message`, for the console. */
export function findingConsoleLine(f: Finding): string {
  return `${f.path}:${f.start.line}:${f.start.column} ${f.severity} ${f.ruleId} ${f.message.replace(/\s+/g, ' ')}`;
}
