import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  DataError, Random, Tensor, batches, gaussianBlobs, holdOut, loadCsv, loadDataset,
  applyNormalizer, loadFashionMnist, loadIdxDirectory, loadMnist, normalize, parseCsv, parseIdx, randomShift, ArgumentRangeError,
  SGD, mlp, train, ArgumentTypeError, NonFiniteError, MAX_CLASSES, checkDataset, datasetSize, subset, readCsv,
  loadIdxSplit, readIdx, ShapeError,
} from '../lib';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'prunekit-data-'));

/** An IDX file: magic (0, 0, type, ndims), big-endian dims, bytes. */
function idx(type: number, dims: number[], body: Buffer): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, body]);
}

function writeMnistDir(dir: string, n: number, labels: number[], gz: boolean): void {
  const images = idx(0x08, [n, 2, 3], Buffer.from(Array.from({ length: n * 6 }, (_, i) => (i * 37) % 256)));
  const lab = idx(0x08, [labels.length], Buffer.from(labels));
  for (const prefix of ['train', 't10k']) {
    writeFileSync(path.join(dir, `${prefix}-images-idx3-ubyte${gz ? '.gz' : ''}`), gz ? gzipSync(images) : images);
    writeFileSync(path.join(dir, `${prefix}-labels-idx1-ubyte${gz ? '.gz' : ''}`), gz ? gzipSync(lab) : lab);
  }
}

describe('embedded MNIST', () => {
  it('has the documented 80/20 split of the 10,000 real digits', () => {
    const { train, test } = loadMnist();
    expect(train.y.length + test.y.length).toBe(10_000);
    expect(train.y.length).toBe(7996);
    expect(train.x.shape).toEqual([7996, 784]);
    expect(train.sampleShape).toEqual([1, 28, 28]);
    const perClass = new Array(10).fill(0);
    test.y.forEach((c) => perClass[c]++);
    expect(Math.min(...perClass)).toBeGreaterThan(150);
    let min = Infinity, max = -Infinity, ink = 0;
    for (const v of train.x.data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      ink += v;
    }
    expect([min, max]).toEqual([0, 1]);
    // real digits: about 13% of the pixel mass is ink (MNIST's mean pixel is 0.13)
    expect(ink / train.x.size).toBeGreaterThan(0.1);
    expect(ink / train.x.size).toBeLessThan(0.16);
    expect(loadDataset('mnist')).toBe(loadMnist());
  });
});

describe('IDX reader', () => {
  it.each([false, true])('reads an MNIST-format directory (gzip: %p)', (gz) => {
    const dir = mkdtempSync(path.join(tmp, 'idx-'));
    writeMnistDir(dir, 4, [3, 1, 4, 1], gz);
    const { train, test } = loadIdxDirectory(dir);
    expect(train.x.shape).toEqual([4, 6]);
    expect(Array.from(train.y)).toEqual([3, 1, 4, 1]);
    expect(train.x.data[1]).toBeCloseTo(37 / 255, 6);
    expect(test.sampleShape).toEqual([1, 2, 3]);
  });

  it('reads every element type', () => {
    const floats = Buffer.alloc(8);
    floats.writeFloatBE(1.5, 0);
    floats.writeFloatBE(-2, 4);
    expect(Array.from(parseIdx(idx(0x0d, [2], floats), 'f').data)).toEqual([1.5, -2]);
    const shorts = Buffer.alloc(4);
    shorts.writeInt16BE(-300, 0);
    shorts.writeInt16BE(7, 2);
    expect(Array.from(parseIdx(idx(0x0b, [2], shorts), 's').data)).toEqual([-300, 7]);
    expect(Array.from(parseIdx(idx(0x09, [2], Buffer.from([0xff, 5])), 'b').data)).toEqual([-1, 5]);
  });

  it.each([
    ['a short file', Buffer.from([0, 0]), 'f: too short for an IDX header (2 bytes)'],
    ['a bad magic number', Buffer.from([1, 2, 8, 1, 0, 0, 0, 0]), 'f: bad magic number 0x01020801 (an IDX file starts with 0x0000)'],
    ['an unknown type', idx(0x07, [1], Buffer.from([1])), 'f: unknown IDX element type 0x7'],
    ['a truncated body', idx(0x08, [10, 10], Buffer.alloc(50)), 'f: truncated: dimensions [10, 10] need 112 bytes but the file has 62'],
    ['a huge declared size', idx(0x08, [0xffffffff, 0xffffffff], Buffer.alloc(4)), 'f: truncated: dimensions [4294967295, 4294967295] need'],
    ['trailing bytes', idx(0x08, [2], Buffer.alloc(5)), 'f: 3 unexpected bytes after the 2 elements of [2]'],
    ['a broken gzip stream', Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]), 'f: not a valid gzip file'],
    ['a gzip stream cut short', gzipSync(idx(0x08, [4000], Buffer.alloc(4000, 7))).subarray(0, 20), 'f: not a valid gzip file (unexpected end of file)'],
    ['a gzip with a bad IDX header', gzipSync(Buffer.from([1, 2, 8, 1, 0, 0, 0, 0])), 'f: bad magic number 0x01020801'],
    // 40 KB that inflate to 40 MB past a header of 2 bytes: refused before the 40 MB are allocated
    ['a gzip that inflates past its header', gzipSync(idx(0x08, [2], Buffer.alloc(40e6))), 'f: inflates to more than the 10 bytes its dimensions [2] need'],
    // the same behind 80 KB of empty gzip members, which once pushed the header out of the prefix read first
    ['a gzip bomb behind empty members', Buffer.concat([...Array<Buffer>(4000).fill(gzipSync(Buffer.alloc(0))), gzipSync(idx(0x08, [2], Buffer.alloc(40e6)))]), 'f: inflates to more than the 10 bytes its dimensions [2] need'],
    ['a gzip with no IDX header in its first MiB', Buffer.concat(Array<Buffer>(60000).fill(gzipSync(Buffer.alloc(0)))), 'f: no IDX header in the first 1048576 bytes of the gzip stream'],
    ['trailing bytes in a gzip', gzipSync(idx(0x08, [2], Buffer.alloc(5))), 'f: 3 unexpected bytes after the 2 elements of [2]'],
    ['a gzip too large to inflate', gzipSync(idx(0x08, [3e9], Buffer.alloc(0))), 'f: dimensions [3000000000] need 3000000008 bytes, more than the 2147483647 prunekit inflates'],
  ])('rejects %s with a DataError', (_what, bytes, message) => {
    const call = () => parseIdx(bytes, 'f');
    expect(call).toThrow(DataError);
    expect(call).toThrow(message);
  });

  it('reads a gzip file whose own header fields outgrow the prefix it first inflates for the IDX header', () => {
    const file = idx(0x08, [3], Buffer.from([1, 2, 3]));
    const plain = gzipSync(file);
    // FLG.FEXTRA with 65,535 bytes of extra field between gzip's header and the deflate stream
    const extra = Buffer.alloc(2 + 65535, 0x41);
    extra.writeUInt16LE(65535, 0);
    const head = Buffer.from(plain.subarray(0, 10));
    head[3] |= 4;
    const gz = Buffer.concat([head, extra, plain.subarray(10)]);
    expect(Array.from(parseIdx(gz, 'x').data)).toEqual([1, 2, 3]);
  });

  it('rejects a label/image count mismatch, naming the files', () => {
    const dir = mkdtempSync(path.join(tmp, 'idx-'));
    writeMnistDir(dir, 4, [1, 2, 3], false);
    const call = () => loadIdxDirectory(dir);
    expect(call).toThrow(DataError);
    expect(call).toThrow(`${path.join(dir, 'train-labels-idx1-ubyte')}: 3 labels for the 4 images of ${path.join(dir, 'train-images-idx3-ubyte')}`);
  });

  it('names a missing file', () => {
    const dir = mkdtempSync(path.join(tmp, 'idx-'));
    expect(() => loadIdxDirectory(dir)).toThrow(`${path.join(dir, 'train-images-idx3-ubyte')}: no such file (nor train-images-idx3-ubyte.gz)`);
    expect(() => loadDataset(`idx:${dir}`)).toThrow(DataError);
  });

  // The README's test command and .ci/run install dataset-fashion-mnist; without it this fails, naming the package.
  it("loads the full Fashion-MNIST from Debian's dataset-fashion-mnist", () => {
    const { train, test } = loadFashionMnist();
    expect([train.y.length, test.y.length]).toEqual([60_000, 10_000]);
    expect(train.classes).toBe(10);
    const perClass = new Array(10).fill(0);
    test.y.forEach((c) => perClass[c]++);
    expect(perClass).toEqual(new Array(10).fill(1000));
  });

  it('names the package to install when Fashion-MNIST is missing', () => {
    expect(() => loadFashionMnist(path.join(tmp, 'nowhere'))).toThrow('install it with: apt-get install dataset-fashion-mnist');
  });
});

describe('CSV reader', () => {
  it('reads a header, a named label column and string labels', () => {
    const ds = parseCsv('a,species,b\n1,setosa,2\n3.5,virginica,-4\n0,setosa,1e2\n', 'iris.csv', { labelColumn: 'species' });
    expect(ds.x.shape).toEqual([3, 2]);
    expect(Array.from(ds.x.data)).toEqual([1, 2, 3.5, -4, 0, 100]);
    expect(ds.labelNames).toEqual(['setosa', 'virginica']);
    expect(Array.from(ds.y)).toEqual([0, 1, 0]);
  });

  it('reads headerless numeric files with integer labels in column 0', () => {
    const ds = parseCsv('2,0.5,0.25\r\n0,1,1\r\n\r\n1,0,0\r\n', 'n.csv');
    expect(Array.from(ds.y)).toEqual([2, 0, 1]);
    expect(ds.classes).toBe(3);
    expect(ds.sampleShape).toEqual([2]);
  });

  it.each([
    ['label,x\n1,abc\n', "bad.csv: line 2, column 2 ('x'): 'abc' is not a number"],
    ['label,x\n1,\n', "bad.csv: line 2, column 2 ('x'): '' is not a number"],
    ['label,x,y\n1,2\n', 'bad.csv: line 2 has 2 cells, expected 3'],
    ['', 'bad.csv: the file is empty'],
    ['label,x\n', 'bad.csv: no data rows'],
    ['label\n1\n', 'bad.csv: needs a label column and at least one feature column'],
    // Numbers are decimal: Number() alone would read these as 16 and 1.
    ['label,x\n1,0x10\n', "bad.csv: line 2, column 2 ('x'): '0x10' is not a number"],
    ['label,x\n1,0b1\n', "bad.csv: line 2, column 2 ('x'): '0b1' is not a number"],
    // Names and numbers in one label column: read as names, '10' would sort before '2'.
    ['label,x\n2,0\n10,1\ncat,2\n', "bad.csv: line 4, column 1 ('label'): label 'cat' is a name, but label '2' on line 2 is a number"],
    ['label,x\ncat,0\n1,1\n', "bad.csv: line 3, column 1 ('label'): label '1' is a number, but label 'cat' on line 2 is a name"],
    ['label,x\n1,0\n,1\n', "bad.csv: line 3, column 1 ('label'): the label is empty"],
  ])('rejects %p', (text, message) => {
    const call = () => parseCsv(text, 'bad.csv');
    expect(call).toThrow(DataError);
    expect(call).toThrow(message);
  });

  it('rejects an unknown label column and a missing file', () => {
    expect(() => parseCsv('a,b\n1,2\n', 'f.csv', { labelColumn: 'c' })).toThrow("f.csv: no column named 'c' (columns: a, b)");
    expect(() => loadCsv(path.join(tmp, 'missing.csv'))).toThrow(`${path.join(tmp, 'missing.csv')}: cannot read (no such file)`);
  });

  it('reads whole-number labels as class indices (1.0 is 1) and other numbers as classes in numeric order', () => {
    const floats = parseCsv('label,x\n1.0,0\n2,1\n1,2\n', 'f.csv');
    expect([Array.from(floats.y), floats.classes, floats.labelNames]).toEqual([[1, 2, 1], 3, undefined]);
    const libsvm = parseCsv('label,x\n1,0\n-1,1\n10,2\n-1,3\n2.5,4\n', 'l.csv');
    expect([Array.from(libsvm.y), libsvm.labelNames]).toEqual([[1, 0, 3, 0, 2], ['-1', '1', '2.5', '10']]);
  });

  it('reads old Mac line endings (CR only), and refuses a file too small for a test split', () => {
    expect(parseCsv('label,x\r0,1\r1,2\r', 'mac.csv').y).toEqual(Int32Array.of(0, 1));
    const file = path.join(tmp, 'tiny.csv');
    writeFileSync(file, 'label,x\n0,1\n1,2\n0,3\n1,4\n');
    expect(() => loadCsv(file)).toThrow(DataError);
    expect(() => loadCsv(file)).toThrow(`${file}: 4 rows leave the test split empty (20% of each class is held out for testing); add rows`);
  });

  it('splits a file into stratified train and test sets', () => {
    const file = path.join(tmp, 'blobs.csv');
    const rows = ['label,x,y'];
    for (let i = 0; i < 100; i++) rows.push(`${i % 2},${i},${-i}`);
    writeFileSync(file, rows.join('\n'));
    const { train, test } = loadDataset(`csv:${file}`);
    expect([train.y.length, test.y.length]).toEqual([80, 20]);
    expect(test.y.reduce((s, v) => s + v, 0)).toBe(10);
  });
});

function* enumerate<T>(items: Iterable<T>): Generator<[number, T]> {
  let i = 0;
  for (const item of items) yield [i++, item];
}

describe('blobs, splits, normalisation and batches', () => {
  it('makes the same blobs for the same seed and different ones otherwise', () => {
    const a = gaussianBlobs({ samples: 90, features: 4, classes: 3, seed: 5 });
    const b = gaussianBlobs({ samples: 90, features: 4, classes: 3, seed: 5 });
    const c = gaussianBlobs({ samples: 90, features: 4, classes: 3, seed: 6 });
    expect(Array.from(a.x.data)).toEqual(Array.from(b.x.data));
    expect(Array.from(a.x.data)).not.toEqual(Array.from(c.x.data));
    expect(a.x.shape).toEqual([90, 4]);
  });

  it('holds out a stratified validation set without overlap', () => {
    const ds = gaussianBlobs({ samples: 1000, classes: 4, seed: 1 });
    const { train, validation } = holdOut(ds, 0.1, 3);
    expect([train.y.length, validation.y.length]).toEqual([900, 100]);
    const perClass = new Array(4).fill(0);
    validation.y.forEach((c) => perClass[c]++);
    expect(perClass).toEqual([25, 25, 25, 25]);
    expect(() => holdOut(ds, 1)).toThrow('Expected a number in (0, 1) for fraction but received the number 1');
  });

  it('standardizes with training statistics only', () => {
    const train = { name: 't', x: Tensor.from([1, 10, 3, 10], [2, 2]), y: Int32Array.from([0, 1]), classes: 2, sampleShape: [2] };
    const test = { ...train, x: Tensor.from([5, 7], [1, 2]), y: Int32Array.from([0]) };
    const out = normalize({ train, test }, 'standardize');
    expect(Array.from(out.train.x.data)).toEqual([-1, 0, 1, 0]); // constant feature only centred
    expect(Array.from(out.test.x.data)).toEqual([3, -3]);
    expect(Array.from(normalize({ train, test }, 'minmax').test.x.data)).toEqual([2, -3]);
    expect(train.x.data[0]).toBe(1); // inputs untouched
    expect(() => normalize({ train, test }, 'zscore' as never)).toThrow(ArgumentRangeError);
    expect(() => normalize({ train, test }, 'zscore' as never)).toThrow("Expected one of 'none', 'standardize', 'minmax' for mode but received 'zscore'");
  });

  it('gives its statistics back, so a server normalizes requests as training did; takes holdOut\'s split too', () => {
    const train = { name: 't', x: Tensor.from([1, 10, 3, 10], [2, 2]), y: Int32Array.from([0, 1]), classes: 2, sampleShape: [2] };
    const test = { ...train, x: Tensor.from([5, 7], [1, 2]), y: Int32Array.from([0]) };
    const out = normalize({ train, test }, 'standardize');
    expect(out.normalizer).toEqual({ mode: 'standardize', offset: [2, 10], scale: [1, 1] });
    const stored = JSON.parse(JSON.stringify(out.normalizer)); // as model metadata would keep it
    expect(Array.from(applyNormalizer(test.x, stored))).toEqual(Array.from(out.test.x.data));
    expect(Array.from(applyNormalizer(Float32Array.of(2, 11, 4, 9), stored))).toEqual([0, 1, 2, -1]);
    expect(normalize({ train, test }, 'minmax').normalizer).toEqual({ mode: 'minmax', offset: [1, 10], scale: [2, 1] });
    expect(normalize({ train, test }, 'none').normalizer).toBeNull();
    const blobs = gaussianBlobs({ samples: 40, features: 3, classes: 2, seed: 1 });
    const held = normalize(holdOut(blobs, 0.25, 0), 'minmax');
    expect(Object.keys(held).sort()).toEqual(['normalizer', 'train', 'validation']);
    expect(Math.min(...held.train.x.data)).toBe(0);
    expect(Math.max(...held.train.x.data)).toBe(1);
    expectError(() => applyNormalizer(Float32Array.of(1, 2, 3), stored), ShapeError, "Expected a multiple of the normalizer's 2 features for x but received length 3");
    expectError(() => applyNormalizer(Tensor.zeros([3, 4]), stored), ShapeError, "Expected shape [batch, 2] (the normalizer's features) for x but received shape [3, 4]");
  });

  it('batches cover every sample once, in a seeded order', () => {
    const ds = gaussianBlobs({ samples: 103, features: 3, seed: 2 });
    const seen: number[] = [];
    let sizes: number[] = [];
    for (const b of batches(ds, 10, { seed: 9 })) {
      sizes.push(b.y.length);
      b.indices.forEach((i, k) => {
        seen.push(i);
        expect(b.y[k]).toBe(ds.y[i]);
        expect(Array.from(b.x.data.subarray(k * 3, k * 3 + 3))).toEqual(Array.from(ds.x.data.subarray(i * 3, i * 3 + 3)));
      });
    }
    expect(sizes).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3]);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 103 }, (_, i) => i));
    const again = [...batches(ds, 10, { seed: 9 })].flatMap((b) => Array.from(b.indices));
    expect(again).toEqual(seen);
    sizes = [...batches(ds, 50)].map((b) => b.y.length);
    expect(sizes).toEqual([50, 50, 3]);
  });

  it('reused batches hold what fresh ones hold, in one buffer that each batch overwrites', () => {
    const ds = gaussianBlobs({ samples: 103, features: 5, seed: 4 });
    const fresh = [...batches(ds, 16, { seed: 3 })];
    const buffers = new Set<ArrayBufferLike>();
    let count = 0;
    for (const [i, b] of enumerate(batches(ds, 16, { seed: 3, reuse: true }))) {
      expect(b.x.shape).toEqual(fresh[i].x.shape);
      expect(Array.from(b.x.data)).toEqual(Array.from(fresh[i].x.data));
      expect(Array.from(b.y)).toEqual(Array.from(fresh[i].y));
      buffers.add(b.x.data.buffer);
      count++;
    }
    expect(count).toBe(7);
    expect(buffers.size).toBe(1);
    expect(new Set(fresh.map((b) => b.x.data.buffer)).size).toBe(7);
    expect(() => batches(ds, 16, { reuse: 'yes' as never })).toThrow('Expected a boolean for options.reuse but received a string');
  });

  it('Random is deterministic and its permutations are permutations', () => {
    const a = new Random(42), b = new Random(42);
    expect([a.next(), a.normal(), a.int(10)]).toEqual([b.next(), b.normal(), b.int(10)]);
    const p = new Random(1).permutation(1000);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    let sum = 0, sq = 0;
    const r = new Random(7);
    for (let i = 0; i < 20000; i++) {
      const v = r.normal();
      sum += v;
      sq += v * v;
    }
    expect(Math.abs(sum / 20000)).toBeLessThan(0.03);
    expect(Math.abs(sq / 20000 - 1)).toBeLessThan(0.05);
  });

  it('rejects an unknown dataset spec', () => {
    expect(() => loadDataset('cifar')).toThrow(ArgumentRangeError);
    expect(() => loadDataset('cifar')).toThrow("unknown dataset 'cifar' (use mnist, fashion, idx:DIR or csv:FILE)");
  });
});

describe('augmentation', () => {
  it('randomShift moves each image by whole pixels within the bound, filling the border with 0 (hand-worked 3×4 image)', () => {
    const image = Float32Array.from({ length: 12 }, (_, i) => i + 1); // rows [1 2 3 4] [5 6 7 8] [9 10 11 12]
    const shift = randomShift([1, 3, 4], 1);
    const seen = new Set<string>();
    const rng = new Random(5);
    for (let trial = 0; trial < 200; trial++) {
      const batch = new Tensor(image.slice(), [1, 12]);
      shift(batch, rng);
      // recover (dx, dy) from where pixel value 6 (row 1, column 1) went, then check every pixel against a plain loop
      const at = batch.data.indexOf(6);
      const dy = Math.floor(at / 4) - 1, dx = (at % 4) - 1;
      expect(Math.abs(dx) <= 1 && Math.abs(dy) <= 1).toBe(true);
      seen.add(`${dx},${dy}`);
      for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) {
        const sy = y - dy, sx = x - dx;
        const want = sy >= 0 && sy < 3 && sx >= 0 && sx < 4 ? image[sy * 4 + sx] : 0;
        expect(batch.data[y * 4 + x]).toBe(want);
      }
    }
    expect(seen.size).toBe(9); // every shift in [-1, 1]² occurs
    const two = new Tensor(new Float32Array([...image, ...image]), [2, 12]);
    randomShift([3, 4], 0)(two, rng);
    expect(Array.from(two.data)).toEqual([...image, ...image]); // a bound of 0 is the identity
  });

  it('training with augmentation is reproducible per seed and leaves the dataset untouched', () => {
    const data = { ...gaussianBlobs({ samples: 200, features: 16, classes: 2, seed: 3 }), sampleShape: [4, 4] };
    const before = data.x.data.slice();
    const run = (seed: number) => {
      const model = mlp([16, 8, 2], { seed: 1 });
      train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.05 }), epochs: 2, batchSize: 20, seed, augment: randomShift(data.sampleShape, 1) });
      return Array.from(model.parameters()[0].value.data);
    };
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
    expect(Array.from(data.x.data)).toEqual(Array.from(before));
  });

  it('refuses shapes and bounds that are not images, naming the problem', () => {
    expect(() => randomShift([784], 2)).toThrow(ArgumentRangeError);
    expect(() => randomShift([784], 2)).toThrow('Expected an image shape [channels, height, width] or [height, width] for sampleShape but received [784]');
    expect(() => randomShift([28, 28], 28)).toThrow(/maxShift/);
    expect(() => randomShift([28, 28], 1)(Tensor.zeros([2, 10]), new Random(1))).toThrow('Expected 784 features per sample (1×28×28) for batch but received 10');
    const model = mlp([2, 2]);
    expect(() => train(model, gaussianBlobs({ samples: 4, features: 2, classes: 2 }), { optimizer: new SGD(model.parameters(), { lr: 0.1 }), epochs: 1, augment: 3 as never })).toThrow('Expected a function (batch, rng) => void for augment but received the number 3');
  });
});

/** Asserts the error's class and message. */
function expectError(call: () => unknown, type: new (message: string) => Error, message: string | RegExp): void {
  expect(call).toThrow(type);
  expect(call).toThrow(message);
}

/** An MNIST-format directory whose train and t10k splits both hold these IDX files. */
function writeIdxDir(images: Buffer, labels: Buffer): string {
  const dir = mkdtempSync(path.join(tmp, 'idx-'));
  for (const prefix of ['train', 't10k']) {
    writeFileSync(path.join(dir, `${prefix}-images-idx3-ubyte`), images);
    writeFileSync(path.join(dir, `${prefix}-labels-idx1-ubyte`), labels);
  }
  return dir;
}

function int32s(values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeInt32BE(v, 4 * i));
  return b;
}

describe('bad input (found by fuzzing)', () => {
  const blobs = gaussianBlobs({ samples: 12, features: 2, classes: 3 });

  it(`caps the number of classes at MAX_CLASSES (${MAX_CLASSES}) instead of allocating for it`, () => {
    expect(MAX_CLASSES).toBe(65_536);
    expectError(() => gaussianBlobs({ samples: 1, features: 1, classes: 1e7 }), ArgumentRangeError, 'Expected an integer in [1, 65536] for classes but received the number 10000000');
    expect(gaussianBlobs({ samples: 2, features: 1, classes: MAX_CLASSES }).classes).toBe(MAX_CLASSES);
    expectError(() => holdOut({ ...blobs, classes: 1e9 }, 0.2), ArgumentRangeError, 'Expected an integer in [1, 65536] for train.classes but received the number 1000000000');
    expectError(() => checkDataset({ ...blobs, classes: 0 }), ArgumentRangeError, 'Expected an integer in [1, 65536] for dataset.classes but received the number 0');
    const dir = writeIdxDir(idx(0x08, [2, 1, 1], Buffer.from([0, 255])), idx(0x0c, [2], int32s([1, 2e9])));
    expectError(() => loadIdxDirectory(dir), DataError, `${path.join(dir, 'train-labels-idx1-ubyte')}: label 2000000000 of sample 1 is not a class index in [0, 65536)`);
    expectError(() => parseCsv('label,x\n1,0\n1000000000,1\n', 'big.csv'), DataError, "big.csv: line 3, column 1 ('label'): label 1000000000 is not a class index in [0, 65536)");
    expect(parseCsv('label,x\n65535,0\n', 'max.csv').classes).toBe(MAX_CLASSES);
  });

  it('refuses CSV labels that would wrap in an Int32Array', () => {
    expectError(() => parseCsv('x,label\n0,4294967297\n', 'w.csv'), DataError, "w.csv: line 2, column 2 ('label'): label 4294967297 is not a class index in [0, 65536)");
    expectError(() => parseCsv('0,1\n2147483648,1\n', 'w.csv'), DataError, "w.csv: line 2, column 1 ('column 1'): label 2147483648 is not a class index in [0, 65536)");
  });

  it('refuses CSV values that overflow float32, naming line and column (underflow to 0 is fine)', () => {
    expectError(() => parseCsv('label,x,y\n0,1,2\n1,3,1e39\n', 'f.csv'), DataError, "f.csv: line 3, column 3 ('y'): '1e39' is beyond the float32 range");
    expectError(() => parseCsv('label,x\n0,-1e39\n', 'f.csv'), DataError, "f.csv: line 2, column 2 ('x'): '-1e39' is beyond the float32 range");
    expect(Array.from(parseCsv('label,x\n0,1e-50\n', 'f.csv').x.data)).toEqual([0]);
  });

  it.each([
    [[100], ArgumentRangeError, 'Expected an integer in [0, 11] for indices[0] but received the number 100'],
    [[0, -1], ArgumentRangeError, 'Expected an integer in [0, 11] for indices[1] but received the number -1'],
    [[0.5], ArgumentRangeError, 'Expected an integer in [0, 11] for indices[0] but received the number 0.5'],
    [['a'], ArgumentTypeError, 'Expected an integer in [0, 11] for indices[0] but received a string'],
    [Float64Array.from([NaN]), ArgumentRangeError, 'Expected an integer in [0, 11] for indices[0] but received NaN'],
    [null, ArgumentTypeError, 'Expected an array of sample indices for indices but received null'],
  ])('subset refuses indices %p', (indices, type, message) => {
    expectError(() => subset(blobs, indices as never), type, message);
  });

  it('subset copies the samples at valid indices', () => {
    const s = subset(blobs, Int32Array.from([11, 0]), 'picked');
    expect(Array.from(s.y)).toEqual([blobs.y[11], blobs.y[0]]);
    expect(Array.from(s.x.data)).toEqual([...blobs.x.data.subarray(22, 24), ...blobs.x.data.subarray(0, 2)]);
    expect(s.name).toBe('picked');
  });

  it.each([
    ['standardize', NaN, 'NaN'],
    ['standardize', Infinity, 'the number Infinity'],
    ['minmax', -Infinity, 'the number -Infinity'],
  ] as const)('normalize(%p) refuses a non-finite feature (%p) instead of spreading it', (mode, bad, described) => {
    const dirty = { ...blobs, x: blobs.x.clone() };
    dirty.x.data[2 * 2 + 1] = bad;
    expectError(() => normalize({ train: dirty, test: blobs }, mode), NonFiniteError, `Expected finite features for split.train but received ${described} at sample 2, feature 1`);
    expectError(() => normalize({ train: blobs, test: dirty }, mode), NonFiniteError, `Expected finite features for split.test but received ${described} at sample 2, feature 1`);
  });

  it('normalize refuses splits whose feature counts differ or whose training set is empty', () => {
    const wide = gaussianBlobs({ samples: 4, features: 3 });
    expectError(() => normalize({ train: blobs, test: wide }, 'minmax'), ShapeError, 'Expected 2 features per sample (as split.train) for split.test but received 3');
    const empty = subset(blobs, []);
    expectError(() => normalize({ train: empty, test: blobs }, 'minmax'), ArgumentRangeError, 'Expected at least one sample to take statistics from for split.train but received 0 samples');
  });

  it.each([
    ['gaussianBlobs(null)', () => gaussianBlobs(null as never), 'Expected an options object for options but received null'],
    ['holdOut(null, 0.2)', () => holdOut(null as never, 0.2), 'Expected a dataset for train but received null'],
    ['normalize(null)', () => normalize(null as never, 'none'), 'Expected a split { train, test } or { train, validation } for split but received null'],
    ['normalize({ train: 3 })', () => normalize({ train: 3, test: null } as never, 'none'), 'Expected a dataset for split.train but received the number 3'],
    ['normalize(mode 7)', () => normalize({ train: gaussianBlobs({ samples: 3 }), test: gaussianBlobs({ samples: 3 }) }, 7 as never), "Expected one of 'none', 'standardize', 'minmax' for mode but received the number 7"],
    ['loadDataset(null)', () => loadDataset(null as never), 'Expected a dataset spec (mnist, fashion, idx:DIR or csv:FILE) for spec but received null'],
    ['subset(null)', () => subset(null as never, [0]), 'Expected a dataset for ds but received null'],
    ['subset name 5', () => subset(gaussianBlobs({ samples: 3 }), [0], 5 as never), 'Expected a string for name but received the number 5'],
    ['datasetSize({})', () => datasetSize({} as never), 'Expected a string for ds.name but received undefined'],
    ['batches(x not a Tensor)', () => batches({ ...gaussianBlobs({ samples: 3 }), x: new Float32Array(6) } as never, 2), 'Expected a Tensor for ds.x but received a Float32Array'],
    ['batches(y an array)', () => batches({ ...gaussianBlobs({ samples: 3 }), y: [0, 1, 2] } as never, 2), 'Expected an Int32Array for ds.y but received an array of length 3'],
    ['batches(options null)', () => batches(gaussianBlobs({ samples: 3 }), 2, null as never), 'Expected an options object for options but received null'],
    ['checkDataset(sampleShape 2)', () => checkDataset({ ...gaussianBlobs({ samples: 3 }), sampleShape: 2 }), 'Expected an array of dimensions for dataset.sampleShape but received the number 2'],
    ['parseCsv(null)', () => parseCsv(null as never, 'f'), 'Expected a string for text but received null'],
    ['parseCsv(options null)', () => parseCsv('1,2\n', 'f', null as never), 'Expected an options object for options but received null'],
    ['parseCsv(header 1)', () => parseCsv('1,2\n', 'f', { header: 1 as never }), 'Expected a boolean for options.header but received the number 1'],
    ['parseCsv(labelColumn {})', () => parseCsv('1,2\n', 'f', { labelColumn: {} as never }), 'Expected a column index or name for options.labelColumn but received an object'],
    ['parseCsv(delimiter 0)', () => parseCsv('1,2\n', 'f', { delimiter: 0 as never }), 'Expected a string for options.delimiter but received the number 0'],
    ['readCsv(null)', () => readCsv(null as never), 'Expected a file path for file but received null'],
    ['loadCsv(file, null)', () => loadCsv('f.csv', null as never), 'Expected an options object for options but received null'],
    ['parseIdx(null)', () => parseIdx(null as never, 'f'), 'Expected a Uint8Array for bytes but received null'],
    ['readIdx(undefined)', () => readIdx(undefined as never), 'Expected a file path for file but received undefined'],
    ['loadIdxDirectory(symbol)', () => loadIdxDirectory(Symbol('d') as never), 'Expected a directory path for dir but received a symbol'],
    ['loadIdxSplit(dir, null)', () => loadIdxSplit(tmp, null as never, 'n'), 'Expected a string for prefix but received null'],
    ['loadFashionMnist(1)', () => loadFashionMnist(1 as never), 'Expected a directory path for dir but received the number 1'],
    ['randomShift(null)', () => randomShift(null as never, 1), 'Expected an image shape for sampleShape but received null'],
  ])('%s is an ArgumentTypeError naming the parameter', (_what, call, message) => {
    expectError(call, ArgumentTypeError, message);
  });

  it('batches checks its arguments when called, not when first iterated', () => {
    expectError(() => batches(blobs, 0), ArgumentRangeError, 'Expected an integer in [1, 9007199254740991] for batchSize but received the number 0');
    expectError(() => batches({ ...blobs, y: blobs.y.subarray(1) }, 4), DataError, `${blobs.name}: 12 samples but 11 labels`);
  });

  it('refuses bad CSV options as range errors', () => {
    expectError(() => parseCsv('1,2\n', 'f', { delimiter: '' }), ArgumentRangeError, 'Expected a non-empty delimiter for options.delimiter but received an empty string');
    expectError(() => parseCsv('1,2\n', 'f', { labelColumn: -1 }), ArgumentRangeError, 'Expected an integer in [0, 9007199254740991] for options.labelColumn but received the number -1');
    expectError(() => parseCsv('1,2\n', 'f', { labelColumn: 2 }), DataError, 'f: label column 2 is outside the 2 columns');
    expectError(() => loadCsv(path.join(tmp, 'missing.csv'), { testFraction: 1 }), ArgumentRangeError, 'Expected a number in (0, 1) for options.testFraction but received the number 1');
    expectError(() => loadCsv(path.join(tmp, 'missing.csv'), { seed: -1 }), ArgumentRangeError, 'Expected an integer in [0, 4294967295] for options.seed but received the number -1');
  });

  it('gaussianBlobs refuses sizes and spreads beyond float32 tensors', () => {
    expectError(() => gaussianBlobs({ samples: 1e9, features: 1e9 }), ArgumentRangeError, 'Expected at most 2^32 values for samples × features but received 1000000000 × 1000000000');
    expectError(() => gaussianBlobs({ spread: 1e300 }), ArgumentRangeError, 'Expected a number in [0, 1e+37] for spread but received the number 1e+300');
    // classes beyond the samples: the same data as before the cap on centres drawn
    expect(Array.from(gaussianBlobs({ samples: 2, classes: 5 }).y)).toEqual([0, 1]);
  });

  it('IDX: refuses fractional labels, non-finite pixels, empty splits and doubles beyond float32; reads plain Uint8Arrays', () => {
    const floats = (values: number[]) => {
      const b = Buffer.alloc(4 * values.length);
      values.forEach((v, i) => b.writeFloatBE(v, 4 * i));
      return b;
    };
    let dir = writeIdxDir(idx(0x08, [2, 1, 1], Buffer.from([0, 255])), idx(0x0d, [2], floats([1, 2.5])));
    expectError(() => loadIdxDirectory(dir), DataError, `${path.join(dir, 'train-labels-idx1-ubyte')}: label 2.5 of sample 1 is not a class index in [0, 65536)`);
    dir = writeIdxDir(idx(0x0d, [2, 1, 1], floats([0, NaN])), idx(0x08, [2], Buffer.from([0, 1])));
    expectError(() => loadIdxDirectory(dir), DataError, `${path.join(dir, 'train-images-idx3-ubyte')}: pixel 0 of image 1 is NaN`);
    dir = writeIdxDir(idx(0x08, [0, 0xffffffff, 0xffffffff], Buffer.alloc(0)), idx(0x08, [0], Buffer.alloc(0)));
    expectError(() => loadIdxDirectory(dir), DataError, `${path.join(dir, 'train-images-idx3-ubyte')}: no images`);
    const doubles = Buffer.alloc(16);
    doubles.writeDoubleBE(1, 0);
    doubles.writeDoubleBE(1e300, 8);
    expectError(() => parseIdx(idx(0x0e, [2], doubles), 'd'), DataError, 'd: element 1 (1e+300) is beyond the float32 range');
    expect(Array.from(parseIdx(new Uint8Array(idx(0x08, [2], Buffer.from([7, 9]))), 'u').data)).toEqual([7, 9]);
  });

  it('IDX: refuses a test split that does not match the training split, and a label count that disagrees before converting pixels', () => {
    let dir = writeIdxDir(idx(0x08, [2, 2, 2], Buffer.alloc(8, 9)), idx(0x08, [2], Buffer.from([0, 1])));
    writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), idx(0x08, [2, 3, 3], Buffer.alloc(18, 9)));
    expectError(() => loadIdxDirectory(dir), DataError, `${path.join(dir, 't10k-images-idx3-ubyte')}: test images of 3×3 pixels, but training images of 2×2`);
    dir = writeIdxDir(idx(0x08, [2, 2, 2], Buffer.alloc(8, 9)), idx(0x08, [2], Buffer.from([0, 1])));
    writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), idx(0x08, [2], Buffer.from([0, 10])));
    expectError(() => loadIdxDirectory(dir), DataError, `${path.join(dir, 't10k-labels-idx1-ubyte')}: test label 10 is past the 10 classes of the training split`);
    writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), idx(0x08, [2], Buffer.from([0, 1])));
    expect(loadIdxDirectory(dir).test.classes).toBe(10);
    // 3 labels for 2 images: found from the headers.
    writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idx(0x08, [3], Buffer.from([0, 1, 1])));
    expectError(() => loadIdxDirectory(dir), DataError, `${path.join(dir, 'train-labels-idx1-ubyte')}: 3 labels for the 2 images of ${path.join(dir, 'train-images-idx3-ubyte')}`);
  });

  it('randomShift refuses dimensions that are not positive integers, and batches and generators of the wrong type', () => {
    expectError(() => randomShift([1.5, 3], 0), ArgumentRangeError, 'Expected an integer in [1, 9007199254740991] for sampleShape[0] but received the number 1.5');
    expectError(() => randomShift([2, -3], 0), ArgumentRangeError, 'Expected an integer in [1, 9007199254740991] for sampleShape[1] but received the number -3');
    expect(() => randomShift([1e6, 1e6, 1e6], 1)).not.toThrow(); // nothing allocated until a batch of that size arrives
    const shift = randomShift([2, 2], 1);
    expectError(() => shift(new Float32Array(4) as never, new Random(1)), ArgumentTypeError, 'Expected a Tensor for batch but received a Float32Array');
    expectError(() => shift(Tensor.zeros([1, 4]), Math.random as never), ArgumentTypeError, 'Expected a Random for rng but received a function');
  });
});
