import {
  ArgumentRangeError, Conv2D, Dense, Parameter, Regularizer, SGD, Tensor, gaussianBlobs, groupLasso, l1, l2, mlp, quantization,
  sparseGroupLasso, train,
} from '../lib';
import { rng } from './helpers';

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

describe('regularizer values', () => {
  const w = new Parameter('w', Tensor.from([3, 4, 0, 0, 1, 0], [2, 3]), 'weight');
  it('hand-worked penalties', () => {
    expect(l2(2).penalty([w])).toBeCloseTo(26, 10); // (2/2)·(9 + 16 + 1)
    expect(l1(2).penalty([w])).toBeCloseTo(16, 10);
    expect(groupLasso(1, 'rows').penalty([w])).toBeCloseTo(Math.sqrt(3) * (5 + 1), 10);
    expect(groupLasso(1, 'columns').penalty([w])).toBeCloseTo(Math.sqrt(2) * (3 + Math.sqrt(17) + 0), 10);
    expect(quantization(2, { grid: 2 }).penalty([w])).toBeCloseTo(2, 10); // 3 -> 2 and 1 -> 2 are 1 away: (2/2)·(1 + 1)
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
    expect(() => sparseGroupLasso(1, 1.5)).toThrow('Expected a number in [0, 1] for alpha but received the number 1.5');
    expect(() => quantization(1, { codebook: [] })).toThrow(ArgumentRangeError);
    expect(() => groupLasso(1, 'diagonal' as never)).toThrow("Expected 'rows' or 'columns' for axis but received 'diagonal'");
  });
});
