// Digests of the config files in force, so a change between daemon runs becomes an audit event.
import { createHash } from 'node:crypto';
import fs from 'node:fs';

export type ConfigDigests = Record<string, string>;

export function digestConfigFiles(files: readonly string[]): ConfigDigests {
  const out: ConfigDigests = {};
  for (const f of files) {
    try {
      out[f] = createHash('sha256').update(fs.readFileSync(f)).digest('hex');
    } catch {
      out[f] = 'unreadable';
    }
  }
  return out;
}

export interface ConfigChange {
  file: string;
  previous: string | null;
  current: string | null;
}

/** Files added, removed or edited between two digest sets. */
export function diffConfigDigests(previous: ConfigDigests, current: ConfigDigests): ConfigChange[] {
  const changes: ConfigChange[] = [];
  for (const f of new Set([...Object.keys(previous), ...Object.keys(current)])) {
    const a = previous[f] ?? null;
    const b = current[f] ?? null;
    if (a !== b) changes.push({ file: f, previous: a, current: b });
  }
  return changes.sort((x, y) => x.file.localeCompare(y.file));
}
