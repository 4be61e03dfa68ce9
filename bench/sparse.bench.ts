/**
 * Sparse (CSR) vs dense forward of a pruned Dense layer, Y = X·Wᵀ, for a
 * 300×784 weight (LeNet-300-100's fc1) at several sparsities and batches.
 * Dense is prunekit's best dense path: OpenBLAS driven on all threads.
 * Variants run interleaved so both see the same machine load. The smallest
 * sparsity at which sparse wins, per batch, is recorded for the Dense layer.
 * Two more tables back the Dense layer's other crossovers: the backward pass
 * (input and weight gradients) against two GEMMs, and the forward pass of
 * small layers, where a GEMM call is mostly overhead.
 */
import { SparseMatrix, Tensor, applyMask, biasAdd, gemm, sparseLinear, sparseMatmul, sparseWeightGrad } from '../lib';
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

function pruned(r: number, c: number, sparsity: number): { w: Tensor; sparse: SparseMatrix } {
  const w = random([r, c]);
  const mask = Uint8Array.from(w.data, () => (Math.random() < sparsity ? 0 : 1));
  applyMask(w.data, mask);
  return { w, sparse: SparseMatrix.fromDense(w, mask) };
}

const backward: Row[] = [];
for (const batch of [16, 64, 128]) {
  for (const sparsity of [0.8, 0.9, 0.95]) {
    const { w, sparse } = pruned(rows, cols, sparsity);
    const x = random([batch, cols]), dy = random([batch, rows]);
    const dx = Tensor.zeros([batch, cols]), dw = Tensor.zeros([rows, cols]);
    const t = interleaved({
      dense: () => { gemm(dy, x, { transA: true, out: dw }); gemm(dy, w, { out: dx }); },
      sparse: () => { sparseWeightGrad(dy, x, sparse, dw); sparseMatmul(dy, sparse, dx); },
    }, { rounds: 21, sampleSeconds: 0.004 });
    backward.push({ batch, sparsity: `${Math.round(sparsity * 100)}%`, 'dense µs': t.dense.median * 1e6, 'sparse µs': t.sparse.median * 1e6, speedup: t.dense.median / t.sparse.median });
  }
}
printTable(`Backward (dY·W and dYᵀ·X on the pattern) vs two GEMMs, ${rows}×${cols} (median µs per call)`, backward);

const small: Row[] = [];
for (const [r, c] of [[10, 100], [64, 128], [100, 300]]) {
  for (const batch of [1, 32, 256]) {
    const { w, sparse } = pruned(r, c, 0.5);
    const x = random([batch, c]), bias = new Float32Array(r);
    const yd = Tensor.zeros([batch, r]), ys = Tensor.zeros([batch, r]);
    const t = interleaved({
      dense: () => { gemm(x, w, { transB: true, out: yd }); biasAdd(yd, bias); },
      sparse: () => sparseLinear(x, sparse, bias, ys),
    }, { rounds: 21, sampleSeconds: 0.004 });
    small.push({ layer: `${r}×${c} (${r * c} weights)`, batch, 'dense µs': t.dense.median * 1e6, 'sparse µs': t.sparse.median * 1e6, speedup: t.dense.median / t.sparse.median });
  }
}
printTable('Forward at 50% sparsity by layer size (median µs per call)', small);
writeResults('sparse', { forward: table, crossover: crossRows, backward, 'small layers at 50%': small }, { crossoverSparsity: crossover });
