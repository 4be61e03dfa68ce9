/**
 * Output files and interrupts: outputs are rendered in memory first and
 * written at the end, each atomically, while Ctrl-C is held back, so an
 * interrupted command leaves every output either complete or absent, and
 * a failed write (before the renames that come last) leaves every output
 * file as it was.
 */
import { FASHION_MNIST_DIR, idxDirectoryFiles } from '../data/idx';
import { assertWritable, writeFilesAtomic, writeTargetOf } from '../files';
import { PrunekitError } from '../errors';
import { UsageError } from './recipe';

export class InterruptedError extends PrunekitError {}

export async function writeOutputs(files: { file: string; bytes: Uint8Array | string; what: string }[]): Promise<void> {
  let interrupted: NodeJS.Signals | null = null;
  const hold = (signal: NodeJS.Signals) => {
    interrupted = signal;
  };
  process.on('SIGINT', hold);
  process.on('SIGTERM', hold);
  try {
    writeFilesAtomic(files.map(({ file, bytes, what }) => ({ file, bytes: typeof bytes === 'string' ? Buffer.from(bytes) : bytes, what })));
    // A signal that arrived during the writes is delivered on the next turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('SIGINT', hold);
    process.off('SIGTERM', hold);
  }
  if (interrupted) throw new InterruptedError(`interrupted (${interrupted as string}) after writing ${files.map((f) => f.file).join(' and ')}`);
}

/**
 * Checks a command's outputs before the work: each writable, no two the same
 * file, and none a file the command reads (its recipe, checkpoint or data),
 * which the write would destroy.
 */
export function checkOutputs(outputs: { file: string; what: string }[], inputs: { file: string | undefined; what: string }[]): void {
  for (const { file, what } of outputs) assertWritable(file, what);
  const seen: { target: string; what: string }[] = [];
  for (const { file, what } of inputs) {
    const target = file === undefined ? null : writeTargetOf(file);
    if (target !== null) seen.push({ target, what });
  }
  for (const { file, what } of outputs) {
    const target = writeTargetOf(file);
    const clash = target === null ? undefined : seen.find((s) => s.target === target);
    if (clash) throw new UsageError(`${file}: cannot write ${what} over ${clash.what}`);
    if (target !== null) seen.push({ target, what });
  }
}

/** The files a data spec reads (csv:FILE, the IDX files of idx:DIR or of Fashion-MNIST), as inputs for checkOutputs. */
export function dataInputsOf(spec: string): { file: string; what: string }[] {
  const files = spec.startsWith('csv:') ? [spec.slice(4)]
    : spec.startsWith('idx:') ? idxDirectoryFiles(spec.slice(4))
      : spec === 'fashion' ? idxDirectoryFiles(FASHION_MNIST_DIR) : [];
  return files.map((file) => ({ file, what: 'the data' }));
}

/** The report module, loaded only when a report is written (Vega takes a quarter of a second to load). */
export async function loadReport(): Promise<typeof import('../report')> {
  return import('../report');
}
