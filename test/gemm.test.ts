import { ArgumentRangeError, ArgumentTypeError, ShapeError, Tensor, gemm, gemmAsync } from '../lib';
import { expectClose, randomTensor, referenceGemm, rng } from './helpers';

const sizes: [number, number, number][] = [
  [1, 1, 1], [0, 4, 3], [4, 0, 3], [3, 4, 0], [2, 3, 5], [7, 13, 17], [31, 37, 41], [64, 64, 64],
  [1, 300, 784], [3, 37, 41], [4, 100, 33], [16, 100, 300], [97, 101, 103],
];

describe('gemm against a float64 JavaScript loop', () => {
  const next = rng(7);
  for (const [m, n, k] of sizes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const [alpha, beta] of [[1, 0], [-0.5, 1], [2, 0.25]] as const) {
          it(`${m}x${n}x${k} transA=${transA} transB=${transB} alpha=${alpha} beta=${beta}`, () => {
            const a = randomTensor(transA ? [k, m] : [m, k], next);
            const b = randomTensor(transB ? [n, k] : [k, n], next);
            const c = randomTensor([m, n], next);
            if (beta === 0) c.data.fill(NaN); // beta = 0 must not read C
            const expected = referenceGemm(a.data, b.data, c.data, transA, transB, m, n, k, alpha, beta);
            const out = gemm(a, b, { transA, transB, alpha, beta, out: c });
            expect(out).toBe(c);
            expectClose(out.data, expected, 1e-5 * Math.sqrt(k + 1));
          });
        }
      }
    }
  }

  it('allocates the output when none is given', () => {
    const a = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = Tensor.from([1, 0, 0, 1, 1, 1], [3, 2]);
    const c = gemm(a, b);
    expect(c.shape).toEqual([2, 2]);
    expect(Array.from(c.data)).toEqual([4, 5, 10, 11]);
  });

  it('async results equal sync results', async () => {
    const next2 = rng(3);
    const a = randomTensor([129, 257], next2), b = randomTensor([257, 65], next2);
    const sync = gemm(a, b);
    const viaAsync = await gemmAsync(a, b);
    expect(Array.from(viaAsync.data)).toEqual(Array.from(sync.data));
  });

  it('keeps the event loop free while async work runs', async () => {
    const next2 = rng(4);
    const a = randomTensor([512, 512], next2), b = randomTensor([512, 512], next2);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await Promise.all([gemmAsync(a, b), gemmAsync(b, a)]);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('gemm rejects bad input with typed errors', () => {
  const a = Tensor.zeros([2, 3]);
  const b = Tensor.zeros([3, 4]);
  const cases: [string, () => unknown, new (m: string) => Error, string][] = [
    ['a not a tensor', () => gemm(new Float32Array(6) as unknown as Tensor, b), ArgumentTypeError,
      'Expected a Tensor for a but received a Float32Array'],
    ['b of rank 1', () => gemm(a, Tensor.zeros([3])), ShapeError, 'Expected a rank-2 tensor for b but received shape [3]'],
    ['inner dimensions differ', () => gemm(a, Tensor.zeros([4, 4])), ShapeError,
      'Expected rows of b equal to K = 3 for b but received shape [4, 4]'],
    ['out of the wrong shape', () => gemm(a, b, { out: Tensor.zeros([2, 5]) }), ShapeError,
      'Expected shape [2, 4] for options.out but received shape [2, 5]'],
    ['NaN alpha', () => gemm(a, b, { alpha: NaN }), ArgumentRangeError,
      'Expected a number in [-Infinity, Infinity] for options.alpha but received NaN'],
    ['string beta', () => gemm(a, b, { beta: '1' as unknown as number }), ArgumentTypeError,
      'Expected a number in [-Infinity, Infinity] for options.beta but received a string'],
    ['non-boolean transA', () => gemm(a, b, { transA: 1 as unknown as boolean }), ArgumentTypeError,
      'Expected a boolean for options.transA but received the number 1'],
  ];
  for (const [name, call, type, message] of cases) {
    it(name, () => {
      expect(call).toThrow(type);
      expect(call).toThrow(message);
    });
  }

  it('out sharing memory with an input', () => {
    const square = Tensor.zeros([2, 2]);
    const call = () => gemm(square, Tensor.zeros([2, 2]), { out: square });
    expect(call).toThrow(ArgumentRangeError);
    expect(call).toThrow('Expected memory separate from a for options.out but received an overlapping view of the same buffer');
  });

  it('async twin rejects with the same typed error', async () => {
    await expect(gemmAsync(a, Tensor.zeros([4, 4]))).rejects.toThrow(ShapeError);
  });
});
