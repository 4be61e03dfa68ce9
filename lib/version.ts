/**
 * What prunekit's files record about themselves, below every file format so
 * each reader can tell the others' files apart: the version, from
 * package.json (in checkpoints and model files), and a model file's first 8
 * bytes (docs/FORMAT.md).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const VERSION = (require('../package.json') as { version: string }).version;

export const MAGIC = Uint8Array.of(0x89, 0x50, 0x52, 0x4b, 0x0d, 0x0a, 0x1a, 0x0a);
