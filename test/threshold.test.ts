import {
  ArgumentRangeError, ArgumentTypeError, NonFiniteError, ShapeError, globalMagnitudeThreshold,
  globalMagnitudeThresholdAsync, kthSmallestMagnitude, magnitudeThreshold, magnitudeThresholdAsync, percentile,
  percentileAsync, pruneCount, roundHalfEven,
} from '../lib';
import { randomArray, referenceMasks, rng } from './helpers';

describe('pruneCount follows torch.nn.utils.prune amount semantics', () => {
  it.each([
    [0.5, 5, 2], // Python round(2.5) == 2
    [0.5, 7, 4], // round(3.5) == 4
    [0.3, 10, 3],
    [0.25, 10, 2], // round(2.5) == 2
    [0.75, 10, 8], // round(7.5) == 8
    [0, 10, 0],
    [3, 10, 3], // an integer >= 1 is a count
    [1, 10, 1],
    [10, 10, 10],
    [0.999, 1000, 999],
  ])('amount %p of %p weights prunes %p', (amount, n, count) => {
    expect(pruneCount(amount, n)).toBe(count);
  });

  it('rounds half to even like Python', () => {
    expect([0.5, 1.5, 2.5, 3.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 4, 2, 3]);
  });

  it.each([
    [11, 10, ArgumentRangeError, 'Expected a count of at most 10 weights for amount but received the number 11'],
    [1.5, 10, ArgumentRangeError, 'Expected a fraction in [0, 1) or a whole count of weights in [1, 10] for amount but received the number 1.5'],
    [-0.1, 10, ArgumentRangeError, 'Expected a fraction in [0, 1) or a whole count of weights in [1, 10] for amount but received the number -0.1'],
    [NaN, 10, ArgumentRangeError, 'Expected a fraction in [0, 1) or a whole count of weights in [1, 10] for amount but received NaN'],
    ['0.5', 10, ArgumentTypeError, 'Expected a number for amount but received a string'],
  ])('rejects amount %p of %p', (amount, n, type, message) => {
    const call = () => pruneCount(amount as number, n);
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});

describe('magnitudeThreshold against a sort', () => {
  const next = rng(21);
  for (const n of [1, 2, 5, 97, 10_007, 300_007]) {
    for (const amount of [0, 0.1, 0.5, 0.92, 0.999]) {
      it(`n=${n} amount=${amount}`, () => {
        const x = randomArray(n, next);
        const k = pruneCount(amount, n);
        const expected = referenceMasks([x], k);
        const got = magnitudeThreshold(x, amount);
        expect(got.pruned).toBe(k);
        expect(got.threshold).toBe(expected.threshold);
        expect(Buffer.from(got.mask).equals(Buffer.from(expected.masks[0]))).toBe(true);
      });
    }
  }

  it('breaks ties by index: exactly k pruned, lowest indices first (hand-worked)', () => {
    const x = Float32Array.from([0.5, -0.1, 0.1, 0.3, -0.1, 0.1, 2]);
    // magnitudes sorted: 0.1@1, 0.1@2, 0.1@4, 0.1@5, 0.3, 0.5, 2 -> pruning 3 takes indices 1, 2, 4
    const r = magnitudeThreshold(x, 3);
    expect(Array.from(r.mask)).toEqual([1, 0, 0, 1, 0, 1, 1]);
    expect(r.threshold).toBe(Math.fround(0.1));
    expect(r.pruned).toBe(3);
  });

  it('counts -0 and +0 as equal magnitudes', () => {
    const r = magnitudeThreshold(Float32Array.from([0, -0, 1, -0, 0]), 0.5); // round(2.5) = 2
    expect(Array.from(r.mask)).toEqual([0, 0, 1, 1, 1]);
  });

  it('handles heavy ties on the sampled path (values from a tiny set)', () => {
    const x = Float32Array.from({ length: 500_000 }, () => Math.round((next() * 2 - 1) * 5) / 4);
    for (const amount of [0.1, 0.45, 0.9]) {
      const expected = referenceMasks([x], pruneCount(amount, x.length));
      const got = magnitudeThreshold(x, amount);
      expect(Buffer.from(got.mask).equals(Buffer.from(expected.masks[0]))).toBe(true);
    }
  });

  it('writes into a caller-provided mask', () => {
    const x = randomArray(1000, next), mask = new Uint8Array(1000).fill(7);
    const r = magnitudeThreshold(x, 0.5, { mask });
    expect(r.mask).toBe(mask);
    expect(mask.reduce((s, m) => s + m, 0)).toBe(500);
  });

  it('async results equal sync results', async () => {
    const x = randomArray(400_000, next);
    const sync = magnitudeThreshold(x, 0.8);
    const viaAsync = await magnitudeThresholdAsync(x, 0.8);
    expect(viaAsync.threshold).toBe(sync.threshold);
    expect(Buffer.from(viaAsync.mask).equals(Buffer.from(sync.mask))).toBe(true);
  });
});

describe('globalMagnitudeThreshold: one threshold across tensors', () => {
  const next = rng(22);
  it.each([[[3, 0, 5]], [[1000, 1, 2000]], [[200_000, 150_000, 17]]])('sizes %p', (sizes) => {
    const tensors = sizes.map((n) => Float32Array.from(randomArray(n, next), (v) => Math.round(v * 64) / 64));
    const total = sizes.reduce((a, b) => a + b, 0);
    for (const amount of [0.2, 0.5, 0.95]) {
      const k = pruneCount(amount, total);
      const expected = referenceMasks(tensors, k);
      const got = globalMagnitudeThreshold(tensors, amount);
      expect(got.pruned).toBe(k);
      expect(got.threshold).toBe(expected.threshold);
      got.masks.forEach((m, i) => expect(Buffer.from(m).equals(Buffer.from(expected.masks[i]))).toBe(true));
    }
  });

  it('matches global_unstructured on a hand-worked example', () => {
    // 8 weights, amount 0.5 -> prune 4: magnitudes 0.1 (a[1]), 0.2 (b[0]), 0.2 (b[2]), 0.3 (a[0])
    const a = Float32Array.from([0.3, -0.1, 0.9]);
    const b = Float32Array.from([0.2, 0.8, -0.2, 0.4, 0.7]);
    const r = globalMagnitudeThreshold([a, b], 0.5);
    expect(r.masks.map((m) => Array.from(m))).toEqual([[0, 0, 1], [0, 1, 0, 1, 1]]);
    expect(r.threshold).toBe(Math.fround(0.3));
  });

  it('async results equal sync results', async () => {
    const tensors = [randomArray(300_000, next), randomArray(100, next)];
    const sync = globalMagnitudeThreshold(tensors, 0.6);
    const viaAsync = await globalMagnitudeThresholdAsync(tensors, 0.6);
    expect(viaAsync.threshold).toBe(sync.threshold);
  });
});

describe('kthSmallestMagnitude and percentile', () => {
  const next = rng(23);
  it('kth smallest magnitude equals the sorted value', () => {
    const x = randomArray(300_001, next);
    const sorted = Float64Array.from(x, Math.abs).sort();
    for (const k of [1, 2, 150_000, 300_001]) expect(kthSmallestMagnitude(x, k)).toBe(sorted[k - 1]);
    expect(kthSmallestMagnitude([x.subarray(0, 10), x.subarray(10)], 5)).toBe(sorted[4]);
  });

  it.each([1, 2, 10, 1001, 300_001])('percentile matches numpy linear interpolation, n=%p', async (n) => {
    const x = randomArray(n, next);
    const sorted = Float64Array.from(x).sort();
    for (const q of [0, 5, 25, 50, 90, 99.9, 100]) {
      const rank = (q / 100) * (n - 1);
      const lo = Math.floor(rank), hi = Math.min(lo + 1, n - 1);
      const expected = sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
      expect(percentile(x, q)).toBeCloseTo(expected, 6);
    }
    expect(await percentileAsync(x, 50)).toBe(percentile(x, 50));
  });
});

describe('selection rejects bad input with typed errors', () => {
  const x = Float32Array.from([1, 2, 3, 4]);
  const withNaN = Float32Array.from([1, NaN, 3, 4]);
  const cases: [string, () => unknown, new (m: string) => Error, string][] = [
    ['NaN in the weights', () => magnitudeThreshold(withNaN, 0.5), NonFiniteError, 'Expected finite values for x but received NaN at index 1'],
    ['NaN even when nothing is pruned', () => magnitudeThreshold(withNaN, 0), NonFiniteError, 'Expected finite values for x but received NaN at index 1'],
    ['NaN in a global tensor', () => globalMagnitudeThreshold([x, withNaN], 0.5), NonFiniteError,
      'Expected finite values for tensors[1] but received NaN at index 1'],
    ['NaN in a percentile', () => percentile(withNaN, 50), NonFiniteError, 'Expected finite values for x but received NaN at index 1'],
    ['weights as Float64Array', () => magnitudeThreshold(new Float64Array(4) as unknown as Float32Array, 0.5), ArgumentTypeError,
      'Expected a Float32Array for x but received a Float64Array'],
    ['mask of the wrong length', () => magnitudeThreshold(x, 0.5, { mask: new Uint8Array(3) }), ShapeError,
      'Expected length 4 for options.mask but received length 3'],
    ['mask sharing memory with the weights', () => magnitudeThreshold(x, 0.5, { mask: new Uint8Array(x.buffer) }), ShapeError,
      'Expected length 4 for options.mask but received length 16'],
    ['a mask viewing the weights', () => magnitudeThreshold(x, 0.5, { mask: new Uint8Array(x.buffer, 0, 4) }), ArgumentRangeError,
      'Expected memory separate from x for options.mask but received an overlapping view of the same buffer'],
    ['a count above the size', () => magnitudeThreshold(x, 5), ArgumentRangeError,
      'Expected a count of at most 4 weights for amount but received the number 5'],
    ['tensors not an array', () => globalMagnitudeThreshold(x as unknown as Float32Array[], 0.5), ArgumentTypeError,
      'Expected an array of Float32Array for tensors but received a Float32Array'],
    ['masks count differs', () => globalMagnitudeThreshold([x, x], 0.5, { masks: [new Uint8Array(4)] }), ShapeError,
      'Expected length 2 for options.masks but received length 1'],
    ['masks not an array', () => globalMagnitudeThreshold([x], 0.5, { masks: new Uint8Array(4) as unknown as Uint8Array[] }), ArgumentTypeError,
      'Expected an array of Uint8Array for options.masks but received a Uint8Array'],
    ['a tensor getter that empties the masks', () => {
      const masks = [new Uint8Array(4), new Uint8Array(4)];
      const tensors = [x];
      Object.defineProperty(tensors, 1, { get: () => { masks.length = 0; return Float32Array.from(x); }, enumerable: true });
      return globalMagnitudeThreshold(tensors, 0.5, { masks });
    }, ShapeError, 'Expected length 2 for options.masks but received length 0'],
    ['percentile q above 100', () => percentile(x, 101), ArgumentRangeError, 'Expected a number in [0, 100] for q but received the number 101'],
    ['percentile of nothing', () => percentile(new Float32Array(0), 50), ArgumentRangeError,
      'Expected a non-empty Float32Array for x but received length 0'],
    ['k of 0', () => kthSmallestMagnitude(x, 0), ArgumentRangeError, 'Expected an integer in [1, 4] for k but received the number 0'],
  ];
  for (const [name, call, type, message] of cases) {
    it(name, () => {
      expect(call).toThrow(type);
      expect(call).toThrow(message);
    });
  }

  it('async twin rejects NaN with the typed error', async () => {
    await expect(magnitudeThresholdAsync(withNaN, 0.5)).rejects.toThrow(NonFiniteError);
  });
});
