/**
 * Dynamic sparse training (SET, RigL, ERK), lottery tickets and
 * snapshot / restore / rewind.
 */
import {
  ArgumentRangeError, ArgumentTypeError, BatchContext, Dense, DynamicSparseTraining, Parameter, Random, SGD, Sequential, ShapeError, Snapshot, Tensor,
  Activation, Pruner, PruningMethod, combineHooks, gaussianBlobs, iterativePruning, layerSparsities, lotteryTicket, magnitude, mlp, oneShot, prune,
  restore, rewind, roundHalfEven, selectTargets, snapshot, train,
} from '../lib';
import { referenceMasks } from './helpers';

const prunedOf = (p: Parameter): number => (p.mask ? p.mask.reduce((s, m) => s + (m ? 0 : 1), 0) : 0);
const weightsOf = (m: Sequential) => m.parameters().filter((p) => p.role === 'weight');
const zeros = (m: Uint8Array | null): number => (m ? m.reduce((s, v) => s + (v ? 0 : 1), 0) : 0);
const ctx = (model: Sequential, step: number): BatchContext => ({ epoch: 0, batch: step, step, model });

describe('layerSparsities', () => {
  const P = (name: string, shape: number[]) => new Parameter(name, Tensor.zeros(shape), 'weight');

  it('uniform gives every layer the sparsity', () => {
    const targets = selectTargets([P('a.weight', [4, 5]), P('b.weight', [2, 4])]);
    expect(layerSparsities(targets, 0.7, 'uniform')).toEqual([0.7, 0.7]);
  });

  it('ERK: density ∝ Σ dims / Π dims with the requested overall density (hand-worked)', () => {
    // sizes 256, 512, 64; raw (8+32)/256, (32+16)/512, (16+4)/64 -> eps = 0.2·832 / (40 + 48 + 20)
    const targets = selectTargets([P('fc1.weight', [32, 8]), P('fc2.weight', [16, 32]), P('fc3.weight', [4, 16])]);
    const s = layerSparsities(targets, 0.8, 'erk');
    const eps = (0.2 * 832) / 108;
    [40 / 256, 48 / 512, 20 / 64].forEach((raw, i) => expect(s[i]).toBeCloseTo(1 - eps * raw, 12));
    expect((1 - s[0]) * 256 + (1 - s[1]) * 512 + (1 - s[2]) * 64).toBeCloseTo(0.2 * 832, 9);
  });

  it('ERK caps a layer that would exceed density 1 and re-spreads the budget', () => {
    // [100, 100] and [2, 100]: raw 0.02 and 0.51; eps 5100/302 makes the small layer denser than 1, so it is dense
    // and the big one gets 4900/10000 density
    const targets = selectTargets([P('big.weight', [100, 100]), P('small.weight', [2, 100])]);
    const s = layerSparsities(targets, 0.5, 'erk');
    expect(s[1]).toBe(0);
    expect(s[0]).toBeCloseTo(0.51, 12);
    expect((1 - s[0]) * 10000 + (1 - s[1]) * 200).toBeCloseTo(5100, 9);
  });

  it('ERK on a conv weight counts the kernel dimensions', () => {
    const targets = selectTargets([P('c.weight', [8, 4, 3, 3]), P('d.weight', [10, 288])]);
    const s = layerSparsities(targets, 0.9, 'erk');
    const raw = [(8 + 4 + 3 + 3) / 288, (10 + 288) / 2880];
    const eps = (0.1 * (288 + 2880)) / (raw[0] * 288 + raw[1] * 2880);
    expect(s[0]).toBeCloseTo(1 - eps * raw[0], 12);
    expect(s[1]).toBeCloseTo(1 - eps * raw[1], 12);
  });

  it('rejects an unknown distribution and a bad sparsity', () => {
    const targets = selectTargets([P('a.weight', [4, 5])]);
    expect(() => layerSparsities(targets, 0.5, 'normal' as never)).toThrow(ArgumentRangeError);
    expect(() => layerSparsities(targets, 0.5, 'normal' as never)).toThrow('options.distribution');
    expect(() => layerSparsities(targets, 1, 'uniform')).toThrow(ArgumentRangeError);
  });
});

describe('DynamicSparseTraining inside train()', () => {
  const data = gaussianBlobs({ samples: 256, features: 8, classes: 4, seed: 3 });

  it.each(['set', 'rigl'] as const)('%s: total and per-layer sparsity stay constant while connections move', (mode) => {
    const model = mlp([8, 32, 16, 4], { seed: 1 });
    const dst = new DynamicSparseTraining(model, { mode, sparsity: 0.8, distribution: 'erk', updateEvery: 4, endStep: 40, seed: 2 });
    const expected = dst.targets.map((t, i) => roundHalfEven(dst.sparsities[i] * t.param.size));
    expect(dst.targets.map((t) => prunedOf(t.param))).toEqual(expected);
    expect(expected).toEqual([194, 438, 33]);
    let masks = dst.targets.map((t) => t.param.mask!.slice());
    const changedAt: number[] = [];
    const check = {
      afterBatch: ({ step }: { step: number }) => {
        const counts = dst.targets.map((t) => prunedOf(t.param));
        if (counts.some((c, i) => c !== expected[i])) expect({ step, counts }).toEqual({ step, counts: expected });
        let nonzeroPruned = 0;
        for (const { param } of dst.targets) for (let j = 0; j < param.size; j++) if (!param.mask![j] && param.value.data[j] !== 0) nonzeroPruned++;
        expect(nonzeroPruned).toBe(0);
        const now = dst.targets.map((t) => t.param.mask!.slice());
        // connections grown at this step end it at zero (the step ran before the masks moved, as in RigL's code)
        dst.targets.forEach((t, i) => now[i].forEach((m, j) => (m && !masks[i][j] && t.param.value.data[j] !== 0 ? expect({ step, grown: t.param.value.data[j] }).toEqual({ step, grown: 0 }) : undefined)));
        if (now.some((m, i) => !Buffer.from(m).equals(Buffer.from(masks[i])))) changedAt.push(step);
        masks = now;
      },
    };
    train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }), epochs: 6, batchSize: 32, hooks: combineHooks(dst.hooks, check) });
    expect(dst.updates.map((u) => u.step)).toEqual([4, 8, 12, 16, 20, 24, 28, 32, 36]);
    expect(changedAt).toEqual(dst.updates.filter((u) => u.moved > 0).map((u) => u.step));
    expect(dst.updates[0].moved).toBeGreaterThan(0);
    // each layer moves at most round(α · active) connections per update (α = 0.3, the default)
    const most = dst.targets.reduce((s, t, i) => s + Math.round(0.3 * (t.param.size - expected[i])), 0);
    for (const u of dst.updates) expect(u.moved).toBeLessThanOrEqual(most);
    if (mode === 'rigl') expect(dst.updates[dst.updates.length - 1].moved).toBeLessThan(dst.updates[0].moved); // the cosine decay
    expect(model.evaluate(data).accuracy).toBeGreaterThan(0.6);
  });

  it('RigL puts back the masks it lifted for a dense gradient when the batch fails (afterError)', () => {
    const model = mlp([8, 32, 16, 4], { seed: 1 });
    const dst = new DynamicSparseTraining(model, { mode: 'rigl', sparsity: 0.8, updateEvery: 2, endStep: 40, seed: 2 });
    const before = dst.targets.map((t) => t.param.mask!.slice());
    const failing = { afterBackward: ({ step }: { step: number }) => { if (step === 2) throw new Error('a hook failed'); } };
    expect(() => train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.05 }), epochs: 1, batchSize: 32, hooks: combineHooks(failing, dst.hooks) }))
      .toThrow('a hook failed');
    dst.targets.forEach((t, i) => expect(Buffer.from(t.param.mask!).equals(Buffer.from(before[i]))).toBe(true));
    // and training with it goes on
    train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.05 }), epochs: 1, batchSize: 32, hooks: dst.hooks });
    expect(dst.targets.map((t) => prunedOf(t.param))).toEqual(before.map((m) => m.length - m.reduce((s, v) => s + v, 0)));
  });

  it('the initial masks are seeded', () => {
    const masks = (seed: number) => {
      const m = mlp([8, 16, 4], { seed: 1 });
      new DynamicSparseTraining(m, { mode: 'set', sparsity: 0.7, endStep: 10, seed });
      return weightsOf(m).map((w) => Array.from(w.mask!));
    };
    expect(masks(3)).toEqual(masks(3));
    expect(masks(3)).not.toEqual(masks(4));
  });

  it('RigL drop fraction follows α/2·(1 + cos(πt/T)); SET keeps α', () => {
    const rigl = new DynamicSparseTraining(mlp([4, 4, 2]), { mode: 'rigl', sparsity: 0.5, endStep: 1000, dropFraction: 0.3 });
    expect(rigl.dropFractionAt(0)).toBeCloseTo(0.3, 12);
    expect(rigl.dropFractionAt(250)).toBeCloseTo(0.15 * (1 + Math.SQRT1_2), 12);
    expect(rigl.dropFractionAt(500)).toBeCloseTo(0.15, 12);
    expect(rigl.dropFractionAt(1000)).toBeCloseTo(0, 12);
    expect(rigl.dropFractionAt(2000)).toBeCloseTo(0, 12);
    const set = new DynamicSparseTraining(mlp([4, 4, 2]), { mode: 'set', sparsity: 0.5, endStep: 1000, dropFraction: 0.3 });
    expect(set.dropFractionAt(700)).toBe(0.3);
  });

  it('RigL drops the smallest active |w| and grows the inactive weights with the largest dense |gradient|', () => {
    const fc = new Dense(5, 4, { name: 'fc' });
    const model = new Sequential([fc]);
    const dst = new DynamicSparseTraining(model, { mode: 'rigl', sparsity: 0.5, updateEvery: 2, endStep: 10, dropFraction: 0.5, seed: 1 });
    const before = fc.weight.mask!.slice();
    expect(prunedOf(fc.weight)).toBe(10);
    // distinct magnitudes for the active weights, distinct gradients everywhere
    const r = new Random(5);
    const order = r.permutation(20);
    fc.weight.value.data.forEach((_, i, a) => (a[i] = before[i] ? (1 + order[i]) * 0.01 * (i % 2 ? -1 : 1) : 0));
    const w = fc.weight.value.data.slice();
    dst.hooks.beforeBatch!(ctx(model, 4));
    expect(fc.weight.mask).toBeNull(); // the backward pass of an update step is dense
    const g = Float32Array.from({ length: 20 }, (_, i) => (((i * 7) % 20) + 1) * 0.1 * (i % 3 ? 1 : -1));
    fc.weight.grad.data.set(g);
    dst.hooks.afterBackward!(ctx(model, 4));
    // the optimizer then steps under the old mask, on the masked gradient
    expect(Array.from(fc.weight.mask!)).toEqual(Array.from(before));
    expect(Array.from(fc.weight.grad.data)).toEqual(Array.from(g, (v, i) => (before[i] ? v : 0)));
    expect(dst.updates).toEqual([]);
    dst.hooks.afterBatch!({ ...ctx(model, 4), loss: 1 });
    // reference: count = round(α_t · active); drop the `count` smallest active |w|; grow the `count` largest |g| among the rest
    const count = Math.round(dst.dropFractionAt(4) * 10);
    expect(count).toBe(3); // 0.25·(1 + cos(0.4π)) · 10 = 3.27
    const active = [...Array(20).keys()].filter((i) => before[i]);
    const dropped = [...active].sort((a, b) => Math.abs(w[a]) - Math.abs(w[b])).slice(0, count);
    const candidates = [...Array(20).keys()].filter((i) => !before[i] || dropped.includes(i));
    const grown = [...candidates].sort((a, b) => Math.abs(g[b]) - Math.abs(g[a])).slice(0, count);
    const expected = Array.from(before, (m, i) => ((m && !dropped.includes(i)) || grown.includes(i) ? 1 : 0));
    expect(Array.from(fc.weight.mask!)).toEqual(expected);
    expect(prunedOf(fc.weight)).toBe(10);
    const moved = grown.filter((i) => !before[i]).length;
    expect(dst.updates).toEqual([{ step: 4, moved }]);
    expect(moved).toBeGreaterThan(0);
    // newly grown connections start at zero; survivors keep their values; dropped ones are zeroed
    for (let i = 0; i < 20; i++) {
      if (grown.includes(i) && !before[i]) expect(fc.weight.value.data[i]).toBe(0);
      else if (expected[i]) expect(fc.weight.value.data[i]).toBe(w[i]);
      else expect(fc.weight.value.data[i] === 0).toBe(true);
    }
  });

  it('SET drops the smallest active |w| and regrows as many at random among the inactive', () => {
    const fc = new Dense(6, 5, { name: 'fc', seed: 3 });
    const model = new Sequential([fc]);
    const dst = new DynamicSparseTraining(model, { mode: 'set', sparsity: 0.6, updateEvery: 3, endStep: 100, dropFraction: 0.25, seed: 4 });
    const before = fc.weight.mask!.slice();
    const w = fc.weight.value.data.slice();
    const active = [...Array(30).keys()].filter((i) => before[i]);
    expect(active).toHaveLength(12);
    dst.hooks.beforeBatch!(ctx(model, 3));
    expect(fc.weight.mask).not.toBeNull(); // SET needs no dense gradient
    dst.hooks.afterBackward!(ctx(model, 3));
    dst.hooks.afterBatch!({ ...ctx(model, 3), loss: 1 });
    const dropped = [...active].sort((a, b) => Math.abs(w[a]) - Math.abs(w[b])).slice(0, 3);
    const now = fc.weight.mask!;
    for (const i of active) expect(now[i]).toBe(dropped.includes(i) ? now[i] : 1);
    expect(now.reduce((s, m) => s + m, 0)).toBe(12);
    const newcomers = [...Array(30).keys()].filter((i) => now[i] && !before[i]);
    expect(dst.updates).toEqual([{ step: 3, moved: newcomers.length }]);
    expect(newcomers.length).toBeGreaterThan(0);
    // no update off the grid or from endStep on
    for (const step of [4, 0]) {
      dst.hooks.afterBackward!(ctx(model, step));
      dst.hooks.afterBatch!({ ...ctx(model, step), loss: 1 });
    }
    expect(dst.updates).toHaveLength(1);
  });

  it('no updates at step 0, off the grid, or from endStep on', () => {
    const model = mlp([8, 16, 4], { seed: 1 });
    const dst = new DynamicSparseTraining(model, { mode: 'set', sparsity: 0.5, updateEvery: 5, endStep: 12 });
    train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.05 }), epochs: 3, batchSize: 32, hooks: dst.hooks });
    expect(dst.updates.map((u) => u.step)).toEqual([5, 10]);
  });

  it('rejects bad options with the option named', () => {
    const model = () => mlp([4, 4, 2]);
    const cases: [() => unknown, string][] = [
      [() => new DynamicSparseTraining(model(), { mode: 'snip' as never, sparsity: 0.5, endStep: 10 }), 'options.mode'],
      [() => new DynamicSparseTraining(model(), { mode: 'set', sparsity: 0.5, endStep: 10, distribution: 'gauss' as never }), 'options.distribution'],
      [() => new DynamicSparseTraining(model(), { mode: 'set', sparsity: 1, endStep: 10 }), 'sparsity'],
      [() => new DynamicSparseTraining(model(), { mode: 'set', sparsity: 0.5, endStep: 10, dropFraction: 1.5 }), 'options.dropFraction'],
      [() => new DynamicSparseTraining(model(), { mode: 'set', sparsity: 0.5, endStep: 10, updateEvery: 0 }), 'options.updateEvery'],
      [() => new DynamicSparseTraining(model(), { mode: 'set', sparsity: 0.5, endStep: 10, layers: ['fc5'] }), "'fc5'"],
    ];
    for (const [call, option] of cases) {
      expect(call).toThrow(ArgumentRangeError);
      expect(call).toThrow(option);
    }
  });
});

describe('snapshot, restore and rewind', () => {
  it('restore brings back values and masks bit for bit, including no mask', () => {
    const model = mlp([4, 6, 3], { seed: 2 });
    prune(model, magnitude(), 0.5, { layers: ['fc1'] });
    const snap = snapshot(model);
    const bits = (m: Sequential) => m.parameters().map((p) => Buffer.from(p.value.data.buffer.slice(0)).toString('hex'));
    const original = bits(model);
    prune(model, magnitude(), 0.9);
    model.parameters().forEach((p) => p.value.data.forEach((_, i, a) => (a[i] += 1)));
    restore(model, snap);
    expect(bits(model)).toEqual(original);
    const [w1, , w2] = model.parameters();
    expect(Array.from(w1.mask!)).toEqual(Array.from(snap.masks[0]!));
    expect(w1.mask).not.toBe(snap.masks[0]); // a copy: the snapshot survives later pruning
    expect(w2.mask).toBeNull();
  });

  it('rewind restores values under the current masks (lottery-ticket rewinding)', () => {
    const model = mlp([4, 6, 3], { seed: 2 });
    const init = snapshot(model);
    train(model, gaussianBlobs({ samples: 60, features: 4, classes: 3 }), { optimizer: new SGD(model.parameters(), { lr: 0.1 }), epochs: 2, batchSize: 20 });
    prune(model, magnitude(), 0.6);
    const masks = model.parameters().map((p) => p.mask?.slice() ?? null);
    rewind(model, init);
    model.parameters().forEach((p, i) => {
      expect(p.mask === null ? null : Array.from(p.mask)).toEqual(masks[i] === null ? null : Array.from(masks[i]!));
      p.value.data.forEach((v, j) => expect(v).toBe(!p.mask || p.mask[j] ? init.values[i][j] : 0));
    });
  });

  it('a snapshot of another architecture is a ShapeError', () => {
    const snap: Snapshot = snapshot(mlp([4, 6, 3]));
    expect(() => restore(mlp([4, 7, 3]), snap)).toThrow(ShapeError);
    expect(() => rewind(mlp([4, 6, 3, 2]), snap)).toThrow(ShapeError);
  });
});

describe('library drivers on layers that share a default name', () => {
  const data = gaussianBlobs({ samples: 128, features: 8, classes: 3, seed: 8 });
  const twins = () => new Sequential([new Dense(8, 8, { seed: 1 }), new Activation('relu'), new Dense(8, 8, { seed: 2 }), new Activation('relu'), new Dense(8, 3, { seed: 3 })]);

  it('DynamicSparseTraining keys its own overrides by parameter name and runs', () => {
    const model = twins();
    const dst = new DynamicSparseTraining(model, { mode: 'set', sparsity: 0.5, endStep: 8, seed: 1 });
    train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.05 }), epochs: 2, batchSize: 32, hooks: dst.hooks });
    expect(model.parameterCount().nonzero).toBeLessThan(model.parameterCount().total);
  });

  it('a custom method may hand the options it is given on to prune(), under a Pruner and iterativePruning', () => {
    const forwarding: PruningMethod = { name: 'forwarding', prune: (targets, amount, options) => void prune(targets.map((t) => t.param), magnitude(), amount, options) };
    const model = mlp([8, 16, 3], { seed: 1 });
    const pruner = new Pruner(model, { method: forwarding, schedule: oneShot(0.5), exclude: ['fc2'] });
    train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.05 }), epochs: 1, batchSize: 32, hooks: pruner.hooks });
    expect(pruner.history).toHaveLength(1);
    iterativePruning(mlp([8, 16, 3], { seed: 1 }), { method: forwarding, final: 0.5, rounds: 2, scope: 'global', fineTune: () => undefined });
  });
});

describe('lotteryTicket', () => {
  const data = gaussianBlobs({ samples: 160, features: 8, classes: 4, seed: 6 });
  const recipe = (m: Sequential, hooks: object) =>
    train(m, data, { optimizer: new SGD(m.parameters(), { lr: 0.05, momentum: 0.9 }), epochs: 2, batchSize: 32, hooks });

  interface Call { model: Sequential; masks: (Uint8Array | null)[]; values: Float32Array[] }

  function run(options: { rewindStep?: number; rounds?: number } = {}) {
    const builds: { seed: number; model: Sequential; init: Snapshot }[] = [];
    const calls: Call[] = [];
    let afterSteps: Float32Array[] | null = null;
    const result = lotteryTicket({
      build: (seed) => {
        const model = mlp([8, 16, 4], { seed });
        builds.push({ seed, model, init: snapshot(model) });
        return model;
      },
      seed: 3,
      rounds: options.rounds ?? 2,
      rewindStep: options.rewindStep,
      trainModel: (m, hooks) => {
        calls.push({ model: m, masks: m.parameters().map((p) => p.mask?.slice() ?? null), values: m.parameters().map((p) => p.value.data.slice()) });
        const spy = { afterBatch: ({ step }: { step: number }) => (calls.length === 1 && step + 1 === options.rewindStep ? (afterSteps = m.parameters().map((p) => p.value.data.slice())) : undefined) };
        recipe(m, combineHooks(hooks, spy));
      },
      evaluate: (m) => m.evaluate(data).accuracy,
    });
    return { result, builds, calls, afterSteps: afterSteps as Float32Array[] | null };
  }

  it('per-layer sparsity 1 − 0.8^r (output layer at half rate), rewound to the initial values', () => {
    const { result, builds, calls } = run();
    // calls: dense training, then per round: ticket, reinit, random mask
    expect(calls).toHaveLength(1 + 2 * 3);
    expect(builds.map((b) => b.seed)).toEqual([3, 3 + 7919, 3, 3 + 2 * 7919, 3]);
    const original = builds[0];
    for (const r of [1, 2]) {
      const ticket = calls[1 + (r - 1) * 3];
      expect(ticket.model).toBe(original.model);
      const [m1, b1, m2, b2] = ticket.masks;
      expect(zeros(m1)).toBe(roundHalfEven((1 - 0.8 ** r) * 128));
      expect(zeros(m2)).toBe(roundHalfEven((1 - 0.9 ** r) * 64));
      expect(b1).toBeNull();
      expect(b2).toBeNull();
      // surviving weights (and biases) are back at their initial values; pruned ones are 0
      ticket.values.forEach((v, p) => v.forEach((x, j) => expect(x).toBe(ticket.masks[p] && !ticket.masks[p]![j] ? 0 : original.init.values[p][j])));
      const row = result.rounds[r - 1];
      expect(row.round).toBe(r);
      expect(row.sparsity).toBeCloseTo((zeros(m1) + zeros(m2)) / 192, 12);
      for (const v of [row.ticket, row.reinit!, row.randomMask!]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    }
    expect(result.rounds[0].sparsity).toBeCloseTo(32 / 192, 12); // round(25.6) + round(6.4)
    expect(result.rounds[1].sparsity).toBeCloseTo(58 / 192, 12); // round(46.08) + round(12.16)
    expect(result.dense).toBeGreaterThanOrEqual(0);
    expect(result.dense).toBeLessThanOrEqual(1);
    // the round-2 mask contains the round-1 mask (magnitude pruning never revives)
    calls[1].masks.forEach((m, p) => m?.forEach((v, j) => (v === 0 ? expect(calls[4].masks[p]![j]).toBe(0) : undefined)));
  });

  it('gives outputRate to the output layer only: with it excluded, every pruned layer takes 1 − 0.8^r', () => {
    const result = lotteryTicket({
      build: (seed) => mlp([8, 16, 12, 4], { seed }),
      seed: 3, rounds: 2, exclude: ['fc3'], controls: [],
      trainModel: (m, hooks) => recipe(m, hooks),
      evaluate: (m) => m.evaluate(data).accuracy,
    });
    // fc1 128 and fc2 192 weights; fc2 was pruned at the output layer's half rate (0.9^r) when fc3 was excluded
    expect(result.rounds[1].sparsity).toBeCloseTo((roundHalfEven((1 - 0.8 ** 2) * 128) + roundHalfEven((1 - 0.8 ** 2) * 192)) / 320, 12);
  });

  it('the controls: reinit keeps the mask with a fresh initialization; random-mask keeps the sparsities with the original one', () => {
    const { builds, calls } = run({ rounds: 1 });
    const [, ticket, reinit, randomMask] = calls;
    expect(reinit.masks.map((m) => m && Array.from(m))).toEqual(ticket.masks.map((m) => m && Array.from(m)));
    const fresh = builds[1];
    reinit.values.forEach((v, p) => v.forEach((x, j) => expect(x).toBe(reinit.masks[p] && !reinit.masks[p]![j] ? 0 : fresh.init.values[p][j])));
    expect(Array.from(reinit.values[0])).not.toEqual(Array.from(ticket.values[0]));
    // random mask: same per-layer counts, other positions, original initial values
    [0, 2].forEach((p) => {
      expect(zeros(randomMask.masks[p])).toBe(zeros(ticket.masks[p]));
      expect(Array.from(randomMask.masks[p]!)).not.toEqual(Array.from(ticket.masks[p]!));
    });
    randomMask.values.forEach((v, p) => v.forEach((x, j) => expect(x).toBe(randomMask.masks[p] && !randomMask.masks[p]![j] ? 0 : builds[0].init.values[p][j])));
  });

  it('rewindStep rewinds to the values after that many optimizer steps', () => {
    const { calls, afterSteps } = run({ rewindStep: 3, rounds: 1 });
    expect(afterSteps).not.toBeNull();
    const ticket = calls[1];
    ticket.values.forEach((v, p) => v.forEach((x, j) => expect(x).toBe(ticket.masks[p] && !ticket.masks[p]![j] ? 0 : afterSteps![p][j])));
    // and those are not the initial values
    expect(Array.from(afterSteps![0])).not.toEqual(Array.from(snapshot(mlp([8, 16, 4], { seed: 3 })).values[0]));
  });

  it('counts rewindStep across the train() calls trainModel makes (each numbers its steps from 0)', () => {
    let rewound: Float32Array | null = null;
    const firstWeight = (m: Sequential) => m.parameters()[0];
    lotteryTicket({
      build: (seed) => mlp([8, 16, 4], { seed }), rounds: 1, rewindStep: 7, controls: [], evaluate: (m) => m.evaluate(data).accuracy,
      trainModel: (m, hooks) => {
        // 160 samples at batch 32: 5 steps a call, so step 7 is the second call's third.
        let seen = 0;
        const spy = { afterBatch: () => (++seen === 7 && rewound === null ? (rewound = firstWeight(m).value.data.slice()) : undefined) };
        for (let i = 0; i < 2; i++) train(m, data, { optimizer: new SGD(m.parameters(), { lr: 0.05 }), epochs: 1, batchSize: 32, hooks: combineHooks(hooks, spy) });
      },
    });
    expect(rewound).not.toBeNull();
  });

  it('refuses a rewindStep training never reached: rewinding to the trained weights would be fine-tuning', () => {
    expect(() => run({ rewindStep: 100000, rounds: 1 })).toThrow(ArgumentRangeError);
    expect(() => run({ rewindStep: 100000, rounds: 1 })).toThrow(/^options\.rewindStep is 100000, but options\.trainModel trained \d+ steps$/);
    const dropsHooks = () => lotteryTicket({
      build: (seed) => mlp([8, 16, 4], { seed }), rounds: 1, rewindStep: 2, evaluate: (m) => m.evaluate(data).accuracy,
      trainModel: (m) => recipe(m, {}),
    });
    expect(dropsHooks).toThrow('options.rewindStep is 2, but options.trainModel ran no batch through the hooks it was given (pass them on to train())');
  });

  it('the ticket mask is magnitude pruning of the trained dense weights', () => {
    let trained: Float32Array[] = [];
    let call = 0;
    lotteryTicket({
      build: (seed) => mlp([8, 16, 4], { seed }),
      seed: 1, rounds: 1, controls: [],
      trainModel: (m, hooks) => {
        if (call++ === 1) {
          const ws = weightsOf(m);
          const ref = [referenceMasks([trained[0]], roundHalfEven(0.2 * 128)).masks[0], referenceMasks([trained[1]], roundHalfEven(0.1 * 64)).masks[0]];
          ws.forEach((w, i) => expect(Array.from(w.mask!)).toEqual(Array.from(ref[i])));
        }
        recipe(m, hooks);
        if (call === 1) trained = weightsOf(m).map((w) => w.value.data.slice());
      },
      evaluate: () => 0.5,
    });
    expect(call).toBe(2);
  });

  it('the random-mask control prunes each layer as much as the ticket, a fully pruned layer included', () => {
    const pruned: string[] = [];
    lotteryTicket({
      build: (seed) => new Sequential([new Dense(8, 6, { seed, name: 'h' }), new Dense(6, 1, { seed: seed + 1, name: 'out' })]),
      rounds: 1, perRound: 0.5, outputRate: 0.95,
      trainModel: () => undefined,
      evaluate: (m) => {
        pruned.push(m.parameters().filter((p) => p.role === 'weight').map((p) => `${p.mask ? p.mask.reduce((s, v) => s + (v ? 0 : 1), 0) : 0}/${p.size}`).join(' '));
        return 0;
      },
    });
    // dense, ticket, reinit, random mask: the output layer's 6 weights all pruned (outputRate 0.95 of 6 rounds to 6)
    expect(pruned).toEqual(['0/48 0/6', '24/48 6/6', '24/48 6/6', '24/48 6/6']);
  });

  it('rejects bad options', () => {
    const base = { build: (s: number) => mlp([4, 4, 2], { seed: s }), trainModel: () => undefined, evaluate: () => 0 };
    expect(() => lotteryTicket({ ...base, rounds: 0 })).toThrow(ArgumentRangeError);
    expect(() => lotteryTicket({ ...base, rounds: 0 })).toThrow('options.rounds');
    expect(() => lotteryTicket({ ...base, rounds: 1, perRound: 1 })).toThrow('options.perRound');
    expect(() => lotteryTicket({ ...base, rounds: 1, outputRate: 1 })).toThrow('options.outputRate');
  });
});

describe('bad arguments are typed errors that change nothing', () => {
  const masksOf = (m: Sequential) => m.parameters().map((p) => p.mask);

  it('DynamicSparseTraining: a bigint mode or distribution is a typed error, not a JSON.stringify TypeError', () => {
    const model = mlp([4, 4, 2]);
    const cases: [() => unknown, new (m: string) => Error, string][] = [
      [() => new DynamicSparseTraining(model, { mode: 1n as never, sparsity: 0.5, endStep: 10 }), ArgumentRangeError, "Expected 'set' or 'rigl' for options.mode but received a bigint"],
      [() => new DynamicSparseTraining(model, { mode: 'snip' as never, sparsity: 0.5, endStep: 10 }), ArgumentRangeError, "Expected 'set' or 'rigl' for options.mode but received 'snip'"],
      [() => new DynamicSparseTraining(model, { mode: 'set', sparsity: 0.5, endStep: 10, distribution: 2n as never }), ArgumentRangeError, "Expected 'uniform' or 'erk' for options.distribution but received a bigint"],
      [() => new DynamicSparseTraining(model, { mode: 'set', sparsity: 0.5, endStep: 10, seed: -1 }), ArgumentRangeError, 'Expected an integer in [0, 4294967295] for options.seed but received the number -1'],
      [() => new DynamicSparseTraining(model, null as never), ArgumentTypeError, 'Expected an options object for options but received null'],
      [() => layerSparsities(null as never, 0.5, 'uniform'), ArgumentTypeError, 'Expected an array of targets (from selectTargets) for targets but received null'],
    ];
    for (const [call, type, message] of cases) {
      expect(call).toThrow(type);
      expect(call).toThrow(message);
    }
    expect(masksOf(model)).toEqual([null, null, null, null]);
  });

  it('lotteryTicket checks every callback and control before building or training', () => {
    let built = 0;
    const base = { build: (s: number) => (built++, mlp([4, 4, 2], { seed: s })), trainModel: () => undefined, evaluate: () => 0, rounds: 1 };
    const cases: [() => unknown, new (m: string) => Error, string][] = [
      [() => lotteryTicket({ ...base, build: undefined as never }), ArgumentTypeError, 'Expected a function for options.build but received undefined'],
      [() => lotteryTicket({ ...base, trainModel: 'sgd' as never }), ArgumentTypeError, 'Expected a function for options.trainModel but received a string'],
      [() => lotteryTicket({ ...base, evaluate: null as never }), ArgumentTypeError, 'Expected a function for options.evaluate but received null'],
      [() => lotteryTicket({ ...base, controls: 'reinit' as never }), ArgumentTypeError, "Expected an array of 'reinit' / 'random-mask' for options.controls but received a string"],
      [() => lotteryTicket({ ...base, controls: ['reinit', 'shuffle' as never] }), ArgumentRangeError, "Expected 'reinit' or 'random-mask' for options.controls[1] but received 'shuffle'"],
      [() => lotteryTicket({ ...base, seed: 1.5 }), ArgumentRangeError, 'for options.seed but received the number 1.5'],
      [() => lotteryTicket(null as never), ArgumentTypeError, 'Expected an options object for options but received null'],
    ];
    for (const [call, type, message] of cases) {
      expect(call).toThrow(type);
      expect(call).toThrow(message);
    }
    expect(built).toBe(0);
    const notModel = () => lotteryTicket({ ...base, build: () => ({}) as never });
    expect(notModel).toThrow(ArgumentTypeError);
    expect(notModel).toThrow('Expected a Sequential model for the model options.build returned but received an object');
  });

  it('restore and rewind check the whole snapshot before writing any parameter', () => {
    const model = mlp([4, 6, 3], { seed: 1 });
    prune(model, magnitude(), 0.5);
    const before = snapshot(model);
    const other = mlp([4, 6, 3], { seed: 2 });
    const bad = snapshot(other);
    bad.masks[3] = new Uint8Array(2); // the last parameter's mask has the wrong length
    const cases: [() => unknown, new (m: string) => Error, string][] = [
      [() => restore(model, null as never), ArgumentTypeError, 'Expected a snapshot (from snapshot()) for snapshot but received null'],
      [() => restore(model, { values: 5, masks: [] } as never), ArgumentTypeError, 'Expected an array of Float32Array for snapshot.values but received the number 5'],
      [() => rewind(model, { values: [new Float64Array(24)], masks: [null] } as never), ArgumentTypeError, 'Expected a Float32Array for snapshot.values[0] but received a Float64Array'],
      [() => restore(model, bad), ShapeError, 'the snapshot was taken from a model with different parameters'],
    ];
    for (const [call, type, message] of cases) {
      expect(call).toThrow(type);
      expect(call).toThrow(message);
    }
    expect(snapshot(model)).toEqual(before);
  });
});
