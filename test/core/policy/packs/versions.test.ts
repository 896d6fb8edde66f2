import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../../../src/core/audit/verify.js';
import { loadPolicySet } from '../../../../src/core/policy/packs/loader.js';
import { openStore, type Store } from '../../../../src/core/store/db.js';
import { latestPolicyVersions, policyHistory, recordVersions } from '../../../../src/core/store/repos/policies.js';
import { decodeAuditEvent, listAuditEvents } from '../../../../src/core/store/repos/audit.js';

let tmp: string;
let store: Store;

beforeEach(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-policy-versions-'));
  store = await openStore(path.join(tmp, 'warden.db'), { migrate: true });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('policy version history', () => {
  it('records a version only when it changes, with an audit event for each change', async () => {
    const dir = path.join(tmp, 'policies');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'block-x.yaml');
    fs.writeFileSync(file, 'rules:\n  - when: { model: x }\n    deny: "no x"\n');
    const v1 = loadPolicySet([{ dir, origin: 'global' }]);

    const first = recordVersions(store, v1, { actor: 'daemon', now: 1000 });
    expect(first).toEqual([
      expect.objectContaining({ name: 'block-x', version: v1.policies[0].meta.version, change: 'added', first_seen: 1000, actor: 'daemon', source: file, format: 'yaml', origin: 'global' }),
    ]);
    expect(recordVersions(store, loadPolicySet([{ dir, origin: 'global' }]), { actor: 'daemon', now: 2000 })).toEqual([]);

    fs.writeFileSync(file, 'rules:\n  - when: { model: y }\n    deny: "no y"\n');
    const v2 = loadPolicySet([{ dir, origin: 'global' }]);
    const second = recordVersions(store, v2, { actor: 'cli:alice', now: 3000 });
    expect(second.map((r) => r.change)).toEqual(['changed']);

    const history = await policyHistory(store.db, 'block-x');
    expect(history.map((r) => [r.version, r.change, r.first_seen, r.actor])).toEqual([
      [v2.policies[0].meta.version, 'changed', 3000, 'cli:alice'],
      [v1.policies[0].meta.version, 'added', 1000, 'daemon'],
    ]);
    expect((await latestPolicyVersions(store.db)).get('block-x')?.version).toBe(v2.policies[0].meta.version);

    const events = (await listAuditEvents(store.db, { type: 'policy.*' })).map(decodeAuditEvent);
    expect(events.map((e) => [e.type, e.subject, e.actor])).toEqual([
      ['policy.changed', 'block-x', 'cli:alice'],
      ['policy.added', 'block-x', 'daemon'],
    ]);
    expect(events[0].data).toMatchObject({ version: v2.policies[0].meta.version, previous_version: v1.policies[0].meta.version });
    expect(verifyAuditChain(store.sqlite)).toMatchObject({ ok: true, count: 2 });
  });
});
