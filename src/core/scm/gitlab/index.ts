// The GitLab reporters' registry line: `warden ci` picks reporters from here by --reporter name.
import type { Reporter } from '../types.js';
import { gitlabCodeQualityReporter } from './codequality.js';
import { gitlabDiscussionReporter } from './discussion.js';
import { gitlabStatusReporter } from './status.js';

export const gitlabReporters: Reporter[] = [gitlabDiscussionReporter, gitlabCodeQualityReporter, gitlabStatusReporter];

export { createGitlabClient, gitlabWebRoot } from './client.js';
