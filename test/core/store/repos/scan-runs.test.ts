import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../../../src/core/audit/verify.js';
import { openStore, type Store } from '../../../../src/core/store/db.js';
import { listAuditEvents } from '../../../../src/core/store/repos/audit.js';
import { listScanRuns, recordScanRun } from '../../../../src/core/store/repos/scan-runs.js';

let dir: string;
let store: Store;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-repo-scan-'));
  store = await openStore(path.join(dir, 'warden.db'), { migrate: true });
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('scan runs repo', () => {
  it('records a run with its counts and a scan.completed audit event on the chain', async () => {
    const base = { root: '/repo', files: 12, durationMs: 345.6, actor: 'cli:alice' };
    recordScanRun(store, {
      ...base,
      id: 'scan_1',
      startedAt: 1_000,
      bySeverity: { info: 0, low: 1, medium: 0, high: 2, critical: 0 },
      byRule: { 'llm.output-to-eval.js': 2, 'complexity.cyclomatic': 1 },
      exitCode: 1,
    });
    recordScanRun(store, { ...base, id: 'scan_2', startedAt: 2_000, bySeverity: {}, byRule: {}, exitCode: 0 });

    const runs = await listScanRuns(store.db);
    expect(runs.map((r) => r.id)).toEqual(['scan_2', 'scan_1']);
    expect(runs[1]).toEqual({
      id: 'scan_1',
      started_at: 1_000,
      root: '/repo',
      files: 12,
      duration_ms: 346,
      by_severity: JSON.stringify({ info: 0, low: 1, medium: 0, high: 2, critical: 0 }),
      by_rule: JSON.stringify({ 'llm.output-to-eval.js': 2, 'complexity.cyclomatic': 1 }),
      exit_code: 1,
    });

    const events = await listAuditEvents(store.db, { type: 'scan.completed' });
    expect(events).toHaveLength(2);
    const first = events.find((e) => e.subject === 'scan_1');
    expect(first?.actor).toBe('cli:alice');
    expect(JSON.parse(first?.data as string)).toMatchObject({ root: '/repo', files: 12, findings: 3, exit_code: 1 });
    expect(verifyAuditChain(store.sqlite).ok).toBe(true);
  });
});
