import Down from '../down.js';

export default class DaemonStop extends Down {
  static summary = 'Stop the background daemon (same as `warden down`).';
  static examples = ['<%= config.bin %> daemon stop'];
}
