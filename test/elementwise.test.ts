import {
  ArgumentRangeError, ShapeError, Tensor, activation, activationGrad, biasAdd, biasGrad, softmaxCrossEntropy,
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
