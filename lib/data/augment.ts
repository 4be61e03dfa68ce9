/**
 * Training-time data augmentation: a function the trainer applies to each
 * mini-batch (a fresh copy of the samples) with its own seeded generator, so
 * runs stay reproducible. Evaluation never sees it.
 */
import { ArgumentRangeError, ArgumentTypeError } from '../errors';
import { Random } from '../random';
import { Tensor, assertTensor } from '../tensor';
import { assertInteger, describe, expected } from '../validate';

/** Changes a batch [n, features] in place; train() reuses the batch's memory for the next one, so keep copies, not the batch. */
export type Augmentation = (batch: Tensor, rng: Random) => void;

/**
 * Moves each image by a random whole number of pixels, independently in x and
 * y within ±maxShift, filling the uncovered border with 0 (the background of
 * MNIST-style digits). sampleShape is [channels, height, width] or
 * [height, width], e.g. a dataset's sampleShape.
 */
export function randomShift(sampleShape: readonly number[], maxShift: number): Augmentation {
  if (!Array.isArray(sampleShape)) throw new ArgumentTypeError(expected('an image shape', 'sampleShape', describe(sampleShape)));
  sampleShape.forEach((d, i) => assertInteger(`sampleShape[${i}]`, d, 1));
  if (sampleShape.length !== 2 && sampleShape.length !== 3) {
    throw new ArgumentRangeError(expected('an image shape [channels, height, width] or [height, width]', 'sampleShape', `[${sampleShape.join(', ')}]`));
  }
  const [channels, height, width] = sampleShape.length === 3 ? sampleShape : [1, ...sampleShape];
  assertInteger('maxShift', maxShift, 0, Math.min(height, width) - 1);
  const plane = height * width, features = channels * plane;
  // Allocated on the first batch, which proves `features` fits in memory.
  let moved: Float32Array | undefined;
  return (batch, rng) => {
    assertTensor('batch', batch, 2);
    if (!(rng instanceof Random)) throw new ArgumentTypeError(expected('a Random', 'rng', describe(rng)));
    if (batch.shape[1] !== features) {
      throw new ArgumentRangeError(expected(`${features} features per sample (${channels}×${height}×${width})`, 'batch', `${batch.shape[1]}`));
    }
    for (let n = 0; n < batch.shape[0]; n++) {
      const dx = rng.int(2 * maxShift + 1) - maxShift, dy = rng.int(2 * maxShift + 1) - maxShift;
      if (dx === 0 && dy === 0) continue;
      moved ??= new Float32Array(features);
      const sample = batch.data.subarray(n * features, (n + 1) * features);
      moved.fill(0);
      const x0 = Math.max(0, dx), x1 = Math.min(width, width + dx);
      for (let c = 0; c < channels; c++) {
        for (let y = Math.max(0, dy); y < Math.min(height, height + dy); y++) {
          const from = c * plane + (y - dy) * width - dx;
          moved.set(sample.subarray(from + x0, from + x1), c * plane + y * width + x0);
        }
      }
      sample.set(moved);
    }
  };
}
