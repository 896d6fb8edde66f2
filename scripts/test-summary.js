#!/usr/bin/env node
// Prints one closing line for the whole vitest run (`tests: N passed, N failed, N skipped`) from
// vitest's JSON report, so CI logs end with the suite's totals rather than a sub-report's line.
import fs from 'node:fs';

const file = process.argv[2] ?? '.vitest-results.json';
const r = JSON.parse(fs.readFileSync(file, 'utf8'));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
process.stdout.write(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped\n`);
process.exit(r.numFailedTests > 0 || r.success === false ? 1 : 0);
