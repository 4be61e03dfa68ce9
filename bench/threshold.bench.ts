/**
 * Exact magnitude thresholds: the k-th smallest |w| and its pruning mask for
 * 1M and 10M weights, and a global threshold over 10 tensors of 1M, against
 * sorting in JavaScript (Float32Array.prototype.sort of the magnitudes) and
 * a JavaScript quickselect.
 */
import { globalMagnitudeThreshold, kthSmallestMagnitude, magnitudeThreshold } from '../lib';
import { Row, measure, printTable, writeResults } from './harness';

function weights(n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    // roughly Gaussian: sum of uniforms
    x[i] = (Math.random() + Math.random() + Math.random() - 1.5) * 0.05;
  }
  return x;
}

function magnitudes(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.abs(x[i]);
  return out;
}

function jsSortThreshold(x: Float32Array, k: number): number {
  const mags = magnitudes(x);
  mags.sort();
  return mags[k - 1];
}

function jsQuickselect(x: Float32Array, k: number): number {
  const a = magnitudes(x);
  let lo = 0, hi = a.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i]; a[i] = a[j]; a[j] = t;
        i++; j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return a[target];
}

const rows: Row[] = [];
const amount = 0.9;
for (const n of [1_000_000, 10_000_000]) {
  const x = weights(n);
  const k = Math.round(amount * n);
  const mask = new Uint8Array(n);
  const kth = measure(() => kthSmallestMagnitude(x, k), { rounds: 15, sampleSeconds: 0.02 });
  const withMask = measure(() => magnitudeThreshold(x, amount, { mask }), { rounds: 15, sampleSeconds: 0.02 });
  const sort = measure(() => jsSortThreshold(x, k), { rounds: n > 1e6 ? 3 : 7, sampleSeconds: 0 });
  const quick = measure(() => jsQuickselect(x, k), { rounds: n > 1e6 ? 5 : 9, sampleSeconds: 0 });
  if (jsSortThreshold(x, k) !== kthSmallestMagnitude(x, k)) throw new Error('threshold disagrees with the sort');
  rows.push({
    weights: `${n / 1e6}M`,
    'k-th |w| ms': kth.median * 1e3,
    'threshold + mask ms': withMask.median * 1e3,
    'JS quickselect ms': quick.median * 1e3,
    'JS sort ms': sort.median * 1e3,
    'vs sort': sort.median / withMask.median,
  });
}
const tensors = Array.from({ length: 10 }, () => weights(1_000_000));
const masks = tensors.map((t) => new Uint8Array(t.length));
const global = measure(() => globalMagnitudeThreshold(tensors, amount, { masks }), { rounds: 15, sampleSeconds: 0.02 });
const globalSort = measure(() => {
  const all = new Float32Array(10_000_000);
  tensors.forEach((t, i) => all.set(t, i * 1_000_000));
  return jsSortThreshold(all, 9_000_000);
}, { rounds: 3, sampleSeconds: 0 });
rows.push({
  weights: '10 × 1M (global)',
  'k-th |w| ms': NaN,
  'threshold + mask ms': global.median * 1e3,
  'JS quickselect ms': NaN,
  'JS sort ms': globalSort.median * 1e3,
  'vs sort': globalSort.median / global.median,
});
printTable(`Exact magnitude threshold, amount ${amount} (median ms)`, rows);
writeResults('threshold', { threshold: rows });
