/**
 * Output files and interrupts: outputs are rendered in memory first and
 * written at the end, each atomically, while Ctrl-C is held back, so an
 * interrupted command leaves every output either complete or absent.
 */
import { writeFileAtomic } from '../files';
import { PrunekitError } from '../errors';

export class InterruptedError extends PrunekitError {}

export async function writeOutputs(files: { file: string; bytes: Uint8Array | string; what: string }[]): Promise<void> {
  let interrupted: NodeJS.Signals | null = null;
  const hold = (signal: NodeJS.Signals) => {
    interrupted = signal;
  };
  process.on('SIGINT', hold);
  process.on('SIGTERM', hold);
  try {
    for (const { file, bytes, what } of files) writeFileAtomic(file, typeof bytes === 'string' ? Buffer.from(bytes) : bytes, what);
    // A signal that arrived during the writes is delivered on the next turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('SIGINT', hold);
    process.off('SIGTERM', hold);
  }
  if (interrupted) throw new InterruptedError(`interrupted (${interrupted as string}) after writing ${files.map((f) => f.file).join(' and ')}`);
}

/** The report module, loaded only when a report is written (Vega takes a quarter of a second to load). */
export async function loadReport(): Promise<typeof import('../report')> {
  return import('../report');
}
