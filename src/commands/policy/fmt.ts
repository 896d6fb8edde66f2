// `warden policy fmt`: canonical Rego formatting (print, --write in place, --check, --diff).
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { ExitCode, WardenError } from '../../core/errors.js';
import { collectPolicyFiles } from '../../core/policy/files.js';
import { formatPolicyFiles, unifiedDiff, writeFileAtomic } from '../../core/policy/fmt.js';
import { V0_COMPATIBLE_FLAG } from './check.js';

export interface PolicyFmtResult {
  mode: 'print' | 'write' | 'check' | 'diff';
  files: { file: string; changed: boolean; written: boolean; error?: { code: string; message: string } }[];
  /** Files whose formatting differs (for --write: the files rewritten). */
  changed: string[];
}

export default class PolicyFmt extends BaseCommand<typeof PolicyFmt> {
  static override summary = 'Format Rego files canonically (opa fmt style): print, rewrite, check or diff.';

  static override description = `Formats .rego files the way \`opa fmt\` does: v1 syntax (v0 modules are rewritten to v1), tab
indentation, one rule per block, comments kept. Formatting is idempotent: formatting formatted text
changes nothing. A PATH may be a file or a directory (read recursively, hidden directories skipped).

Modes:
  (default)  print the formatted text of a single file to stdout
  --write    rewrite files in place (atomically: a temp file renamed over the original) and list them
  --check    change nothing; list the files that are not formatted and exit 1 if there are any
  --diff     print a unified diff of what --write would change

A file that does not parse is reported as rego_parse_error with file:line:col and exits 2.

Without --v0-compatible each file is parsed as Rego v1; a file
that is not valid v1, does not import rego.v1 and is valid v0 is
read as v0. With --v0-compatible every file is parsed as v0 (OPA's
flag). Either way the output is v1 syntax: formatting a v0 file
rewrites it to v1.`;

  static override examples = [
    '<%= config.bin %> policy fmt policy.rego',
    '<%= config.bin %> policy fmt --write policies/',
    '<%= config.bin %> policy fmt --check .warden/policies',
    '<%= config.bin %> policy fmt --diff policies/request.rego',
  ];

  static override strict = false;

  static override flags = {
    write: Flags.boolean({ char: 'w', description: 'rewrite the files in place', exclusive: ['check', 'diff'] }),
    check: Flags.boolean({ char: 'c', description: 'list files that would change and exit 1 if any (CI)', exclusive: ['write', 'diff'] }),
    diff: Flags.boolean({ char: 'd', description: 'print a unified diff of the changes', exclusive: ['write', 'check'] }),
    'v0-compatible': V0_COMPATIBLE_FLAG,
  };

  public override async run(): Promise<PolicyFmtResult> {
    const { flags } = this;
    if (this.rest.length === 0) {
      throw new WardenError('usage', 'policy fmt needs at least one PATH', { hint: 'warden policy fmt --write policies/' });
    }
    const mode: PolicyFmtResult['mode'] = flags.write ? 'write' : flags.check ? 'check' : flags.diff ? 'diff' : 'print';
    const files = collectPolicyFiles(this.rest, { data: false }).rego;
    if (mode === 'print' && files.length !== 1) {
      throw new WardenError('usage', `policy fmt prints one file; ${files.length} .rego files were given`, {
        hint: 'use --write, --check or --diff for several files',
      });
    }
    const formatted = formatPolicyFiles(files, { regoVersion: flags['v0-compatible'] ? 'v0' : 'auto' });
    const out: PolicyFmtResult['files'] = [];
    let failed = false;
    for (const f of formatted) {
      if (f.error) {
        failed = true;
        this.note(f.error.format());
        out.push({ file: f.file, changed: false, written: false, error: { code: f.error.code, message: f.error.message } });
        continue;
      }
      let written = false;
      if (mode === 'write' && f.changed) {
        writeFileAtomic(f.file, f.formatted!);
        written = true;
      }
      if (!this.jsonEnabled()) {
        if (mode === 'print') process.stdout.write(f.formatted!);
        else if (mode === 'diff' && f.changed) this.log(unifiedDiff(f.file, f.original, f.formatted!));
        else if ((mode === 'check' || mode === 'write') && f.changed) this.log(f.file);
      }
      out.push({ file: f.file, changed: f.changed, written });
    }
    const changed = out.filter((f) => f.changed).map((f) => f.file);
    if (failed) process.exitCode = ExitCode.usage;
    else if (mode === 'check' && changed.length > 0) process.exitCode = ExitCode.violations;
    return { mode, files: out, changed };
  }
}
