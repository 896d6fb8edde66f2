#!/usr/bin/env node
// The daemon's entry point. Commands spawn this file; they never import daemon code.
import { main } from '../dist/daemon/main.js';

main(process.argv.slice(2)).catch((err) => {
  // A WardenError names what was wrong and where (file:line for config); anything else is a bug: show the stack.
  const text = typeof err?.format === 'function' ? err.format() : `warden: internal: ${err?.stack ?? err}`;
  process.stderr.write(`${text}\n`);
  process.exit(typeof err?.exitCode === 'number' ? err.exitCode : 1);
});
