/** Losses besides the fused softmax cross-entropy (kernels/elementwise). */
import { Tensor, assertTensor } from '../tensor';
import { MAX_CLASSES } from '../data/dataset';
import { ArgumentRangeError } from '../errors';
import { assertInt32Array, assertInteger, assertShape, expected } from '../validate';

/**
 * Mean squared error, mean over all elements: Σ (y − t)² / n. With `grad`,
 * writes dLoss/dy = 2 (y − t) / n.
 */
export function meanSquaredError(y: Tensor, target: Tensor, grad?: Tensor): number {
  assertTensor('y', y);
  assertTensor('target', target);
  assertShape('target', target.shape, y.shape);
  if (grad !== undefined) {
    assertTensor('grad', grad);
    assertShape('grad', grad.shape, y.shape);
  }
  const n = y.size;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = y.data[i] - target.data[i];
    total += d * d;
    if (grad) grad.data[i] = (2 * d) / n;
  }
  return n ? total / n : 0;
}

/** counts[true][predicted] over a labelled set. */
export function confusionMatrix(predicted: Int32Array, labels: Int32Array, classes: number): Int32Array[] {
  assertInt32Array('predicted', predicted);
  assertInt32Array('labels', labels);
  assertShape('predicted', [predicted.length], [labels.length]);
  assertInteger('classes', classes, 1, MAX_CLASSES);
  // Every entry is checked first: one out of range would otherwise be dropped or throw half-way.
  for (const [name, values] of [['predicted', predicted], ['labels', labels]] as const) {
    const i = values.findIndex((v) => v < 0 || v >= classes);
    if (i >= 0) throw new ArgumentRangeError(expected(`a class in [0, ${classes})`, `${name}[${i}]`, String(values[i])));
  }
  const m = Array.from({ length: classes }, () => new Int32Array(classes));
  for (let i = 0; i < labels.length; i++) m[labels[i]][predicted[i]]++;
  return m;
}
