/**
 * The elementwise and row-wise parts of a network's passes, in native code:
 * bias add and gradient, activations and their gradients, dropout, and the
 * fused, numerically stable softmax + cross-entropy; and the finiteness
 * check the optimizers and the file writers and readers share.
 */
import { ArgumentRangeError, ShapeError } from '../errors';
import {
  assertDisjoint, assertFloat32Array, assertInRange, assertInt32Array, assertInteger, assertLength, assertUint8Array, expected, formatShape, quoted,
} from '../validate';
import { native } from '../native';
import { Tensor, assertTensor } from '../tensor';

/**
 * The index of the first NaN or infinity in values, or −1: one native pass
 * (the sum of squares, in double, is finite exactly when every value is),
 * and a search only when there is one to name.
 */
export function firstNonFinite(values: Float32Array): number {
  return Number.isFinite(native.sumSquares(values)) ? -1 : values.findIndex((v) => !Number.isFinite(v));
}

export type ActivationKind = 'relu' | 'tanh' | 'sigmoid';
const KIND: Record<ActivationKind, number> = { relu: 0, tanh: 1, sigmoid: 2 };

/** The native code of an activation kind; anything else is an ArgumentRangeError. */
export function activationCode(kind: unknown, name = 'kind'): number {
  if (typeof kind !== 'string' || !Object.hasOwn(KIND, kind)) {
    throw new ArgumentRangeError(expected("'relu', 'tanh' or 'sigmoid'", name, quoted(kind)));
  }
  return KIND[kind as ActivationKind];
}

/** An optional output tensor: undefined gets a new one of this shape. */
function outputOr(name: string, out: Tensor | undefined, shape: readonly number[]): Tensor {
  if (out === undefined) return Tensor.zeros(shape);
  assertTensor(name, out);
  return out;
}

/** y (rows, cols) += bias on every row, in place. */
export function biasAdd(y: Tensor, bias: Float32Array): void {
  assertTensor('y', y, 2);
  assertFloat32Array('bias', bias);
  assertLength('bias', bias.length, y.shape[1]);
  native.biasAdd(y.data, bias, y.shape[0], y.shape[1]);
}

/** The bias gradient: column sums of dy (rows, cols), written into db. */
export function biasGrad(db: Float32Array, dy: Tensor): void {
  assertTensor('dy', dy, 2);
  assertFloat32Array('db', db);
  assertLength('db', db.length, dy.shape[1]);
  native.biasGrad(db, dy.data, dy.shape[0], dy.shape[1]);
}

/** out = f(x) elementwise (out may be x itself). */
export function activation(kind: ActivationKind, x: Tensor, out?: Tensor): Tensor {
  const code = activationCode(kind);
  assertTensor('x', x);
  const y = outputOr('out', out, x.shape);
  assertLength('out', y.size, x.size);
  native.activation(y.data, x.data, code);
  return y;
}

/** dx = dy · f'(x), from the forward output y (dx may be dy itself). */
export function activationGrad(kind: ActivationKind, dy: Tensor, y: Tensor, dx?: Tensor): Tensor {
  const code = activationCode(kind);
  assertTensor('dy', dy);
  assertTensor('y', y);
  const out = outputOr('dx', dx, y.shape);
  assertLength('dy', dy.size, y.size);
  assertLength('dx', out.size, y.size);
  if (out.data !== dy.data) assertDisjoint('dx', out.data, 'dy', dy.data);
  native.activationGrad(out.data, dy.data, y.data, code);
  return out;
}

/**
 * Inverted dropout of x with drop probability p in [0, 1): out = x · keep / (1 − p),
 * keep[i] set to 1 or 0. Element i's draw depends only on (seed, offset + i),
 * a counter-based generator: pass the elements drawn so far as `offset` to
 * continue a stream, and the result is the same on any number of threads.
 */
export function dropout(x: Tensor, keep: Uint8Array, p: number, seed: number, offset: number, out?: Tensor): Tensor {
  assertTensor('x', x);
  assertUint8Array('keep', keep);
  assertLength('keep', keep.length, x.size);
  assertInRange('p', p, 0, 1, { maxExclusive: true });
  assertInteger('seed', seed, 0, 2 ** 32 - 1);
  assertInteger('offset', offset, 0, 2 ** 53);
  const y = outputOr('out', out, x.shape);
  assertLength('out', y.size, x.size);
  if (y.data !== x.data) assertDisjoint('out', y.data, 'x', x.data);
  assertDisjoint('keep', keep, 'x', x.data);
  assertDisjoint('keep', keep, 'out', y.data);
  native.dropout(y.data, keep, x.data, p, seed, offset);
  return y;
}

/** dx = dy · keep / (1 − p), from the mask a dropout() wrote (dx may be dy itself). */
export function dropoutGrad(dy: Tensor, keep: Uint8Array, p: number, dx?: Tensor): Tensor {
  assertTensor('dy', dy);
  assertUint8Array('keep', keep);
  assertLength('dy', dy.size, keep.length);
  assertInRange('p', p, 0, 1, { maxExclusive: true });
  const out = outputOr('dx', dx, dy.shape);
  assertLength('dx', out.size, keep.length);
  if (out.data !== dy.data) assertDisjoint('dx', out.data, 'dy', dy.data);
  assertDisjoint('dx', out.data, 'keep', keep);
  native.dropoutGrad(out.data, dy.data, keep, p);
  return out;
}

export interface CrossEntropy {
  /** Mean loss over the batch. */
  loss: number;
  /** Samples whose largest logit is the label. */
  correct: number;
}

/**
 * Mean cross-entropy of softmax(logits) for integer labels, stable for any
 * logits (log-sum-exp). With `dlogits`, also writes the loss's gradient.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Int32Array, dlogits?: Tensor): CrossEntropy {
  assertTensor('logits', logits, 2);
  assertInt32Array('labels', labels);
  const [batch, classes] = logits.shape;
  assertLength('labels', labels.length, batch);
  if (dlogits !== undefined) {
    assertTensor('dlogits', dlogits, 2);
    if (dlogits.shape[0] !== batch || dlogits.shape[1] !== classes) {
      throw new ShapeError(expected(`shape ${formatShape(logits.shape)}`, 'dlogits', `shape ${formatShape(dlogits.shape)}`));
    }
  }
  return native.softmaxCrossEntropy(dlogits?.data ?? null, logits.data, labels, batch, classes);
}
