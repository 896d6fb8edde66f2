#!/usr/bin/env node
// A minimal, fast fake OpenAI upstream for the proxy benchmark. It speaks OpenAI's wire format for
// `POST /v1/chat/completions` (JSON with `usage`; SSE chunks `data: {...}\n\n` a few ms apart, a
// usage chunk when `stream_options.include_usage` is true, then `data: [DONE]\n\n`) and
// `GET /v1/models`, and requires `Authorization: Bearer <key>`.
//
// Usage: node bench/upstream.js [--port 0] [--host 127.0.0.1] [--key sk-bench]
//                               [--chunks 8] [--delay-ms 2] [--exit-with-stdin]
// Prints one line `{"port":N}` on stdout once listening. Exits on SIGTERM/SIGINT, and with
// --exit-with-stdin also when its stdin closes (its parent died), so it cannot outlive the benchmark.
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    key: { type: 'string', default: 'sk-bench' },
    chunks: { type: 'string', default: process.env.BENCH_SSE_CHUNKS ?? '8' },
    'delay-ms': { type: 'string', default: process.env.BENCH_SSE_DELAY_MS ?? '2' },
    'exit-with-stdin': { type: 'boolean', default: false },
  },
});

const CONTENT_CHUNKS = Math.max(1, Number(opts.chunks));
const DELAY_MS = Math.max(0, Number(opts['delay-ms']));
const EXPECTED_AUTH = `Bearer ${opts.key}`;
const MAX_BODY = 4 * 1024 * 1024;
const WORDS = ['Hello', ' there', ',', ' nice', ' to', ' meet', ' you', '!', ' How', ' can', ' I', ' help', '?'];

let seq = 0;
const created = Math.floor(Date.now() / 1000);

function sendJson(res, status, obj) {
  const text = JSON.stringify(obj);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': `req_bench_${++seq}`,
  });
  res.end(text);
}

function openaiError(res, status, message, type, code) {
  sendJson(res, status, { error: { message, type, param: null, code } });
}

function usageFor(promptTokens, completionTokens) {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** A rough prompt size so usage varies with the request, like the real thing. */
function promptTokens(body) {
  let chars = 0;
  if (Array.isArray(body.messages)) {
    for (const m of body.messages) if (m && typeof m.content === 'string') chars += m.content.length;
  }
  return 8 + Math.ceil(chars / 4);
}

function completion(res, body, model) {
  const id = `chatcmpl-bench${++seq}`;
  const text = WORDS.slice(0, CONTENT_CHUNKS).join('');
  sendJson(res, 200, {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: usageFor(promptTokens(body), CONTENT_CHUNKS),
    service_tier: 'default',
    system_fingerprint: 'fp_bench0001',
  });
}

function stream(req, res, body, model) {
  const id = `chatcmpl-bench${++seq}`;
  const includeUsage = body.stream_options?.include_usage === true;
  // With include_usage, OpenAI puts `"usage":null` on every chunk but the last one.
  const usageTail = includeUsage ? ',"usage":null' : '';
  const head = `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"service_tier":"default","system_fingerprint":"fp_bench0001","choices":[`;
  const events = [];
  events.push(`${head}{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]${usageTail}}\n\n`);
  for (let i = 0; i < CONTENT_CHUNKS; i++) {
    const word = JSON.stringify(WORDS[i % WORDS.length]);
    events.push(`${head}{"index":0,"delta":{"content":${word}},"logprobs":null,"finish_reason":null}]${usageTail}}\n\n`);
  }
  events.push(`${head}{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]${usageTail}}\n\n`);
  if (includeUsage) {
    events.push(`${head}],"usage":${JSON.stringify(usageFor(promptTokens(body), CONTENT_CHUNKS))}}\n\n`);
  }
  events.push('data: [DONE]\n\n');

  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-request-id': `req_bench_${seq}`,
  });
  let i = 0;
  let timer;
  const next = () => {
    timer = undefined;
    if (res.destroyed) return;
    res.write(events[i++]);
    if (i === events.length) {
      res.end();
      return;
    }
    timer = DELAY_MS > 0 ? setTimeout(next, DELAY_MS) : setImmediate(next);
  };
  res.on('close', () => {
    if (timer !== undefined) {
      clearTimeout(timer);
      clearImmediate(timer);
    }
  });
  // The first event goes out with the headers, as soon as the request is in.
  next();
}

function models(res) {
  const data = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini'].map((id) => ({ id, object: 'model', created, owned_by: 'openai' }));
  sendJson(res, 200, { object: 'list', data });
}

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  if (req.headers.authorization !== EXPECTED_AUTH) {
    req.resume();
    openaiError(res, 401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
    return;
  }
  const path = req.url.split('?', 1)[0];
  if (req.method === 'GET' && path === '/v1/models') {
    req.resume();
    models(res);
    return;
  }
  if (req.method !== 'POST' || path !== '/v1/chat/completions') {
    req.resume();
    openaiError(res, 404, `Unknown request URL: ${req.method} ${path}.`, 'invalid_request_error', 'unknown_url');
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) {
      req.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
    } catch {
      openaiError(res, 400, 'We could not parse the JSON body of your request.', 'invalid_request_error', null);
      return;
    }
    if (!body || typeof body.model !== 'string') {
      openaiError(res, 400, 'you must provide a model parameter', 'invalid_request_error', null);
      return;
    }
    if (body.stream === true) stream(req, res, body, body.model);
    else completion(res, body, body.model);
  });
});

server.listen(Number(opts.port), opts.host, () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (opts['exit-with-stdin']) {
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}
