/**
 * Pruning speed: one global magnitude step over 10M weights (10 tensors of
 * 1M; PyTorch's global_unstructured takes 1.23 s on this machine), fresh
 * and as a later step of an iterative schedule (80% → 90%, masks present);
 * and the inference speed of the whole LeNet-300-100 pruned to 92% (every
 * layer) against the dense network, at batch 1 and 128, interleaved.
 */
import { Parameter, Tensor, lenet300100, magnitude, prune } from '../lib';
import { Row, interleaved, printTable, writeResults } from './harness';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const tensors = 10, each = 1_000_000;
const originals = Array.from({ length: tensors }, () => Float32Array.from({ length: each }, () => Math.random() * 2 - 1));
const params = originals.map((o, i) => new Parameter(`w${i}.weight`, new Tensor(o.slice(), [1000, 1000]), 'weight'));
const method = magnitude();
function reset(maskAt?: number): void {
  params.forEach((p, i) => {
    p.value.data.set(originals[i]);
    p.setMask(null);
  });
  if (maskAt !== undefined) prune(params, method, maskAt, { scope: 'global' });
}
const fresh: number[] = [], again: number[] = [];
for (let rep = 0; rep < 15; rep++) {
  reset();
  let t = process.hrtime.bigint();
  prune(params, method, 0.9, { scope: 'global' });
  fresh.push(Number(process.hrtime.bigint() - t) / 1e6);
  reset(0.8);
  t = process.hrtime.bigint();
  prune(params, method, 0.9, { scope: 'global' });
  again.push(Number(process.hrtime.bigint() - t) / 1e6);
}
const stepRows: Row[] = [
  { step: 'global magnitude to 90%, 10 × 1M weights, no masks yet', 'median ms': median(fresh) },
  { step: 'global magnitude 80% → 90%, 10 × 1M weights, masks present', 'median ms': median(again) },
];
printTable('Global magnitude pruning step over 10M weights', stepRows);

const dense = lenet300100({ seed: 1 });
const pruned = lenet300100({ seed: 1 });
prune(pruned, method, 0.92);
const inferRows: Row[] = [];
for (const batch of [1, 16, 128]) {
  const x = Tensor.zeros([batch, 784]);
  for (let i = 0; i < x.size; i++) x.data[i] = Math.random();
  const t = interleaved({ dense: () => dense.logits(x), pruned: () => pruned.logits(x) }, { rounds: 41, sampleSeconds: 0.003 });
  inferRows.push({
    batch,
    'dense µs': t.dense.median * 1e6,
    'pruned 92% µs': t.pruned.median * 1e6,
    speedup: t.dense.median / t.pruned.median,
  });
}
printTable('LeNet-300-100 inference, dense vs pruned to 92% (median µs per batch)', inferRows);
writeResults('prune-speed', { 'global step': stepRows, inference: inferRows });
