/**
 * Exact 1-D k-means (Lloyd's algorithm) for weight sharing (Deep Compression
 * §3). In one dimension a cluster is an interval of the sorted values, so
 * after one sort each iteration costs O(k log n): boundaries are midpoints
 * between neighbouring centroids (found by binary search), cluster means come
 * from prefix sums. A value exactly halfway between two centroids belongs to
 * the lower one, here and in the native assignment.
 *
 * Initializations (the paper's Figure 4): linear (evenly spaced between the
 * smallest and largest weight; the paper's best), density (evenly spaced in
 * the CDF), random (Forgy: k distinct weights), and k-means++ (D² sampling).
 */
import { ArgumentRangeError, NonFiniteError } from '../errors';
import { native } from '../native';
import { Random } from '../random';
import { assertFloat32Array, assertInteger, assertUint8Array, expected, optionsObject, quoted } from '../validate';
import { MAX_ALPHABET } from './huffman';

export const CENTROID_INITS = ['linear', 'density', 'random', 'kmeans++'] as const;
export type CentroidInit = (typeof CENTROID_INITS)[number];

export interface KMeansOptions {
  init?: CentroidInit;
  seed?: number;
  /** Lloyd iterations at most (it stops earlier when no value changes cluster). */
  maxIterations?: number;
}

export interface KMeansResult {
  /** Sorted float32 centroids that have at least one value (at most `clusters`). */
  centroids: Float32Array;
  iterations: number;
  converged: boolean;
  /** Sum of squared distances from each value to its centroid. */
  inertia: number;
}

export function kmeans1d(values: Float32Array, clusters: number, options: KMeansOptions = {}): KMeansResult {
  assertFloat32Array('values', values);
  assertInteger('clusters', clusters, 1, MAX_ALPHABET);
  const { init = 'linear', seed = 0, maxIterations = 300 } = optionsObject('options', options, ['init', 'seed', 'maxIterations']);
  if (!CENTROID_INITS.includes(init)) {
    throw new ArgumentRangeError(expected(`one of ${CENTROID_INITS.join(', ')}`, 'init', quoted(init)));
  }
  assertInteger('maxIterations', maxIterations, 0);
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n > 0 && !(Number.isFinite(sorted[0]) && Number.isFinite(sorted[n - 1]))) {
    throw new NonFiniteError('values: k-means needs finite weights');
  }
  if (n === 0) return { centroids: new Float32Array(0), iterations: 0, converged: true, inertia: 0 };
  const sums = new Float64Array(n + 1), squares = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    sums[i + 1] = sums[i] + sorted[i];
    squares[i + 1] = squares[i] + sorted[i] * sorted[i];
  }
  let c = initialCentroids(sorted, Math.min(clusters, n), init, new Random(seed));
  let bounds = boundaries(sorted, c);
  let iterations = 0, converged = false;
  while (iterations < maxIterations) {
    iterations++;
    for (let j = 0; j < c.length; j++) {
      const a = bounds[j], b = bounds[j + 1];
      if (b > a) c[j] = (sums[b] - sums[a]) / (b - a);
    }
    c.sort();
    const next = boundaries(sorted, c);
    const same = next.every((v, j) => v === bounds[j]);
    bounds = next;
    if (same) {
      converged = true;
      break;
    }
  }
  // Round to float32 (what the file stores), then keep the centroids that still own values.
  c = Float64Array.from(Float32Array.from(c)).sort();
  bounds = boundaries(sorted, c);
  const kept: number[] = [];
  let inertia = 0;
  for (let j = 0; j < c.length; j++) {
    const a = bounds[j], b = bounds[j + 1];
    if (b === a) continue;
    kept.push(c[j]);
    inertia += squares[b] - squares[a] - 2 * c[j] * (sums[b] - sums[a]) + (b - a) * c[j] * c[j];
  }
  return { centroids: Float32Array.from(kept), iterations, converged, inertia: Math.max(0, inertia) };
}

/** bounds[j]..bounds[j+1] is cluster j's range of sorted indices (bounds has k + 1 entries). */
function boundaries(sorted: Float64Array, c: Float64Array): Int32Array {
  const k = c.length, b = new Int32Array(k + 1);
  b[k] = sorted.length;
  for (let j = 0; j + 1 < k; j++) b[j + 1] = upperBound(sorted, (c[j] + c[j + 1]) / 2, b[j]);
  return b;
}

/** First index at or after `from` whose value exceeds x. */
function upperBound(sorted: Float64Array, x: number, from: number): number {
  let lo = from, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function initialCentroids(sorted: Float64Array, k: number, init: CentroidInit, rng: Random): Float64Array {
  const n = sorted.length, lo = sorted[0], hi = sorted[n - 1];
  const c = new Float64Array(k);
  switch (init) {
    case 'linear':
      for (let j = 0; j < k; j++) c[j] = k === 1 ? (lo + hi) / 2 : lo + ((hi - lo) * j) / (k - 1);
      break;
    case 'density':
      for (let j = 0; j < k; j++) c[j] = sorted[Math.min(n - 1, Math.floor(((j + 0.5) / k) * n))];
      break;
    case 'random': {
      // Floyd's sampling: k distinct indices in O(k).
      const chosen = new Set<number>();
      for (let t = n - k; t < n; t++) {
        const i = rng.int(t + 1);
        chosen.add(chosen.has(i) ? t : i);
      }
      let j = 0;
      for (const i of chosen) c[j++] = sorted[i];
      break;
    }
    case 'kmeans++':
      return kmeansPlusPlus(sorted, k, rng);
  }
  return c.sort();
}

const BLOCK = 1024;

/**
 * D² sampling on sorted values. A new centroid only changes the distances of
 * the values nearer to it than to any other centroid, an interval around it;
 * block sums of the squared distances make each draw O(n / BLOCK + BLOCK).
 */
function kmeansPlusPlus(sorted: Float64Array, k: number, rng: Random): Float64Array {
  const n = sorted.length;
  const d2 = new Float64Array(n), blockSum = new Float64Array(Math.ceil(n / BLOCK));
  const chosen: number[] = [];
  const add = (i: number) => {
    const c = sorted[i];
    chosen.push(c);
    let a = i, b = i;
    const first = chosen.length === 1;
    while (a > 0 && (first || (sorted[a - 1] - c) ** 2 < d2[a - 1])) a--;
    while (b < n - 1 && (first || (sorted[b + 1] - c) ** 2 < d2[b + 1])) b++;
    for (let j = a; j <= b; j++) d2[j] = (sorted[j] - c) ** 2;
    for (let blk = Math.floor(a / BLOCK); blk <= Math.floor(b / BLOCK); blk++) {
      let s = 0;
      for (let j = blk * BLOCK, end = Math.min(n, j + BLOCK); j < end; j++) s += d2[j];
      blockSum[blk] = s;
    }
  };
  add(rng.int(n));
  while (chosen.length < k) {
    let total = 0;
    for (const s of blockSum) total += s;
    if (!(total > 0)) break; // every value already sits on a centroid
    let r = rng.next() * total, blk = 0;
    while (blk < blockSum.length - 1 && r >= blockSum[blk]) r -= blockSum[blk++];
    while (blk > 0 && blockSum[blk] === 0) blk--; // rounding ran past the last weighted block
    let pick = -1;
    for (let j = blk * BLOCK, end = Math.min(n, j + BLOCK); j < end; j++) {
      if (d2[j] === 0) continue;
      pick = j;
      if (r < d2[j]) break;
      r -= d2[j];
    }
    if (pick < 0) break;
    add(pick);
  }
  return Float64Array.from(chosen).sort();
}

/** Index of each value's nearest centroid (sorted centroids; ties to the lower), -1 where the mask is 0. */
export function assignNearest(values: Float32Array, centroids: Float32Array, mask: Uint8Array | null = null): Int32Array {
  assertFloat32Array('values', values);
  assertFloat32Array('centroids', centroids);
  if (mask !== null) assertUint8Array('mask', mask);
  const out = new Int32Array(values.length);
  native.assignNearest(values, mask, centroids, out);
  return out;
}
