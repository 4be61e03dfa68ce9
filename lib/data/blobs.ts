/** Synthetic Gaussian blobs: one isotropic cluster per class, seeded. */
import { Random } from '../random';
import { Tensor } from '../tensor';
import { assertInRange, assertInteger } from '../validate';
import { Dataset, checkDataset } from './dataset';

export interface BlobOptions {
  samples?: number;
  features?: number;
  classes?: number;
  /** Standard deviation of each cluster; centres are drawn with standard deviation 3. */
  spread?: number;
  seed?: number;
}

export function gaussianBlobs(options: BlobOptions = {}): Dataset {
  const { samples = 1000, features = 2, classes = 3, spread = 1, seed = 0 } = options;
  assertInteger('samples', samples, 1);
  assertInteger('features', features, 1);
  assertInteger('classes', classes, 1);
  assertInRange('spread', spread, 0, Infinity);
  const rng = new Random(seed);
  const centres = Array.from({ length: classes }, () => Float64Array.from({ length: features }, () => 3 * rng.normal()));
  const x = Tensor.zeros([samples, features]);
  const y = new Int32Array(samples);
  for (let i = 0; i < samples; i++) {
    const c = i % classes;
    y[i] = c;
    for (let j = 0; j < features; j++) x.data[i * features + j] = centres[c][j] + spread * rng.normal();
  }
  return checkDataset({ name: `blobs(${classes}×${features}, seed ${seed})`, x, y, classes, sampleShape: [features] });
}
