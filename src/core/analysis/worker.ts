// A scan worker thread: gets the rule set once (workerData), then batches of files as raw bytes,
// and answers one message per file (its findings, or why it was skipped) and one per batch.
// Batches run one after another, in arrival order. The protocol types live here so scan.ts and
// the worker agree on them.
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
}

export type FromWorker = { type: 'ready' } | ({ type: 'file'; batch: number } & FileResult) | { type: 'batch-done'; id: number };

/** Results for a batch, in its order: files that are not text are answered without analysis. */
export async function analyseWorkerBatch(rules: readonly LoadedRule[], files: readonly WorkerFile[]): Promise<FileResult[]> {
  const out: (FileResult | undefined)[] = new Array(files.length);
  const texts: BatchFile[] = [];
  const where: number[] = [];
  files.forEach((f, i) => {
    if (f.error !== undefined) {
      out[i] = { rel: f.rel, findings: [], skip: `unreadable: ${f.error}`, text: false };
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
    for (const j of where.keys()) out[where[j]] ??= { rel: texts[j].rel, findings: [], skip: why, text: true };
  }
  return out as FileResult[];
}

if (parentPort) {
  const port = parentPort;
  const { rules } = workerData as WorkerInit;
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (msg: ToWorker) => {
    if (msg.type !== 'batch') return;
    queue = queue.then(async () => {
      const results = await analyseWorkerBatch(rules, msg.files);
      for (const r of results) port.postMessage({ type: 'file', batch: msg.id, ...r } satisfies FromWorker);
      port.postMessage({ type: 'batch-done', id: msg.id } satisfies FromWorker);
    });
  });
  port.postMessage({ type: 'ready' } satisfies FromWorker);
}
