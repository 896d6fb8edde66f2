import Up from '../up.js';

export default class DaemonStart extends Up {
  static summary = 'Start the daemon in the background (same as `warden up`).';
  static examples = ['<%= config.bin %> daemon start'];
}
