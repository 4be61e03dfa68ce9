/**
 * Tensor: a shape and a row-major Float32Array. Views share memory; nothing
 * here copies unless asked to (clone).
 */
import { ArgumentRangeError, ArgumentTypeError, ShapeError } from './errors';
import { assertFloat32Array, describe, expected, formatShape } from './validate';

export type Shape = readonly number[];

function checkShape(shape: unknown, name = 'shape'): number {
  if (!Array.isArray(shape)) throw new ArgumentTypeError(expected('an array of dimensions', name, describe(shape)));
  let size = 1;
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new ArgumentRangeError(expected('a non-negative integer', `${name}[${i}]`, describe(d)));
    }
    size *= d;
  }
  if (size > 2 ** 32) throw new ArgumentRangeError(expected('at most 2^32 elements', name, formatShape(shape)));
  return size;
}

function copyShape(shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new ArgumentTypeError(expected('an array of dimensions', 'shape', describe(shape)));
  return shape.slice();
}

export class Tensor {
  readonly shape: Shape;
  readonly data: Float32Array;

  constructor(data: Float32Array, shape: Shape) {
    assertFloat32Array('data', data);
    // The copy is what gets checked and kept: element getters run once.
    const own = copyShape(shape);
    const size = checkShape(own);
    if (size !== data.length) {
      throw new ShapeError(expected(`length ${size} (shape ${formatShape(own)})`, 'data', `length ${data.length}`));
    }
    this.data = data;
    this.shape = Object.freeze(own);
  }

  static zeros(shape: Shape): Tensor {
    const own = copyShape(shape);
    return new Tensor(new Float32Array(checkShape(own)), own);
  }

  /** Copies numbers (any array-like) into a new tensor. */
  static from(values: ArrayLike<number>, shape: Shape): Tensor {
    const own = copyShape(shape);
    const size = checkShape(own);
    if (typeof values !== 'object' || values === null || typeof values.length !== 'number') {
      throw new ArgumentTypeError(expected('an array of numbers', 'values', describe(values)));
    }
    if (values.length !== size) throw new ShapeError(expected(`length ${size} (shape ${formatShape(own)})`, 'values', `length ${values.length}`));
    if (!ArrayBuffer.isView(values)) {
      for (let i = 0; i < size; i++) {
        if (typeof values[i] !== 'number') throw new ArgumentTypeError(expected('a number', `values[${i}]`, describe(values[i])));
      }
    }
    return new Tensor(Float32Array.from(values), own);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** A view with another shape of the same size (shares data). */
  reshape(shape: Shape): Tensor {
    return new Tensor(this.data, shape);
  }

  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  toString(): string {
    return `Tensor${formatShape(this.shape)}`;
  }
}

export function assertTensor(name: string, value: unknown, rank?: number): asserts value is Tensor {
  if (!(value instanceof Tensor)) throw new ArgumentTypeError(expected('a Tensor', name, describe(value)));
  if (rank !== undefined && value.rank !== rank) {
    throw new ShapeError(expected(`a rank-${rank} tensor`, name, `shape ${formatShape(value.shape)}`));
  }
}

/**
 * `previous` when it already has this shape, else a new zero tensor. Layers
 * use it to reuse their training-mode buffers from batch to batch: fresh
 * large allocations cost page faults on every step.
 */
export function reuse(previous: Tensor | null, shape: readonly number[]): Tensor {
  if (previous && previous.shape.length === shape.length && previous.shape.every((d, i) => d === shape[i])) return previous;
  return Tensor.zeros(shape);
}
