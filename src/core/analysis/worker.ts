// A scan worker thread: gets the rule set once (workerData), then batches of files as raw bytes,
// and answers one message per file (its findings, or why it was skipped) and one per batch.
// Batches run one after another, in arrival order. The protocol types live here so scan.ts and
// the worker agree on them.
import v8 from 'node:v8';
import vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { analyseBatch, type BatchFile } from './engine.js';
import { decodeText } from './files.js';
import type { LoadedRule } from './rules.js';
import type { Finding } from './types.js';

export interface WorkerInit {
  rules: LoadedRule[];
}

export interface WorkerFile {
  rel: string;
  abs: string;
  /** The file's bytes (transferred, not copied). */
  bytes: ArrayBuffer;
  /** Set when the main thread could not read the file. */
  error?: string;
}

export type ToWorker = { type: 'batch'; id: number; files: WorkerFile[] };

export interface FileResult {
  rel: string;
  findings: Finding[];
  skip?: string;
  /** False when the content was not text (binary, not UTF-8, unreadable): not counted as analysed. */
  text: boolean;
  /** The analysis itself failed (not the file's content): report, but do not cache. */
  transient?: boolean;
}

export type FromWorker = { type: 'ready' } | ({ type: 'file'; batch: number } & FileResult) | { type: 'batch-done'; id: number };

/** Results for a batch, in its order: files that are not text are answered without analysis. */
export async function analyseWorkerBatch(rules: readonly LoadedRule[], files: readonly WorkerFile[]): Promise<FileResult[]> {
  const out: (FileResult | undefined)[] = new Array(files.length);
  const texts: BatchFile[] = [];
  const where: number[] = [];
  files.forEach((f, i) => {
    if (f.error !== undefined) {
      out[i] = { rel: f.rel, findings: [], skip: `unreadable: ${f.error}`, text: false, transient: true };
      return;
    }
    const decoded = decodeText(new Uint8Array(f.bytes));
    if ('skip' in decoded) {
      out[i] = { rel: f.rel, findings: [], skip: decoded.skip, text: false };
      return;
    }
    texts.push({ rel: f.rel, abs: f.abs, text: decoded.text });
    where.push(i);
  });
  try {
    const results = await analyseBatch(rules, texts);
    results.forEach((r, j) => {
      out[where[j]] = { rel: texts[j].rel, findings: r.findings, text: true, ...(r.skip ? { skip: r.skip } : {}) };
    });
  } catch (e) {
    const why = `analysis failed: ${(e as Error).message.split('\n')[0]}`;
    for (const j of where.keys()) out[where[j]] ??= { rel: texts[j].rel, findings: [], skip: why, text: true, transient: true };
  }
  return out as FileResult[];
}

/** Process memory above which a worker collects garbage after its batch. */
const RSS_COLLECT_BYTES = 768 * 1024 * 1024;

/**
 * A full garbage collection, where V8 allows asking for one. Syntax trees live in native memory
 * that V8 does not count: it sees a small heap, rarely collects, and the trees of finished batches
 * (kept alive by their node wrappers) pile up. Workers cannot be started with --expose-gc, hence
 * the flag set at run time and `gc` taken from a fresh context.
 */
function collector(): (() => void) | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

if (parentPort) {
  const port = parentPort;
  const gc = collector();
  const { rules } = workerData as WorkerInit;
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (msg: ToWorker) => {
    if (msg.type !== 'batch') return;
    queue = queue.then(async () => {
      const results = await analyseWorkerBatch(rules, msg.files);
      for (const r of results) port.postMessage({ type: 'file', batch: msg.id, ...r } satisfies FromWorker);
      port.postMessage({ type: 'batch-done', id: msg.id } satisfies FromWorker);
      // Collecting costs time, so only past a memory bound (DESIGN §10): it frees the trees.
      if (gc && process.memoryUsage.rss() > RSS_COLLECT_BYTES) {
        await new Promise((resolve) => setImmediate(resolve));
        gc();
      }
    });
  });
  port.postMessage({ type: 'ready' } satisfies FromWorker);
}
