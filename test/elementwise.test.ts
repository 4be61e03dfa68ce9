import {
  ArgumentRangeError, ShapeError, Tensor, activation, activationGrad, biasAdd, biasGrad, dropout, dropoutGrad, info, setThreads,
  softmaxCrossEntropy,
} from '../lib';
import { expectClose, randomTensor, rng } from './helpers';

describe('bias and activations against JavaScript references', () => {
  const next = rng(31);
  it('biasAdd and biasGrad', () => {
    const y = randomTensor([37, 13], next), bias = randomTensor([13], next).data;
    const expected = Float32Array.from(y.data, (v, i) => v + bias[i % 13]);
    biasAdd(y, bias);
    expectClose(y.data, expected, 1e-7);
    const db = new Float32Array(13);
    biasGrad(db, y);
    const sums = new Float64Array(13);
    y.data.forEach((v, i) => (sums[i % 13] += v));
    expectClose(db, sums, 1e-6);
  });

  const refs = {
    relu: [(x: number) => Math.max(0, x), (y: number) => (y > 0 ? 1 : 0)],
    tanh: [Math.tanh, (y: number) => 1 - y * y],
    sigmoid: [(x: number) => 1 / (1 + Math.exp(-x)), (y: number) => y * (1 - y)],
  } as const;
  for (const kind of ['relu', 'tanh', 'sigmoid'] as const) {
    it(`${kind} forward and backward, also in place`, () => {
      const x = randomTensor([1001], next);
      for (let i = 0; i < x.size; i++) x.data[i] *= 8;
      const y = activation(kind, x);
      expectClose(y.data, Array.from(x.data, refs[kind][0]), 1e-6);
      const dy = randomTensor([1001], next);
      const dx = activationGrad(kind, dy, y);
      expectClose(dx.data, Array.from(dy.data, (g, i) => g * refs[kind][1](y.data[i])), 1e-6);
      const inPlace = x.clone();
      activation(kind, inPlace, inPlace);
      expect(Array.from(inPlace.data)).toEqual(Array.from(y.data));
    });
  }

  it('relu propagates NaN instead of hiding it', () => {
    expect(Array.from(activation('relu', Tensor.from([NaN, -1, 2], [3])).data)).toEqual([NaN, 0, 2]);
  });

  it('sigmoid stays finite for huge inputs', () => {
    const y = activation('sigmoid', Tensor.from([-1000, 1000, 0], [3]));
    expect(Array.from(y.data)).toEqual([0, 1, 0.5]);
  });
});

describe('softmaxCrossEntropy', () => {
  const next = rng(32);
  it('matches a float64 reference, and its gradient matches finite differences', () => {
    const logits = randomTensor([7, 5], next);
    const labels = Int32Array.from([0, 1, 2, 3, 4, 0, 2]);
    const ref = (z: Float32Array | Float64Array) => {
      let total = 0;
      for (let b = 0; b < 7; b++) {
        const row = Array.from(z.subarray(b * 5, b * 5 + 5));
        const m = Math.max(...row);
        const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
        total += lse - row[labels[b]];
      }
      return total / 7;
    };
    const grad = Tensor.zeros([7, 5]);
    const { loss } = softmaxCrossEntropy(logits, labels, grad);
    expect(loss).toBeCloseTo(ref(logits.data), 6);
    const z = Float64Array.from(logits.data);
    const h = 1e-5;
    for (let i = 0; i < z.length; i++) {
      const save = z[i];
      z[i] = save + h;
      const up = ref(z);
      z[i] = save - h;
      const down = ref(z);
      z[i] = save;
      expect(grad.data[i]).toBeCloseTo((up - down) / (2 * h), 5);
    }
  });

  it('is stable for huge logits and counts correct predictions', () => {
    const logits = Tensor.from([1000, 0, -1000, 0, 1e30, 0], [2, 3]);
    const r = softmaxCrossEntropy(logits, Int32Array.from([0, 2]));
    expect(r.loss).toBeCloseTo((0 + 1e30) / 2, -25);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.correct).toBe(1);
  });

  it('rejects labels outside the classes, naming the index', () => {
    const call = () => softmaxCrossEntropy(Tensor.zeros([2, 3]), Int32Array.from([0, 3]));
    expect(call).toThrow(ArgumentRangeError);
    expect(call).toThrow('Expected a class in [0, 3) for labels[1] but received 3');
    expect(() => softmaxCrossEntropy(Tensor.zeros([2, 3]), Int32Array.from([0]))).toThrow(ShapeError);
    expect(() => softmaxCrossEntropy(Tensor.zeros([2, 3]), Int32Array.from([0, 1]), Tensor.zeros([3, 2]))).toThrow(
      'Expected shape [2, 3] for dlogits but received shape [3, 2]',
    );
  });
});

describe('dropout against a BigInt model of its generator', () => {
  // The documented stream: splitmix64 with its state at key + (offset + i) * gamma,
  // key = mix64(seed ^ 0x6a09e667f3bcc909); element i is kept when the top 32
  // bits of its draw reach round(p * 2^32).
  const M = (1n << 64n) - 1n;
  const mix64 = (z: bigint) => {
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
    return z ^ (z >> 31n);
  };
  const referenceKeep = (n: number, p: number, seed: number, offset: number) => {
    const key = mix64(BigInt(seed) ^ 0x6a09e667f3bcc909n);
    const below = BigInt(Math.round(p * 2 ** 32));
    return Uint8Array.from({ length: n }, (_, i) => (mix64((key + BigInt(offset + i) * 0x9e3779b97f4a7c15n) & M) >> 32n >= below ? 1 : 0));
  };
  const next = rng(57);

  it('keeps exactly the elements the reference keeps, scaled by 1/(1-p), and NaN stays NaN', () => {
    for (const [p, seed, offset] of [[0.5, 0, 0], [0.1, 7, 12345], [0.9, 2 ** 32 - 1, 2 ** 40 + 3], [0, 3, 0]] as const) {
      const x = randomTensor([3, 337], next);
      x.data[5] = NaN;
      x.data[6] = -Infinity;
      const keep = new Uint8Array(x.size);
      const y = dropout(x, keep, p, seed, offset);
      expect(keep).toEqual(referenceKeep(x.size, p, seed, offset));
      // A multiply, as in PyTorch: a dropped NaN or infinity is NaN, not 0.
      const scale = 1 / (1 - p);
      y.data.forEach((v, i) => expect(v).toBe(Math.fround(x.data[i] * (keep[i] ? scale : 0))));
      expect(y.data[6]).toBe(keep[6] ? -Infinity : NaN);
      const dy = randomTensor([3, 337], next);
      dy.data[7] = Infinity;
      const dx = dropoutGrad(dy, keep, p);
      dx.data.forEach((v, i) => expect(v).toBe(Math.fround(dy.data[i] * (keep[i] ? scale : 0))));
    }
  });

  it('continues a stream across calls, works in place, and does not depend on the thread count', () => {
    const threads = info().threads;
    const x = randomTensor([1 << 18], next);
    const whole = new Uint8Array(x.size);
    try {
      setThreads(1);
      const one = dropout(x, whole, 0.3, 11, 99);
      setThreads(2);
      const two = new Uint8Array(x.size);
      expect(dropout(x, two, 0.3, 11, 99).data).toEqual(one.data);
      expect(two).toEqual(whole);
    } finally {
      setThreads(threads);
    }
    const half = x.size / 2, parts = new Uint8Array(x.size);
    dropout(Tensor.from(x.data.subarray(0, half), [half]), parts.subarray(0, half), 0.3, 11, 99);
    dropout(Tensor.from(x.data.subarray(half), [half]), parts.subarray(half), 0.3, 11, 99 + half);
    expect(parts).toEqual(whole);
    const copy = Tensor.from(x.data.slice(), x.shape), again = new Uint8Array(x.size);
    expect(dropout(copy, again, 0.3, 11, 99, copy).data).toBe(copy.data);
    expect(again).toEqual(whole);
  });

  it('drops p of the elements, without pairs of neighbours sticking together', () => {
    for (const p of [0.05, 0.5, 0.8]) {
      const keep = new Uint8Array(1 << 20);
      dropout(Tensor.zeros([keep.length]), keep, p, 1, 0);
      let dropped = 0, bothDropped = 0;
      keep.forEach((k, i) => {
        dropped += 1 - k;
        if (i > 0 && !k && !keep[i - 1]) bothDropped++;
      });
      const n = keep.length, sd = Math.sqrt(p * (1 - p) / n);
      expect(Math.abs(dropped / n - p)).toBeLessThan(5 * sd);
      expect(Math.abs(bothDropped / (n - 1) - p * p)).toBeLessThan(5 * Math.sqrt(p * p * (1 - p * p) / n));
    }
  });

  it('refuses a probability of 1, a mask of another length and an unsafe offset', () => {
    const x = Tensor.zeros([4]);
    expect(() => dropout(x, new Uint8Array(4), 1, 0, 0)).toThrow(ArgumentRangeError);
    expect(() => dropout(x, new Uint8Array(3), 0.5, 0, 0)).toThrow('Expected length 4 for keep but received length 3');
    expect(() => dropout(x, new Uint8Array(4), 0.5, 0, 2 ** 53 + 2)).toThrow(ArgumentRangeError);
    expect(() => dropoutGrad(x, new Uint8Array(4), 0.5, Tensor.zeros([5]))).toThrow('Expected length 4 for dx but received length 5');
  });
});
