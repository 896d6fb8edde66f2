import fs from 'node:fs';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { WardenError } from '../../core/errors.js';

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

function render(line: string): string {
  try {
    const j = JSON.parse(line) as Record<string, unknown>;
    const { time, level, msg, pid, hostname, ...rest } = j;
    void pid;
    void hostname;
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
    return `${new Date(Number(time)).toISOString()} ${(LEVELS[Number(level)] ?? String(level)).padEnd(5)} ${String(msg ?? '')}${extra}`;
  } catch {
    return line;
  }
}

export default class DaemonLogs extends BaseCommand<typeof DaemonLogs> {
  static summary = "Print the daemon's log (JSON lines, rendered for reading unless --raw).";
  static examples = ['<%= config.bin %> daemon logs', '<%= config.bin %> daemon logs -f', '<%= config.bin %> daemon logs -n 200 --raw'];
  static enableJsonFlag = false;
  static flags = {
    follow: Flags.boolean({ char: 'f', description: 'keep printing new lines as they are written (Ctrl-C to stop)' }),
    lines: Flags.integer({ char: 'n', description: 'how many of the last lines to print', default: 50, min: 0 }),
    raw: Flags.boolean({ description: 'print the JSON lines as stored' }),
  };

  async run(): Promise<void> {
    const file = this.deps.paths.logFile;
    if (!fs.existsSync(file)) {
      throw new WardenError('no_logs', `no daemon log at ${file}`, { hint: 'the daemon writes it once started: `warden up`' });
    }
    const emit = (l: string) => {
      if (l.trim() !== '') process.stdout.write(`${this.flags.raw ? l : render(l)}\n`);
    };
    const text = fs.readFileSync(file, 'utf8');
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop();
    for (const l of all.slice(Math.max(0, all.length - this.flags.lines))) emit(l);
    if (!this.flags.follow) return;
    let pos = Buffer.byteLength(text);
    let partial = '';
    await new Promise<void>(() => {
      fs.watchFile(file, { interval: 250 }, (cur) => {
        if (cur.size < pos) pos = 0; // truncated or rotated
        if (cur.size === pos) return;
        const fd = fs.openSync(file, 'r');
        const buf = Buffer.alloc(cur.size - pos);
        fs.readSync(fd, buf, 0, buf.length, pos);
        fs.closeSync(fd);
        pos = cur.size;
        const parts = (partial + buf.toString('utf8')).split('\n');
        partial = parts.pop() ?? '';
        for (const l of parts) emit(l);
      });
    });
  }
}
