// Policies in the proxy, end to end: the official openai and @anthropic-ai/sdk clients against the
// real daemon and the fake upstream. A strict deny is the provider's own 403 that the SDK raises as
// PermissionDeniedError and nothing reaches the upstream; a warning is a header; redaction, the
// max_tokens cap and routing are proven by what the fake upstream received; the agent-loop guard
// stops a session; a hot-reloaded policy judges the next request and a broken edit keeps the last
// good set. Budgets and rate limits are in governance-limits.test.ts.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionCreated } from '../../src/core/protocol/api.js';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import {
  admin,
  auditOfType,
  createKey,
  createSession,
  daemonStatus,
  dataDirFiles,
  policyRow,
  rejection,
  startGovernedWarden,
  writePolicy,
} from './governance-helpers.js';
import { auditEventsFor, cli, ROOT, settledRow, stopWarden, waitFor, type Warden } from './harness.js';

// Correctly shaped, obviously fake credentials: never real secrets.
const FAKE_AWS_KEY = 'AKIAWARDENTESTFAKE22';
const FAKE_OPENAI_KEY = 'sk-proj-FAKEfakeFAKEfake0000000000WardenTestOnly';
// The Visa test number (Luhn-valid, never issued).
const TEST_CARD = '4111 1111 1111 1111';
const EMAIL_A = 'alice.fake@example.com';
const EMAIL_B = 'bob.fake@example.org';
const PHONE = '+1 415-555-0132';

const REDACT_POLICY = `name: redact-pii
title: Mask personal data before it leaves the machine
type: compliance
enforcement: warning
scope: { projects: [gov-redact] }
rules:
  - name: mask
    when: { pii: true }
    redact: pii
`;

const COST_POLICY = `name: cost-controls
type: cost
enforcement: warning
scope: { projects: [gov-cost] }
rules:
  - name: cap-output
    when: { max_tokens: { gt: 256 } }
    cap_max_tokens: 256
  - name: downgrade
    when: { model: gpt-4o }
    route: gpt-4o-mini
`;

// A copy of the built-in agent-loop pack (same name: it replaces it), strict, with a low threshold.
const LOOP_POLICY = `name: agent-loop
title: Agent-loop guard (hard stop)
type: usage
enforcement: strict
rules:
  - name: repeated-prompt
    when:
      session: { prompt_repeats: { gte: 3 } }
    deny: >-
      Stopped a likely agent loop: the same prompt was sent {{ session.prompt_repeats }} times in
      session {{ session.id }}.
`;

// A response-phase Rego policy: judged on what the model answered, recorded in the audit event.
const RESPONSE_POLICY = `# METADATA
# custom:
#   name: no-internal-codenames
#   enforcement: warning
#   scope: { projects: [gov-response] }
package warden.response

deny contains msg if {
  contains(lower(input.response.text), "project bluebird")
  msg := sprintf("the answer mentions an internal codename (%d output tokens)", [input.response.output_tokens])
}
`;

let fake: FakeUpstream;
let warden: Warden;
let policyDir: string;

beforeAll(async () => {
  fake = await startFakeUpstream();
  const d = await startGovernedWarden(fake, {
    configYaml: 'policy:\n  reload_interval: 200ms\n',
    policies: { 'redact-pii.yaml': REDACT_POLICY, 'cost-controls.yaml': COST_POLICY, 'agent-loop.yaml': LOOP_POLICY, 'no-codenames.rego': RESPONSE_POLICY },
  });
  warden = d.warden;
  policyDir = d.policyDir;
});

afterAll(async () => {
  await stopWarden(warden);
  await fake?.close();
  if (warden) fs.rmSync(warden.home, { recursive: true, force: true });
});

function openaiFor(key: string): OpenAI {
  return new OpenAI({ baseURL: `${warden.url}/v1`, apiKey: key, maxRetries: 0 });
}

function anthropicFor(key: string): Anthropic {
  return new Anthropic({ baseURL: warden.url, apiKey: key, maxRetries: 0 });
}

function builtinVersion(file: string): string {
  return createHash('sha256').update(fs.readFileSync(path.join(ROOT, 'policies', 'request', file))).digest('hex');
}

interface RejectedAudit {
  http_status: number;
  code: string;
  policy: {
    verdict: string;
    policies: string[];
    violations: { policy: string; version: string; enforcement: string; severity: string; message: string }[];
    redacted: string[];
  };
}

describe('a strict deny (built-in secrets-in-prompts)', () => {
  it('openai SDK: PermissionDeniedError naming the policy and reason; nothing forwarded; row and audit record the decision', async () => {
    const { key } = await createKey(warden, 'gov-deny');
    const before = fake.requests.length;
    const err = await rejection(
      openaiFor(key).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: `Why does this fail? aws_access_key_id = ${FAKE_AWS_KEY}` }],
      }),
      OpenAI.PermissionDeniedError,
    );
    expect(err.status).toBe(403);
    expect(err.code).toBe('policy_denied');
    expect(err.type).toBe('permission_error');
    expect(err.message).toContain('"secrets-in-prompts"');
    expect(err.message).toContain('The prompt contains a credential (AWS_ACCESS_KEY)');
    expect(err.message).toContain('exception');
    expect(err.message).not.toContain(FAKE_AWS_KEY);
    expect(err.headers?.get('x-should-retry')).toBe('false');
    expect(fake.requests.length).toBe(before);

    const id = err.headers?.get('x-warden-request-id');
    expect(id).toMatch(/^req_/);
    const row = await policyRow(warden.home, id!);
    expect(row).toMatchObject({ status: 'rejected', http_status: 403, error_code: 'policy_denied', policy_verdict: 'deny', provider: null });
    expect(JSON.stringify(row)).not.toContain(FAKE_AWS_KEY);

    const events = auditEventsFor(warden.home, id!);
    expect(events.map((e) => e.type)).toEqual(['request.rejected']);
    expect(events[0].data).not.toContain(FAKE_AWS_KEY);
    const data = JSON.parse(events[0].data) as RejectedAudit;
    const version = builtinVersion('secrets-in-prompts.yaml').slice(0, 12);
    expect(data).toMatchObject({ http_status: 403, code: 'policy_denied', policy: { verdict: 'deny' } });
    expect(data.policy.policies).toContain(`secrets-in-prompts@${version}`);
    expect(data.policy.violations).toEqual([
      expect.objectContaining({ policy: 'secrets-in-prompts', version, enforcement: 'strict', severity: 'critical' }),
    ]);
    expect(data.policy.violations[0].message).toContain('AWS_ACCESS_KEY');
  });

  it('Anthropic SDK: its own PermissionDeniedError with the permission_error body', async () => {
    const { key } = await createKey(warden, 'gov-deny');
    const before = fake.requests.length;
    const err = await rejection(
      anthropicFor(key).messages.create({
        model: 'claude-haiku-4-5',
        max_tokens: 100,
        system: 'You are a code reviewer.',
        messages: [{ role: 'user', content: [{ type: 'text', text: `export OPENAI_API_KEY=${FAKE_OPENAI_KEY}` }] }],
      }),
      Anthropic.PermissionDeniedError,
    );
    expect(err.status).toBe(403);
    expect(err.error).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    expect(err.apiMessage).toContain('"secrets-in-prompts"');
    expect(err.apiMessage).toContain('OPENAI_KEY');
    expect(err.message).not.toContain(FAKE_OPENAI_KEY);
    expect(fake.requests.length).toBe(before);
    const row = await policyRow(warden.home, err.headers!.get('x-warden-request-id')!);
    expect(row).toMatchObject({ status: 'rejected', policy_verdict: 'deny' });
  });
});

describe('a warning (built-in pii-in-prompts)', () => {
  it('the call succeeds and the response carries x-warden-warning naming the policy; the audit event has verdict warn', async () => {
    const { key } = await createKey(warden, 'gov-warn');
    fake.setBehavior({ replyText: 'Charged.' });
    const { data, response } = await openaiFor(key)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Charge card ${TEST_CARD} for the order.` }] })
      .withResponse();
    expect(data.choices[0].message.content).toBe('Charged.');
    const warning = response.headers.get('x-warden-warning');
    expect(warning).toContain('pii-in-prompts: ');
    expect(warning).toContain('CARD');
    expect(warning).not.toContain('4111');
    // A warning changes nothing: the prompt went out as sent.
    expect(fake.requests.at(-1)!.body.messages[0].content).toBe(`Charge card ${TEST_CARD} for the order.`);

    const anthropicRes = await anthropicFor(key)
      .messages.create({ model: 'claude-haiku-4-5', max_tokens: 50, messages: [{ role: 'user', content: `card: ${TEST_CARD}` }] })
      .asResponse();
    expect(anthropicRes.status).toBe(200);
    expect(anthropicRes.headers.get('x-warden-warning')).toContain('pii-in-prompts');

    const id = response.headers.get('x-warden-request-id')!;
    const row = await policyRow(warden.home, id);
    expect(row).toMatchObject({ status: 'ok', policy_verdict: 'warn' });
    const event = auditEventsFor(warden.home, id).find((e) => e.type === 'request')!;
    expect(JSON.parse(event.data).policy).toMatchObject({
      verdict: 'warn',
      violations: [expect.objectContaining({ policy: 'pii-in-prompts', enforcement: 'warning' })],
    });
  });
});

describe('redaction (a global redact: pii policy)', () => {
  it('the upstream receives placeholders, stable per value across messages; the response is unchanged; x-warden-redacted lists the kinds', async () => {
    const { key } = await createKey(warden, 'gov-redact');
    const reply = `Sure, I will write to ${EMAIL_A} today.`;
    fake.setBehavior({ replyText: reply });
    const before = fake.requests.length;
    const { data, response } = await openaiFor(key)
      .chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: `The user is ${EMAIL_A}.` },
          { role: 'user', content: `Email ${EMAIL_A} and cc ${EMAIL_B}, or call ${PHONE}.` },
          { role: 'assistant', content: 'Which address first?' },
          { role: 'user', content: [{ type: 'text', text: `First ${EMAIL_B}, then ${EMAIL_A}.` }] },
        ],
      })
      .withResponse();
    expect(fake.requests.length).toBe(before + 1);
    const sent = fake.requests.at(-1)!;
    expect(sent.body.messages).toEqual([
      { role: 'system', content: 'The user is [REDACTED:EMAIL_1].' },
      { role: 'user', content: 'Email [REDACTED:EMAIL_1] and cc [REDACTED:EMAIL_2], or call [REDACTED:PHONE_1].' },
      { role: 'assistant', content: 'Which address first?' },
      { role: 'user', content: [{ type: 'text', text: 'First [REDACTED:EMAIL_2], then [REDACTED:EMAIL_1].' }] },
    ]);
    const raw = sent.rawBody.toString('utf8');
    for (const v of [EMAIL_A, EMAIL_B, PHONE]) expect(raw).not.toContain(v);
    // The response is the upstream's, untouched (it may mention an address).
    expect(data.choices[0].message.content).toBe(reply);
    expect(response.headers.get('x-warden-redacted')).toBe('EMAIL,PHONE');

    const id = response.headers.get('x-warden-request-id')!;
    await settledRow(warden.home, id);
    const event = auditEventsFor(warden.home, id).find((e) => e.type === 'request')!;
    expect(event.data).not.toContain(EMAIL_A);
    expect(JSON.parse(event.data).policy).toMatchObject({ redacted: ['EMAIL', 'PHONE'], mutations: ['redact'] });
  });

  it('streamed requests are masked too (chat with injected usage, and the Responses API)', async () => {
    const { key } = await createKey(warden, 'gov-redact');
    fake.setBehavior({ replyText: 'streamed reply', usage: { inputTokens: 12, outputTokens: 3 } });
    const { data: stream, response } = await openaiFor(key)
      .chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: `ping ${EMAIL_B}` }] })
      .withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('streamed reply');
    expect(response.headers.get('x-warden-redacted')).toBe('EMAIL');
    expect(fake.requests.at(-1)!.body).toMatchObject({
      messages: [{ role: 'user', content: 'ping [REDACTED:EMAIL_1]' }],
      stream_options: { include_usage: true },
    });
    const row = await settledRow(warden.home, response.headers.get('x-warden-request-id')!);
    expect(row).toMatchObject({ status: 'ok', input_tokens: 12, output_tokens: 3 });

    const resp = await openaiFor(key).responses.create({ model: 'gpt-4o-mini', instructions: `Sign as ${EMAIL_A}.`, input: `Write to ${EMAIL_A}.`, stream: true });
    for await (const ev of resp) void ev;
    expect(fake.requests.at(-1)!.body).toMatchObject({ instructions: 'Sign as [REDACTED:EMAIL_1].', input: 'Write to [REDACTED:EMAIL_1].' });
  });

  it('Anthropic SDK: system and content blocks are masked too', async () => {
    const { key } = await createKey(warden, 'gov-redact');
    fake.setBehavior({ replyText: 'ok' });
    const res = await anthropicFor(key)
      .messages.create({
        model: 'claude-haiku-4-5',
        max_tokens: 64,
        system: [{ type: 'text', text: `Reply to ${EMAIL_B}.` }],
        messages: [{ role: 'user', content: [{ type: 'text', text: `Is ${EMAIL_B} the same as ${EMAIL_A}?` }] }],
      })
      .asResponse();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-warden-redacted')).toBe('EMAIL');
    const sent = fake.requests.at(-1)!.body;
    expect(sent.system).toEqual([{ type: 'text', text: 'Reply to [REDACTED:EMAIL_1].' }]);
    expect(sent.messages[0].content).toEqual([{ type: 'text', text: 'Is [REDACTED:EMAIL_1] the same as [REDACTED:EMAIL_2]?' }]);
  });
});

describe('cap_max_tokens and route mutations', () => {
  it('the upstream sees the capped max_tokens and the routed model; the row records the model actually used', async () => {
    const { key } = await createKey(warden, 'gov-cost');
    fake.setBehavior({ usage: { inputTokens: 10, outputTokens: 5 } });
    const { response } = await openaiFor(key)
      .chat.completions.create({ model: 'gpt-4o', max_tokens: 4000, messages: [{ role: 'user', content: 'Write a long essay.' }] })
      .withResponse();
    const sent = fake.requests.at(-1)!;
    expect(sent.body.model).toBe('gpt-4o-mini');
    expect(sent.body.max_tokens).toBe(256);
    const row = await settledRow(warden.home, response.headers.get('x-warden-request-id')!);
    expect(row).toMatchObject({ status: 'ok', model: 'gpt-4o-mini' });

    // Under the cap, max_tokens is left alone; Anthropic requests are capped the same way.
    await anthropicFor(key).messages.create({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    expect(fake.requests.at(-1)!.body).toMatchObject({ model: 'claude-haiku-4-5', max_tokens: 100 });
    await anthropicFor(key).messages.create({ model: 'claude-haiku-4-5', max_tokens: 8000, messages: [{ role: 'user', content: 'hi' }] });
    expect(fake.requests.at(-1)!.body).toMatchObject({ model: 'claude-haiku-4-5', max_tokens: 256 });
  });

  it('policies of other projects change nothing', async () => {
    const { key } = await createKey(warden, 'gov-other');
    await openaiFor(key).chat.completions.create({ model: 'gpt-4o', max_tokens: 4000, messages: [{ role: 'user', content: `mail ${EMAIL_A}` }] });
    expect(fake.requests.at(-1)!.body).toMatchObject({ model: 'gpt-4o', max_tokens: 4000, messages: [{ role: 'user', content: `mail ${EMAIL_A}` }] });
  });
});

describe('response-phase policies (package warden.response)', () => {
  it('judge the answer, streamed or not, and record the verdict in the request audit event', async () => {
    const { key } = await createKey(warden, 'gov-response');
    fake.setBehavior({ replyText: 'Sure: Project Bluebird ships next week.', usage: { inputTokens: 10, outputTokens: 7 } });
    const { response } = await openaiFor(key).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'status?' }] }).withResponse();
    const id = response.headers.get('x-warden-request-id')!;
    await settledRow(warden.home, id);
    const audit = auditOfType(warden.home, 'request').find((e) => e.subject === id)!;
    const rp = audit.data.response_policy as { verdict: string; violations: { policy: string; message: string }[] };
    expect(rp.verdict).toBe('warn');
    expect(rp.violations[0]).toMatchObject({ policy: 'no-internal-codenames', message: 'the answer mentions an internal codename (7 output tokens)' });

    const stream = await openaiFor(key).chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'again?' }] }).withResponse();
    for await (const _ of stream.data) {
      // drain
    }
    const sid = stream.response.headers.get('x-warden-request-id')!;
    await settledRow(warden.home, sid);
    const saudit = auditOfType(warden.home, 'request').find((e) => e.subject === sid)!;
    expect((saudit.data.response_policy as { verdict: string }).verdict).toBe('warn');

    // An answer without the codename passes; another project's requests are not judged at all.
    fake.setBehavior({ replyText: 'All good.', usage: { inputTokens: 10, outputTokens: 3 } });
    const ok = await openaiFor(key).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'status?' }] }).withResponse();
    const okId = ok.response.headers.get('x-warden-request-id')!;
    await settledRow(warden.home, okId);
    expect((auditOfType(warden.home, 'request').find((e) => e.subject === okId)!.data.response_policy as { verdict: string }).verdict).toBe('allow');
    const other = await createKey(warden, 'gov-other-response');
    const o = await openaiFor(other.key).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'status?' }] }).withResponse();
    const oId = o.response.headers.get('x-warden-request-id')!;
    await settledRow(warden.home, oId);
    expect(auditOfType(warden.home, 'request').find((e) => e.subject === oId)!.data.response_policy).toBeUndefined();
    fake.setBehavior({});
  });
});

describe('agent-loop guard (a strict copy of the built-in pack)', () => {
  it('denies the third identical request of a session; a new turn passes', async () => {
    const session = await createSession(warden, 'gov-loop');
    const client = openaiFor(session.key);
    const ask = (content: string) => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });
    await ask('Run the failing test again.');
    await ask('Run the failing test again.');
    const before = fake.requests.length;
    const err = await rejection(ask('Run the failing test again.'), OpenAI.PermissionDeniedError);
    expect(err.message).toContain('"agent-loop"');
    expect(err.message).toContain(`the same prompt was sent 3 times in session ${session.session_id}`);
    expect(fake.requests.length).toBe(before);
    await expect(ask('Something different.')).resolves.toBeDefined();
    const row = await policyRow(warden.home, err.headers!.get('x-warden-request-id')!);
    expect(row).toMatchObject({ session_id: session.session_id, policy_verdict: 'deny' });
  });

  it('a key outside any session is not counted as one (the session numbers are 0)', async () => {
    const { key } = await createKey(warden, 'gov-loop');
    const client = openaiFor(key);
    for (let i = 0; i < 4; i++) {
      const { response } = await client.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'ping' }] })
        .withResponse();
      expect(response.status).toBe(200);
      expect(response.headers.get('x-warden-warning')).toBeNull();
    }
  });
});

describe("a repository's .warden/policies (sessions started there)", () => {
  it("applies to the session's requests only, replaces a global policy of the same name, and reloads on edit", async () => {
    const repo = fs.mkdtempSync(path.join(warden.home, 'repo-'));
    fs.mkdirSync(path.join(repo, '.git'));
    fs.mkdirSync(path.join(repo, 'src'));
    const repoPolicies = path.join(repo, '.warden', 'policies');
    fs.mkdirSync(repoPolicies, { recursive: true });
    const repoPolicy = (word: string) => `name: repo-words
enforcement: strict
rules:
  - when: { text: { contains: ["${word}"] } }
    deny: "this repository does not send ${word}"
`;
    writePolicy(repoPolicies, 'repo-words.yaml', repoPolicy('project-nightjar'));
    // Same name as the global redact-pii policy, with no scope: for this repository it masks everything.
    writePolicy(repoPolicies, 'redact-pii.yaml', REDACT_POLICY.replace('scope: { projects: [gov-redact] }\n', ''));

    const session = await admin<SessionCreated>(warden, 'POST', '/sessions', { project: 'gov-repo', cwd: path.join(repo, 'src'), command: 'agent' });
    const inRepo = openaiFor(session.key);
    const outside = openaiFor((await createKey(warden, 'gov-repo')).key);
    const ask = (c: OpenAI, content: string) => c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });

    const err = await rejection(ask(inRepo, 'status of project-nightjar?'), OpenAI.PermissionDeniedError);
    expect(err.message).toContain('"repo-words"');
    await expect(ask(outside, 'status of project-nightjar?')).resolves.toBeDefined();
    // The built-in and global packs still apply inside the repository.
    await rejection(ask(inRepo, `key ${FAKE_AWS_KEY}`), OpenAI.PermissionDeniedError);
    await ask(inRepo, `mail ${EMAIL_B}`);
    expect(fake.requests.at(-1)!.body.messages[0].content).toBe('mail [REDACTED:EMAIL_1]');
    await ask(outside, `mail ${EMAIL_A}`);
    expect(fake.requests.at(-1)!.body.messages[0].content).toBe(`mail ${EMAIL_A}`);

    // An edit of the repository's policy is picked up for its sessions.
    writePolicy(repoPolicies, 'repo-words.yaml', repoPolicy('project-kestrel'));
    await waitFor(
      async () => {
        try {
          await ask(inRepo, 'status of project-kestrel?');
          return false;
        } catch (e) {
          return e instanceof OpenAI.PermissionDeniedError && e.message.includes('project-kestrel');
        }
      },
      'the edited repository policy to apply',
      10_000,
    );
    await expect(ask(inRepo, 'status of project-nightjar?')).resolves.toBeDefined();
    expect((await daemonStatus(warden)).policies.repos).toEqual([repo]);
  });
});

describe('hot reload of the global policy directory', () => {
  const probe = (marker: string) => `name: hot-probe
type: content_filter
enforcement: strict
scope: { projects: [gov-hot] }
rules:
  - name: banned-word
    when: { text: { contains: ["${marker}"] } }
    deny: "the word ${marker} is banned"
`;

  it('a new file judges the next request; a broken edit keeps the last good set and is reported with file:line', async () => {
    const { key } = await createKey(warden, 'gov-hot');
    const client = openaiFor(key);
    const ask = (content: string) => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });
    await expect(ask('the purple-elephant in the room')).resolves.toBeDefined();

    const loadedBefore = (await daemonStatus(warden)).policies.loaded;
    const file = writePolicy(policyDir, 'hot-probe.yaml', probe('purple-elephant'));
    await waitFor(async () => (await daemonStatus(warden)).policies.loaded === loadedBefore + 1, 'the new policy to load', 10_000);
    const denied = await rejection(ask('the purple-elephant in the room'), OpenAI.PermissionDeniedError);
    expect(denied.message).toContain('"hot-probe"');
    expect(denied.message).toContain('the word purple-elephant is banned');

    // A broken edit (a YAML syntax error: an unclosed flow mapping) that would have banned another word instead.
    const failedBefore = auditOfType(warden.home, 'policy.load_failed').length;
    writePolicy(policyDir, 'hot-probe.yaml', probe('green-giraffe').replace('when: { text: { contains: ["green-giraffe"] } }', 'when: { text: { contains: ["green-giraffe"] }'));
    const status = await waitFor(async () => {
      const s = await daemonStatus(warden);
      return s.policies.errors.length > 0 ? s : undefined;
    }, 'the broken edit to be reported', 10_000);
    expect(status.policies.loaded).toBe(loadedBefore + 1);
    await rejection(ask('the purple-elephant again'), OpenAI.PermissionDeniedError);
    await expect(ask('a green-giraffe')).resolves.toBeDefined();

    const cliStatus = await cli(warden.home, ['status', '--json']);
    expect(cliStatus.code, cliStatus.stderr).toBe(0);
    const errors = (JSON.parse(cliStatus.stdout) as { policies: { errors: string[] } }).policies.errors;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+(:\\d+)?: `));
    const failed = await waitFor(() => {
      const f = auditOfType(warden.home, 'policy.load_failed');
      return f.length > failedBefore ? f.at(-1) : undefined;
    }, 'the policy.load_failed audit event');
    expect(failed.data).toMatchObject({ kept_previous: true });
    expect(String((failed.data.errors as string[])[0])).toContain(file);

    // Fixing the file installs it and clears the error.
    writePolicy(policyDir, 'hot-probe.yaml', probe('green-giraffe'));
    await waitFor(async () => (await daemonStatus(warden)).policies.errors.length === 0, 'the fixed policy to load', 10_000);
    await rejection(ask('a green-giraffe'), OpenAI.PermissionDeniedError);
    await expect(ask('the purple-elephant is fine now')).resolves.toBeDefined();

    // File timestamps are coarse: an edit that keeps the size and lands in the same mtime tick
    // (here forced with utimes) must still be seen when the file was replaced.
    const tick = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const reloads = auditOfType(warden.home, 'policy.reloaded').length;
    fs.utimesSync(file, tick, tick);
    await waitFor(() => auditOfType(warden.home, 'policy.reloaded').length > reloads, 'the touched file to be re-read', 10_000);
    const same = probe('amber-giraffe');
    expect(same.length).toBe(probe('green-giraffe').length);
    const tmp = path.join(policyDir, '.amber.tmp');
    fs.writeFileSync(tmp, same);
    fs.utimesSync(tmp, tick, tick);
    fs.renameSync(tmp, file);
    await waitFor(
      async () => {
        try {
          await ask('an amber-giraffe');
          return false;
        } catch (e) {
          return e instanceof OpenAI.PermissionDeniedError;
        }
      },
      'the same-size, same-mtime edit to apply',
      10_000,
    );
  });
});

describe('after shutdown', () => {
  it('no secret, card number or redacted address was written anywhere in the data dir (database, WAL, daemon log)', async () => {
    await stopWarden(warden);
    const files = dataDirFiles(warden.home);
    expect(files.some((f) => f.file.endsWith('daemon.log') && f.bytes.length > 0)).toBe(true);
    expect(files.some((f) => f.file.endsWith('warden.db'))).toBe(true);
    for (const f of files) {
      for (const v of [FAKE_AWS_KEY, FAKE_OPENAI_KEY, TEST_CARD, EMAIL_B, PHONE]) {
        expect(f.bytes.includes(v), `${v} in ${f.file}`).toBe(false);
      }
    }
  });
});
