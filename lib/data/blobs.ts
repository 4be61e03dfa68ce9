/** Synthetic Gaussian blobs: one isotropic cluster per class, seeded. */
import { Random } from '../random';
import { Tensor } from '../tensor';
import { ArgumentRangeError } from '../errors';
import { assertInRange, assertInteger, expected, optionsObject } from '../validate';
import { Dataset, MAX_CLASSES, checkDataset } from './dataset';

export interface BlobOptions {
  samples?: number;
  features?: number;
  classes?: number;
  /** Standard deviation of each cluster; centres are drawn with standard deviation 3. */
  spread?: number;
  seed?: number;
}

export function gaussianBlobs(options: BlobOptions = {}): Dataset {
  const { samples = 1000, features = 2, classes = 3, spread = 1, seed = 0 } = optionsObject('options', options, ['samples', 'features', 'classes', 'spread', 'seed']);
  assertInteger('samples', samples, 1);
  assertInteger('features', features, 1);
  if (samples * features > 2 ** 32) throw new ArgumentRangeError(expected('at most 2^32 values', 'samples × features', `${samples} × ${features}`));
  assertInteger('classes', classes, 1, MAX_CLASSES);
  // Normal draws stay below 7 in magnitude (Box–Muller on 32-bit uniforms): every value is a finite float32.
  assertInRange('spread', spread, 0, 1e37);
  const rng = new Random(seed);
  // Sample i belongs to class i % classes: classes beyond the samples get none, so no centre.
  const centres = Array.from({ length: Math.min(classes, samples) }, () => Float64Array.from({ length: features }, () => 3 * rng.normal()));
  const x = Tensor.zeros([samples, features]);
  const y = new Int32Array(samples);
  for (let i = 0; i < samples; i++) {
    const c = i % classes;
    y[i] = c;
    for (let j = 0; j < features; j++) x.data[i * features + j] = centres[c][j] + spread * rng.normal();
  }
  return checkDataset({ name: `blobs(${classes}×${features}, seed ${seed})`, x, y, classes, sampleShape: [features] });
}
