import {
  Activation, Dense, Dropout, Flatten, InferencePlan, info, sparseKernelMaxBatchFor, NonFiniteError, SGD, Sequential, ShapeError, Tensor, gaussianBlobs, lenet300100, loadMnist, magnitudeThreshold,
  mlp, train,
} from '../lib';
import { expectGradientsMatch, randomTensor, rng } from './helpers';


describe('gradients against finite differences', () => {
  for (const kind of ['tanh', 'sigmoid', 'relu'] as const) {
    it(`Dense + ${kind} + softmax cross-entropy`, () => {
      const model = new Sequential([
        new Dense(6, 5, { init: 'xavier', seed: 1 }), new Activation(kind), new Dense(5, 4, { init: 'xavier', seed: 2 }),
      ]);
      for (const p of model.parameters()) if (p.role === 'bias') p.value.data.forEach((_, i, a) => (a[i] = 0.1 * (i - 2)));
      const next = rng(5);
      const x = randomTensor([8, 6], next);
      const y = Int32Array.from([0, 1, 2, 3, 0, 1, 2, 3]);
      expectGradientsMatch(model, x, y, 1e-2, 2e-3, 2e-2);
    });
  }

  it('setMask keeps its own copy: changing the caller\'s array later cannot un-prune or half-prune a weight', () => {
    const layer = new Dense(4, 2, { seed: 1 });
    const mask = Uint8Array.of(1, 0, 1, 1, 1, 1, 1, 0);
    layer.weight.setMask(mask);
    mask.fill(0);
    expect(Array.from(layer.weight.mask!)).toEqual([1, 0, 1, 1, 1, 1, 1, 0]);
    expect(layer.weight.value.data[1]).toBe(0);
    expect(layer.weight.value.data[0]).not.toBe(0);
  });

  it('the sparse path of a pruned Dense layer gives the dense path\'s outputs and gradients', () => {
    const next = rng(6);
    const dense = new Dense(40, 30, { seed: 3 });
    const sparse = new Dense(40, 30, { seed: 3 });
    const { mask } = magnitudeThreshold(dense.weight.value.data, 0.9);
    dense.weight.setMask(mask);
    sparse.weight.setMask(mask.slice());
    expect(sparse.usesSparseKernel).toBe(true);
    // force the dense path on `dense` by giving it a mask it considers too dense, after copying values
    const reference = new Dense(40, 30, { seed: 3 });
    reference.weight.value.data.set(dense.weight.value.data);
    expect(reference.usesSparseKernel).toBe(false);
    // batch 17 back-propagates densely, batch 64 through the sparse backward kernels (90% sparse)
    for (const batch of [17, 64]) {
      expect(sparse.sparseBackwardAt(batch)).toBe(batch >= 64);
      const x = randomTensor([batch, 40], next), dy = randomTensor([batch, 30], next);
      const ys = sparse.forward(x, 'train'), yr = reference.forward(x, 'train');
      ys.data.forEach((v, i) => expect(v).toBeCloseTo(yr.data[i], 5));
      const dxs = sparse.backward(dy), dxr = reference.backward(dy);
      dxs.data.forEach((v, i) => expect(v).toBeCloseTo(dxr.data[i], 5));
      sparse.weight.grad.data.forEach((g, i) => expect(g).toBeCloseTo(mask[i] ? reference.weight.grad.data[i] : 0, 4));
      sparse.bias.grad.data.forEach((g, i) => expect(g).toBeCloseTo(reference.bias.grad.data[i], 5));
    }
    expect(reference.sparseBackwardAt(64)).toBe(false);
  });

  it('picks the sparse kernel by batch and layer size: on AVX-512 from 70% at any batch, 50% at batch <= 4 or up to 8,192 weights; else 80%', () => {
    const avx512 = info().simd === 'avx512';
    expect(sparseKernelMaxBatchFor(0.4)).toBe(0);
    expect(sparseKernelMaxBatchFor(0.4, 1000)).toBe(0);
    expect(sparseKernelMaxBatchFor(0.6)).toBe(avx512 ? 4 : 0);
    expect(sparseKernelMaxBatchFor(0.6, 8192)).toBe(avx512 ? Infinity : 0);
    expect(sparseKernelMaxBatchFor(0.6, 8193)).toBe(avx512 ? 4 : 0);
    expect(sparseKernelMaxBatchFor(0.69)).toBe(avx512 ? 4 : 0);
    expect(sparseKernelMaxBatchFor(0.7)).toBe(avx512 ? Infinity : 0);
    expect(sparseKernelMaxBatchFor(0.8)).toBe(Infinity);
    const next = rng(8);
    const layer = new Dense(120, 80, { seed: 5 });
    const reference = new Dense(120, 80, { seed: 5 });
    layer.weight.setMask(magnitudeThreshold(layer.weight.value.data, 0.6).mask);
    reference.weight.value.data.set(layer.weight.value.data);
    const model = new Sequential([layer]);
    const plan = InferencePlan.compile(model);
    for (const batch of [1, 3, 4, 5, 16, 40]) {
      expect(layer.sparseKernelAt(batch)).toBe(avx512 && batch <= 4);
      const x = randomTensor([batch, 120], next);
      const y = layer.forward(x, 'eval');
      reference.forward(x, 'eval').data.forEach((v, i) => expect(y.data[i]).toBeCloseTo(v, 5));
      expect(Array.from(plan.logits(x).data)).toEqual(Array.from(y.data));
      // at 60% sparsity training back-propagates densely, whichever kernel the forward used
      expect(layer.sparseBackwardAt(batch)).toBe(false);
      layer.forward(x, 'train');
      reference.forward(x, 'train');
      const dy = randomTensor([batch, 80], next);
      const dxRef = reference.backward(dy).data;
      layer.backward(dy).data.forEach((v, i) => expect(v).toBeCloseTo(dxRef[i], 5));
      reference.weight.grad.data.forEach((g, i) => expect(layer.weight.grad.data[i]).toBeCloseTo(layer.weight.mask![i] ? g : 0, 4));
    }
    expect(layer.usesSparseKernel).toBe(false);
  });
});

describe('inference plan', () => {
  it('runs a sparse MLP tile by tile through all its layers, bit-identically to the layers', () => {
    const next = rng(21);
    for (const kind of ['relu', 'tanh', 'sigmoid'] as const) {
      const layers = [new Dense(100, 70, { seed: 1 }), new Activation(kind), new Dense(70, 50, { seed: 2 }), new Activation(kind), new Dense(50, 10, { seed: 3 })];
      const model = new Sequential(layers);
      for (const l of [layers[0], layers[2], layers[4]] as Dense[]) l.weight.setMask(magnitudeThreshold(l.weight.value.data, 0.85).mask);
      const plan = InferencePlan.compile(model);
      // one sample, partial tiles, whole tiles and several tiles over both threads
      for (const batch of [1, 17, 31, 32, 33, 64, 100, 257]) {
        const x = randomTensor([batch, 100], next);
        let h = x;
        for (const l of model.layers) h = l.forward(h, 'eval');
        expect(Array.from(plan.logits(x).data)).toEqual(Array.from(h.data));
      }
    }
  });

  it('skips blocks of zero inputs at small batches without changing a bit (MNIST digits have whole blocks of background)', () => {
    const layer = new Dense(784, 300, { seed: 7 });
    layer.weight.setMask(magnitudeThreshold(layer.weight.value.data, 0.92).mask);
    const digits = loadMnist().test.x.data.slice(0, 3 * 784);
    const negativeZeros = digits.map((v) => (v === 0 ? -0 : v)); // -0 is not skipped
    const skipped = layer.forward(new Tensor(digits, [3, 784]), 'eval').data;
    const computed = layer.forward(new Tensor(negativeZeros, [3, 784]), 'eval').data;
    expect(Array.from(skipped)).toEqual(Array.from(computed));
    const w = layer.weight.value.data;
    for (let b = 0; b < 3; b++) {
      for (let r = 0; r < 300; r++) {
        let sum = 0;
        for (let c = 0; c < 784; c++) sum += w[r * 784 + c] * digits[b * 784 + c];
        expect(skipped[b * 300 + r]).toBeCloseTo(sum, 4);
      }
    }
  });

  it('runs a dense LeNet-300-100 from its own cache-aligned copy of the weights, bit-identically to the layers', () => {
    // The plan pads rows of 300 and 100 inputs to 304 and 112 floats; every
    // GEMM path (rows by dot products at batch <= 4, BLAS, the AVX-512 tiles
    // from 64 rows) must give the same bits as on the unpadded weights.
    const next = rng(23);
    const model = lenet300100({ seed: 4 });
    const plan = InferencePlan.compile(model);
    for (const batch of [1, 2, 4, 5, 13, 64, 200]) {
      const x = randomTensor([batch, 784], next);
      expect(Array.from(plan.logits(x).data)).toEqual(Array.from(model.logits(x).data));
    }
    const sizes = [300 * 784, 300, 100 * 304, 100, 10 * 112, 10].reduce((a, b) => a + b);
    expect(plan.residentBytes).toBe(4 * sizes);
  });

  it('falls back to layer by layer when a Dense step runs dense at that batch, with the same outputs', () => {
    const next = rng(22);
    const model = new Sequential([new Dense(100, 90, { seed: 1 }), new Activation('relu'), new Dense(90, 10, { seed: 2 })]);
    (model.layers[2] as Dense).weight.setMask(magnitudeThreshold((model.layers[2] as Dense).weight.value.data, 0.9).mask);
    const plan = InferencePlan.compile(model);
    const x = randomTensor([70, 100], next);
    expect(Array.from(plan.logits(x).data)).toEqual(Array.from(model.logits(x).data));
  });
});

describe('models', () => {
  it('evaluation reuses inner buffers but hands out outputs the caller may keep', () => {
    const next = rng(12);
    const x1 = randomTensor([3, 20], next), x2 = randomTensor([3, 20], next);
    for (const tail of [[], [new Dropout(0.5)]]) {
      const model = new Sequential([new Dense(20, 16, { seed: 1 }), new Activation('relu'), new Dense(16, 4, { seed: 2 }), ...tail]);
      const first = model.logits(x1);
      const kept = Array.from(first.data);
      const second = model.logits(x2);
      expect(Array.from(first.data)).toEqual(kept); // not overwritten by the second call
      expect(second.data.buffer).not.toBe(first.data.buffer);
      // each output equals the layers applied one by one in 'eval' mode (fresh tensors throughout)
      let h = x2;
      for (const l of model.layers) h = l.forward(h, 'eval');
      expect(Array.from(second.data)).toEqual(Array.from(h.data));
    }
  });

  it('evaluation of a model that passes its input through returns a copy at every batch size', () => {
    const model = new Sequential([new Flatten(), new Dropout(0.5)]);
    for (const batch of [1, 3, 70_000]) {
      const x = Tensor.from(Float32Array.from({ length: batch * 64 }, (_, i) => i % 7), [batch, 4, 4, 4]);
      const y = model.logits(x);
      expect(y.data.buffer).not.toBe(x.data.buffer);
      expect(y.shape).toEqual([batch, 64]);
      expect(y.data).toEqual(x.data);
    }
  });

  it('lenet300100 has 266,610 parameters', () => {
    const model = lenet300100();
    expect(model.parameterCount().total).toBe(266_610);
    expect(model.spec().map((l) => l.type)).toEqual(['dense', 'relu', 'dense', 'relu', 'dense']);
  });

  it('rejects inputs of the wrong width, naming the layer', () => {
    expect(() => mlp([4, 3]).forward(Tensor.zeros([2, 5]))).toThrow(ShapeError);
    expect(() => mlp([4, 3]).forward(Tensor.zeros([2, 5]))).toThrow('Expected shape [batch, 4] for input of fc1 but received shape [2, 5]');
    expect(() => mlp([4])).toThrow('Expected at least two layer sizes for sizes but received [4]');
  });
});

describe('training', () => {
  const config = { lr: 0.1, momentum: 0.9 };
  // lr, batch and epochs were chosen on a validation split held out from the training data (README)
  it('trains LeNet-300-100 on the embedded MNIST to at least 94% test accuracy', () => {
    const { train: data, test } = loadMnist();
    const model = lenet300100({ seed: 1 });
    const history = train(model, data, { optimizer: new SGD(model.parameters(), config), epochs: 6, batchSize: 128, seed: 1 });
    expect(history).toHaveLength(6);
    expect(history[5].loss).toBeLessThan(history[0].loss);
    expect(model.evaluate(test).accuracy).toBeGreaterThanOrEqual(0.94);
  });

  it('is bit-identical for the same seed', () => {
    const data = gaussianBlobs({ samples: 600, features: 8, classes: 4, seed: 3 });
    const run = () => {
      const model = mlp([8, 16, 4], { seed: 7 });
      const h = train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }), epochs: 3, batchSize: 32, seed: 2 });
      return { weights: model.parameters().map((p) => Array.from(p.value.data)), losses: h.map((e) => e.loss) };
    };
    expect(run()).toEqual(run());
  });

  it('keeps pruned weights exactly zero while fine-tuning', () => {
    const data = gaussianBlobs({ samples: 400, features: 10, classes: 3, seed: 4 });
    const model = mlp([10, 32, 3], { seed: 1 });
    const fc1 = model.layers[0] as Dense;
    const { mask } = magnitudeThreshold(fc1.weight.value.data, 0.85);
    fc1.weight.setMask(mask);
    train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-3 }), epochs: 3, batchSize: 16 });
    fc1.weight.value.data.forEach((w, i) => {
      if (!mask[i]) expect(w).toBe(0);
    });
    expect(fc1.weight.nonzero()).toBeLessThanOrEqual(mask.reduce((s, m) => s + m, 0));
  });

  it('stops with a typed error naming the epoch and batch when the loss becomes NaN', () => {
    const data = gaussianBlobs({ samples: 100, features: 3, classes: 2, seed: 1 });
    data.x.data[3 * 70] = NaN;
    const model = mlp([3, 4, 2]);
    const call = () => train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.1 }), epochs: 1, batchSize: 10 });
    expect(call).toThrow(NonFiniteError);
    expect(call).toThrow(/^training loss became NaN at epoch 1, batch \d+; lower the learning rate or check the data$/);
  });
});
