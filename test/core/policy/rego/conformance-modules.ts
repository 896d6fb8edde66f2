// Reads the `modules:` entries of OPA's YAML conformance cases from ../shared/conformance at test
// time (the cases are not copied into this repository).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
/** OPA's, regorus' and ast-grep's public test data: beside the repository (../shared) in CI. */
export const SHARED_CONFORMANCE = process.env.WARDEN_CONFORMANCE_DIR ?? join(REPO_ROOT, '..', 'shared', 'conformance');
export const CONFORMANCE_ROOT = join(SHARED_CONFORMANCE, 'opa');

/**
 * True in a clone that has no ../shared beside it (the data is not ours to copy in): the suites that
 * read it are skipped, with this reason printed. In CI (CI=true) the data must be there, so a missing
 * directory fails those suites instead of skipping them.
 */
export const CONFORMANCE_MISSING = !existsSync(CONFORMANCE_ROOT) && process.env.CI !== 'true';
if (CONFORMANCE_MISSING) {
  process.stderr.write(`conformance data not found at ${SHARED_CONFORMANCE}: its suites are skipped (set WARDEN_CONFORMANCE_DIR)\n`);
}

export interface ConformanceModule {
  /** `<file>#<case note>#<index>` */
  id: string;
  text: string;
  wantErrorCode?: string;
}

/** Every .yaml/.yml file below `dir`, sorted; none when `dir` does not exist. */
export function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (name.endsWith('.yaml') || name.endsWith('.yml')) out.push(p);
  }
  return out;
}

interface YamlCase {
  note?: string;
  modules?: unknown[];
  want_error_code?: string;
}

/** Every module of every case under `<root>/<version>`. */
export function conformanceModules(version: 'v0' | 'v1'): ConformanceModule[] {
  const root = join(CONFORMANCE_ROOT, version);
  const out: ConformanceModule[] = [];
  for (const file of yamlFiles(root)) {
    const doc = parseYaml(readFileSync(file, 'utf8')) as { cases?: YamlCase[] } | null;
    for (const c of doc?.cases ?? []) {
      (c.modules ?? []).forEach((m, i) => {
        if (typeof m !== 'string') return;
        out.push({
          id: `${relative(CONFORMANCE_ROOT, file)}#${c.note ?? ''}#${i}`,
          text: m,
          ...(c.want_error_code ? { wantErrorCode: c.want_error_code } : {}),
        });
      });
    }
  }
  return out;
}
