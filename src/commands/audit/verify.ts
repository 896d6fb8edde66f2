// `warden audit verify`: checks the audit log's hash chain (live database or an exported file); exit 1 if broken.
import fs from 'node:fs';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { parseAuditExport, verifyAuditChain, verifyAuditRows, type ChainVerification } from '../../core/audit/verify.js';
import { ExitCode, WardenError } from '../../core/errors.js';

export interface AuditVerifyResult extends ChainVerification {
  /** 'database', or the path of the verified export file. */
  source: string;
  /** True when --partial accepted a log that starts after seq 1. */
  partial: boolean;
}

export default class AuditVerify extends BaseCommand<typeof AuditVerify> {
  static override summary = 'Verify the audit log hash chain; exit 1 if it was tampered with.';

  static override description = `Every audit event stores prev_hash (the hash of the event before it) and hash (SHA-256 of its own
canonical JSON: seq, ts, type, actor, subject, data and prev_hash). This walks the whole log in order
and recomputes every link, so it detects an edited event (hash_mismatch), a deleted event (seq_gap),
events moved or swapped (prev_hash_mismatch at the first displaced seq) and a forged start
(bad_genesis). It reports the FIRST broken link and exits 1; an intact log exits 0.

What a chain cannot show on its own is that events were cut off the end, or that the whole log was
rewritten from some point on. The head hash printed here pins the log's current state: keep it
somewhere else (a ticket, CI artefact, the team server) and compare it later.

With --file, verifies an export made by \`warden audit export --format json|jsonl\` instead of the
database. An export made with --since starts mid-chain: add --partial to check it from its first event.`;

  static override examples = [
    '<%= config.bin %> audit verify',
    '<%= config.bin %> audit verify --json',
    '<%= config.bin %> audit verify --file audit-2025-06.jsonl',
    '<%= config.bin %> audit verify --file recent.json --partial',
  ];

  static override flags = {
    file: Flags.string({ description: 'verify this exported log (json or jsonl) instead of the database' }),
    partial: Flags.boolean({
      description: 'with --file: the export starts mid-chain (made with --since); trust its first prev_hash',
      dependsOn: ['file'],
    }),
  };

  public override async run(): Promise<AuditVerifyResult> {
    const { flags } = this;
    let result: ChainVerification;
    let source = 'database';
    if (flags.file !== undefined) {
      source = flags.file;
      const format = flags.file.endsWith('.jsonl') || flags.file.endsWith('.ndjson') ? 'jsonl' : flags.file.endsWith('.json') ? 'json' : undefined;
      if (!format) {
        throw new WardenError('audit_export_format', `cannot tell the format of ${flags.file}`, {
          hint: 'verify an export made with --format json (.json) or --format jsonl (.jsonl)',
        });
      }
      let text: string;
      try {
        text = fs.readFileSync(flags.file, 'utf8');
      } catch (e) {
        throw new WardenError('file_unreadable', `cannot read ${flags.file}: ${(e as Error).message}`);
      }
      result = verifyAuditRows(parseAuditExport(text, format, flags.file), { partial: flags.partial === true });
    } else {
      const store = await this.readStore();
      result = verifyAuditChain(store.sqlite);
    }

    if (!this.jsonEnabled()) {
      const where = source === 'database' ? 'audit log' : source;
      if (result.broken) {
        this.log(`${where}: BROKEN at seq ${result.broken.seq} (${result.broken.reason})`);
        this.log(`  ${result.broken.message}`);
        this.log(`  ${result.count} event(s) in the log; everything before seq ${result.broken.seq} verified.`);
      } else if (result.count === 0) {
        this.log(`${where}: empty (nothing to verify)`);
      } else {
        this.log(`${where}: intact — ${result.count} event(s), seq ${result.firstSeq}–${result.lastSeq}`);
        this.log(`  head hash ${result.headHash}`);
      }
    }
    if (!result.ok) process.exitCode = ExitCode.violations;
    return { ...result, source, partial: flags.partial === true };
  }
}
