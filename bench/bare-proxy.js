#!/usr/bin/env node
// The bare passthrough: node:http server + an undici Pool that forwards method, path, headers and
// body to one upstream and pipes the response back, with no logic at all. It is the floor for any
// Node proxy, the baseline Warden's overhead is measured against.
//
// Usage: node bench/bare-proxy.js --target http://127.0.0.1:PORT [--port 0] [--host 127.0.0.1]
//                                 [--exit-with-stdin]
// Prints one line `{"port":N}` on stdout once listening.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values: opts } = parseArgs({
  options: {
    target: { type: 'string' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'exit-with-stdin': { type: 'boolean', default: false },
  },
});
if (!opts.target) {
  process.stderr.write('bare-proxy: --target http://host:port is required\n');
  process.exit(2);
}

// The same pool shape Warden's proxy uses, so the comparison is about the logic, not the pool.
const pool = new Pool(new URL(opts.target).origin, {
  connections: 256,
  pipelining: 1,
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 600_000,
  headersTimeout: 60_000,
  bodyTimeout: 60_000,
});

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus host, which undici sets from the origin. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

function strip(headers) {
  const out = {};
  for (const k in headers) {
    const v = headers[k];
    if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  }
  return out;
}

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  pool.request({ method: req.method, path: req.url, headers: strip(req.headers), body: hasBody ? req : null }).then(
    (up) => {
      res.writeHead(up.statusCode, strip(up.headers));
      // Classic pipe, not stream.pipeline: pipeline allocates an AbortController per call and
      // aborts it (building a DOMException) on every completion, ~10% of this process's CPU.
      up.body.on('error', () => res.destroy());
      res.on('close', () => {
        if (!res.writableFinished) up.body.destroy();
      });
      up.body.pipe(res);
    },
    (err) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const text = JSON.stringify({ error: { message: `bare proxy: ${err.message}`, type: 'proxy_error' } });
      res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    },
  );
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
