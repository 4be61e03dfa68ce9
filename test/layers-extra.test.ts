import {
  Conv2D, Dense, Dropout, Random, Sequential, Tensor, confusionMatrix, dataDependentInit, dropout, gaussianBlobs, initialize, meanSquaredError, mlp,
  Activation, ArgumentRangeError, Layer, LayerSpec, Parameter, SGD, layerFromSpec, parseCheckpoint, serializeCheckpoint, train,
} from '../lib';
import { randomTensor, rng } from './helpers';

describe('Dropout', () => {
  it('is the identity in evaluation and drops about p of the activations in training, scaling the rest', () => {
    const d = new Dropout(0.3, { seed: 4 });
    const x = Tensor.from(new Array(20000).fill(2), [100, 200]);
    expect(d.forward(x, 'eval')).toBe(x);
    const y = d.forward(x, 'train');
    let zeros = 0;
    y.data.forEach((v) => (v === 0 ? zeros++ : expect(v).toBeCloseTo(2 / 0.7, 6)));
    expect(zeros / y.size).toBeGreaterThan(0.28);
    expect(zeros / y.size).toBeLessThan(0.32);
    const dx = d.backward(Tensor.from(new Array(20000).fill(1), [100, 200]));
    dx.data.forEach((g, i) => expect(g).toBeCloseTo(y.data[i] / 2, 6));
  });

  it('draws a fresh mask each batch, the same sequence for the same seed', () => {
    const x = Tensor.from(new Array(600).fill(1), [20, 30]);
    const masks = (seed: number) => {
      const d = new Dropout(0.5, { seed });
      return [0, 1, 2].map(() => Array.from(d.forward(x, 'train').data));
    };
    const [a, b] = [masks(9), masks(9)];
    expect(b).toEqual(a);
    expect(a[1]).not.toEqual(a[0]);
    expect(masks(10)[0]).not.toEqual(a[0]);
    expect(() => new Dropout(0.5, { seed: -1 })).toThrow(ArgumentRangeError);
  });

  it("seeds a model's unseeded Dropout layers by position, so two of one shape draw different masks", () => {
    const x = Tensor.from(new Array(600).fill(1), [20, 30]);
    const model = new Sequential([new Dropout(0.5), new Dropout(0.5), new Dropout(0.5, { seed: 0 }), new Dropout(0.5)]);
    expect(model.spec().map((s) => s.seed)).toEqual([0, 1, 0, 3]);
    const masks = model.layers.map((l) => Array.from(l.forward(x, 'train').data));
    expect(masks[1]).not.toEqual(masks[0]);
    expect(masks[2]).toEqual(masks[0]);
    expect(masks[1]).toEqual(Array.from(dropout(x, new Uint8Array(600), 0.5, 1, 0).data));
    expect(new Dropout(0.5).spec().seed).toBe(0);
    // Another model built from the same layer object leaves the first model's seeds alone.
    void new Sequential([model.layers[3]]);
    expect(model.spec().map((s) => s.seed)).toEqual([0, 1, 0, 3]);
  });

  it('continues one stream across batches of changing shape: batch k draws from the elements drawn before it', () => {
    const d = new Dropout(0.4, { seed: 3 });
    const x1 = Tensor.from(new Array(60).fill(1), [6, 10]), x2 = Tensor.from(new Array(35).fill(1), [5, 7]);
    const first = Array.from(d.forward(x1, 'train').data);
    const second = d.forward(x2, 'train');
    expect(second.shape).toEqual([5, 7]);
    const keep = new Uint8Array(35);
    expect(Array.from(second.data)).toEqual(Array.from(dropout(x2, keep, 0.4, 3, 60).data));
    expect(first).toEqual(Array.from(dropout(x1, new Uint8Array(60), 0.4, 3, 0).data));
    expect(Array.from(d.backward(x2).data)).toEqual(Array.from(second.data));
    expect(() => d.backward(x1)).toThrow('Expected shape [5, 7] for dy of dropout0.4 but received shape [6, 10]');
  });

  it('passes everything through at p = 0 and refuses a backward before a training forward', () => {
    const x = Tensor.from([1, -2, 3, 4], [2, 2]);
    const d0 = new Dropout(0);
    expect(d0.forward(x, 'train')).toBe(x);
    expect(d0.backward(x)).toBe(x);
    const d = new Dropout(0.5);
    expect(() => d.backward(x)).toThrow('dropout0.5: backward() called before a forward() in train mode');
    d.forward(x, 'train');
    d.forward(x, 'eval');
    expect(() => d.backward(x)).toThrow('before a forward() in train mode');
  });

  it('round-trips through a checkpoint spec, seed included, and reads a spec without one as seed 0', () => {
    const model = new Sequential([new Dense(4, 3), new Activation('relu'), new Dropout(0.5, { seed: 77 }), new Dense(3, 2)]);
    const loaded = parseCheckpoint(serializeCheckpoint(model)).model;
    expect(loaded.spec()).toEqual(model.spec());
    expect(loaded.spec()[2]).toEqual({ type: 'dropout', name: 'dropout0.5', p: 0.5, seed: 77 });
    const x = Tensor.from(new Array(60).fill(1), [6, 10]);
    expect(Array.from(loaded.layers[2].forward(x, 'train').data)).toEqual(Array.from(model.layers[2].forward(x, 'train').data));
    expect(layerFromSpec({ type: 'dropout', name: 'd', p: 0.25 }).spec()).toEqual({ type: 'dropout', name: 'd', p: 0.25, seed: 0 });
    expect(() => layerFromSpec({ type: 'dropout', name: 'd', p: 0.25, seed: -3 })).toThrow("layer 'd': 'seed' must be a non-negative integer, found -3");
  });
});

describe('meanSquaredError', () => {
  it('matches its definition and finite differences', () => {
    const next = rng(81);
    const y = randomTensor([3, 4], next), t = randomTensor([3, 4], next), g = Tensor.zeros([3, 4]);
    const loss = meanSquaredError(y, t, g);
    let ref = 0;
    y.data.forEach((v, i) => (ref += (v - t.data[i]) ** 2));
    expect(loss).toBeCloseTo(ref / 12, 6);
    const h = 1e-3;
    for (let i = 0; i < 12; i++) {
      const s = y.data[i];
      y.data[i] = s + h;
      const up = meanSquaredError(y, t);
      y.data[i] = s - h;
      const down = meanSquaredError(y, t);
      y.data[i] = s;
      expect(g.data[i]).toBeCloseTo((up - down) / (2 * h), 3);
    }
  });
});

describe('initializers', () => {
  it.each([[20, 50], [50, 20]])('orthogonal gives orthonormal rows or columns (%p×%p), times √2', (rows, cols) => {
    const t = Tensor.zeros([rows, cols]);
    initialize(t, 'orthogonal', cols, rows, new Random(3));
    const [n, m] = rows <= cols ? [rows, cols] : [cols, rows];
    const at = (i: number, k: number) => (rows <= cols ? t.data[i * cols + k] : t.data[k * cols + i]);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let dot = 0;
        for (let k = 0; k < m; k++) dot += at(i, k) * at(j, k);
        expect(dot).toBeCloseTo(i === j ? 2 : 0, 4);
      }
    }
  });

  it.each(['he', 'lecun', 'xavier'] as const)('%s has the documented spread', (name) => {
    const t = Tensor.zeros([400, 500]);
    initialize(t, name, 500, 400, new Random(1));
    let sq = 0;
    t.data.forEach((v) => (sq += v * v));
    const expected = { he: 2 / 500, lecun: 1 / 500, xavier: 6 / 900 / 3 }[name];
    expect(sq / t.size).toBeCloseTo(expected, 4);
  });

  it('LSUV (iterative) brings every layer\'s output variance within the tolerance of 1, biases and pruned zeros untouched', () => {
    const data = gaussianBlobs({ samples: 256, features: 10, seed: 4 });
    const model = mlp([10, 64, 64, 64, 3], { seed: 6, init: 'orthogonal' });
    const dense = model.layers.filter((l): l is Dense => l instanceof Dense);
    dense.forEach((l, i) => {
      l.weight.value.data.forEach((_, k, w) => (w[k] *= 0.05 * (i + 1))); // badly scaled on purpose
      l.bias.value.data.forEach((_, u, b) => (b[u] = 0.5 * ((u % 5) - 2))); // biases spread the units' means: one pass is not enough
    });
    const mask = new Uint8Array(dense[1].weight.value.size).map((_, k) => (k % 3 === 0 ? 0 : 1));
    dense[1].weight.setMask(mask);
    const biases = dense.map((l) => Array.from(l.bias.value.data));
    const reports = dataDependentInit(model, data.x, { method: 'lsuv', tolerance: 0.05, maxIterations: 20 });
    expect(reports.map((r) => r.layer)).toEqual(dense.map((l) => l.name));
    expect(reports.some((r) => r.iterations > 1)).toBe(true);
    let h = data.x;
    for (const layer of model.layers) {
      h = layer.forward(h, 'eval');
      if (!(layer instanceof Dense)) continue;
      let sum = 0, sq = 0;
      h.data.forEach((v) => { sum += v; sq += v * v; });
      const variance = sq / h.size - (sum / h.size) ** 2;
      expect(Math.abs(variance - 1)).toBeLessThan(0.05);
      const report = reports[dense.indexOf(layer)];
      expect(report.varianceAfter).toBeCloseTo(variance, 4);
      expect(report.iterations).toBeLessThanOrEqual(20);
      expect(Array.from(layer.bias.value.data)).toEqual(biases[dense.indexOf(layer)]);
    }
    dense[1].weight.value.data.forEach((w, k) => { if (!mask[k]) expect(w).toBe(0); });
    expect(reports[0].varianceBefore).toBeLessThan(0.5);
    // one pass at most when told so
    const capped = dataDependentInit(mlp([10, 16, 3], { seed: 1 }), data.x, { method: 'lsuv', maxIterations: 1 });
    expect(capped.every((r) => r.iterations <= 1)).toBe(true);
  });

  it('data-dependent init rejects bad options, naming them', () => {
    const model = mlp([10, 4, 3], { seed: 1 });
    const x = gaussianBlobs({ samples: 8, features: 10, seed: 1 }).x;
    expect(() => dataDependentInit(model, x, { method: 'lsuw' as never })).toThrow("Expected 'per-unit' or 'lsuv' for options.method but received 'lsuw'");
    expect(() => dataDependentInit(model, x, { method: 'lsuv', tolerance: 0 })).toThrow(/options.tolerance/);
    expect(() => dataDependentInit(model, x, { method: 'lsuv', maxIterations: 0 })).toThrow(/options.maxIterations/);
    expect(() => dataDependentInit(model, x, { method: 'lsuv', maxIterations: 0 })).toThrow(ArgumentRangeError);
    expect(() => dataDependentInit(model, x, { eps: 0 })).toThrow(/options.eps/);
  });

  it('LSUV leaves a layer whose outputs do not vary alone instead of blowing it up', () => {
    const model = mlp([10, 4, 3], { seed: 1 });
    const before = Array.from(model.parameters()[0].value.data);
    const reports = dataDependentInit(model, Tensor.zeros([8, 10]), { method: 'lsuv' }); // every output is its bias: 0
    expect(reports[0]).toEqual({ layer: 'fc1', iterations: 0, varianceBefore: 0, varianceAfter: 0 });
    expect(Array.from(model.parameters()[0].value.data)).toEqual(before);
  });

  it('data-dependent init gives every unit zero mean and unit variance on the batch', () => {
    const data = gaussianBlobs({ samples: 256, features: 10, seed: 3 });
    const conv = new Conv2D([1, 4, 4], 3, 3, { seed: 1 });
    for (const model of [mlp([10, 32, 16, 3], { seed: 5, init: 'orthogonal' }), new Sequential([conv, new Activation('relu')])]) {
      const x = model.layers[0] instanceof Conv2D ? randomTensor([64, 16], rng(2)) : data.x;
      dataDependentInit(model, x);
      let h = x;
      for (const layer of model.layers) {
        const out = layer.forward(h, 'eval');
        if (layer instanceof Dense || layer instanceof Conv2D) {
          const units = layer instanceof Dense ? layer.outFeatures : layer.outChannels;
          const per = out.size / (out.shape[0] * units);
          for (let u = 0; u < units; u++) {
            let s = 0, q = 0, c = 0;
            for (let n = 0; n < out.shape[0]; n++) for (let k = 0; k < per; k++) {
              const v = out.data[(n * units + u) * per + k];
              s += v;
              q += v * v;
              c++;
            }
            expect(s / c).toBeCloseTo(0, 3);
            expect(q / c).toBeCloseTo(1, 2);
          }
        }
        h = out;
      }
    }
  });
});

describe('confusionMatrix', () => {
  it('counts true × predicted', () => {
    const m = confusionMatrix(Int32Array.from([0, 1, 1, 2, 2]), Int32Array.from([0, 1, 2, 2, 0]), 3);
    expect(m.map((r) => Array.from(r))).toEqual([[1, 0, 1], [0, 1, 0], [0, 1, 1]]);
  });
});

describe('models with a layer of their own', () => {
  /** Keeps the first `n` values of each sample: a custom layer that changes the count. */
  class Take implements Layer {
    readonly name = 'take';
    private width = 0;
    constructor(private readonly n: number) {}
    forward(x: Tensor): Tensor {
      const [batch, width] = x.shape;
      this.width = width;
      const out = Tensor.zeros([batch, this.n]);
      for (let b = 0; b < batch; b++) out.data.set(x.data.subarray(b * width, b * width + this.n), b * this.n);
      return out;
    }
    backward(dy: Tensor): Tensor {
      const batch = dy.shape[0];
      const dx = Tensor.zeros([batch, this.width]);
      for (let b = 0; b < batch; b++) dx.data.set(dy.data.subarray(b * this.n, (b + 1) * this.n), b * this.width);
      return dx;
    }
    parameters(): Parameter[] {
      return [];
    }
    spec(): LayerSpec {
      return { type: 'take', name: this.name } as unknown as LayerSpec;
    }
  }

  it('build and train: the size check starts again after a layer it cannot know', () => {
    const model = new Sequential([new Dense(4, 8, { name: 'a' }), new Activation('relu'), new Take(3), new Dense(3, 3, { name: 'b' })]);
    const data = gaussianBlobs({ samples: 60, features: 4, classes: 3, seed: 2 });
    train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.05 }), epochs: 1, batchSize: 16 });
    expect(model.evaluate(data).samples).toBe(60);
    // A custom last layer decides the scores: the class check is the loss's then.
    const widened = new Sequential([new Dense(4, 6, { name: 'c' }), new Take(5)]);
    const five = gaussianBlobs({ samples: 50, features: 4, classes: 5, seed: 3 });
    train(widened, five, { optimizer: new SGD(widened.parameters(), { lr: 0.05 }), epochs: 1, batchSize: 16 });
  });

  it('data that declares more classes than its labels use (IDX declares at least 10) trains a smaller output', () => {
    const blobs = gaussianBlobs({ samples: 40, features: 4, classes: 2, seed: 4 });
    const declared = { ...blobs, classes: 10 };
    const model = mlp([4, 8, 2], { seed: 1 });
    train(model, declared, { optimizer: new SGD(model.parameters(), { lr: 0.05 }), epochs: 1, batchSize: 8, validation: declared });
    expect(model.evaluate(declared).samples).toBe(40);
  });
});
