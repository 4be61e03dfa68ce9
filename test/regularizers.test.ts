import {
  ArgumentRangeError, Conv2D, Dense, Parameter, Regularizer, SGD, Tensor, gaussianBlobs, groupLasso, l1, l2, mlp, quantization,
  info, setThreads, sparseGroupLasso, train,
} from '../lib';
import { expectClose, rng } from './helpers';

/** Weights away from 0 and from quantization boundaries, so finite differences see a smooth penalty. */
function params(): Parameter[] {
  const next = rng(71);
  const dense = new Dense(5, 4, { seed: 1 });
  const conv = new Conv2D([3, 5, 5], 2, 3, { seed: 2 });
  for (const p of [...dense.parameters(), ...conv.parameters()]) {
    p.value.data.forEach((_, i, a) => (a[i] = (next() < 0.5 ? -1 : 1) * (0.05 + 0.4 * next())));
  }
  return [...dense.parameters(), ...conv.parameters()];
}

function checkGradient(reg: Regularizer): void {
  const ps = params();
  for (const p of ps) p.grad.data.fill(0);
  const penalty = reg.addGradient(ps);
  expect(penalty).toBeCloseTo(reg.penalty(ps), 10);
  const h = 1e-3;
  for (const p of ps) {
    for (let i = 0; i < p.size; i++) {
      const save = p.value.data[i];
      p.value.data[i] = save + h;
      const up = reg.penalty(ps);
      p.value.data[i] = save - h;
      const down = reg.penalty(ps);
      p.value.data[i] = save;
      const numeric = (up - down) / (2 * h);
      expect(Math.abs(p.grad.data[i] - numeric)).toBeLessThan(2e-3 + 1e-2 * Math.abs(numeric));
      if (p.role === 'bias') expect(p.grad.data[i]).toBe(0);
    }
  }
}

describe('regularizer gradients match finite differences', () => {
  it.each([
    ['l2', l2(0.3)], ['l1', l1(0.2)], ['group lasso over rows', groupLasso(0.5, 'rows')], ['group lasso over columns', groupLasso(0.5, 'columns')],
    ['sparse group lasso', sparseGroupLasso(0.4, 0.3, 'rows')], ['quantization to a grid', quantization(0.7, { grid: 0.25 })],
    ['quantization to a codebook', quantization(0.7, { codebook: [-0.3, 0.02, 0.41] })],
  ])('%s', (_name, reg) => checkGradient(reg as Regularizer));
});

/**
 * Plain-JavaScript penalties, value by value in the order the definitions
 * give (the implementation before the native kernels).
 */
const reference = {
  perWeight(ps: Parameter[], scale: number, value: (w: number) => number, derivative: (w: number) => number) {
    let total = 0;
    for (const p of ps.filter((q) => q.role === 'weight')) {
      p.value.data.forEach((w, i) => {
        total += value(w);
        p.grad.data[i] += scale * derivative(w);
      });
    }
    return scale * total;
  },
  groupLasso(ps: Parameter[], strength: number, axis: 'rows' | 'columns') {
    let total = 0;
    for (const p of ps.filter((q) => q.role === 'weight')) {
      const w = p.value.data, g = p.grad.data, rows = p.shape[0], perRow = p.size / rows;
      const channels = p.shape.length === 4 ? p.shape[1] : perRow, taps = perRow / channels;
      const groups: number[][] = [];
      for (let i = 0; i < p.size; i++) {
        const r = Math.floor(i / perRow), c = Math.floor((i % perRow) / taps);
        (groups[axis === 'rows' ? r : c] ??= []).push(i);
      }
      for (const group of groups) {
        const norm = Math.sqrt(group.reduce((sq, i) => sq + w[i] ** 2, 0));
        total += Math.sqrt(group.length) * norm;
        if (norm > 0) for (const i of group) g[i] += (strength * Math.sqrt(group.length) / norm) * w[i];
      }
    }
    return strength * total;
  },
};

describe('native regularizers against plain-JavaScript loops', () => {
  const book = [-0.31, -0.1, 0.02, 0.02, 0.2, 0.41];
  const nearestIn = (b: readonly number[], w: number) => b.reduce((best, v) => (Math.abs(v - w) < Math.abs(best - w) ? v : best));
  const nearest = (w: number) => nearestIn(book, w);
  const bigBook = Array.from({ length: 300 }, (_, i) => Math.fround(Math.sin(i * 7.1) * 0.6)).sort((a, b) => a - b);
  const cases: [string, Regularizer, (ps: Parameter[]) => number][] = [
    ['l2', l2(0.3), (ps) => reference.perWeight(ps, 0.3, (w) => (w * w) / 2, (w) => w)],
    ['l1', l1(0.2), (ps) => reference.perWeight(ps, 0.2, Math.abs, Math.sign)],
    ['grid', quantization(0.7, { grid: 0.125 }), (ps) => reference.perWeight(ps, 0.7, (w) => (w - Math.round(w / 0.125) * 0.125) ** 2 / 2, (w) => w - Math.round(w / 0.125) * 0.125)],
    ['codebook', quantization(0.7, { codebook: book }), (ps) => reference.perWeight(ps, 0.7, (w) => (w - nearest(w)) ** 2 / 2, (w) => w - nearest(w))],
    ['codebook of 300 (searched, not counted)', quantization(0.7, { codebook: bigBook }), (ps) => reference.perWeight(ps, 0.7, (w) => (w - nearestIn(bigBook, w)) ** 2 / 2, (w) => w - nearestIn(bigBook, w))],
    ['group rows', groupLasso(0.5, 'rows'), (ps) => reference.groupLasso(ps, 0.5, 'rows')],
    ['group columns', groupLasso(0.5, 'columns'), (ps) => reference.groupLasso(ps, 0.5, 'columns')],
  ];
  it.each(cases)('%s on dense and convolutional weights of awkward sizes, a zero row and exact zeros', (_name, reg, ref) => {
    const next = rng(23);
    const layers = [new Dense(37, 13, { seed: 1 }), new Dense(3, 1, { seed: 2 }), new Conv2D([3, 7, 7], 5, 3, { seed: 3 }), new Conv2D([2, 6, 6], 1, 1, { seed: 4 })];
    const make = () => layers.flatMap((l) => l.parameters()).map((p) => {
      const q = new Parameter(p.name, Tensor.from(p.value.data.slice(), p.shape), p.role);
      q.grad.data.forEach((_, i, a) => (a[i] = next() - 0.5));
      return q;
    });
    const ps = make();
    ps[0].value.data.fill(0, 0, 37);
    ps[0].value.data[40] = 0;
    const expected = ps.map((p) => new Parameter(p.name, Tensor.from(p.value.data.slice(), p.shape), p.role));
    expected.forEach((q, i) => q.grad.data.set(ps[i].grad.data));
    const penalty = reg.addGradient(ps);
    expect(penalty).toBeCloseTo(ref(expected), 9);
    expect(reg.penalty(ps)).toBeCloseTo(penalty, 12);
    ps.forEach((p, i) => expectClose(p.grad.data, expected[i].grad.data, 1e-7));
  });
});

describe('regularizers on large weights', () => {
  it('give the same bits on one thread and on two', () => {
    const threads = info().threads;
    const next = rng(5);
    const w = new Parameter('w', Tensor.from(Float32Array.from({ length: (1 << 14) * 17 + 3 }, () => next() - 0.5), [(1 << 14) * 17 + 3, 1]), 'weight');
    const run = (reg: Regularizer) => {
      w.grad.data.fill(0);
      return [reg.addGradient([w]), Array.from(w.grad.data)] as const;
    };
    for (const reg of [l2(0.3), l1(0.2), quantization(0.5, { grid: 0.1 }), quantization(0.5, { codebook: [-0.2, 0, 0.3] })]) {
      try {
        setThreads(1);
        const one = run(reg);
        setThreads(2);
        expect(run(reg)).toEqual(one);
      } finally {
        setThreads(threads);
      }
    }
  });

  it('handle an empty weight whose shape names 2^31 - 1 groups without allocating them', () => {
    const empty = new Parameter('e', Tensor.zeros([2 ** 31 - 1, 0]), 'weight');
    expect(groupLasso(1, 'rows').addGradient([empty])).toBe(0);
    expect(groupLasso(1, 'columns').penalty([new Parameter('f', Tensor.zeros([0, 2 ** 31 - 1]), 'weight')])).toBe(0);
  });
});

describe('regularizer values', () => {
  const w = new Parameter('w', Tensor.from([3, 4, 0, 0, 1, 0], [2, 3]), 'weight');
  it('hand-worked penalties', () => {
    expect(l2(2).penalty([w])).toBeCloseTo(26, 10); // (2/2)·(9 + 16 + 1)
    expect(l1(2).penalty([w])).toBeCloseTo(16, 10);
    expect(groupLasso(1, 'rows').penalty([w])).toBeCloseTo(Math.sqrt(3) * (5 + 1), 10);
    expect(groupLasso(1, 'columns').penalty([w])).toBeCloseTo(Math.sqrt(2) * (3 + Math.sqrt(17) + 0), 10);
    expect(quantization(2, { grid: 2 }).penalty([w])).toBeCloseTo(2, 10); // 3 -> 2 and 1 -> 2 are 1 away: (2/2)·(1 + 1)
  });

  it('leaves pruned weights out of a codebook without 0: no penalty, no gradient (hand-worked)', () => {
    const p = new Parameter('fc.weight', Tensor.from([0.5, 0.5, 0.5, 0.5], [1, 4]), 'weight');
    p.setMask(Uint8Array.from([1, 1, 0, 0]));
    p.grad.data.fill(0);
    const reg = quantization(1, { codebook: [-0.4, 0.4] });
    // the two live weights are 0.1 from 0.4: (1/2)·(0.01 + 0.01); the pruned ones, at 0, were counted 0.4 away
    expect(reg.penalty([p])).toBeCloseTo(0.01, 7);
    expect(reg.addGradient([p])).toBeCloseTo(0.01, 7);
    expect(Array.from(p.grad.data).map((g) => +g.toFixed(6))).toEqual([0.1, 0.1, 0, 0]);
    // a codebook with 0 and the other per-weight penalties give pruned weights nothing either way
    p.grad.data.fill(0);
    expect(quantization(1, { codebook: [-0.4, 0, 0.4] }).addGradient([p])).toBeCloseTo(0.01, 7);
    expect(Array.from(p.grad.data).map((g) => +g.toFixed(6))).toEqual([0.1, 0.1, 0, 0]);
  });

  it('breaks ties as documented: half up on a grid, the lower codebook entry', () => {
    const ties = new Parameter('t', Tensor.from([0.375, -0.375, 0.25], [1, 3]), 'weight');
    quantization(1, { grid: 0.25 }).addGradient([ties]); // 1.5 -> 2 steps, -1.5 -> -1 step, 1 step exactly
    expect(Array.from(ties.grad.data)).toEqual([-0.125, -0.125, 0]);
    ties.grad.data.fill(0);
    quantization(1, { codebook: [0.5, 0, 0.75] }).addGradient([ties]); // 0.375 is nearer 0.5; 0.25 is halfway between 0 and 0.5
    expect(Array.from(ties.grad.data)).toEqual([-0.125, -0.375, 0.25]);
    // v = w / step just below one half, where floor(v + 0.5) would round up.
    const w = Math.fround(0.334), step = w / 0.49999999999999994;
    expect(w / step).toBe(0.49999999999999994);
    const near = new Parameter('h', Tensor.from([w], [1, 1]), 'weight');
    quantization(1, { grid: step }).addGradient([near]);
    expect(near.grad.data[0]).toBe(w); // rounds to 0 steps, as Math.round
    const nan = new Parameter('n', Tensor.from([NaN, 1], [1, 2]), 'weight');
    expect(l1(1).penalty([nan])).toBeNaN();
    expect(groupLasso(1).addGradient([nan])).toBeNaN();
    expect(Array.from(nan.grad.data)).toEqual([NaN, 0]); // the NaN reaches the gradient, where the optimizer refuses it
  });

  it('group lasso drives whole neurons to zero while training', () => {
    const data = gaussianBlobs({ samples: 300, features: 6, classes: 3, seed: 5 });
    const model = mlp([6, 24, 3], { seed: 2 });
    train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.05 }), epochs: 30, batchSize: 30, regularizers: [groupLasso(0.05, 'rows')] });
    const fc1 = model.layers[0] as Dense;
    let small = 0;
    for (let r = 0; r < 24; r++) {
      let sq = 0;
      for (let c = 0; c < 6; c++) sq += fc1.weight.value.data[r * 6 + c] ** 2;
      if (Math.sqrt(sq) < 0.05) small++;
    }
    expect(small).toBeGreaterThan(4);
    expect(model.evaluate(data).accuracy).toBeGreaterThan(0.85);
  });

  it('rejects bad settings', () => {
    expect(() => l1(-1)).toThrow(ArgumentRangeError);
    expect(() => l2(Infinity)).toThrow(ArgumentRangeError);
    expect(() => sparseGroupLasso(1, 1.5)).toThrow('Expected a number in [0, 1] for alpha but received the number 1.5');
    expect(() => quantization(1, { codebook: [] })).toThrow(ArgumentRangeError);
    expect(() => groupLasso(1, 'diagonal' as never)).toThrow("Expected 'rows' or 'columns' for axis but received 'diagonal'");
  });
});
