/**
 * Sparse (CSR) vs dense forward of a pruned Dense layer, Y = X·Wᵀ, for a
 * 300×784 weight (LeNet-300-100's fc1) at several sparsities and batches.
 * Dense is prunekit's best dense path: OpenBLAS driven on all threads.
 * Variants run interleaved so both see the same machine load. The smallest
 * sparsity at which sparse wins, per batch, is recorded for the Dense layer.
 */
import { SparseMatrix, Tensor, applyMask, gemm, sparseLinear } from '../lib';
import { Row, interleaved, printTable, writeResults } from './harness';

function random(shape: number[]): Tensor {
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = Math.random() * 2 - 1;
  return t;
}

const [rows, cols] = [300, 784];
const sparsities = [0.5, 0.7, 0.8, 0.9, 0.92, 0.95, 0.99];
const batches = [1, 16, 128];
const table: Row[] = [];
const crossover: Record<string, number | null> = {};
for (const batch of batches) {
  crossover[batch] = null;
  for (const sparsity of sparsities) {
    const w = random([rows, cols]);
    const mask = Uint8Array.from(w.data, () => (Math.random() < sparsity ? 0 : 1));
    applyMask(w.data, mask);
    const sparse = SparseMatrix.fromDense(w, mask);
    const x = random([batch, cols]);
    const yd = Tensor.zeros([batch, rows]), ys = Tensor.zeros([batch, rows]);
    const t = interleaved(
      { dense: () => gemm(x, w, { transB: true, out: yd }), sparse: () => sparseLinear(x, sparse, undefined, ys) },
      { rounds: 41, sampleSeconds: 0.002 },
    );
    const speedup = t.dense.median / t.sparse.median;
    if (speedup > 1 && crossover[batch] === null) crossover[batch] = sparsity;
    table.push({
      batch,
      sparsity: `${Math.round(sparsity * 100)}%`,
      'dense µs': t.dense.median * 1e6,
      'sparse µs': t.sparse.median * 1e6,
      speedup,
    });
  }
}
printTable(`Sparse vs dense forward, ${rows}×${cols} weight (median µs per call)`, table);
const crossRows: Row[] = batches.map((b) => ({ batch: b, 'sparse wins from': crossover[b] === null ? 'never (≤99%)' : `${Math.round(crossover[b]! * 100)}%` }));
printTable('Crossover', crossRows);
writeResults('sparse', { forward: table, crossover: crossRows }, { crossoverSparsity: crossover });
