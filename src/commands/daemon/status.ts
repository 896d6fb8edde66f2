import Status from '../status.js';

export default class DaemonStatus extends Status {
  static summary = 'Show the daemon\'s health (same as `warden status`).';
  static examples = ['<%= config.bin %> daemon status'];
}
