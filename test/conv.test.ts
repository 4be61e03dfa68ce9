import { ArgumentRangeError, Conv2D, Dense, Flatten, MaxPool2D, Sequential, ShapeError, Tensor, lenet5 } from '../lib';
import { expectGradientsMatch, randomTensor, rng } from './helpers';

/** Direct nested-loop convolution: the oracle. */
function directConv(x: Tensor, w: Tensor, bias: Float32Array, stride: number, pad: number): Float64Array {
  const [B, C, H, W] = x.shape, [O, , K] = w.shape;
  const OH = Math.floor((H + 2 * pad - K) / stride) + 1, OW = Math.floor((W + 2 * pad - K) / stride) + 1;
  const y = new Float64Array(B * O * OH * OW);
  for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
    let acc = bias[o];
    for (let c = 0; c < C; c++) for (let ky = 0; ky < K; ky++) for (let kx = 0; kx < K; kx++) {
      const iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
      if (iy >= 0 && iy < H && ix >= 0 && ix < W) acc += x.data[((b * C + c) * H + iy) * W + ix] * w.data[((o * C + c) * K + ky) * K + kx];
    }
    y[((b * O + o) * OH + oy) * OW + ox] = acc;
  }
  return y;
}


describe('Conv2D', () => {
  const next = rng(41);
  for (const [stride, padding, k] of [[1, 0, 3], [2, 1, 3], [1, 2, 5], [3, 0, 2]]) {
    it(`im2col + GEMM equals a direct convolution (stride ${stride}, padding ${padding}, kernel ${k})`, () => {
      const conv = new Conv2D([3, 9, 8], 4, k, { stride, padding, seed: 2 });
      conv.bias.value.data.set([0.1, -0.2, 0.3, 0]);
      const x = randomTensor([2, 3, 9, 8], next);
      const y = conv.forward(x, 'eval');
      expect(y.shape).toEqual([2, ...conv.outputShape]);
      const ref = directConv(x, conv.weight.value, conv.bias.value.data, stride, padding);
      y.data.forEach((v, i) => expect(v).toBeCloseTo(ref[i], 4));
    });
  }

  it('gradients of conv, pool, flatten and dense match finite differences', () => {
    const conv = new Conv2D([2, 6, 6], 3, 3, { padding: 1, init: 'xavier', seed: 3 });
    const pool = new MaxPool2D(conv.outputShape, 2);
    const model = new Sequential([conv, pool, new Flatten(), new Dense(27, 4, { init: 'xavier', seed: 4 })]);
    const x = randomTensor([3, 72], next);
    const y = Int32Array.from([0, 2, 3]);
    // small steps: a larger one crosses max-pooling's kinks (a window's maximum changes)
    expectGradientsMatch(model, x, y, 1e-3, 1e-3, 1e-2);
  });

  it('max pooling picks window maxima and routes gradients to them', () => {
    const pool = new MaxPool2D([1, 4, 4], 2);
    const x = Tensor.from([1, 2, 5, 3, 4, 0, 1, 1, 9, 8, 2, 2, 7, 6, 3, 4], [1, 1, 4, 4]);
    expect(Array.from(pool.forward(x, 'train').data)).toEqual([4, 5, 9, 4]);
    const dx = pool.backward(Tensor.from([1, 2, 3, 4], [1, 1, 2, 2]));
    expect(Array.from(dx.data)).toEqual([0, 0, 2, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 4]);
  });

  it('lenet5 has 431,080 parameters and maps 28×28 images to 10 logits', () => {
    const model = lenet5();
    expect(model.parameterCount().total).toBe(431_080);
    expect(model.forward(Tensor.zeros([2, 784])).shape).toEqual([2, 10]);
  });

  it('rejects bad shapes with typed errors', () => {
    expect(() => new Conv2D([1, 4, 4], 2, 5)).toThrow(ShapeError);
    expect(() => new Conv2D([1, 8, 8], 2, 3).forward(Tensor.zeros([2, 63]), 'eval')).toThrow(
      'Expected shape [batch, 1, 8, 8] or [batch, 64] for input of conv_2x3 but received shape [2, 63]',
    );
    expect(() => new Conv2D([1, 8, 8], 2, 3, { padding: 3 })).toThrow('Expected an integer in [0, 2] for padding but received the number 3');
    // 3 x 3 x 3 x 2000 x 2000 = 108M unrolled values per sample: refused when built, not at the first forward pass
    expect(() => new Conv2D([3, 2002, 2002], 8, 3)).toThrow(ArgumentRangeError);
    expect(() => new Conv2D([3, 2002, 2002], 8, 3)).toThrow(
      'Expected at most 2^26 unrolled values per sample (channels × kernel² × output positions) for inputShape and kernel but received 108000000');
    expect(() => new Conv2D([3, 1000, 1000], 8, 3)).not.toThrow();
  });
});
