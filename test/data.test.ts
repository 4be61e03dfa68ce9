import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  DataError, Random, Tensor, batches, gaussianBlobs, holdOut, loadCsv, loadDataset,
  loadFashionMnist, loadIdxDirectory, loadMnist, normalize, parseCsv, parseIdx, randomShift, ArgumentRangeError,
  SGD, mlp, train,
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
  ])('rejects %s with a DataError', (_what, bytes, message) => {
    const call = () => parseIdx(bytes, 'f');
    expect(call).toThrow(DataError);
    expect(call).toThrow(message);
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
  ])('rejects %p', (text, message) => {
    const call = () => parseCsv(text, 'bad.csv');
    expect(call).toThrow(DataError);
    expect(call).toThrow(message);
  });

  it('rejects an unknown label column and a missing file', () => {
    expect(() => parseCsv('a,b\n1,2\n', 'f.csv', { labelColumn: 'c' })).toThrow("f.csv: no column named 'c' (columns: a, b)");
    expect(() => loadCsv(path.join(tmp, 'missing.csv'))).toThrow(`${path.join(tmp, 'missing.csv')}: cannot read (no such file)`);
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
    expect(() => normalize({ train, test }, 'zscore' as never)).toThrow(DataError);
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
        expect(b.x.data[k * 3]).toBe(ds.x.data[i * 3]);
      });
    }
    expect(sizes).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3]);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 103 }, (_, i) => i));
    const again = [...batches(ds, 10, { seed: 9 })].flatMap((b) => Array.from(b.indices));
    expect(again).toEqual(seen);
    sizes = [...batches(ds, 50)].map((b) => b.y.length);
    expect(sizes).toEqual([50, 50, 3]);
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
