// Preloaded into the Warden daemon by bench/proxy.js (`node --import`), so the daemon cannot outlive
// the benchmark: when the benchmark's end of the daemon's stdin pipe closes (the benchmark died,
// even by SIGKILL), the daemon gets SIGTERM and drains and exits as it would for `warden down`.
// It only listens on stdin, which the daemon does not otherwise use. Worker threads inherit
// --import too; only the main thread has the daemon's stdin.
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  const stop = () => process.kill(process.pid, 'SIGTERM');
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}
