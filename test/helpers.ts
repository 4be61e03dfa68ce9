/** Test helpers: a seeded generator and plain-JavaScript reference kernels (the oracles). */
import { Random, Sequential, Tensor } from '../lib';

/** A seeded uniform [0, 1) generator (the library's Random). */
export function rng(seed: number): () => number {
  const r = new Random(seed);
  return () => r.next();
}

/** Mean cross-entropy of the model on (x, y), in float64 from the float32 logits: the finite-difference oracle. */
export function lossOf(model: Sequential, x: Tensor, y: Int32Array): number {
  const z = model.forward(x, 'eval');
  const [n, c] = z.shape;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const row = Array.from(z.data.subarray(i * c, (i + 1) * c));
    const m = Math.max(...row);
    total += m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) - row[y[i]];
  }
  return total / n;
}

export function randomArray(n: number, next: () => number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (next() * 2 - 1) * scale;
  return out;
}

export function randomTensor(shape: number[], next: () => number): Tensor {
  return new Tensor(randomArray(shape.reduce((a, b) => a * b, 1), next), shape);
}

export function randomMask(n: number, sparsity: number, next: () => number): Uint8Array {
  return Uint8Array.from({ length: n }, () => (next() < sparsity ? 0 : 1));
}

/** C = alpha·op(A)·op(B) + beta·C in float64 (beta = 0 ignores C). */
export function referenceGemm(
  a: Float32Array, b: Float32Array, c: Float32Array,
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, beta: number,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * m + i] : a[i * k + p];
        const bv = transB ? b[j * k + p] : b[p * n + j];
        acc += av * bv;
      }
      out[i * n + j] = alpha * acc + (beta === 0 ? 0 : beta * c[i * n + j]);
    }
  }
  return out;
}

/** Asserts |actual - expected| <= tol·(1 + |expected|) elementwise. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let where = -1;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i]));
    if (!(err <= worst)) {
      worst = err;
      where = i;
    }
  }
  if (!(worst <= tol)) {
    throw new Error(`max relative error ${worst} at index ${where} (actual ${actual[where]}, expected ${expected[where]}) exceeds ${tol}`);
  }
}

/** Mask pruning exactly k entries: smallest |x| first, ties by (tensor, index). */
export function referenceMasks(tensors: Float32Array[], k: number): { masks: Uint8Array[]; threshold: number } {
  const entries: { mag: number; t: number; i: number }[] = [];
  tensors.forEach((x, t) => x.forEach((v, i) => entries.push({ mag: Math.abs(v), t, i })));
  entries.sort((p, q) => p.mag - q.mag || p.t - q.t || p.i - q.i);
  const masks = tensors.map((x) => new Uint8Array(x.length).fill(1));
  for (let j = 0; j < k; j++) masks[entries[j].t][entries[j].i] = 0;
  return { masks, threshold: k > 0 ? entries[k - 1].mag : 0 };
}

/**
 * Compares every parameter's back-propagated gradient with central finite
 * differences of lossOf: |analytic − numeric| < absTol + relTol·|numeric|.
 */
export function expectGradientsMatch(model: Sequential, x: Tensor, y: Int32Array, h: number, absTol: number, relTol: number): void {
  model.lossAndGradients(x, y);
  for (const p of model.parameters()) {
    const analytic = p.grad.data.slice();
    for (let i = 0; i < p.size; i++) {
      const save = p.value.data[i];
      p.value.data[i] = save + h;
      const up = lossOf(model, x, y);
      p.value.data[i] = save - h;
      const down = lossOf(model, x, y);
      p.value.data[i] = save;
      const numeric = (up - down) / (2 * h);
      expect(Math.abs(analytic[i] - numeric)).toBeLessThan(absTol + relTol * Math.abs(numeric));
    }
  }
}
