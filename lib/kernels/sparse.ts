/**
 * Sparse weights in CSR for pruned Dense layers. A weight W is (rows, cols) =
 * (out, in); activations are (batch, features).
 *   sparseLinear       Y  = X·Wᵀ + bias       (forward)
 *   sparseMatmul       dX = dY·W              (input gradient)
 *   sparseWeightGrad   dW = dYᵀ·X on W's pattern, zero elsewhere (weight gradient)
 */
import { ArgumentRangeError, ArgumentTypeError, ShapeError } from '../errors';
import {
  assertDisjoint, assertFloat32Array, assertInt32Array, assertInteger, assertLength, assertObject, assertShape,
  assertUint8Array, describe, expected, formatShape,
} from '../validate';
import { CsrArrays, NativeSparseMatrix, atCallSite, native } from '../native';
import { Tensor, assertTensor } from '../tensor';

export type { CsrArrays } from '../native';

export class SparseMatrix {
  /** @internal */
  readonly handle: NativeSparseMatrix;
  // The pattern never changes (updateValues keeps it): read once, since each
  // native accessor call costs a batch-1 product a noticeable share.
  private readonly rows: number;
  private readonly cols: number;
  private readonly stored: number;

  private constructor(handle: NativeSparseMatrix) {
    this.handle = handle;
    this.rows = handle.rows;
    this.cols = handle.cols;
    this.stored = handle.nnz;
  }

  /** Keeps the entries where mask != 0, or, without a mask, the non-zero weights. */
  static fromDense(weights: Tensor, mask?: Uint8Array): SparseMatrix {
    assertTensor('weights', weights, 2);
    if (mask !== undefined) {
      assertUint8Array('mask', mask);
      assertLength('mask', mask.length, weights.size);
    }
    const [rows, cols] = weights.shape;
    return new SparseMatrix(native.csrFromDense(weights.data, mask ?? null, rows, cols));
  }

  /** From CSR arrays (validated: monotone rowPtr, sorted in-range column indices). The arrays are copied. */
  static fromCsr(csr: CsrArrays, shape: readonly [number, number]): SparseMatrix {
    assertObject('csr', csr, 'an object { rowPtr, colIdx, values }');
    if (!Array.isArray(shape) || shape.length !== 2) throw new ArgumentTypeError(expected('[rows, cols]', 'shape', describe(shape)));
    assertInt32Array('csr.rowPtr', csr.rowPtr);
    assertInt32Array('csr.colIdx', csr.colIdx);
    assertFloat32Array('csr.values', csr.values);
    assertInteger('shape[0]', shape[0], 0, 2 ** 31 - 1);
    assertInteger('shape[1]', shape[1], 0, 2 ** 31 - 1);
    return new SparseMatrix(native.csrFromArrays(csr.rowPtr, csr.colIdx, csr.values, shape[0], shape[1]));
  }

  get shape(): [number, number] {
    return [this.rows, this.cols];
  }

  get nnz(): number {
    return this.stored;
  }

  /** Fraction of entries not stored. */
  get sparsity(): number {
    const size = this.rows * this.cols;
    return size === 0 ? 0 : 1 - this.stored / size;
  }

  /** Copies of the CSR arrays. */
  toCsr(): CsrArrays {
    return this.handle.toArrays();
  }

  toDense(): Tensor {
    const { rowPtr, colIdx, values } = this.handle.toArrays();
    const [rows, cols] = this.shape;
    const out = Tensor.zeros([rows, cols]);
    for (let r = 0; r < rows; r++) {
      for (let k = rowPtr[r]; k < rowPtr[r + 1]; k++) out.data[r * cols + colIdx[k]] = values[k];
    }
    return out;
  }

  /** Re-reads the stored entries from dense weights of the same shape (after a training step). */
  updateValues(weights: Tensor): void {
    assertTensor('weights', weights, 2);
    assertShape('weights', weights.shape, this.shape);
    this.handle.updateValues(weights.data);
  }
}

function assertSparse(name: string, value: unknown): asserts value is SparseMatrix {
  if (!(value instanceof SparseMatrix)) {
    throw new ArgumentTypeError(expected('a SparseMatrix', name, describe(value)));
  }
}

function output(name: string, out: Tensor | undefined, shape: [number, number], a: ArrayBufferView, aName: string, b?: ArrayBufferView, bName?: string): Tensor {
  if (out === undefined) return Tensor.zeros(shape);
  assertTensor(name, out, 2);
  if (out.shape[0] !== shape[0] || out.shape[1] !== shape[1]) assertShape(name, out.shape, shape);
  assertDisjoint(name, out.data, aName, a);
  if (b !== undefined) assertDisjoint(name, out.data, bName!, b);
  return out;
}

function batchOf(name: string, x: Tensor, features: number, featureName: string): number {
  assertTensor(name, x, 2);
  if (x.shape[1] !== features) {
    throw new ShapeError(expected(`shape [batch, ${features}] (${featureName})`, name, `shape ${formatShape(x.shape)}`));
  }
  return x.shape[0];
}

interface LinearPlan {
  y: Tensor;
  x: Tensor;
  bias: Float32Array | null;
  w: SparseMatrix;
  batch: number;
}

function planLinear(x: Tensor, w: SparseMatrix, bias: Float32Array | undefined, out: Tensor | undefined): LinearPlan {
  assertSparse('w', w);
  const [rows, cols] = w.shape;
  const batch = batchOf('x', x, cols, 'the weight\'s columns');
  if (bias !== undefined) {
    assertFloat32Array('bias', bias);
    assertLength('bias', bias.length, rows);
  }
  return { y: output('out', out, [batch, rows], x.data, 'x', bias, 'bias'), x, bias: bias ?? null, w, batch };
}

/** Y = X·Wᵀ + bias for X (batch, cols); Y is (batch, rows). */
export function sparseLinear(x: Tensor, w: SparseMatrix, bias?: Float32Array, out?: Tensor): Tensor {
  const p = planLinear(x, w, bias, out);
  native.spmmXWt(p.y.data, p.x.data, p.bias, p.w.handle, p.batch);
  return p.y;
}

export async function sparseLinearAsync(x: Tensor, w: SparseMatrix, bias?: Float32Array, out?: Tensor): Promise<Tensor> {
  const p = planLinear(x, w, bias, out);
  await atCallSite(native.spmmXWtAsync(p.y.data, p.x.data, p.bias, p.w.handle, p.batch));
  return p.y;
}

function planMatmul(x: Tensor, w: SparseMatrix, out: Tensor | undefined): { y: Tensor; batch: number } {
  assertSparse('w', w);
  const [rows, cols] = w.shape;
  const batch = batchOf('x', x, rows, 'the weight\'s rows');
  return { y: output('out', out, [batch, cols], x.data, 'x'), batch };
}

/** Y = X·W for X (batch, rows); Y is (batch, cols). The input gradient of sparseLinear. */
export function sparseMatmul(x: Tensor, w: SparseMatrix, out?: Tensor): Tensor {
  const p = planMatmul(x, w, out);
  native.spmmXW(p.y.data, x.data, w.handle, p.batch);
  return p.y;
}

export async function sparseMatmulAsync(x: Tensor, w: SparseMatrix, out?: Tensor): Promise<Tensor> {
  const p = planMatmul(x, w, out);
  await atCallSite(native.spmmXWAsync(p.y.data, x.data, w.handle, p.batch));
  return p.y;
}

function planWeightGrad(dy: Tensor, x: Tensor, w: SparseMatrix, out: Tensor | undefined): { dw: Tensor; batch: number } {
  assertSparse('w', w);
  const [rows, cols] = w.shape;
  const batch = batchOf('dy', dy, rows, 'the weight\'s rows');
  const xBatch = batchOf('x', x, cols, 'the weight\'s columns');
  if (xBatch !== batch) {
    throw new ArgumentRangeError(expected(`batch ${batch} (as dy)`, 'x', `shape ${formatShape(x.shape)}`));
  }
  return { dw: output('out', out, [rows, cols], dy.data, 'dy', x.data, 'x'), batch };
}

/** dW = dYᵀ·X at W's stored entries (zero elsewhere): the weight gradient of sparseLinear. */
export function sparseWeightGrad(dy: Tensor, x: Tensor, w: SparseMatrix, out?: Tensor): Tensor {
  const p = planWeightGrad(dy, x, w, out);
  native.sddmm(p.dw.data, dy.data, x.data, w.handle, p.batch);
  return p.dw;
}

export async function sparseWeightGradAsync(dy: Tensor, x: Tensor, w: SparseMatrix, out?: Tensor): Promise<Tensor> {
  const p = planWeightGrad(dy, x, w, out);
  await atCallSite(native.sddmmAsync(p.dw.data, dy.data, x.data, w.handle, p.batch));
  return p.dw;
}
