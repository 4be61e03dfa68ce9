/**
 * GEMM: GFLOP/s through the TypeScript API and from a C++ driver calling the
 * same dispatched kernel (the binding's overhead), the machine's measured
 * FP32 peak (an FMA loop), efficiency at 1024³, the LeNet-300-100 shapes,
 * and the cost of a trivial native call. On AVX-512 CPUs the square table
 * also times prunekit's own tiled kernel (the built-in backend's GEMM there)
 * beside the BLAS one.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Tensor, gemm, info } from '../lib';
import { native } from '../lib/native';
import { Row, interleaved, measure, printTable, writeResults } from './harness';

const driver = path.join(__dirname, '..', 'build', 'gemm_driver');

function random(shape: number[]): Tensor {
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = Math.random() * 2 - 1;
  return t;
}

const hasTiles = info().simd === 'avx512';

function driverGflops(m: number, n: number, k: number, transB: boolean, tiles = false): number {
  const reps = m * n * k > 2e8 ? 15 : 101;
  const args = [String(m), String(n), String(k), String(reps), transB ? 'tb' : 'nn', tiles ? 'tiles' : 'blas'];
  return JSON.parse(execFileSync(driver, args).toString()).gflops as number;
}

function tsGflops(m: number, n: number, k: number, transB: boolean): number {
  const a = random([m, k]), b = random(transB ? [n, k] : [k, n]), c = Tensor.zeros([m, n]);
  const t = measure(() => gemm(a, b, { transB, out: c }), { rounds: 21, sampleSeconds: 0.01 });
  return (2 * m * n * k) / t.median / 1e9;
}

/** Median of three alternations of driver and binding, to share machine load. */
function compare(m: number, n: number, k: number, transB: boolean, withTiles = false) {
  const ts: number[] = [], cpp: number[] = [], tiles: number[] = [];
  for (let i = 0; i < 3; i++) {
    cpp.push(driverGflops(m, n, k, transB));
    ts.push(tsGflops(m, n, k, transB));
    if (withTiles) tiles.push(driverGflops(m, n, k, transB, true));
  }
  const mid = (v: number[]) => v.sort((p, q) => p - q)[1];
  return { ts: mid(ts), cpp: mid(cpp), tiles: withTiles ? mid(tiles) : NaN };
}

const threads = info().threads;
const peakBefore = native.measurePeak(threads, 1);
const square: Row[] = [];
for (const size of [64, 128, 256, 512, 1024, 2048]) {
  const { ts, cpp, tiles } = compare(size, size, size, false, hasTiles);
  const row: Row = { size: `${size}³`, 'TS GFLOP/s': ts, 'C++ GFLOP/s': cpp, 'TS / C++': ts / cpp };
  if (hasTiles) row['built-in tiles C++ GFLOP/s'] = tiles;
  square.push(row);
}
const peakAfter = native.measurePeak(threads, 1);
const peak = Math.max(peakBefore, peakAfter);

const lenet: Row[] = [];
for (const batch of [1, 16, 128]) {
  for (const [inF, outF] of [[784, 300], [300, 100], [100, 10]]) {
    const { ts, cpp } = compare(batch, outF, inF, true);
    lenet.push({ shape: `${batch}×${inF} · (${outF}×${inF})ᵀ`, 'TS GFLOP/s': ts, 'C++ GFLOP/s': cpp, 'TS / C++': ts / cpp });
  }
}

const one = Tensor.from([2], [1, 1]);
const tiny = Tensor.zeros([1, 1]);
const calls = interleaved(
  { nop: () => native.nop(), 'gemm 1×1×1 (validated API)': () => gemm(one, one, { out: tiny }) },
  { rounds: 51, sampleSeconds: 0.002 },
);
const overhead: Row[] = Object.entries(calls).map(([call, t]) => ({ call, 'µs per call': t.median * 1e6 }));

const at1024 = square.find((r) => r.size === '1024³')!;
const efficiency = (at1024['TS GFLOP/s'] as number) / peak;
const summary: Row[] = [
  { figure: `FP32 peak, FMA loop, ${threads} threads (GFLOP/s)`, value: peak },
  { figure: 'GEMM 1024³ through TypeScript (GFLOP/s)', value: at1024['TS GFLOP/s'] },
  { figure: 'GEMM 1024³ efficiency (% of peak)', value: 100 * efficiency },
  { figure: 'kernel set', value: `${info().backend} ${info().kernelSet}` },
];
if (hasTiles) {
  summary.push({
    figure: 'built-in AVX-512 tiles 1024³ (% of peak)',
    value: (100 * (at1024['built-in tiles C++ GFLOP/s'] as number)) / peak,
  });
}
printTable('GEMM, square, C = A·B (float32)', square);
printTable('GEMM, LeNet-300-100 forward shapes, Y = X·Wᵀ', lenet);
printTable('Native call cost', overhead);
printTable('Summary', summary);
writeResults('gemm', { square, lenet, overhead, summary }, { peakGflops: peak, efficiency1024: efficiency });
