import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildPolicyInput, PolicyEngine } from '../../../src/core/policy/decision.js';
import { loadPolicySet } from '../../../src/core/policy/packs/loader.js';
import { replay } from '../../../src/core/policy/replay.js';
import { storedPolicyInput } from '../../../src/core/policy/request-gate.js';
import { openStore, type Store } from '../../../src/core/store/db.js';
import { listRecordedPolicyInputs } from '../../../src/core/store/repos/requests.js';
import type { RequestsTable } from '../../../src/core/store/schema.js';

let tmp: string;
let store: Store;
const clock = { now: () => 1_700_000_000_000, monotonic: () => performance.now() };

function row(id: string, over: Partial<RequestsTable>): RequestsTable {
  return {
    id, started_at: 1_700_000_000_000, finished_at: null, status: 'ok', http_status: 200, method: 'POST', path: '/v1/chat/completions',
    endpoint: 'chat.completions', provider: 'openai', model: 'gpt-4o', stream: 0, key_id: 'key_1', project: 'web', session_id: null,
    tool: 'curl', user_agent: null, repo: null, branch: null, input_tokens: null, output_tokens: null, cache_read_tokens: null,
    cache_write_5m_tokens: null, cache_write_1h_tokens: null, reasoning_tokens: null, usage_source: null, cost_usd: null, price_unknown: 0,
    overhead_ms: null, upstream_ms: null, duration_ms: null, error_code: null, error_message: null, request_body: null, response_body: null,
    policy_verdict: null, risk_score: null, policy_input: null, ...over,
  };
}

function recorded(model: string, maxTokens: number | null): string {
  return storedPolicyInput(buildPolicyInput({ request: { model, max_tokens: maxTokens, endpoint: 'chat.completions', messages_text: 'secret prompt' }, principal: { key: 'key_1', project: 'web' }, nowMs: clock.now() }));
}

function engineFrom(files: Record<string, string>): PolicyEngine {
  const dir = fs.mkdtempSync(path.join(tmp, 'pol-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  const set = loadPolicySet([{ dir, origin: 'path' }]);
  expect(set.errors).toEqual([]);
  return new PolicyEngine(set.policies, { clock });
}

beforeEach(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-replay-'));
  store = await openStore(path.join(tmp, 'w.db'), { migrate: true });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('policy replay', () => {
  it('reports newly denied and newly allowed requests by policy, with example ids, from the recorded inputs', async () => {
    await store.db
      .insertInto('requests')
      .values([
        row('req_a', { policy_verdict: 'allow', policy_input: recorded('gpt-4', 100) }),
        row('req_b', { policy_verdict: 'allow', policy_input: recorded('gpt-4o', 100), started_at: 1_700_000_000_001 }),
        row('req_c', { policy_verdict: 'deny', policy_input: recorded('gpt-4o', 50_000), started_at: 1_700_000_000_002 }),
        row('req_d', { policy_verdict: null, policy_input: null, started_at: 1_700_000_000_003 }),
      ])
      .execute();
    // The stored input never holds the prompt text.
    expect(recorded('gpt-4', 1)).not.toContain('secret prompt');
    const engine = engineFrom({
      'no-gpt-4.yaml': 'name: no-gpt-4\nenforcement: strict\nrules:\n  - when: { model: "gpt-4" }\n    deny: retired\n',
    });
    const rows = await listRecordedPolicyInputs(store.db, 0, 100);
    const r = replay(engine, rows);
    expect(r.total).toBe(4);
    expect(r.replayed).toBe(3);
    expect(r.transitions).toEqual([
      { from: 'allow', to: 'deny', count: 1, examples: ['req_a'] },
      { from: 'deny', to: 'allow', count: 1, examples: ['req_c'] },
    ]);
    expect(r.unchanged).toBe(1);
    expect(r.byPolicy).toEqual([{ policy: 'no-gpt-4', enforcement: 'strict', violations: 1, examples: ['req_a'] }]);
  });

  it('runs a detector the candidate reads on the stored body, and counts requests without one', async () => {
    const body = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'mail me at jane.doe@example.com' }] });
    await store.db
      .insertInto('requests')
      .values([
        row('req_body', { policy_verdict: 'allow', policy_input: recorded('gpt-4o', 10), request_body: body }),
        row('req_nobody', { policy_verdict: 'allow', policy_input: recorded('gpt-4o', 10), started_at: 1_700_000_000_001 }),
      ])
      .execute();
    const engine = engineFrom({ 'pii.yaml': 'name: pii\nenforcement: strict\nrules:\n  - when: { pii: [EMAIL] }\n    deny: no emails\n' });
    const r = replay(engine, await listRecordedPolicyInputs(store.db, 0, 100));
    expect(r.withText).toBe(1);
    expect(r.detectorsUnavailable).toBe(1);
    expect(r.transitions).toEqual([{ from: 'allow', to: 'deny', count: 1, examples: ['req_body'] }]);
  });

  it('only reads requests inside the window', async () => {
    await store.db.insertInto('requests').values([row('old', { started_at: 10, policy_verdict: 'allow', policy_input: recorded('gpt-4', 1) })]).execute();
    expect(await listRecordedPolicyInputs(store.db, 1_000, 100)).toEqual([]);
  });
});
