// The reporter registry: one line per reporter family (DESIGN §5). `--reporter NAME` picks from here.
import { WardenError } from '../errors.js';
import { githubReporters } from './github/index.js';
import { gitlabReporters } from './gitlab/index.js';
import { sarifReporter } from './sarif-reporter.js';
import type { CiContext, Reporter } from './types.js';

export interface ReporterOptions {
  /** --sarif FILE. */
  sarifFile?: string;
}

function registry(opts: ReporterOptions): Map<string, Reporter> {
  const all: Reporter[] = [...githubReporters, ...gitlabReporters, sarifReporter(opts.sarifFile)];
  return new Map(all.map((r) => [r.name, r]));
}

/** Every reporter name, for --help and errors. */
export function reporterNames(): string[] {
  return [...registry({}).keys()];
}

/**
 * The reporters `names` select, in order, duplicates dropped. A name that does not exist, or a
 * GitHub reporter outside GitHub (or GitLab outside GitLab), is a usage error (exit 2).
 */
export function resolveReporters(names: readonly string[], ci: CiContext, opts: ReporterOptions = {}): Reporter[] {
  const reg = registry(opts);
  const out: Reporter[] = [];
  for (const name of [...new Set(names)]) {
    const r = reg.get(name);
    if (!r) throw new WardenError('ci_reporter_unknown', `unknown reporter ${JSON.stringify(name)}`, { hint: `choose from: ${[...reg.keys()].join(', ')}` });
    if (r.provider !== 'any' && r.provider !== ci.provider) {
      throw new WardenError('ci_reporter_unavailable', `reporter ${name} needs ${r.provider === 'github' ? 'GitHub Actions' : 'GitLab CI'}, but this run is ${ci.provider === 'local' ? 'not in CI' : `in ${ci.provider}`}`, {
        hint: `outside CI pass --provider ${r.provider} with the values it needs (--repo/--project, --pr, --token, --api-url)`,
      });
    }
    out.push(r);
  }
  return out;
}
