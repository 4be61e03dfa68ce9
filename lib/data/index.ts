/**
 * Data: the embedded MNIST default, Fashion-MNIST and other IDX directories,
 * CSV files and synthetic blobs, behind one spec string:
 *   mnist | fashion | idx:DIR | csv:FILE
 */
import { ArgumentRangeError } from '../errors';
import { assertString } from '../validate';
import { Split } from './dataset';
import { loadCsv } from './csv';
import { loadFashionMnist, loadIdxDirectory } from './idx';
import { loadMnist } from './mnist';

export * from './dataset';
export { randomShift, type Augmentation } from './augment';
export { gaussianBlobs, type BlobOptions } from './blobs';
export { loadCsv, parseCsv, readCsv, type CsvOptions } from './csv';
export { FASHION_MNIST_DIR, loadFashionMnist, loadIdxDirectory, loadIdxSplit, parseIdx, readIdx, type IdxArray } from './idx';
export { MNIST_TRAIN_FRACTION, loadMnist } from './mnist';

export function loadDataset(spec: string): Split {
  assertString('spec', spec, 'a dataset spec (mnist, fashion, idx:DIR or csv:FILE)');
  if (spec === 'mnist') return loadMnist();
  if (spec === 'fashion') return loadFashionMnist();
  if (spec.startsWith('idx:') && spec.length > 4) return loadIdxDirectory(spec.slice(4));
  if (spec.startsWith('csv:') && spec.length > 4) return loadCsv(spec.slice(4));
  // A mistyped name is a bad argument (the CLI's exit 1), not bad data.
  throw new ArgumentRangeError(`unknown dataset '${spec}' (use mnist, fashion, idx:DIR or csv:FILE)`);
}
