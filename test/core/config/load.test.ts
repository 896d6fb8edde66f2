import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findRepoRoot, loadConfig, parseConfigText, repoConfigFile, routeModel } from '../../../src/core/config/load.js';
import { DEFAULT_ROUTES, globToRegExp, parseSize } from '../../../src/core/config/schema.js';
import { WardenError } from '../../../src/core/errors.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-config-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(rel: string, text: string): string {
  const file = path.join(dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

function catchError(fn: () => unknown): WardenError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WardenError) return e;
    throw e;
  }
  throw new Error('expected a WardenError');
}

describe('loadConfig', () => {
  it('returns defaults and reads no files when none exist', () => {
    const { config, files } = loadConfig({ globalFile: path.join(dir, 'nope.yaml'), repoFile: path.join(dir, 'x/config.yaml') });
    expect(files).toEqual([]);
    expect(config.server).toEqual({
      host: '127.0.0.1',
      port: 4141,
      maxBodyBytes: 20 * 1024 * 1024,
      upstreamTimeoutMs: 600_000,
      connectTimeoutMs: 10_000,
      streamIdleTimeoutMs: 300_000,
    });
    expect(config.storeBodies).toBe(false);
    expect(config.logLevel).toBe('info');
    expect(config.writer).toEqual({ flushMs: 20, maxBatch: 500 });
    expect(config.routes).toEqual(DEFAULT_ROUTES);
    expect(config.providers).toEqual({});
    expect(config.pricing.overrides).toEqual({});
  });

  it('normalises sizes, durations and provider fields from a full file', () => {
    const file = write(
      'global.yaml',
      `server:
  host: 0.0.0.0
  port: 8080
  max_body: 512KB
  upstream_timeout: 30s
  connect_timeout: 1500ms
  stream_idle_timeout: 2m
store_bodies: true
log_level: debug
writer: { flush_ms: 50, max_batch: 1000 }
providers:
  local: { type: openai-compatible, base_url: "http://127.0.0.1:11434/v1/", api_key_env: OLLAMA_API_KEY }
  azure: { type: azure-openai, base_url: "https://x.openai.azure.com", api_version: "2024-10-21" }
routes:
  - { match: "llama*", provider: local }
pricing:
  overrides:
    "llama3*": { input_mtok: 0.5, output_mtok: 1.5 }
`,
    );
    const { config, files } = loadConfig({ globalFile: file });
    expect(files).toEqual([file]);
    expect(config.server).toEqual({
      host: '0.0.0.0',
      port: 8080,
      maxBodyBytes: 512 * 1024,
      upstreamTimeoutMs: 30_000,
      connectTimeoutMs: 1500,
      streamIdleTimeoutMs: 120_000,
    });
    expect(config.storeBodies).toBe(true);
    expect(config.logLevel).toBe('debug');
    expect(config.writer).toEqual({ flushMs: 50, maxBatch: 1000 });
    expect(config.providers.local).toEqual({ type: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1', apiKeyEnv: 'OLLAMA_API_KEY' });
    expect(config.providers.azure).toEqual({ type: 'azure-openai', baseUrl: 'https://x.openai.azure.com', apiVersion: '2024-10-21' });
    expect(config.routes[0]).toEqual({ match: 'llama*', provider: 'local' });
    expect(config.routes.slice(1)).toEqual(DEFAULT_ROUTES);
    expect(config.pricing.overrides['llama3*']).toEqual({
      inputMtok: 0.5,
      outputMtok: 1.5,
      cacheReadMtok: 0.5,
      cacheWriteMtok: 0.5,
      cacheWrite1hMtok: 0.5,
    });
  });

  it('merges repo over global: scalars deep-merged, routes repo-first, maps by key', () => {
    const globalFile = write(
      'global.yaml',
      `server: { port: 5000, max_body: 1MB }
log_level: warn
providers:
  local: { type: openai-compatible, base_url: "http://global:1/v1" }
  shared: { type: openai, base_url: "https://proxy.example/v1" }
routes:
  - { match: "llama*", provider: local }
pricing:
  overrides:
    "a*": { input_mtok: 1, output_mtok: 2 }
    "b*": { input_mtok: 3, output_mtok: 4 }
`,
    );
    const repoFile = write(
      'repo/.warden/config.yaml',
      `server: { port: 6000 }
providers:
  local: { type: openai-compatible, base_url: "http://repo:2/v1" }
routes:
  - { match: "llama3*", provider: shared }
pricing:
  overrides:
    "a*": { input_mtok: 9, output_mtok: 9 }
`,
    );
    const { config, files } = loadConfig({ globalFile, repoFile });
    expect(files).toEqual([repoFile, globalFile]);
    expect(config.server.port).toBe(6000);
    expect(config.server.maxBodyBytes).toBe(1024 * 1024);
    expect(config.server.host).toBe('127.0.0.1');
    expect(config.logLevel).toBe('warn');
    expect(config.providers.local.baseUrl).toBe('http://repo:2/v1');
    expect(config.providers.shared.baseUrl).toBe('https://proxy.example/v1');
    expect(config.routes.slice(0, 2)).toEqual([
      { match: 'llama3*', provider: 'shared' },
      { match: 'llama*', provider: 'local' },
    ]);
    expect(config.routes.slice(2)).toEqual(DEFAULT_ROUTES);
    expect(config.pricing.overrides['a*'].inputMtok).toBe(9);
    expect(config.pricing.overrides['b*'].inputMtok).toBe(3);
    expect(routeModel('llama3.1:8b', config.routes)).toBe('shared');
    expect(routeModel('llama2', config.routes)).toBe('local');
  });

  it('treats an empty file as no settings', () => {
    const file = write('empty.yaml', '# nothing here\n');
    const { config, files } = loadConfig({ globalFile: file });
    expect(files).toEqual([file]);
    expect(config.server.port).toBe(4141);
  });

  it('names the key path and locates the value of a wrongly typed key', () => {
    const file = write('c.yaml', `log_level: info\nserver:\n  host: 127.0.0.1\n  port: abc\n`);
    const err = catchError(() => loadConfig({ globalFile: file }));
    expect(err.code).toBe('config_invalid');
    expect(err.message).toBe('server.port: expected a number, got "abc"');
    expect(err.location).toEqual({ file, line: 4, col: 9 });
    expect(err.format()).toContain(`${file}:4:9: server.port`);
  });

  it('rejects unknown keys at their key position and suggests the likely one', () => {
    const file = write('c.yaml', `server:\n  prot: 4141\n`);
    const err = catchError(() => loadConfig({ globalFile: file }));
    expect(err.message).toBe('server.prot: unknown key');
    expect(err.location).toEqual({ file, line: 2, col: 3 });
    expect(err.hint).toContain('did you mean "port"?');
  });

  it('reports the first problem in file order and lists the rest in the hint', () => {
    const file = write('multi.yaml', `stor_bodies: true\nserver:\n  port: "x"\nlog_level: loud\n`);
    const err = catchError(() => loadConfig({ globalFile: file }));
    expect(err.message).toBe('stor_bodies: unknown key');
    expect(err.location).toEqual({ file, line: 1, col: 1 });
    expect(err.hint).toContain('did you mean "store_bodies"?');
    expect(err.hint).toContain('also server.port: expected a number, got "x" at line 3');
    expect(err.hint).toContain('also log_level: expected one of');
  });

  it('locates errors inside route lists and reports bad sizes and durations', () => {
    const routes = write('r.yaml', `routes:\n  - { match: "a*", provider: x }\n  - match: "b*"\n    provider: 42\n`);
    const e1 = catchError(() => loadConfig({ globalFile: routes }));
    expect(e1.message).toBe('routes[1].provider: expected a string, got 42');
    expect(e1.location).toEqual({ file: routes, line: 4, col: 15 });

    const size = write('s.yaml', `server:\n  max_body: 20 potatoes\n`);
    const e2 = catchError(() => loadConfig({ globalFile: size }));
    expect(e2.message).toBe('server.max_body: expected a size like 512KB, 20MB or 1GB, got "20 potatoes"');
    expect(e2.location).toMatchObject({ line: 2, col: 13 });

    const dur = write('d.yaml', `server:\n  upstream_timeout: soon\n`);
    const e3 = catchError(() => loadConfig({ globalFile: dur }));
    expect(e3.message).toBe('server.upstream_timeout: expected a duration like 30s or 10m, got "soon"');
  });

  it('requires a base_url for openai-compatible providers and rejects bad enum values', () => {
    const file = write('p.yaml', `providers:\n  local:\n    type: openai-compatible\n`);
    const err = catchError(() => loadConfig({ globalFile: file }));
    expect(err.message).toBe('providers.local.base_url: provider type openai-compatible needs a base_url');
    expect(err.location).toMatchObject({ file, line: 3 });

    const lvl = write('l.yaml', `log_level: loud\n`);
    const e2 = catchError(() => loadConfig({ globalFile: lvl }));
    expect(e2.message).toBe('log_level: expected one of "debug", "info", "warn", "error", got "loud"');
    expect(e2.location).toEqual({ file: lvl, line: 1, col: 12 });
  });

  it('reads scan.secrets allowlists, adding the repository\'s to the user\'s, and rejects a non-RE2 expression', () => {
    const global = write('global.yaml', `scan:\n  secrets:\n    allow_values: ["^AKIA_TEST"]\n`);
    const repo = write('repo/.warden/config.yaml', `scan:\n  secrets:\n    allow_paths: [test/fixtures/**]\n    allow_values: ["^sk-test-"]\n`);
    const { config } = loadConfig({ globalFile: global, repoFile: repo });
    expect(config.scan.secrets).toEqual({ allowPaths: ['test/fixtures/**'], allowValues: ['^sk-test-', '^AKIA_TEST'] });
    expect(loadConfig({ globalFile: path.join(dir, 'none.yaml') }).config.scan.secrets).toEqual({ allowPaths: [], allowValues: [] });

    const bad = write('bad-re.yaml', `scan:\n  secrets:\n    allow_values: ["(?<=x)y"]\n`);
    const err = catchError(() => loadConfig({ globalFile: bad }));
    expect(err.message).toMatch(/^scan\.secrets\.allow_values\[0\]: not an RE2 regular expression/);
    expect(err.location).toMatchObject({ file: bad, line: 3 });
    const typo = write('typo.yaml', `scan:\n  secrets:\n    allow_path: [x]\n`);
    expect(catchError(() => loadConfig({ globalFile: typo })).message).toMatch(/allow_path/);
  });

  it('reports YAML syntax errors with file, line and column', () => {
    const file = write('bad.yaml', `server:\n  port: 1\n  port: 2\n`);
    const err = catchError(() => loadConfig({ globalFile: file }));
    expect(err.code).toBe('config_invalid');
    expect(err.message).toMatch(/^YAML syntax error: .*unique/i);
    expect(err.location).toEqual({ file, line: 3, col: 3 });

    const file2 = write('bad2.yaml', `server: {port: 1\nlog_level: info\n`);
    const e2 = catchError(() => loadConfig({ globalFile: file2 }));
    expect(e2.message).toMatch(/^YAML syntax error/);
    expect(e2.location?.file).toBe(file2);
    expect(e2.location?.line).toBeGreaterThanOrEqual(1);
  });

  it('rejects a top-level list', () => {
    const file = write('list.yaml', `- a\n- b\n`);
    const err = catchError(() => loadConfig({ globalFile: file }));
    expect(err.message).toBe('expected a mapping at the top level, got a list');
  });

  it('parseConfigText returns only the keys the file set', () => {
    expect(parseConfigText('server: { port: 1 }\n', 'x.yaml')).toEqual({ server: { port: 1 } });
  });
});

describe('findRepoRoot', () => {
  it('walks up to the nearest directory holding .warden or .git', () => {
    fs.mkdirSync(path.join(dir, 'outer/.git'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'outer/inner/.warden'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'outer/inner/a/b'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'outer/other'), { recursive: true });
    expect(findRepoRoot(path.join(dir, 'outer/inner/a/b'))).toBe(path.join(dir, 'outer/inner'));
    expect(findRepoRoot(path.join(dir, 'outer/other'))).toBe(path.join(dir, 'outer'));
    expect(repoConfigFile(path.join(dir, 'outer'))).toBe(path.join(dir, 'outer/.warden/config.yaml'));
  });

  it('returns undefined when no marker exists up to the root', () => {
    const seen: string[] = [];
    const root = findRepoRoot('/a/b/c', {
      existsSync: (p) => {
        seen.push(p);
        return false;
      },
    });
    expect(root).toBeUndefined();
    expect(seen).toContain(path.join('/', '.git'));
  });
});

describe('routeModel and globs', () => {
  it('routes default model families and leaves unknown ones unrouted', () => {
    expect(routeModel('gpt-4o-mini', DEFAULT_ROUTES)).toBe('openai');
    expect(routeModel('o3-mini', DEFAULT_ROUTES)).toBe('openai');
    expect(routeModel('text-embedding-3-small', DEFAULT_ROUTES)).toBe('openai');
    expect(routeModel('claude-sonnet-4-5', DEFAULT_ROUTES)).toBe('anthropic');
    expect(routeModel('mistral-large', DEFAULT_ROUTES)).toBeUndefined();
    expect(routeModel('my-gpt-4o', DEFAULT_ROUTES)).toBeUndefined();
  });

  it('treats regex metacharacters literally and ? as one character', () => {
    expect(globToRegExp('gpt-4.1').test('gpt-4x1')).toBe(false);
    expect(globToRegExp('gpt-4.1').test('gpt-4.1')).toBe(true);
    expect(globToRegExp('a?c').test('abc')).toBe(true);
    expect(globToRegExp('a?c').test('abbc')).toBe(false);
    expect(globToRegExp('(x)+').test('(x)+')).toBe(true);
  });

  it('parses sizes', () => {
    expect(parseSize('512KB')).toBe(524288);
    expect(parseSize('20MB')).toBe(20971520);
    expect(parseSize('1GB')).toBe(1073741824);
    expect(parseSize('1.5 MiB')).toBe(1572864);
    expect(parseSize(1000)).toBe(1000);
    expect(parseSize('12 parsecs')).toBeUndefined();
    expect(parseSize(-1)).toBeUndefined();
  });
});
