import {
  ArgumentRangeError, ArgumentTypeError, ShapeError, SparseMatrix, Tensor, applyMask, gemm, sparseLinear,
  sparseLinearAsync, sparseMatmul, sparseMatmulAsync, sparseWeightGrad, sparseWeightGradAsync,
} from '../lib';
import { expectClose, randomMask, randomTensor, rng } from './helpers';

/** Dense references: W masked, then plain GEMM / loops. */
function maskedDense(w: Tensor, mask: Uint8Array): Tensor {
  const out = w.clone();
  applyMask(out.data, mask);
  return out;
}

describe('sparse products equal dense products at every sparsity', () => {
  const next = rng(11);
  const shapes: [number, number][] = [[1, 1], [3, 5], [17, 33], [300, 784], [4, 70000]];
  // below, equal to, above and multiples of the tile widths (16 ELL, 32 tiles)
  const batches = [0, 1, 2, 3, 5, 15, 16, 17, 31, 32, 33, 64, 128];
  for (const [rows, cols] of shapes) {
    for (const sparsity of [0, 0.5, 0.8, 0.92, 0.99, 1]) {
      it(`${rows}x${cols} at ${sparsity * 100}% sparse`, () => {
        const w = randomTensor([rows, cols], next);
        const mask = randomMask(rows * cols, sparsity, next);
        const dense = maskedDense(w, mask);
        const sparse = SparseMatrix.fromDense(w, mask);
        expect(sparse.nnz).toBe(mask.reduce((s, m) => s + m, 0));
        expect(Array.from(sparse.toDense().data)).toEqual(Array.from(dense.data));
        for (const batch of rows * cols > 100000 ? [1, 33] : batches) {
          const x = randomTensor([batch, cols], next);
          const dy = randomTensor([batch, rows], next);
          const bias = randomTensor([rows], next).data;
          const expectY = gemm(x, dense, { transB: true });
          for (let b = 0; b < batch; b++) for (let r = 0; r < rows; r++) expectY.data[b * rows + r] += bias[r];
          // float32 sums of n terms differ by O(sqrt(n)·eps) between summation orders
          expectClose(sparseLinear(x, sparse, bias).data, expectY.data, 2e-6 * Math.sqrt(cols));
          expectClose(sparseMatmul(dy, sparse).data, gemm(dy, dense).data, 2e-6 * Math.sqrt(rows));
          const expectDw = gemm(dy, x, { transA: true });
          applyMask(expectDw.data, mask);
          expectClose(sparseWeightGrad(dy, x, sparse).data, expectDw.data, 2e-6 * Math.sqrt(batch + 1));
        }
      });
    }
  }

  it('async twins equal the sync results', async () => {
    const w = randomTensor([64, 96], next);
    const sparse = SparseMatrix.fromDense(w, randomMask(64 * 96, 0.9, next));
    const x = randomTensor([40, 96], next), dy = randomTensor([40, 64], next);
    expect(Array.from((await sparseLinearAsync(x, sparse)).data)).toEqual(Array.from(sparseLinear(x, sparse).data));
    expect(Array.from((await sparseMatmulAsync(dy, sparse)).data)).toEqual(Array.from(sparseMatmul(dy, sparse).data));
    expect(Array.from((await sparseWeightGradAsync(dy, x, sparse)).data)).toEqual(
      Array.from(sparseWeightGrad(dy, x, sparse).data),
    );
  });

  it('builds from non-zeros when no mask is given, and round-trips CSR arrays', () => {
    const w = Tensor.from([0, 2, 0, 3, 0, 0, 4, 0, 5], [3, 3]);
    const sparse = SparseMatrix.fromDense(w);
    const csr = sparse.toCsr();
    expect(Array.from(csr.rowPtr)).toEqual([0, 1, 2, 4]);
    expect(Array.from(csr.colIdx)).toEqual([1, 0, 0, 2]);
    expect(Array.from(csr.values)).toEqual([2, 3, 4, 5]);
    const again = SparseMatrix.fromCsr(csr, [3, 3]);
    expect(Array.from(again.toDense().data)).toEqual(Array.from(w.data));
    expect(sparse.sparsity).toBeCloseTo(5 / 9);
  });

  it('updateValues re-reads the stored entries from new dense weights', () => {
    const w = Tensor.from([1, 0, 2, 0], [2, 2]);
    const sparse = SparseMatrix.fromDense(w);
    sparse.updateValues(Tensor.from([7, 8, 9, 10], [2, 2]));
    expect(Array.from(sparse.toCsr().values)).toEqual([7, 9]);
  });
});

describe('sparse functions reject bad input with typed errors', () => {
  const w = SparseMatrix.fromDense(Tensor.from([1, 0, 0, 1, 1, 0], [2, 3]));
  const cases: [string, () => unknown, new (m: string) => Error, string][] = [
    ['x with the wrong feature count', () => sparseLinear(Tensor.zeros([4, 2]), w), ShapeError,
      "Expected shape [batch, 3] (the weight's columns) for x but received shape [4, 2]"],
    ['bias of the wrong length', () => sparseLinear(Tensor.zeros([4, 3]), w, new Float32Array(3)), ShapeError,
      'Expected length 2 for bias but received length 3'],
    ['bias of the wrong type', () => sparseLinear(Tensor.zeros([4, 3]), w, [1, 2] as unknown as Float32Array),
      ArgumentTypeError, 'Expected a Float32Array for bias but received an array of length 2'],
    ['w not a SparseMatrix', () => sparseLinear(Tensor.zeros([4, 3]), Tensor.zeros([2, 3]) as unknown as SparseMatrix),
      ArgumentTypeError, 'Expected a SparseMatrix for w but received a Tensor'],
    ['out of the wrong shape', () => sparseLinear(Tensor.zeros([4, 3]), w, undefined, Tensor.zeros([4, 3])), ShapeError,
      'Expected shape [4, 2] for out but received shape [4, 3]'],
    ['dy with the wrong feature count', () => sparseMatmul(Tensor.zeros([4, 3]), w), ShapeError,
      "Expected shape [batch, 2] (the weight's rows) for x but received shape [4, 3]"],
    ['dy and x with different batches', () => sparseWeightGrad(Tensor.zeros([4, 2]), Tensor.zeros([5, 3]), w),
      ArgumentRangeError, 'Expected batch 4 (as dy) for x but received shape [5, 3]'],
    ['mask of the wrong length', () => SparseMatrix.fromDense(Tensor.zeros([2, 3]), new Uint8Array(5)), ShapeError,
      'Expected length 6 for mask but received length 5'],
    ['weights of rank 1', () => SparseMatrix.fromDense(Tensor.zeros([6])), ShapeError,
      'Expected a rank-2 tensor for weights but received shape [6]'],
    ['CSR with an out-of-range column', () => SparseMatrix.fromCsr(
      { rowPtr: Int32Array.from([0, 1]), colIdx: Int32Array.from([5]), values: Float32Array.from([1]) }, [1, 3]),
      ArgumentRangeError, 'Expected strictly increasing column indices in [0, 3) within each row for colIdx[0] but received 5'],
    ['CSR with decreasing row pointers', () => SparseMatrix.fromCsr(
      { rowPtr: Int32Array.from([0, 2, 1]), colIdx: Int32Array.from([0]), values: Float32Array.from([1]) }, [2, 3]),
      ArgumentRangeError, 'Expected a non-decreasing sequence for rowPtr but received rowPtr[2] < rowPtr[1]'],
    ['CSR whose last row pointer disagrees', () => SparseMatrix.fromCsr(
      { rowPtr: Int32Array.from([0, 2]), colIdx: Int32Array.from([0]), values: Float32Array.from([1]) }, [1, 3]),
      ShapeError, 'Expected colIdx.length (1) for rowPtr[1] but received 2'],
    ['CSR values and indices of different lengths', () => SparseMatrix.fromCsr(
      { rowPtr: Int32Array.from([0, 1]), colIdx: Int32Array.from([0]), values: Float32Array.from([1, 2]) }, [1, 3]),
      ShapeError, 'Expected length 1 for values but received length 2'],
    ['CSR rowPtr as Float32Array', () => SparseMatrix.fromCsr(
      { rowPtr: Float32Array.from([0, 1]) as unknown as Int32Array, colIdx: Int32Array.from([0]), values: Float32Array.from([1]) }, [1, 3]),
      ArgumentTypeError, 'Expected an Int32Array for csr.rowPtr but received a Float32Array'],
    ['updateValues with the wrong shape', () => w.updateValues(Tensor.zeros([3, 2])), ShapeError,
      'Expected shape [2, 3] for weights but received shape [3, 2]'],
  ];
  for (const [name, call, type, message] of cases) {
    it(name, () => {
      expect(call).toThrow(type);
      expect(call).toThrow(message);
    });
  }
});
