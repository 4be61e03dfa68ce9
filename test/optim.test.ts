import {
  Adam, AdamW, ArgumentRangeError, Dense, LrSchedule, Parameter, SGD, Tensor, clipGradNorm, gaussianBlobs, mlp, train,
} from '../lib';
import { randomArray, randomMask, rng } from './helpers';

function param(values: Float32Array, grad: Float32Array, mask?: Uint8Array): Parameter {
  const p = new Parameter('p', new Tensor(values, [values.length]), 'weight');
  p.grad.data.set(grad);
  if (mask) p.setMask(mask);
  return p;
}

describe('Adam and AdamW against torch.optim semantics', () => {
  const next = rng(61);
  for (const decoupled of [false, true]) {
    it(`${decoupled ? 'AdamW' : 'Adam'}: three steps equal a float64 reference; pruned entries stay 0`, () => {
      const n = 5001;
      const w0 = randomArray(n, next), mask = randomMask(n, 0.3, next);
      const grads = [randomArray(n, next), randomArray(n, next), randomArray(n, next)];
      const p = param(w0.slice(), grads[0], mask);
      const cfg = { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.05 };
      const opt = decoupled ? new AdamW([p], cfg) : new Adam([p], cfg);
      const w = Float64Array.from(w0, (v, i) => (mask[i] ? v : 0)), m = new Float64Array(n), v = new Float64Array(n);
      for (let t = 1; t <= 3; t++) {
        p.grad.data.set(grads[t - 1]);
        opt.step();
        for (let i = 0; i < n; i++) {
          let g = grads[t - 1][i];
          if (!decoupled) g += cfg.weightDecay * w[i];
          else w[i] *= 1 - cfg.lr * cfg.weightDecay;
          m[i] = cfg.beta1 * m[i] + (1 - cfg.beta1) * g;
          v[i] = cfg.beta2 * v[i] + (1 - cfg.beta2) * g * g;
          const mh = m[i] / (1 - cfg.beta1 ** t), vh = v[i] / (1 - cfg.beta2 ** t);
          w[i] = mask[i] ? w[i] - (cfg.lr * mh) / (Math.sqrt(vh) + cfg.eps) : 0;
        }
      }
      let worst = 0;
      for (let i = 0; i < n; i++) {
        worst = Math.max(worst, Math.abs(p.value.data[i] - w[i]));
        if (!mask[i]) expect(p.value.data[i]).toBe(0);
      }
      expect(worst).toBeLessThan(1e-5);
    });
  }

  it('rejects bad hyperparameters', () => {
    const p = param(new Float32Array(2), new Float32Array(2));
    expect(() => new Adam([p], { beta2: 1 })).toThrow(ArgumentRangeError);
    expect(() => new Adam([p], { lr: 0 })).toThrow('Expected a number in (0, Infinity] for lr but received the number 0');
  });

  it('Adam trains a small network', () => {
    const data = gaussianBlobs({ samples: 600, features: 5, classes: 3, spread: 0.8, seed: 2 });
    const model = mlp([5, 16, 3], { seed: 1 });
    const h = train(model, data, { optimizer: new Adam(model.parameters(), { lr: 0.01 }), epochs: 10, batchSize: 32 });
    expect(h[9].loss).toBeLessThan(h[0].loss / 2);
    expect(model.evaluate(data).accuracy).toBeGreaterThan(0.9);
  });
});

describe('learning-rate schedules', () => {
  it.each([
    [LrSchedule.constant(0.1), [0, 1, 50], [0.1, 0.1, 0.1]],
    [LrSchedule.step(0.1, 3, 0.5), [0, 2, 3, 6, 7], [0.1, 0.1, 0.05, 0.025, 0.025]],
    [LrSchedule.cosine(0.1, 10, 0.01), [0, 5, 10, 20], [0.1, 0.055, 0.01, 0.01]],
  ])('%# gives the formula\'s values at boundary epochs and survives a JSON round trip', (schedule, epochs, lrs) => {
    epochs.forEach((e, i) => expect(schedule.at(e)).toBeCloseTo(lrs[i], 12));
    const again = LrSchedule.fromJSON(JSON.parse(JSON.stringify(schedule)));
    expect(again.toJSON()).toEqual(schedule.toJSON());
    epochs.forEach((e) => expect(again.at(e)).toBe(schedule.at(e)));
  });

  it('rejects bad schedules', () => {
    expect(() => LrSchedule.step(0.1, 0)).toThrow('Expected an integer in [1, 9007199254740991] for every but received the number 0');
    expect(() => LrSchedule.fromJSON({ kind: 'linear' } as never)).toThrow(ArgumentRangeError);
    expect(() => LrSchedule.cosine(0.1, 5, 0.2)).toThrow(ArgumentRangeError);
  });

  it('the trainer applies the schedule each epoch', () => {
    const data = gaussianBlobs({ samples: 64, features: 3, seed: 1 });
    const model = mlp([3, 3]);
    const opt = new SGD(model.parameters(), { lr: 1 });
    const seen: number[] = [];
    train(model, data, { optimizer: opt, epochs: 4, schedule: LrSchedule.step(0.2, 2, 0.5), hooks: { afterEpoch: () => seen.push(opt.lr) } });
    expect(seen).toEqual([0.2, 0.2, 0.1, 0.1]);
  });
});

describe('clipGradNorm', () => {
  it('scales gradients to the maximum norm and reports the norm before', () => {
    const a = param(new Float32Array(2), Float32Array.from([3, 0]));
    const b = param(new Float32Array(1), Float32Array.from([4]));
    expect(clipGradNorm([a, b], 1)).toBeCloseTo(5, 6);
    expect(Array.from(a.grad.data).map((v) => +v.toFixed(5))).toEqual([0.6, 0]);
    expect(b.grad.data[0]).toBeCloseTo(0.8, 5);
    expect(clipGradNorm([a, b], 10)).toBeCloseTo(1, 5);
    expect(b.grad.data[0]).toBeCloseTo(0.8, 5);
    expect(Dense).toBeDefined();
  });

  it('train() clips the gradients the optimizer steps on, after the afterBackward hooks', () => {
    const data = gaussianBlobs({ samples: 16, features: 3, classes: 2, seed: 1 });
    const model = mlp([3, 2], { seed: 1 });
    const params = model.parameters();
    const before = params.map((p) => p.value.data.slice());
    // a hook that gives gradients of its own (as fineTuneCentroids gives its codebooks'), far above the clip norm
    const hooks = { afterBackward: () => params.forEach((p) => p.grad.data.fill(100)) };
    train(model, data, { optimizer: new SGD(params, { lr: 0.1 }), epochs: 1, batchSize: 16, clipNorm: 1, hooks });
    // one SGD step without momentum: the weights moved by lr · (gradient clipped to norm 1)
    const moved = Math.hypot(...params.flatMap((p, i) => Array.from(p.value.data, (v, j) => v - before[i][j])));
    expect(moved).toBeCloseTo(0.1, 5);
  });
});
