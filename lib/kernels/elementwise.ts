/**
 * The elementwise and row-wise parts of a network's passes, in native code:
 * bias add and gradient, activations and their gradients, and the fused,
 * numerically stable softmax + cross-entropy.
 */
import { ShapeError } from '../errors';
import { assertDisjoint, assertInt32Array, assertLength, expected, formatShape } from '../validate';
import { native } from '../native';
import { Tensor, assertTensor } from '../tensor';

export type ActivationKind = 'relu' | 'tanh' | 'sigmoid';
const KIND: Record<ActivationKind, number> = { relu: 0, tanh: 1, sigmoid: 2 };

/** y (rows, cols) += bias on every row, in place. */
export function biasAdd(y: Tensor, bias: Float32Array): void {
  assertTensor('y', y, 2);
  assertLength('bias', bias.length, y.shape[1]);
  native.biasAdd(y.data, bias, y.shape[0], y.shape[1]);
}

/** The bias gradient: column sums of dy (rows, cols), written into db. */
export function biasGrad(db: Float32Array, dy: Tensor): void {
  assertTensor('dy', dy, 2);
  assertLength('db', db.length, dy.shape[1]);
  native.biasGrad(db, dy.data, dy.shape[0], dy.shape[1]);
}

/** out = f(x) elementwise (out may be x itself). */
export function activation(kind: ActivationKind, x: Tensor, out: Tensor = Tensor.zeros(x.shape)): Tensor {
  assertTensor('x', x);
  if (!(kind in KIND)) throw new ShapeError(expected("'relu', 'tanh' or 'sigmoid'", 'kind', String(kind)));
  assertLength('out', out.size, x.size);
  native.activation(out.data, x.data, KIND[kind]);
  return out;
}

/** dx = dy · f'(x), from the forward output y (dx may be dy itself). */
export function activationGrad(kind: ActivationKind, dy: Tensor, y: Tensor, dx: Tensor = Tensor.zeros(y.shape)): Tensor {
  assertTensor('dy', dy);
  assertTensor('y', y);
  assertLength('dy', dy.size, y.size);
  assertLength('dx', dx.size, y.size);
  if (dx.data !== dy.data) assertDisjoint('dx', dx.data, 'dy', dy.data);
  native.activationGrad(dx.data, dy.data, y.data, KIND[kind]);
  return dx;
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
