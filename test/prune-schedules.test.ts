/**
 * Pruning schedules (oneShot, constantSparsity, polynomialDecay,
 * decayingFrequency, iterativeSparsities) against their formulas worked by
 * hand, and the Pruner / iterativePruning drivers inside train().
 */
import {
  ArgumentRangeError, ArgumentTypeError, Dense, Parameter, Pruner, PruningSchedule, SGD, Sequential, combineHooks, constantSparsity, decayingFrequency,
  gaussianBlobs, gradientPruning, iterativePruning, iterativeSparsities, magnitude, mlp, oneShot, polynomialDecay, roundHalfEven,
  collectGradients, saliency, selectTargets, train,
} from '../lib';
import { referenceMasks } from './helpers';

const prunedOf = (p: Parameter): number => (p.mask ? p.mask.reduce((s, m) => s + (m ? 0 : 1), 0) : 0);
const weightsOf = (m: Sequential) => m.parameters().filter((p) => p.role === 'weight');
const eventsOf = (s: PruningSchedule, upTo: number) => Array.from({ length: upTo + 1 }, (_, t) => t).filter((t) => s.at(t) !== null);

describe('oneShot and constantSparsity', () => {
  it('oneShot prunes once, at the start by default', () => {
    const s = oneShot(0.7);
    expect(s.final).toBe(0.7);
    expect(eventsOf(s, 50)).toEqual([0]);
    expect(s.at(0)).toBe(0.7);
    expect(eventsOf(oneShot(0.4, 12), 50)).toEqual([12]);
    expect(oneShot(0.4, 12).at(12)).toBe(0.4);
  });

  it('constantSparsity re-applies the sparsity every `every` steps from begin to end', () => {
    const s = constantSparsity(0.6, { begin: 10, every: 5, end: 30 });
    expect(eventsOf(s, 60)).toEqual([10, 15, 20, 25, 30]);
    expect(s.at(20)).toBe(0.6);
    expect(s.final).toBe(0.6);
    expect(eventsOf(constantSparsity(0.5), 450)).toEqual([0, 100, 200, 300, 400]);
  });
});

describe('polynomialDecay: s_f + (s_i − s_f)(1 − (t − t0)/(t1 − t0))^3', () => {
  const s = polynomialDecay({ initial: 0.1, final: 0.9, begin: 100, end: 1100, every: 100 });
  it.each([
    [100, 0.1],
    [200, 0.9 - 0.8 * 0.9 ** 3], // 0.3168
    [600, 0.8], // 0.9 − 0.8·0.5³
    [1000, 0.9 - 0.8 * 0.1 ** 3], // 0.8992
    [1100, 0.9],
  ])('at step %p: %p', (t, expected) => {
    expect(s.at(t)).toBeCloseTo(expected, 12);
  });

  it('hand values: 0.3168 at 200, 0.8992 at 1000', () => {
    expect(s.at(200)).toBeCloseTo(0.3168, 12);
    expect(s.at(1000)).toBeCloseTo(0.8992, 12);
  });

  it('null between `every`, before begin and after end', () => {
    expect(eventsOf(s, 1300)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100]);
    for (const t of [0, 50, 99, 150, 350, 1099, 1101, 1200]) expect(s.at(t)).toBeNull();
  });

  it('an end that is not on the grid still gets its final event; other powers follow the formula', () => {
    const odd = polynomialDecay({ final: 0.5, end: 250, every: 100 });
    expect(eventsOf(odd, 400)).toEqual([0, 100, 200, 250]);
    expect(odd.at(0)).toBe(0);
    expect(odd.at(250)).toBe(0.5);
    expect(odd.at(100)).toBeCloseTo(0.5 - 0.5 * 0.6 ** 3, 12);
    const linear = polynomialDecay({ final: 0.8, end: 10, every: 1, power: 1 });
    for (let t = 0; t <= 10; t++) expect(linear.at(t)).toBeCloseTo(0.08 * t, 12);
  });

  it('is non-decreasing', () => {
    const values = eventsOf(s, 1100).map((t) => s.at(t)!);
    values.slice(1).forEach((v, i) => expect(v).toBeGreaterThan(values[i]));
  });
});

describe('decayingFrequency', () => {
  it('prunes after 1, 3, 7 and 15 steps (gaps 1, 2, 4, 8) with sparsity rising as the polynomial', () => {
    const s = decayingFrequency({ final: 0.8, events: 4 });
    expect(eventsOf(s, 100)).toEqual([1, 3, 7, 15]);
    expect(s.at(1)).toBeCloseTo(0, 12);
    expect(s.at(3)).toBeCloseTo(0.8 - 0.8 * (2 / 3) ** 3, 12); // 0.562963
    expect(s.at(7)).toBeCloseTo(0.8 - 0.8 * (1 / 3) ** 3, 12); // 0.770370
    expect(s.at(15)).toBeCloseTo(0.8, 12);
    expect(s.final).toBe(0.8);
  });

  it('one event prunes straight to the final sparsity; more events keep doubling the gap', () => {
    const one = decayingFrequency({ final: 0.5, events: 1 });
    expect(eventsOf(one, 100)).toEqual([1]);
    expect(one.at(1)).toBe(0.5);
    expect(eventsOf(decayingFrequency({ initial: 0.2, final: 0.9, events: 7 }), 300)).toEqual([1, 3, 7, 15, 31, 63, 127]);
    expect(decayingFrequency({ initial: 0.2, final: 0.9, events: 7 }).at(1)).toBeCloseTo(0.2, 12);
  });
});

describe('iterativeSparsities', () => {
  it('perRound 0.2: 0.2, 0.36, 0.488, then capped at the final 0.5', () => {
    const s = iterativeSparsities({ final: 0.5, perRound: 0.2 });
    expect(s).toHaveLength(4);
    [0.2, 0.36, 0.488, 0.5].forEach((v, i) => expect(s[i]).toBeCloseTo(v, 12));
  });

  it('perRound 0.2 to 0.9 takes 11 rounds (0.8^11 < 0.1 < 0.8^10), each keeping 80% of what remained', () => {
    const s = iterativeSparsities({ final: 0.9, perRound: 0.2 });
    expect(s).toHaveLength(11);
    for (let r = 0; r < 10; r++) expect(s[r]).toBeCloseTo(1 - 0.8 ** (r + 1), 12);
    expect(s[10]).toBe(0.9);
  });

  it('rounds: the same fraction of the remaining weights each round', () => {
    const s = iterativeSparsities({ final: 0.875, rounds: 3 });
    [0.5, 0.75, 0.875].forEach((v, i) => expect(s[i]).toBeCloseTo(v, 12));
    const five = iterativeSparsities({ final: 0.9, rounds: 5 });
    expect(five).toHaveLength(5);
    const ratios = five.map((v, i) => (1 - v) / (i === 0 ? 1 : 1 - five[i - 1]));
    ratios.forEach((r) => expect(r).toBeCloseTo(0.1 ** 0.2, 12));
    expect(five[4]).toBeCloseTo(0.9, 12);
  });
});

describe('schedule errors', () => {
  const cases: [string, () => unknown, string][] = [
    ['oneShot(1)', () => oneShot(1), 'sparsity'],
    ['oneShot(-0.5)', () => oneShot(-0.5), 'sparsity'],
    ['constantSparsity(1.2)', () => constantSparsity(1.2), 'sparsity'],
    ['constantSparsity every 0', () => constantSparsity(0.5, { every: 0 }), 'options.every'],
    ['constantSparsity end before begin', () => constantSparsity(0.5, { begin: 10, end: 5 }), 'options.end'],
    ['polynomialDecay final 1', () => polynomialDecay({ final: 1, end: 10 }), 'options.final'],
    ['polynomialDecay final below initial', () => polynomialDecay({ initial: 0.5, final: 0.3, end: 10 }), 'options.final'],
    ['polynomialDecay end at begin', () => polynomialDecay({ final: 0.5, begin: 10, end: 10 }), 'options.end'],
    ['decayingFrequency events 0', () => decayingFrequency({ final: 0.5, events: 0 }), 'options.events'],
    ['iterativeSparsities perRound 1', () => iterativeSparsities({ final: 0.5, perRound: 1 }), 'options.perRound'],
    ['iterativeSparsities final 1', () => iterativeSparsities({ final: 1 }), 'options.final'],
    ['iterativeSparsities rounds 0', () => iterativeSparsities({ final: 0.5, rounds: 0 }), 'options.rounds'],
  ];
  for (const [name, call, option] of cases) {
    it(name, () => {
      expect(call).toThrow(ArgumentRangeError);
      expect(call).toThrow(option);
    });
  }
});

describe('Pruner inside train()', () => {
  // 256 samples in batches of 32: 8 steps per epoch
  const data = gaussianBlobs({ samples: 256, features: 8, classes: 4, seed: 2 });
  const schedule = () => polynomialDecay({ final: 0.8, end: 24, every: 4 });
  const level = (t: number) => 0.8 - 0.8 * (1 - t / 24) ** 3;

  it('polynomialDecay: prunes at 4, 8, …, 24 (pruning to 0 at step 0 is skipped) to the schedule and ends at the final sparsity', () => {
    const model = mlp([8, 16, 4], { seed: 1 });
    const pruner = new Pruner(model, { method: magnitude(), schedule: schedule() });
    const seen: { step: number; pruned: number[] }[] = [];
    const spy = { afterBatch: ({ step }: { step: number }) => seen.push({ step: step + 1, pruned: weightsOf(model).map(prunedOf) }) };
    train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }), epochs: 4, batchSize: 32, hooks: combineHooks(pruner.hooks, spy) });
    expect(pruner.history.map((h) => h.step)).toEqual([4, 8, 12, 16, 20, 24]) // the step-0 event prunes to 0: skipped;
    for (const h of pruner.history) {
      expect(h.report.layers.map((l) => l.pruned)).toEqual([128, 64].map((n) => roundHalfEven(level(h.step) * n)));
    }
    // between events the masks hold; after the end nothing changes
    for (const { step, pruned } of seen) {
      const last = Math.min(24, step - (step % 4));
      expect(pruned).toEqual([128, 64].map((n) => roundHalfEven(level(last) * n)));
    }
    expect(weightsOf(model).map(prunedOf)).toEqual([102, 51]); // round(102.4), round(51.2)
    for (const w of weightsOf(model)) w.value.data.forEach((v, i) => (w.mask![i] ? undefined : expect(v === 0).toBe(true)));
    expect(model.evaluate(data).accuracy).toBeGreaterThan(0.6);
  });

  it('overrides ramp with the schedule: override · s(t) / s_final, reaching the override at the end', () => {
    const model = mlp([8, 16, 16, 4], { seed: 2 });
    const pruner = new Pruner(model, { method: magnitude(), schedule: schedule(), overrides: { fc3: 0.4 }, exclude: ['fc1'] });
    train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.05 }), epochs: 4, batchSize: 32, hooks: pruner.hooks });
    for (const h of pruner.history) {
      const s = level(h.step);
      expect(h.report.layers.map((l) => [l.name, l.pruned])).toEqual([
        ['fc2.weight', roundHalfEven(s * 256)],
        ['fc3.weight', roundHalfEven(0.4 * (s / 0.8) * 64)],
      ]);
    }
    const [w1, w2, w3] = weightsOf(model);
    expect(w1.mask).toBeNull();
    expect(prunedOf(w2)).toBe(205); // round(204.8)
    expect(prunedOf(w3)).toBe(26); // round(25.6)
  });

  it("scope 'global': a oneShot event at step 5 prunes the layers together, ranked on that step's weights", () => {
    const model = mlp([8, 16, 4], { seed: 3 });
    const pruner = new Pruner(model, { method: magnitude(), schedule: oneShot(0.6, 5), scope: 'global' });
    let values: Float32Array[] = [];
    // runs before the pruner's afterBatch, after the optimizer step: the values the event ranks
    const record = { afterBatch: ({ step }: { step: number }) => (step + 1 === 5 ? (values = weightsOf(model).map((w) => w.value.data.slice())) : undefined) };
    train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.05 }), epochs: 1, batchSize: 32, hooks: combineHooks(record, pruner.hooks) });
    expect(pruner.history.map((h) => h.step)).toEqual([5]);
    const ref = referenceMasks(values, roundHalfEven(0.6 * 192)).masks;
    weightsOf(model).forEach((w, i) => expect(Array.from(w.mask!)).toEqual(Array.from(ref[i])));
    expect(weightsOf(model).map(prunedOf)).not.toEqual([roundHalfEven(0.6 * 128), roundHalfEven(0.6 * 64)]);
  });

  it('gradient pruning through a Pruner uses the mean |g| of the batches it observed', () => {
    const model = mlp([8, 6, 4], { seed: 4 });
    const method = gradientPruning();
    const pruner = new Pruner(model, { method, schedule: oneShot(0.5, 3) });
    const sums = weightsOf(model).map((w) => new Float64Array(w.size));
    let recorded = 0;
    const recorder = {
      afterBackward: () => {
        if (recorded++ >= 3) return;
        weightsOf(model).forEach((w, l) => w.grad.data.forEach((g, i) => (sums[l][i] += Math.abs(g))));
      },
    };
    train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.05 }), epochs: 1, batchSize: 32, hooks: combineHooks(recorder, pruner.hooks) });
    expect(pruner.history.map((h) => h.step)).toEqual([3]);
    weightsOf(model).forEach((w, l) => {
      const ref = referenceMasks([Float32Array.from(sums[l], (v) => v / 3)], roundHalfEven(0.5 * w.size)).masks[0];
      expect(Array.from(w.mask!)).toEqual(Array.from(ref));
    });
  });

  // polynomialDecay (initial 0, begin 0) has an event at step 0 with sparsity 0: gradient methods once failed
  // there for want of gradients, on a step that prunes nothing.
  test.each([
    ['gradient', () => gradientPruning()],
    ['saliency', () => saliency()],
  ])('%s pruning on a polynomialDecay schedule inside train() reaches the final sparsity', (_name, make) => {
    const model = mlp([8, 16, 4], { seed: 1 });
    const pruner = new Pruner(model, { method: make(), schedule: schedule() });
    train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.05 }), epochs: 4, batchSize: 32, hooks: pruner.hooks });
    expect(weightsOf(model).map(prunedOf)).toEqual([102, 51]);
  });

  test.each([
    ['gradient', () => gradientPruning()],
    ['saliency', () => saliency()],
  ])('%s pruning at step 0 scores the first batch\'s gradients (SNIP at initialization), as collectGradients on that batch would', (_name, make) => {
    const model = mlp([8, 16, 4], { seed: 1 });
    const pruner = new Pruner(model, { method: make(), schedule: oneShot(0.5) });
    const reference = mlp([8, 16, 4], { seed: 1 });
    const method = make();
    collectGradients(reference, data, method, { batchCount: 1, batchSize: 32, seed: 3 }); // train()'s first batch of epoch 0
    method.prune(selectTargets(reference), 0.5);
    train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }), epochs: 2, batchSize: 32, seed: 3, hooks: pruner.hooks });
    expect(pruner.history.map((h) => h.step)).toEqual([0]);
    weightsOf(model).forEach((w, l) => {
      expect(Array.from(w.mask!)).toEqual(Array.from(weightsOf(reference)[l].mask!));
      expect(w.value.data.every((v, i) => w.mask![i] || v === 0)).toBe(true); // the first step left them at zero
    });
  });

  it('the same schedule works for gradient pruning when it starts after the first step', () => {
    const model = mlp([8, 16, 4], { seed: 1 });
    const pruner = new Pruner(model, { method: gradientPruning(), schedule: polynomialDecay({ final: 0.8, begin: 1, end: 25, every: 4 }) });
    train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.05 }), epochs: 4, batchSize: 32, hooks: pruner.hooks });
    expect(pruner.history.map((h) => h.step)).toEqual([5, 9, 13, 17, 21, 25]) // step 1 prunes to 0: skipped;
    expect(weightsOf(model).map(prunedOf)).toEqual([102, 51]);
  });

  it('pruneTo prunes now, and the constructor checks its options', () => {
    const model = mlp([8, 16, 4], { seed: 1 });
    const pruner = new Pruner(model, { method: magnitude(), schedule: constantSparsity(0.5), layers: ['fc2'] });
    const r = pruner.pruneTo(0.25, 7);
    expect(r.layers).toEqual([{ name: 'fc2.weight', size: 64, pruned: 16, sparsity: 0.25 }]);
    expect(pruner.history).toEqual([{ step: 7, report: r }]);
    expect(() => new Pruner(model, { method: magnitude(), schedule: oneShot(0.5), overrides: { fc9: 0.5 } })).toThrow(ArgumentRangeError);
    expect(() => new Pruner(model, { method: magnitude(), schedule: oneShot(0.5), overrides: { fc9: 0.5 } })).toThrow("'fc9'");
    expect(() => new Pruner(model, { method: magnitude(), schedule: oneShot(0.5), layers: ['nope'] })).toThrow('options.layers');
  });
});

describe('iterativePruning: prune → fine-tune rounds', () => {
  const data = gaussianBlobs({ samples: 160, features: 6, classes: 3, seed: 9 });

  it('rounds follow iterativeSparsities, fine-tune is called each round, counts are exact', () => {
    const model = mlp([6, 12, 3], { seed: 2 });
    train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.05 }), epochs: 2, batchSize: 32 });
    const calls: number[] = [];
    const results = iterativePruning(model, {
      final: 0.5, perRound: 0.2, validation: data,
      fineTune: (m, round) => {
        calls.push(round);
        train(m, data, { optimizer: new SGD(m.parameters(), { lr: 0.05, momentum: 0.5 }), epochs: 1, batchSize: 32 });
      },
    });
    expect(calls).toEqual([0, 1, 2, 3]);
    expect(results.map((r) => r.round)).toEqual([1, 2, 3, 4]);
    results.forEach((r, i) => {
      expect(r.sparsity).toBeCloseTo([0.2, 0.36, 0.488, 0.5][i], 12);
      expect(r.report.layers.map((l) => l.pruned)).toEqual([72, 36].map((n) => roundHalfEven(r.sparsity * n)));
      expect(r.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.accuracy).toBeLessThanOrEqual(1);
    });
    const [w1, w2] = weightsOf(model);
    expect([prunedOf(w1), prunedOf(w2)]).toEqual([36, 18]);
    for (const w of [w1, w2]) w.value.data.forEach((v, i) => (w.mask![i] ? undefined : expect(v === 0).toBe(true)));
  });

  it('overrides ramp with the rounds (override · s_round / final), reaching the override in the last round', () => {
    const model = mlp([6, 12, 3], { seed: 2 });
    const results = iterativePruning(model, { final: 0.8, rounds: 2, overrides: { fc2: 0.4, 'fc1.weight': 0.6 }, fineTune: () => undefined });
    const s1 = 1 - 0.2 ** 0.5; // 0.5528
    expect(results[0].sparsity).toBeCloseTo(s1, 12);
    expect(results[0].report.layers.map((l) => l.pruned)).toEqual([roundHalfEven((0.6 * s1 / 0.8) * 72), roundHalfEven((0.4 * s1 / 0.8) * 36)]);
    expect(results[0].report.layers.map((l) => l.pruned)).toEqual([30, 10]); // round(29.85), round(9.95)
    expect(results[1].report.layers.map((l) => l.pruned)).toEqual([43, 14]); // round(43.2), round(14.4)
  });

  it('without validation there is no accuracy; rounds keep a fixed fraction; exclude is honoured', () => {
    const model = mlp([6, 12, 3], { seed: 2 });
    const results = iterativePruning(model, { final: 0.75, rounds: 2, exclude: ['fc2'], fineTune: () => undefined });
    expect(results.map((r) => r.accuracy)).toEqual([undefined, undefined]);
    expect(results[0].sparsity).toBeCloseTo(0.5, 12);
    expect(results.map((r) => r.report.layers.map((l) => l.name))).toEqual([['fc1.weight'], ['fc1.weight']]);
    expect(prunedOf((model.layers[0] as Dense).weight)).toBe(54);
    expect((model.layers[2] as Dense).weight.mask).toBeNull();
  });
});

describe('bad arguments are typed errors, checked before the model changes', () => {
  const masksOf = (m: Sequential) => m.parameters().map((p) => p.mask);

  it('a perRound too small to reach final in 1000 rounds is refused instead of looping or filling memory', () => {
    for (const perRound of [1e-17, 1e-9, 5e-324]) {
      const call = () => iterativeSparsities({ final: 0.9, perRound });
      expect(call).toThrow(ArgumentRangeError);
      expect(call).toThrow(`Expected a fraction that reaches options.final (0.9) in at most 1000 rounds for options.perRound but received the number ${perRound}`);
    }
    // 0.0138 needs 995 rounds to reach 0.999999: still allowed
    expect(iterativeSparsities({ final: 0.999999, perRound: 0.0138 })).toHaveLength(995);
    expect(iterativeSparsities({ final: 0, perRound: 1e-17 })).toEqual([]);
  });

  it.each([
    ['iterativeSparsities', () => iterativeSparsities(null as never)],
    ['polynomialDecay', () => polynomialDecay(null as never)],
    ['decayingFrequency', () => decayingFrequency(null as never)],
    ['constantSparsity', () => constantSparsity(0.5, null as never)],
  ])('%s(null) names its options', (_, call) => {
    expect(call).toThrow(ArgumentTypeError);
    expect(call).toThrow('Expected an options object for options but received null');
  });

  it('iterativePruning without fineTune throws before pruning anything', () => {
    const model = mlp([6, 12, 3], { seed: 2 });
    const call = () => iterativePruning(model, { final: 0.5, rounds: 2 } as never);
    expect(call).toThrow(ArgumentTypeError);
    expect(call).toThrow('Expected a function for options.fineTune but received undefined');
    expect(masksOf(model)).toEqual([null, null, null, null]);
  });

  it('iterativePruning checks method, overrides and the rounds before pruning', () => {
    const model = mlp([6, 12, 3], { seed: 2 });
    const fineTune = () => undefined;
    const cases: [() => unknown, typeof ArgumentTypeError, string][] = [
      [() => iterativePruning(model, { final: 0.5, rounds: 2, fineTune, method: {} as never }), ArgumentTypeError, 'Expected a function for options.method.prune but received undefined'],
      [() => iterativePruning(model, { final: 0.5, rounds: 2, fineTune, overrides: { fc2: 2.5 } }), ArgumentRangeError, 'options.overrides.fc2'],
      [() => iterativePruning(model, { final: 0.5, perRound: 1e-12, fineTune }), ArgumentRangeError, 'for options.perRound'],
      [() => iterativePruning(model, null as never), ArgumentTypeError, 'Expected an options object for options but received null'],
    ];
    for (const [call, type, message] of cases) {
      expect(call).toThrow(type);
      expect(call).toThrow(message);
    }
    expect(masksOf(model)).toEqual([null, null, null, null]);
  });

  it('a Pruner checks its method and schedule when built, not inside the training hooks', () => {
    const model = mlp([6, 12, 3], { seed: 2 });
    const cases: [() => unknown, string][] = [
      [() => new Pruner(model, { method: magnitude() } as never), 'Expected a pruning schedule (an object with an at function) for options.schedule but received undefined'],
      [() => new Pruner(model, { method: magnitude(), schedule: { final: 0.5, at: 3 } as never }), 'Expected a function for options.schedule.at but received the number 3'],
      [() => new Pruner(model, { method: magnitude(), schedule: { at: () => null } as never }), 'Expected a number for options.schedule.final but received undefined'],
      [() => new Pruner(model, { method: { prune: 1 } as never, schedule: oneShot(0.5) }), 'Expected a function for options.method.prune but received the number 1'],
      [() => new Pruner(model, { schedule: oneShot(0.5) } as never), 'Expected a pruning method (an object with a prune function) for options.method but received undefined'],
      [() => new Pruner(model, null as never), 'Expected an options object for options but received null'],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(ArgumentTypeError);
      expect(call).toThrow(message);
    }
  });
});
