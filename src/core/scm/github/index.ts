// The GitHub reporters of `warden ci`, for the reporter registry: check run, review comments,
// workflow-command annotations, commit status and step summary. `createGithubReporters` builds the
// same set with client tuning (tests shrink retry and pacing delays).
import type { Reporter } from '../types.js';
import { createGithubAnnotationsReporter } from './annotations.js';
import { createGithubCheckReporter } from './check.js';
import { createGithubReviewReporter } from './review.js';
import type { GithubReporterOptions } from './shared.js';
import { createGithubStatusReporter } from './status.js';
import { createGithubSummaryReporter } from './summary.js';

export function createGithubReporters(options: GithubReporterOptions = {}): Reporter[] {
  return [
    createGithubCheckReporter(options),
    createGithubReviewReporter(options),
    createGithubAnnotationsReporter(),
    createGithubStatusReporter(options),
    createGithubSummaryReporter(),
  ];
}

export const githubReporters: Reporter[] = createGithubReporters();

export { createGithubClient, type GithubClient, type GithubClientOptions, type GithubClientTiming } from './client.js';
export type { GithubReporterOptions, GithubClientTuning } from './shared.js';
