/**
 * Progress on stderr: a bar per stage on a terminal (cli-progress), plain
 * lines when stderr is a pipe or file, nothing with --json or --quiet.
 */
import { Presets, SingleBar } from 'cli-progress';
import { Progress, silentProgress } from './pipeline';

class BarProgress implements Progress {
  private bar: SingleBar | null = null;

  start(stage: string, total: number): void {
    this.bar = new SingleBar(
      { format: `${stage.padEnd(22)} {bar} {percentage}% | {value}/{total} | {status} | ETA {eta_formatted}`, stream: process.stderr, hideCursor: true, clearOnComplete: false },
      Presets.shades_classic,
    );
    this.bar.start(total, 0, { status: '' });
  }

  tick(steps = 1, status = ''): void {
    this.bar?.increment(steps, { status });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

/** One line per stage when it ends (its steps, time and last status), for logs. */
class LineProgress implements Progress {
  private stage = '';
  private total = 0;
  private started = 0n;
  private status = '';

  start(stage: string, total: number): void {
    this.stage = stage;
    this.total = total;
    this.started = process.hrtime.bigint();
  }

  tick(_steps = 1, status = ''): void {
    this.status = status;
  }

  stop(failed = false): void {
    if (failed) return;
    const seconds = Number(process.hrtime.bigint() - this.started) / 1e9;
    process.stderr.write(`${this.stage}: ${this.total} steps in ${seconds.toFixed(1)} s${this.status ? ` (${this.status})` : ''}\n`);
  }
}

export function progressFor(options: { json?: boolean; quiet?: boolean }): Progress {
  if (options.json || options.quiet) return silentProgress;
  return process.stderr.isTTY ? new BarProgress() : new LineProgress();
}

/** A message for the user on stderr (silent with --json / --quiet). */
export function noteFor(options: { json?: boolean; quiet?: boolean }): (line: string) => void {
  return options.json || options.quiet ? () => {} : (line) => process.stderr.write(`${line}\n`);
}
