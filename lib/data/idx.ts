/**
 * IDX files (the MNIST format), raw or gzip-compressed: a magic number
 * (0, 0, element type, number of dimensions), big-endian 32-bit dimensions,
 * then the elements. Every length is checked against the bytes before any
 * allocation proportional to the claimed size.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { DataError } from '../errors';
import { bytesOf, readFileBytes } from '../files';
import { Tensor } from '../tensor';
import { assertString, assertUint8Array } from '../validate';
import { Dataset, MAX_CLASSES, Split, checkDataset } from './dataset';

export interface IdxArray {
  dims: number[];
  /** Elements as float32 (bytes keep their 0..255 values). */
  data: Float32Array;
}

const ELEMENT_SIZES: Record<number, number> = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 };
/** Refuse to inflate gzip input beyond this (a corrupt or hostile file). */
const MAX_INFLATED_BYTES = 2 ** 31 - 1;
/**
 * The header is looked for in growing prefixes of the compressed bytes, a
 * step at a time: a prefix that ends without a whole header inflated to
 * under 1 KiB, so the one that holds it inflates to at most 1 KiB plus
 * what a step can expand to (deflate's limit is about 1032:1, 16 MiB).
 */
const HEADER_STEP_BYTES = 16 * 1024;
/** Gzip framing before the IDX header (names, extra fields, empty members) beyond this is refused. */
const HEADER_SEARCH_BYTES = 1024 * 1024;
/** Trailing bytes inflated past the header's size, so that the error can count them as for a raw file. */
const TRAILING_BYTES_SHOWN = 64 * 1024;

interface IdxLayout {
  buf: Buffer;
  type: number;
  dims: number[];
  count: number;
  header: number;
}

/** Parses IDX bytes; `name` (usually the file path) appears in every error. */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  assertUint8Array('bytes', bytes);
  assertString('name', name);
  return idxElements(idxLayout(bytes, name), name);
}

/** Inflates and checks the header and the length; converts nothing, so a caller can check the dimensions first. */
function idxLayout(bytes: Uint8Array, name: string): IdxLayout {
  let buf = bytesOf(bytes);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) buf = inflate(buf, name);
  const { type, dims, count, header, expected } = idxHeader(buf, name);
  if (buf.length < expected) {
    throw new DataError(`${name}: truncated: dimensions [${dims.join(', ')}] need ${expected} bytes but the file has ${buf.length}`);
  }
  if (buf.length > expected) {
    throw new DataError(`${name}: ${buf.length - expected} unexpected bytes after the ${count} elements of [${dims.join(', ')}]`);
  }
  return { buf, type, dims, count, header };
}

/**
 * Inflates a gzip file no further than its IDX header says the file holds
 * (plus a little, to count trailing bytes): the header comes from a bounded
 * prefix first, so a small file that inflates to gigabytes is refused
 * before they are allocated.
 */
function inflate(gz: Buffer, name: string): Buffer {
  const whole = (b: Buffer) => b.length >= 4 && b.length >= 4 + 4 * b[3];
  let head: Buffer;
  for (let prefix = HEADER_STEP_BYTES; ; prefix += HEADER_STEP_BYTES) {
    try {
      // Z_SYNC_FLUSH returns what a truncated stream holds instead of failing.
      head = gunzipSync(gz.subarray(0, prefix), { finishFlush: constants.Z_SYNC_FLUSH });
    } catch (e) {
      throw new DataError(`${name}: not a valid gzip file (${(e as Error).message})`);
    }
    if (whole(head) || prefix >= gz.length) break;
    if (prefix >= HEADER_SEARCH_BYTES) {
      throw new DataError(`${name}: no IDX header in the first ${HEADER_SEARCH_BYTES} bytes of the gzip stream`);
    }
  }
  let limit = MAX_INFLATED_BYTES;
  let layout: { dims: number[]; expected: number } | undefined;
  // Without a whole header the file ends early; inflating it all (under
  // 1 KiB) names what is wrong, the gzip stream or the header.
  if (whole(head)) {
    layout = idxHeader(head, name);
    if (layout.expected > MAX_INFLATED_BYTES) {
      throw new DataError(`${name}: dimensions [${layout.dims.join(', ')}] need ${layout.expected} bytes, more than the ${MAX_INFLATED_BYTES} prunekit inflates`);
    }
    limit = Math.min(MAX_INFLATED_BYTES, layout.expected + TRAILING_BYTES_SHOWN);
  }
  try {
    return gunzipSync(gz, { maxOutputLength: limit });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' && layout !== undefined) {
      throw new DataError(`${name}: inflates to more than the ${layout.expected} bytes its dimensions [${layout.dims.join(', ')}] need`);
    }
    throw new DataError(`${name}: not a valid gzip file (${(e as Error).message})`);
  }
}

/** The header's fields and the file size they imply; throws on a malformed header. */
function idxHeader(buf: Buffer, name: string): { type: number; dims: number[]; count: number; header: number; expected: number } {
  if (buf.length < 4) throw new DataError(`${name}: too short for an IDX header (${buf.length} bytes)`);
  if (buf[0] !== 0 || buf[1] !== 0) {
    throw new DataError(`${name}: bad magic number 0x${buf.subarray(0, 4).toString('hex')} (an IDX file starts with 0x0000)`);
  }
  const type = buf[2], ndims = buf[3];
  const size = ELEMENT_SIZES[type];
  if (size === undefined) throw new DataError(`${name}: unknown IDX element type 0x${type.toString(16)}`);
  if (ndims === 0) throw new DataError(`${name}: IDX file declares 0 dimensions`);
  const header = 4 + 4 * ndims;
  if (buf.length < header) throw new DataError(`${name}: truncated IDX header (${buf.length} of ${header} bytes)`);
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < ndims; d++) {
    const dim = buf.readUInt32BE(4 + 4 * d);
    dims.push(dim);
    count *= dim;
  }
  return { type, dims, count, header, expected: header + count * size };
}

function idxElements({ buf, type, dims, count, header }: IdxLayout, name: string): IdxArray {
  let data: Float32Array;
  try {
    data = new Float32Array(count);
  } catch {
    throw new DataError(`${name}: ${count} elements as float32 do not fit in memory`);
  }
  const body = buf.subarray(header);
  switch (type) {
    case 0x08: for (let i = 0; i < count; i++) data[i] = body[i]; break;
    case 0x09: for (let i = 0; i < count; i++) data[i] = body.readInt8(i); break;
    case 0x0b: for (let i = 0; i < count; i++) data[i] = body.readInt16BE(2 * i); break;
    case 0x0c: for (let i = 0; i < count; i++) data[i] = body.readInt32BE(4 * i); break;
    case 0x0d: for (let i = 0; i < count; i++) data[i] = body.readFloatBE(4 * i); break;
    default:
      for (let i = 0; i < count; i++) {
        const v = body.readDoubleBE(8 * i);
        data[i] = v;
        // NaN and Infinity are kept as stored; a finite double must not become an infinite float32.
        if (Number.isFinite(v) && !Number.isFinite(data[i])) throw new DataError(`${name}: element ${i} (${v}) is beyond the float32 range`);
      }
      break;
  }
  return { dims, data };
}

export function readIdx(file: string): IdxArray {
  assertString('file', file, 'a file path');
  return parseIdx(readFileBytes(file), file);
}

/** The first of `base` and `base.gz` that exists in dir, or an error naming both. */
function findFile(dir: string, base: string): string {
  for (const candidate of [base, `${base}.gz`]) {
    const file = path.join(dir, candidate);
    if (existsSync(file)) return file;
  }
  throw new DataError(`${path.join(dir, base)}: no such file (nor ${base}.gz)`);
}

/**
 * The files loadIdxDirectory(dir) reads, of those that exist, and the raw
 * name beside a .gz it reads (a file written there would be read instead).
 */
export function idxDirectoryFiles(dir: string): string[] {
  assertString('dir', dir, 'a directory path');
  const files: string[] = [];
  for (const prefix of ['train', 't10k']) {
    for (const kind of ['images-idx3', 'labels-idx1']) {
      const base = path.join(dir, `${prefix}-${kind}-ubyte`);
      if (existsSync(base)) files.push(base);
      else if (existsSync(`${base}.gz`)) files.push(`${base}.gz`, base);
    }
  }
  return files;
}

/**
 * One split of an MNIST-format directory: `<prefix>-images-idx3-ubyte[.gz]`
 * and `<prefix>-labels-idx1-ubyte[.gz]`. Pixels are scaled to [0, 1].
 */
export function loadIdxSplit(dir: string, prefix: string, name: string): Dataset {
  assertString('dir', dir, 'a directory path');
  assertString('prefix', prefix);
  assertString('name', name);
  const imagesFile = findFile(dir, `${prefix}-images-idx3-ubyte`);
  const labelsFile = findFile(dir, `${prefix}-labels-idx1-ubyte`);
  // The labels (small) first: a count that disagrees is found before millions of pixels are converted.
  const labels = readIdx(labelsFile);
  const layout = idxLayout(readFileBytes(imagesFile), imagesFile);
  if (layout.dims.length === 3 && labels.dims.length === 1 && labels.dims[0] !== layout.dims[0]) {
    throw new DataError(`${labelsFile}: ${labels.dims[0]} labels for the ${layout.dims[0]} images of ${imagesFile}`);
  }
  const images = idxElements(layout, imagesFile);
  if (images.dims.length !== 3) throw new DataError(`${imagesFile}: expected 3 dimensions (n, rows, cols) but found ${images.dims.length}`);
  if (labels.dims.length !== 1) throw new DataError(`${labelsFile}: expected 1 dimension (n) but found ${labels.dims.length}`);
  const [n, rows, cols] = images.dims;
  // With no images the file's size bounds neither rows nor cols.
  if (n === 0) throw new DataError(`${imagesFile}: no images`);
  if (labels.dims[0] !== n) {
    throw new DataError(`${labelsFile}: ${labels.dims[0]} labels for the ${n} images of ${imagesFile}`);
  }
  const pixels = rows * cols;
  const x = new Tensor(images.data, [n, pixels]);
  for (let i = 0; i < x.size; i++) {
    if (!Number.isFinite(x.data[i])) throw new DataError(`${imagesFile}: pixel ${i % pixels} of image ${Math.floor(i / pixels)} is ${x.data[i]}`);
    x.data[i] /= 255;
  }
  // Labels are checked as stored (floats for some element types), before Int32Array.from truncates or wraps them.
  let classes = 0;
  for (let i = 0; i < n; i++) {
    const label = labels.data[i];
    if (!Number.isInteger(label) || label < 0 || label >= MAX_CLASSES) {
      throw new DataError(`${labelsFile}: label ${label} of sample ${i} is not a class index in [0, ${MAX_CLASSES})`);
    }
    classes = Math.max(classes, label + 1);
  }
  const y = Int32Array.from(labels.data);
  return checkDataset({ name, x, y, classes: Math.max(classes, 10), sampleShape: [1, rows, cols] });
}

/** An MNIST-format directory with train-* and t10k-* files. */
export function loadIdxDirectory(dir: string, name?: string): Split {
  assertString('dir', dir, 'a directory path');
  if (name === undefined) name = `idx:${dir}`;
  assertString('name', name);
  const train = loadIdxSplit(dir, 'train', `${name} train`), test = loadIdxSplit(dir, 't10k', `${name} test`);
  // Checked here, not after a training run that the test split could never evaluate.
  if (test.sampleShape.join() !== train.sampleShape.join()) {
    throw new DataError(`${findFile(dir, 't10k-images-idx3-ubyte')}: test images of ${test.sampleShape.slice(1).join('×')} pixels, but training images of ${train.sampleShape.slice(1).join('×')}`);
  }
  if (test.classes > train.classes) {
    throw new DataError(`${findFile(dir, 't10k-labels-idx1-ubyte')}: test label ${test.classes - 1} is past the ${train.classes} classes of the training split`);
  }
  return { train, test: { ...test, classes: train.classes } };
}

/** Where Debian's dataset-fashion-mnist package installs Fashion-MNIST. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Fashion-MNIST: 60,000 training and 10,000 test images of 10 clothing classes. */
export function loadFashionMnist(dir = FASHION_MNIST_DIR): Split {
  assertString('dir', dir, 'a directory path');
  if (!existsSync(dir)) {
    throw new DataError(`${dir}: Fashion-MNIST not found; install it with: apt-get install dataset-fashion-mnist`);
  }
  return loadIdxDirectory(dir, 'fashion');
}
