#!/usr/bin/env node
// The daemon's entry point. Commands spawn this file; they never import daemon code.
import { main } from '../dist/daemon/main.js';

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`warden daemon: ${err?.stack ?? err}\n`);
  process.exit(typeof err?.exitCode === 'number' ? err.exitCode : 1);
});
