import { ArgumentRangeError, ArgumentTypeError, ShapeError, applyMask, maskedSgdStep } from '../lib';
import { randomArray, randomMask, rng } from './helpers';

/** torch.optim.SGD's update in float32 arithmetic, masked. */
function referenceStep(
  w: Float32Array, v: Float32Array, g: Float32Array, mask: Uint8Array | undefined,
  lr: number, momentum: number, wd: number, nesterov: boolean,
): [Float32Array, Float32Array] {
  const f = Math.fround;
  const w2 = new Float32Array(w.length), v2 = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const grad = f(g[i] + f(f(wd) * w[i]));
    const vel = momentum > 0 ? f(f(f(momentum) * v[i]) + grad) : grad;
    const step = nesterov ? f(grad + f(f(momentum) * vel)) : vel;
    const keep = mask === undefined || mask[i] !== 0;
    w2[i] = keep ? f(w[i] - f(f(lr) * step)) : 0;
    v2[i] = keep ? vel : 0;
  }
  return [w2, v2];
}

describe('applyMask', () => {
  it('zeroes exactly the masked weights, in place', () => {
    const next = rng(5);
    for (const n of [0, 1, 7, 1_000_003]) {
      const w = randomArray(n, next);
      const before = w.slice();
      const mask = randomMask(n, 0.7, next);
      applyMask(w, mask);
      for (let i = 0; i < n; i++) {
        if (w[i] !== (mask[i] ? before[i] : 0)) throw new Error(`index ${i}: ${w[i]}`);
      }
      expect(w.length).toBe(n);
    }
  });
});

describe('maskedSgdStep against torch.optim.SGD semantics', () => {
  const next = rng(6);
  for (const [momentum, nesterov, wd] of [[0, false, 0], [0.9, false, 0], [0.9, true, 5e-4], [0.5, false, 1e-2]] as const) {
    for (const masked of [false, true]) {
      it(`momentum=${momentum} nesterov=${nesterov} weightDecay=${wd} masked=${masked}`, () => {
        const n = 100_003;
        const w = randomArray(n, next), g = randomArray(n, next), v = randomArray(n, next, 0.1);
        const mask = masked ? randomMask(n, 0.8, next) : undefined;
        const [ew, ev] = referenceStep(w, v, g, mask, 0.05, momentum, wd, nesterov);
        maskedSgdStep({ weights: w, grad: g, velocity: momentum > 0 ? v : undefined, mask }, { lr: 0.05, momentum, weightDecay: wd, nesterov });
        let worst = 0;
        for (let i = 0; i < n; i++) {
          worst = Math.max(worst, Math.abs(w[i] - ew[i]));
          if (momentum > 0) worst = Math.max(worst, Math.abs(v[i] - ev[i]));
          if (mask && !mask[i] && (w[i] !== 0 || Object.is(w[i], -0))) throw new Error(`pruned weight ${i} is ${w[i]}`);
        }
        expect(worst).toBeLessThan(1e-6);
      });
    }
  }

  it('keeps pruned weights exactly zero over many steps', () => {
    const n = 10_000;
    const w = randomArray(n, next), v = new Float32Array(n);
    const mask = randomMask(n, 0.9, next);
    applyMask(w, mask);
    for (let step = 0; step < 20; step++) {
      maskedSgdStep({ weights: w, grad: randomArray(n, next), velocity: v, mask }, { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
    }
    for (let i = 0; i < n; i++) if (!mask[i]) expect([w[i], v[i]]).toEqual([0, 0]);
  });
});

describe('masking functions reject bad input with typed errors', () => {
  const w = new Float32Array(4), g = new Float32Array(4), v = new Float32Array(4), m = new Uint8Array(4);
  const cases: [string, () => unknown, new (m: string) => Error, string][] = [
    ['mask of the wrong length', () => applyMask(w, new Uint8Array(3)), ShapeError, 'Expected length 4 for mask but received length 3'],
    ['weights as a plain array', () => applyMask([1, 2] as unknown as Float32Array, m), ArgumentTypeError,
      'Expected a Float32Array for weights but received an array of length 2'],
    ['mask as Float32Array', () => applyMask(w, new Float32Array(4) as unknown as Uint8Array), ArgumentTypeError,
      'Expected a Uint8Array for mask but received a Float32Array'],
    ['negative learning rate', () => maskedSgdStep({ weights: w, grad: g }, { lr: -1 }), ArgumentRangeError,
      'Expected a number in (0, Infinity] for options.lr but received the number -1'],
    ['momentum of 1', () => maskedSgdStep({ weights: w, grad: g, velocity: v }, { lr: 0.1, momentum: 1 }), ArgumentRangeError,
      'Expected a number in [0, 1) for options.momentum but received the number 1'],
    ['momentum without a velocity buffer', () => maskedSgdStep({ weights: w, grad: g }, { lr: 0.1, momentum: 0.9 }), ArgumentTypeError,
      'Expected a Float32Array for param.velocity but received undefined'],
    ['nesterov without momentum', () => maskedSgdStep({ weights: w, grad: g }, { lr: 0.1, nesterov: true }), ArgumentRangeError,
      'Expected momentum > 0 with nesterov for options.momentum but received the number 0'],
    ['grad of the wrong length', () => maskedSgdStep({ weights: w, grad: new Float32Array(5) }, { lr: 0.1 }), ShapeError,
      'Expected length 4 for param.grad but received length 5'],
    ['grad aliasing the weights', () => maskedSgdStep({ weights: w, grad: w }, { lr: 0.1 }), ArgumentRangeError,
      'Expected memory separate from param.grad for param.weights but received an overlapping view of the same buffer'],
    ['NaN weight decay', () => maskedSgdStep({ weights: w, grad: g }, { lr: 0.1, weightDecay: NaN }), ArgumentRangeError,
      'Expected a number in [0, Infinity] for options.weightDecay but received NaN'],
  ];
  for (const [name, call, type, message] of cases) {
    it(name, () => {
      expect(call).toThrow(type);
      expect(call).toThrow(message);
    });
  }
});
