// `warden scan` as a function: discovers files, answers what it can from the result cache, runs
// the rest across worker threads in batches (each worker loads the rule set once), and assembles
// the ScanReport. A file that hangs or crashes its worker is skipped with the reason and the worker
// replaced; nothing about one file's content can fail or stall the whole scan.
import nodeFs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { systemClock, type Clock } from '../deps.js';
import { WardenError } from '../errors.js';
import { cacheKey, openResultCache, sha256Hex, type CachedResult, type ResultCache } from './cache.js';
import { engineVersion } from './engine.js';
import { discoverFiles, type DiscoveredFile } from './files.js';
import type { LoadedRule } from './rules.js';
import type { Finding, RuleMeta, ScanReport, ScanSeverity, ScanSummary, SkippedFile } from './types.js';
import { SCAN_SEVERITIES } from './types.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker.js';

export interface ScanProgress {
  /** Files finished (analysed, cached or skipped while reading). */
  done: number;
  total: number;
  /** Unsuppressed findings so far. */
  findings: number;
  cached: number;
  elapsedMs: number;
}

export interface ScanOptions {
  /** Absolute scan root; paths in the report are relative to it. */
  root: string;
  /** Files or directories under the root to scan (default: the root). */
  paths?: readonly string[];
  rules: readonly LoadedRule[];
  /** Worker threads (at least 1). */
  jobs: number;
  /** Use the per-file result cache (needs cacheFile). */
  cache?: boolean;
  /** The cache's SQLite file (in the data dir). */
  cacheFile?: string;
  /** An already open cache to use instead of opening cacheFile (the caller closes it). */
  resultCache?: ResultCache;
  /** Bound on the cache's entries (default 200,000). */
  maxCacheEntries?: number;
  maxFileSize: number;
  onProgress?: (p: ScanProgress) => void;
  clock?: Clock;
  /** A file still unfinished after this long is skipped and its worker replaced (default 60 s). */
  fileTimeoutMs?: number;
  /**
   * Told when a worker was abandoned mid-analysis. Its thread may still be inside a native call
   * that cannot be interrupted, and the process will not exit on its own until that returns:
   * a CLI should exit explicitly once its output is written.
   */
  onWorkerAbandoned?: () => void;
}

/**
 * Batches are cut at this many files or bytes, whichever comes first. Larger batches spread the
 * pre-pass's rule compilation over more files; smaller ones balance the workers better.
 */
const BATCH_FILES = 128;
const BATCH_BYTES = 2 * 1024 * 1024;
/** Batches queued per worker: one running, one waiting, so a worker never idles on the main thread. */
const INFLIGHT_PER_WORKER = 2;
const DEFAULT_FILE_TIMEOUT_MS = 60_000;
/** A file changed this recently is not trusted by its stat signature alone (timestamp granularity). */
const RACY_MS = 2_000;
const STARTUP_TIMEOUT_MS = 60_000;

/** The worker entry: next to this module in dist/; from the TypeScript sources (tests), the built one. */
export function workerEntry(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return path.resolve(path.dirname(here), '../../../dist/core/analysis/worker.js');
  return path.join(path.dirname(here), 'worker.js');
}

/** SHA-256 of the rule set as loaded (what every rule matches and reports), for the cache key. */
export function ruleSetHash(rules: readonly LoadedRule[]): string {
  const canonical = [...rules]
    .map((r) => {
      const { source: _source, ...meta } = r.meta;
      void _source;
      return JSON.stringify({ ...r, meta });
    })
    .sort();
  return sha256Hex(canonical.join('\n'));
}

/** A report of `findings` (default none) with no files scanned: for callers that skip or re-shape a scan. */
export function scanReportOf(root: string, findings: Finding[] = [], rules: RuleMeta[] = []): ScanReport {
  return { root, findings, skipped: [], rules, summary: { files: 0, ...summarizeFindings(findings), durationMs: 0, cached: 0 } };
}

/** Counts of unsuppressed findings by severity and by rule. */
export function summarizeFindings(findings: readonly Finding[]): Pick<ScanSummary, 'bySeverity' | 'byRule'> {
  const bySeverity = Object.fromEntries(SCAN_SEVERITIES.map((s) => [s, 0])) as Record<ScanSeverity, number>;
  const byRule: Record<string, number> = {};
  for (const f of findings) {
    if (f.suppressed) continue;
    bySeverity[f.severity] += 1;
    byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
  }
  return { bySeverity, byRule };
}

export function compareFindingsByLocation(a: Finding, b: Finding): number {
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  return (
    a.start.line - b.start.line ||
    a.start.column - b.start.column ||
    (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0) ||
    a.end.line - b.end.line ||
    a.end.column - b.end.column
  );
}

interface Item {
  file: DiscoveredFile;
  key: string | undefined;
  /** The content when already read (for its hash); dropped once handed to a worker. */
  bytes?: Buffer;
}

interface Batch {
  id: number;
  items: Item[];
  /** Results received so far (the first `done` items are finished). */
  done: number;
}

interface Slot {
  worker: Worker;
  inflight: Batch[];
  /** When its current file started (the last result or dispatch to an idle worker). */
  since: number;
  started: boolean;
}

/** A file's result; `transient` ones (a worker that hung or died) are reported but never cached. */
type FileResult = CachedResult & { rel: string; transient?: boolean };

/** Worker threads fed with batches; reports each file's result through `onResult`. */
class WorkerPool {
  private slots: Slot[] = [];
  /** Work taken back from a failed worker, dispatched before new work. */
  private backlog: Item[][] = [];
  private nextBatch = 1;
  private waiters: (() => void)[] = [];
  private failure: WardenError | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly size: number,
    private readonly init: WorkerInit,
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly onResult: (item: Item, r: FileResult) => void,
    private readonly onAbandon: () => void = () => undefined,
  ) {
    this.timer = setInterval(() => this.watchdog(), Math.min(1000, Math.max(50, Math.floor(timeoutMs / 4))));
    this.timer.unref();
  }

  private spawn(): Slot {
    const worker = new Worker(workerEntry(), { workerData: this.init });
    const slot: Slot = { worker, inflight: [], since: this.clock.monotonic(), started: false };
    worker.on('message', (msg: FromWorker) => this.onMessage(slot, msg));
    worker.on('error', (err) => this.onCrash(slot, `the analysis worker failed: ${err.message}`));
    worker.on('exit', (code) => {
      if (this.slots.includes(slot)) this.onCrash(slot, `the analysis worker exited (code ${code})`);
    });
    this.slots.push(slot);
    return slot;
  }

  private onMessage(slot: Slot, msg: FromWorker): void {
    if (msg.type === 'ready') {
      slot.started = true;
      slot.since = this.clock.monotonic();
      return;
    }
    const batch = slot.inflight[0];
    if (!batch) return;
    if (msg.type === 'file') {
      const item = batch.items[batch.done];
      batch.done += 1;
      slot.since = this.clock.monotonic();
      if (item) this.onResult(item, { rel: msg.rel, findings: msg.findings, text: msg.text, ...(msg.skip ? { skip: msg.skip } : {}), ...(msg.transient ? { transient: true } : {}) });
    } else if (msg.type === 'batch-done' && msg.id === batch.id) {
      slot.inflight.shift();
      this.pump();
      this.wake();
    }
  }

  /** Skips the file a dead or stuck worker was on, replaces the worker and requeues the rest of its work. */
  private onCrash(slot: Slot, reason: string): void {
    const idx = this.slots.indexOf(slot);
    if (idx < 0) return;
    this.slots.splice(idx, 1);
    // terminate() settles only once the thread leaves any native call it is in; do not wait for it.
    void slot.worker.terminate().catch(() => undefined);
    if (slot.inflight.length > 0) this.onAbandon();
    if (!slot.started) {
      // It never answered: the worker itself cannot run (a broken install), not a file's fault.
      this.failure = new WardenError('scan_worker', reason, { exitCode: 1, hint: 'rebuild with `npm run build`; run with --jobs 1 to narrow it down' });
      this.wake();
      return;
    }
    // Files are analysed a batch at a time, so which file of the batch hung is not known: a batch
    // of several goes back as batches of one, and a batch of one is that file's skip.
    const [current, ...rest] = slot.inflight;
    const requeue: Item[][] = [];
    if (current) {
      const left = current.items.slice(current.done);
      if (left.length === 1) this.onResult(left[0], { rel: left[0].file.rel, findings: [], skip: reason, text: false, transient: true });
      else for (const it of left) requeue.push([it]);
    }
    for (const b of rest) requeue.push(b.items);
    this.backlog.unshift(...requeue);
    this.pump();
    this.wake();
  }

  private watchdog(): void {
    const now = this.clock.monotonic();
    for (const slot of [...this.slots]) {
      // A worker still starting (loading the parsers) is given the startup allowance, not the per-file one.
      const limit = slot.started ? this.timeoutMs : Math.max(this.timeoutMs, STARTUP_TIMEOUT_MS);
      if (slot.inflight.length > 0 && now - slot.since > limit) {
        const secs = limit >= 1000 ? `${Math.round(limit / 1000)} s` : `${limit} ms`;
        this.onCrash(slot, slot.started ? `analysis did not finish within ${secs}` : `the analysis worker did not start within ${secs}`);
      }
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private waitForChange(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Posts `items` to a worker with room (spawning one if the pool is not full); false if none has room. */
  private tryDispatch(items: Item[]): boolean {
    let slot = this.slots.filter((sl) => sl.inflight.length < INFLIGHT_PER_WORKER).sort((x, y) => x.inflight.length - y.inflight.length)[0];
    if (!slot && this.slots.length < this.size) slot = this.spawn();
    if (!slot) return false;
    const batch: Batch = { id: this.nextBatch++, items, done: 0 };
    const files: ToWorker['files'] = [];
    const transfer: ArrayBuffer[] = [];
    for (const it of items) {
      let bytes: ArrayBuffer;
      let error: string | undefined;
      try {
        const buf = it.bytes ?? nodeFs.readFileSync(it.file.abs);
        it.bytes = undefined;
        // Transfer only a buffer the file owns whole; a view into a shared pool is copied.
        bytes = buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength ? (buf.buffer as ArrayBuffer) : new Uint8Array(buf).buffer;
      } catch (e) {
        bytes = new ArrayBuffer(0);
        error = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      }
      files.push({ rel: it.file.rel, abs: it.file.abs, bytes, ...(error !== undefined ? { error } : {}) });
      transfer.push(bytes);
    }
    if (slot.inflight.length === 0) slot.since = this.clock.monotonic();
    slot.inflight.push(batch);
    slot.worker.postMessage({ type: 'batch', id: batch.id, files } satisfies ToWorker, transfer);
    return true;
  }

  private pump(): void {
    while (this.backlog.length > 0 && !this.failure && this.tryDispatch(this.backlog[0])) this.backlog.shift();
  }

  /** Hands `items` to a worker, waiting for capacity (taken-back work first); resolves once dispatched. */
  async submit(items: Item[]): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      this.pump();
      if (this.backlog.length === 0 && this.tryDispatch(items)) return;
      await this.waitForChange();
    }
  }

  /** Resolves when every submitted batch, and all work taken back from failed workers, is finished. */
  async drain(): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      this.pump();
      if (this.backlog.length === 0 && !this.slots.some((sl) => sl.inflight.length > 0)) return;
      await this.waitForChange();
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    const slots = this.slots;
    this.slots = [];
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}

/**
 * Scans `opts.root` (or `opts.paths` under it) with `opts.rules`. Throws WardenError for unusable
 * input (a missing path) or a worker that cannot start; per-file problems become skipped entries.
 */
export async function scan(opts: ScanOptions): Promise<ScanReport> {
  const clock = opts.clock ?? systemClock;
  const t0 = clock.monotonic();
  const root = path.resolve(opts.root);
  const jobs = Math.max(1, Math.floor(opts.jobs));
  const discovery = discoverFiles({ root, paths: opts.paths, maxFileSize: opts.maxFileSize });
  const files = discovery.files;
  const skipped: SkippedFile[] = [...discovery.skipped];
  const findings: Finding[] = [];
  let analysed = 0;
  let cachedCount = 0;
  let done = 0;
  let unsuppressed = 0;

  let cache: ResultCache | undefined;
  const ownCache = opts.cache === true && opts.resultCache === undefined;
  if (opts.cache) {
    if (opts.resultCache) cache = opts.resultCache;
    else if (!opts.cacheFile) throw new WardenError('scan_cache', 'scan: cache requested without a cache file');
    else cache = openResultCache(opts.cacheFile, { now: clock.now, maxEntries: opts.maxCacheEntries });
  }
  const ev = engineVersion();
  const rulesHash = ruleSetHash(opts.rules);

  const progress = () => opts.onProgress?.({ done, total: files.length, findings: unsuppressed, cached: cachedCount, elapsedMs: clock.monotonic() - t0 });
  const record = (item: Item, r: CachedResult & { transient?: boolean }, fromCache: boolean) => {
    done += 1;
    if (r.text) analysed += 1;
    if (r.skip) skipped.push({ path: item.file.rel, reason: r.skip });
    for (const f of r.findings) {
      findings.push(f);
      if (!f.suppressed) unsuppressed += 1;
    }
    if (fromCache) cachedCount += 1;
    else if (cache && item.key && !r.transient) cache.put(item.key, { findings: r.findings, text: r.text, ...(r.skip ? { skip: r.skip } : {}) });
    progress();
  };

  const pool = new WorkerPool(
    jobs,
    { rules: [...opts.rules] },
    clock,
    opts.fileTimeoutMs ?? DEFAULT_FILE_TIMEOUT_MS,
    (item, r) => record(item, r, false),
    opts.onWorkerAbandoned,
  );
  // The tree's previous results by stat signature: an unchanged file is answered unread.
  const scope = sha256Hex(`${ev}\0${rulesHash}\0${root}`);
  const tree = cache ? cache.loadTree(scope) : undefined;
  const now = clock.now();
  /** Remember the file's signature only when it has not changed in the last moments (see cache.ts). */
  const settled = (file: DiscoveredFile) => now - file.mtimeMs > RACY_MS;
  try {
    let batch: Item[] = [];
    let batchBytes = 0;
    for (const file of files) {
      let key: string | undefined;
      let bytes: Buffer | undefined;
      if (cache) {
        const known = tree?.get(file.rel);
        if (known && known.sig === file.sig) {
          cache.touchTree(scope, file.rel, known.key);
          record({ file, key: known.key }, known.value, true);
          continue;
        }
        try {
          bytes = nodeFs.readFileSync(file.abs);
        } catch (e) {
          record({ file, key: undefined }, { findings: [], skip: `unreadable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, text: false }, false);
          continue;
        }
        key = cacheKey(ev, rulesHash, file.rel, sha256Hex(bytes));
        if (settled(file)) cache.noteTree(scope, file.rel, file.sig, key);
        const hit = cache.get(key);
        if (hit) {
          record({ file, key }, hit, true);
          continue;
        }
      }
      batch.push({ file, key, bytes });
      batchBytes += file.size;
      if (batch.length >= BATCH_FILES || batchBytes >= BATCH_BYTES) {
        await pool.submit(batch);
        batch = [];
        batchBytes = 0;
      }
    }
    if (batch.length > 0) await pool.submit(batch);
    await pool.drain();
  } finally {
    await pool.close();
    if (ownCache) cache?.close();
  }

  findings.sort(compareFindingsByLocation);
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const rules: RuleMeta[] = opts.rules.map((r) => r.meta).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    root,
    findings,
    skipped,
    rules,
    summary: { files: analysed, ...summarizeFindings(findings), durationMs: Math.round(clock.monotonic() - t0), cached: cachedCount },
  };
}
