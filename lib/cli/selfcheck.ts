/**
 * `prunekit selfcheck`: every kernel against a plain-JavaScript reference on
 * seeded random data, then a short benchmark of the hot paths.
 */
import { gemm } from '../kernels/gemm';
import { applyMask, maskedSgdStep } from '../kernels/mask';
import { SparseMatrix, sparseLinear, sparseMatmul, sparseWeightGrad } from '../kernels/sparse';
import { globalMagnitudeThreshold, magnitudeThreshold, percentile } from '../kernels/threshold';
import { info } from '../kernels/system';
import { Random } from '../random';
import { Tensor } from '../tensor';

interface Check {
  name: string;
  maxError: number;
  ok: boolean;
}

function rng(seed: number): () => number {
  const r = new Random(seed);
  return () => r.next();
}

function random(shape: number[], next: () => number): Tensor {
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = next() * 2 - 1;
  return t;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

function checks(): Check[] {
  const next = rng(1);
  const out: Check[] = [];
  const add = (name: string, maxError: number, tolerance: number) => out.push({ name, maxError, ok: maxError <= tolerance });

  const [m, n, k] = [37, 29, 53];
  const a = random([m, k], next), b = random([n, k], next);
  const c = gemm(a, b, { transB: true });
  const ref = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) ref[i * n + j] += a.data[i * k + p] * b.data[j * k + p];
  add(`gemm ${m}x${n}x${k} (B transposed)`, maxAbsDiff(c.data, ref), 1e-4);

  const w = random([30, 50], next);
  const mask = Uint8Array.from(w.data, () => (next() < 0.9 ? 0 : 1));
  const masked = w.clone();
  for (let i = 0; i < masked.size; i++) if (!mask[i]) masked.data[i] = 0;
  const sparse = SparseMatrix.fromDense(w, mask);
  const x = random([7, 50], next), dy = random([7, 30], next);
  add('sparse X·Wᵀ vs dense, 90% sparse', maxAbsDiff(sparseLinear(x, sparse).data, gemm(x, masked, { transB: true }).data), 1e-5);
  add('sparse dY·W vs dense', maxAbsDiff(sparseMatmul(dy, sparse).data, gemm(dy, masked).data), 1e-5);
  const dwDense = gemm(dy, x, { transA: true });
  for (let i = 0; i < dwDense.size; i++) if (!mask[i]) dwDense.data[i] = 0;
  add('sparse dYᵀ·X on pattern vs dense', maxAbsDiff(sparseWeightGrad(dy, x, sparse).data, dwDense.data), 1e-5);

  const weights = random([1000], next).data;
  const { mask: pruned } = magnitudeThreshold(weights, 0.7);
  const order = Array.from(weights.keys()).sort((i, j) => Math.abs(weights[i]) - Math.abs(weights[j]) || i - j);
  const expectMask = new Uint8Array(1000).fill(1);
  for (const i of order.slice(0, 700)) expectMask[i] = 0;
  add('magnitude threshold 70% vs sort', maxAbsDiff(pruned, expectMask), 0);

  const parts = [random([300], next).data, random([700], next).data];
  const global = globalMagnitudeThreshold(parts, 0.5);
  const all = [...parts[0], ...parts[1]].map(Math.abs).sort((p, q) => p - q);
  add('global threshold vs sort', Math.abs(global.threshold - all[499]), 0);

  const values = random([1001], next).data;
  const sorted = Float64Array.from(values).sort();
  add('percentile 90 vs sort', Math.abs(percentile(values, 90) - sorted[900]), 1e-7);

  const wt = random([100], next).data, g = random([100], next).data, v = new Float32Array(100);
  const expectW = Float32Array.from(wt, (wi, i) => (mask[i] ? wi - 0.1 * g[i] : 0));
  maskedSgdStep({ weights: wt, grad: g, velocity: v, mask: mask.subarray(0, 100) }, { lr: 0.1, momentum: 0.9 });
  add('masked SGD step vs JS', maxAbsDiff(wt, expectW), 1e-6);
  const before = random([100], next).data;
  const after = before.slice();
  applyMask(after, mask.subarray(0, 100));
  add('apply mask', maxAbsDiff(after, before.map((w, i) => (mask[i] ? w : 0))), 0);
  return out;
}

function medianMs(fn: () => void, runs: number): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times.sort((p, q) => p - q)[Math.floor(runs / 2)];
}

function benchmark(): Record<string, number> {
  const next = rng(2);
  const a = random([1024, 1024], next), b = random([1024, 1024], next), c = Tensor.zeros([1024, 1024]);
  const gemmMs = medianMs(() => gemm(a, b, { out: c }), 7);
  const w = random([300, 784], next);
  const mask = Uint8Array.from(w.data, () => (next() < 0.92 ? 0 : 1));
  const masked = w.clone();
  applyMask(masked.data, mask);
  const sparse = SparseMatrix.fromDense(w, mask);
  const result: Record<string, number> = { gemm1024Gflops: (2 * 1024 ** 3) / (gemmMs / 1e3) / 1e9 };
  for (const batch of [1, 128]) {
    const x = random([batch, 784], next);
    const yd = Tensor.zeros([batch, 300]), ys = Tensor.zeros([batch, 300]);
    const dense = medianMs(() => gemm(x, masked, { transB: true, out: yd }), 201);
    const sp = medianMs(() => sparseLinear(x, sparse, undefined, ys), 201);
    result[`sparseSpeedupBatch${batch}`] = dense / sp;
  }
  const big = random([1_000_000], next).data;
  result.threshold1MMs = medianMs(() => magnitudeThreshold(big, 0.9), 11);
  return result;
}

export async function runSelfCheck(options: { json: boolean; quick: boolean }): Promise<boolean> {
  const backend = info();
  const results = checks();
  const ok = results.every((r) => r.ok);
  const bench = options.quick ? {} : benchmark();
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ok, backend, checks: results, benchmark: bench })}\n`);
    return ok;
  }
  const lines = [
    `prunekit ${backend.version}: ${backend.backend} (${backend.kernelSet}${backend.kernelSetForced ? ', chosen by prunekit' : ''}` +
      `${backend.tiledGemm && backend.backend === 'openblas' ? ', built-in AVX-512 GEMM for mid-sized products' : ''}), ` +
      `${backend.simd} kernels, ${backend.threads} threads`,
    '',
    ...results.map((r) => `  ${r.ok ? 'ok  ' : 'FAIL'}  ${r.name.padEnd(40)} max error ${r.maxError.toExponential(1)}`),
  ];
  if (!options.quick) {
    lines.push(
      '',
      `  GEMM 1024³                          ${bench.gemm1024Gflops.toFixed(1)} GFLOP/s`,
      `  sparse vs dense, 300×784 at 92%:    ${bench.sparseSpeedupBatch1.toFixed(1)}× at batch 1, ${bench.sparseSpeedupBatch128.toFixed(1)}× at batch 128`,
      `  exact threshold, 1M weights          ${bench.threshold1MMs.toFixed(2)} ms`,
      '',
      'Full benchmarks: npm run bench',
    );
  }
  lines.push('', ok ? 'All kernels agree with their references.' : 'Some kernels disagree with their references.');
  process.stdout.write(`${lines.join('\n')}\n`);
  return ok;
}
