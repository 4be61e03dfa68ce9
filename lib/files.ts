/**
 * File access with the library's errors: reads that fail say which file and
 * why (DataError), and writes are atomic (a temporary file in the same
 * directory, then a rename), so a crash or Ctrl-C never leaves half a file.
 */
import { Stats, accessSync, constants as fsConstants, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readFile, stat } from 'node:fs/promises';
import { ArgumentTypeError, DataError } from './errors';
import { describe, expected } from './validate';

/**
 * A Buffer over the bytes of a Uint8Array, without copying. A detached or
 * empty array has no buffer to view: it reads as zero bytes.
 */
export function bytesOf(bytes: Uint8Array): Buffer {
  if (Buffer.isBuffer(bytes)) return bytes;
  return bytes.byteLength === 0 ? Buffer.alloc(0) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function readError(file: string, e: unknown): DataError {
  if (e instanceof DataError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  return new DataError(`${file}: cannot read (${code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message})`);
}

// Files and pipes are read (a recipe may come from `<(...)`), devices are
// not: /dev/zero or /dev/urandom would be read forever.
function assertReadable(file: string, stats: Stats): void {
  if (stats.isDirectory()) throw new DataError(`${file}: cannot read (a directory, not a file)`);
  if (stats.isCharacterDevice() || stats.isBlockDevice()) throw new DataError(`${file}: cannot read (a device, not a file)`);
}

function assertPath(file: unknown): asserts file is string {
  if (typeof file !== 'string' || file.length === 0) throw new ArgumentTypeError(expected('a file path', 'file', describe(file)));
}

export function readFileBytes(file: string): Buffer {
  assertPath(file);
  try {
    assertReadable(file, statSync(file));
    return readFileSync(file);
  } catch (e) {
    throw readError(file, e);
  }
}

export async function readFileBytesAsync(file: string): Promise<Buffer> {
  assertPath(file);
  try {
    assertReadable(file, await stat(file));
    return await readFile(file);
  } catch (e) {
    throw readError(file, e);
  }
}

/** The target's kind, or undefined when there is none yet. */
function existing(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Throws DataError unless writeFileAtomic(file) can succeed as far as the file
 * system says now: not a directory, and a directory to create and rename the
 * file in that exists and can be written and searched (an existing device or
 * pipe must itself be writable). Commands check their outputs before the
 * work, so a mistyped path costs a second, not a whole run.
 */
export function assertWritable(file: string, what: string): void {
  assertPath(file);
  function cannot(why: string): never {
    throw new DataError(`${file}: cannot write ${what} (${why})`);
  }
  const target = existing(file);
  if (target?.isDirectory() || /[/\\]$/.test(file)) cannot('a directory, not a file');
  const access = (at: string, mode: number) => {
    try {
      accessSync(at, mode);
    } catch (e) {
      cannot(`${at}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  if (target !== undefined && !target.isFile()) return access(file, fsConstants.W_OK);
  // The temporary file is created beside the real file (through a link) and renamed over it.
  // Not path.resolve(file): it would fold 'link/..' as text, where the system follows the link.
  const dir = path.dirname(target === undefined ? file : realpathSync.native(file));
  const parent = existing(dir);
  if (parent === undefined) cannot(`the directory ${dir} does not exist`);
  if (!parent.isDirectory()) cannot(`${dir} is not a directory`);
  access(dir, fsConstants.W_OK | fsConstants.X_OK);
}

/**
 * What a path will name when written: its device and inode when it exists,
 * else its resolved path with symbolic links in its directory followed.
 * Null for an existing file that is not a regular file (/dev/null may take
 * several outputs).
 */
export function writeTargetOf(file: string): string | null {
  const target = existing(file);
  if (target !== undefined) return target.isFile() ? `inode ${target.dev}:${target.ino}` : null;
  // The directory as the system walks it (realpath(3); Node's own realpathSync folds 'link/..' as text first).
  try {
    return path.join(realpathSync.native(path.dirname(file)), path.basename(file));
  } catch {
    return path.resolve(file);
  }
}

/**
 * Writes several files as one: every regular file goes to a temporary file
 * first and is renamed over its target only when all were written, so a
 * failed write leaves every target as it was, except a device or pipe
 * written in place before it. (A rename that fails after others succeeded,
 * which a disk full cannot cause, would leave those replaced.)
 */
export function writeFilesAtomic(files: { file: string; bytes: Uint8Array; what: string }[]): void {
  for (const { file, what } of files) assertWritable(file, what);
  const staged: { tmp: string; real: string; file: string; what: string }[] = [];
  const fail = (file: string, what: string, e: unknown): never => {
    for (const s of staged) {
      try {
        unlinkSync(s.tmp);
      } catch {
        // nothing to clean up
      }
    }
    throw new DataError(`${file}: cannot write ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  };
  for (const { file, bytes, what } of files) {
    const target = existing(file);
    try {
      if (target !== undefined && !target.isFile()) {
        writeFileSync(file, bytes);
        continue;
      }
      // Through a symbolic link to the file it names: renaming over the link would replace the link.
      const real = target === undefined ? file : realpathSync.native(file);
      const tmp = `${real}.tmp-${process.pid}-${Date.now()}-${staged.length}`;
      staged.push({ tmp, real, file, what });
      writeFileSync(tmp, bytes);
    } catch (e) {
      fail(file, what, e);
    }
  }
  for (const s of staged) {
    try {
      renameSync(s.tmp, s.real);
    } catch (e) {
      fail(s.file, s.what, e);
    }
  }
}

/**
 * Writes bytes atomically; `what` names the content in the error ("the
 * checkpoint"). A target that exists and is not a regular file (/dev/null, a
 * pipe) is written in place: renaming over it would replace the device.
 */
export function writeFileAtomic(file: string, bytes: Uint8Array, what: string): void {
  writeFilesAtomic([{ file, bytes, what }]);
}
