/**
 * Analysis: sensitivity curves, sparsity allocation, model statistics and the
 * description length, against hand-worked numbers and plain-JS references.
 */
import {
  Activation, ArgumentRangeError, ArgumentTypeError, Conv2D, Dense, Flatten, LayerSensitivity, Random, SGD, Sequential, csrBytes, descriptionLength,
  gaussianBlobs, allocateSparsity, magnitude, PruningMethod, mlp, modelStats, prune, randomPruning, roundHalfEven, sensitivity, train,
} from '../lib';
import { referenceMasks } from './helpers';

const bits = (m: Sequential) => m.parameters().map((p) => Buffer.from(p.value.data.buffer.slice(0)).toString('hex'));
const masksOf = (m: Sequential) => m.parameters().map((p) => (p.mask ? Array.from(p.mask) : null));

describe('sensitivity()', () => {
  const data = gaussianBlobs({ samples: 200, features: 6, classes: 3, seed: 4 });
  const trained = () => {
    const m = mlp([6, 12, 3], { seed: 1 });
    train(m, data, { optimizer: new SGD(m.parameters(), { lr: 0.05, momentum: 0.9 }), epochs: 3, batchSize: 40 });
    return m;
  };

  it('restores the model bit for bit (masks included) and starts each curve at the baseline', () => {
    const model = trained();
    prune(model, magnitude(), 0.2, { layers: ['fc2'] }); // a mask that must survive the analysis
    const before = bits(model), masks = masksOf(model);
    const baseline = model.evaluate(data).accuracy;
    const curves = sensitivity(model, data, { sparsities: [0.9, 0.5] });
    expect(bits(model)).toEqual(before);
    expect(masksOf(model)).toEqual(masks);
    expect(curves.map((c) => [c.layer, c.size])).toEqual([['fc1.weight', 72], ['fc2.weight', 36]]);
    expect(curves[0].curve.map((p) => p.sparsity)).toEqual([0, 0.5, 0.9]); // sorted
    expect(curves[1].curve.map((p) => p.sparsity)).toEqual([7 / 36, 0.5, 0.9]); // from where fc2 already is
    for (const c of curves) expect(c.curve[0].accuracy).toBe(baseline);
  });

  it("starts a pruned layer's curve at its sparsity and measures no level it already has", () => {
    const model = trained();
    prune(model, magnitude(), 0.75, { layers: ['fc1'] });
    const curves = sensitivity(model, data, { sparsities: [0.3, 0.5, 0.75, 0.9], layers: ['fc1'] });
    // 0.3 and 0.5 would leave the 54 of 72 weights pruned and were reported at those levels with the baseline accuracy
    expect(curves[0].curve.map((p) => p.sparsity)).toEqual([0.75, 0.9]);
    expect(curves[0].curve[0].accuracy).toBe(model.evaluate(data).accuracy);
  });

  it('each point is the accuracy with only that layer magnitude-pruned', () => {
    const model = trained();
    const curves = sensitivity(model, data, { sparsities: [0.95], layers: ['fc1'] });
    expect(curves).toHaveLength(1);
    // reference: zero the round(0.95·72) = 68 smallest of fc1 in a copy of the weights and evaluate
    const copy = mlp([6, 12, 3], { seed: 1 });
    copy.parameters().forEach((p, i) => p.value.data.set(model.parameters()[i].value.data));
    const w = copy.parameters()[0];
    const mask = referenceMasks([w.value.data], roundHalfEven(0.95 * 72)).masks[0];
    w.value.data.forEach((_, i, a) => (a[i] = mask[i] ? a[i] : 0));
    expect(curves[0].curve[1]).toEqual({ sparsity: 0.95, accuracy: copy.evaluate(data).accuracy });
    expect(curves[0].curve[1].accuracy).not.toBe(curves[0].curve[0].accuracy);
  });

  it('restores the model when a method throws after it has set masks', () => {
    const model = trained();
    const before = bits(model);
    const failing: PruningMethod = {
      name: 'prunes, then fails',
      prune(targets, amount) {
        magnitude().prune(targets, amount);
        if (amount > 0.6) throw new Error('boom');
      },
    };
    expect(() => sensitivity(model, data, { sparsities: [0.5, 0.9], method: failing })).toThrow('boom');
    expect(bits(model)).toEqual(before);
    expect(masksOf(model)).toEqual([null, null, null, null]);
  });

  it('restores the model even when a step throws on NaN', () => {
    const model = trained();
    model.parameters()[2].value.data[0] = NaN; // fc2.weight
    const before = bits(model);
    expect(() => sensitivity(model, data, { sparsities: [0.5] })).toThrow('fc2.weight');
    expect(bits(model)).toEqual(before);
    expect(masksOf(model)).toEqual([null, null, null, null]);
  });

  it('takes another method and rejects bad levels', () => {
    const model = trained();
    const curves = sensitivity(model, data, { sparsities: [0.5], method: randomPruning({ seed: 1 }) });
    expect(curves).toHaveLength(2);
    expect(() => sensitivity(model, data, { sparsities: [0.5, 1.2] })).toThrow(ArgumentRangeError);
    expect(() => sensitivity(model, data, { sparsities: [0.5, 1.2] })).toThrow('options.sparsities[1]');
    expect(() => sensitivity(model, data, { layers: ['fc3'] })).toThrow("'fc3'");
  });
});

describe('allocateSparsity', () => {
  // A barely cares, B is sensitive
  const curves = (): LayerSensitivity[] => [
    { layer: 'A', size: 100, curve: [{ sparsity: 0, accuracy: 0.9 }, { sparsity: 0.5, accuracy: 0.9 }, { sparsity: 0.9, accuracy: 0.89 }] },
    { layer: 'B', size: 100, curve: [{ sparsity: 0, accuracy: 0.9 }, { sparsity: 0.5, accuracy: 0.8 }, { sparsity: 0.9, accuracy: 0.5 }] },
  ];
  const weighted = (alloc: Record<string, number>, cs: LayerSensitivity[]) =>
    cs.reduce((s, c) => s + alloc[c.layer] * c.size, 0) / cs.reduce((s, c) => s + c.size, 0);

  it('spends the budget on the insensitive layer first and meets it exactly (hand-worked)', () => {
    // costs per weight: A 0/50 then 0.01/40; B 0.1/50: A goes to 0.9 (90 weights), B takes the last 10 of 100
    const alloc = allocateSparsity(curves(), { sparsity: 0.5 });
    expect(alloc.A).toBeCloseTo(0.9, 12);
    expect(alloc.B).toBeCloseTo(0.1, 12);
    expect(weighted(alloc, curves())).toBeCloseTo(0.5, 12);
  });

  it('a parameter budget keeps exactly that many weights', () => {
    expect(allocateSparsity(curves(), { parameters: 150 })).toEqual({ A: 0.5, B: 0 });
    const alloc = allocateSparsity(curves(), { parameters: 37 });
    expect(200 - (alloc.A * 100 + alloc.B * 100)).toBeCloseTo(37, 9);
  });

  it('meets random budgets exactly over uneven layers', () => {
    const r = new Random(3);
    const cs: LayerSensitivity[] = [50, 700, 3000, 120].map((size, i) => {
      let acc = 0.95;
      return { layer: `l${i}`, size, curve: [0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95].map((sparsity) => ({ sparsity, accuracy: sparsity === 0 ? 0.95 : (acc -= r.next() * 0.05) })) };
    });
    for (const target of [0.1, 0.42, 0.77, 0.95]) {
      const alloc = allocateSparsity(cs, { sparsity: target });
      expect(weighted(alloc, cs)).toBeCloseTo(target, 9);
      for (const c of cs) {
        expect(alloc[c.layer]).toBeGreaterThanOrEqual(0);
        expect(alloc[c.layer]).toBeLessThanOrEqual(0.95);
      }
    }
  });

  it('beats the uniform allocation on the curves it was given', () => {
    const lossAt = (c: LayerSensitivity, s: number) => {
      // linear interpolation of the accuracy loss along the curve
      const pts = c.curve;
      for (let i = 1; i < pts.length; i++) {
        if (s <= pts[i].sparsity) {
          const t = (s - pts[i - 1].sparsity) / (pts[i].sparsity - pts[i - 1].sparsity);
          return pts[0].accuracy - (pts[i - 1].accuracy + t * (pts[i].accuracy - pts[i - 1].accuracy));
        }
      }
      return Infinity;
    };
    const alloc = allocateSparsity(curves(), { sparsity: 0.6 });
    const greedy = curves().reduce((s, c) => s + lossAt(c, alloc[c.layer]), 0);
    const uniform = curves().reduce((s, c) => s + lossAt(c, 0.6), 0);
    expect(greedy).toBeLessThan(uniform);
  });

  it('unreachable or bad budgets are ArgumentRangeErrors', () => {
    const over = () => allocateSparsity(curves(), { sparsity: 0.95 });
    expect(over).toThrow(ArgumentRangeError);
    expect(over).toThrow('at most sparsity 0.9000');
    expect(() => allocateSparsity(curves(), { sparsity: 1 })).toThrow(ArgumentRangeError);
    expect(() => allocateSparsity(curves(), { parameters: -1 })).toThrow(ArgumentRangeError);
    expect(() => allocateSparsity(curves(), { parameters: 201 })).toThrow('budget.parameters');
    expect(() => allocateSparsity([], { sparsity: 0.5 })).toThrow(ArgumentRangeError);
  });

  it('never gives a layer less than the sparsity its curve starts at (a pruned checkpoint)', () => {
    const cs = curves();
    cs[0].curve = cs[0].curve.slice(1); // A is already at 0.5
    expect(allocateSparsity(cs, { sparsity: 0.2 })).toEqual({ A: 0.5, B: 0 }); // was A 0.4, below where it is
    const alloc = allocateSparsity(cs, { sparsity: 0.6 });
    expect(alloc).toEqual({ A: 0.9, B: expect.closeTo(0.3, 12) });
  });

  it('allocates over the curve of a fully pruned layer, which starts at sparsity 1', () => {
    const data = gaussianBlobs({ samples: 60, features: 4, classes: 3, seed: 2 });
    const model = mlp([4, 6, 3], { seed: 1 });
    model.parameters()[0].setMask(new Uint8Array(24));
    const curves = sensitivity(model, data, { sparsities: [0.5, 0.9] });
    expect(curves[0].curve.map((p) => p.sparsity)).toEqual([1]);
    expect(allocateSparsity(curves, { sparsity: 0.5 })).toEqual({ 'fc1.weight': 1, 'fc2.weight': 0 });
  });

  // BUG (lib/prune/sensitivity.ts, allocateSparsity, lines 83-84): two consecutive curve points with the same
  // sparsity give gain 0 and cost 0/0 = NaN, which never compares below bestCost, so the layer can never advance
  // past that point. sensitivity() produces exactly such a curve when options.sparsities contains 0 (it accepts 0
  // and prepends its own sparsity-0 baseline). Here allocateSparsity throws "Expected a budget the curves reach (at
  // most sparsity 0.9000) for budget but received {"sparsity":0.5}" for a budget of 0.5, contradicting its own
  // message; expected is the same allocation as without the duplicate point, { A: 0.9, B: 0.1 }.
  test('a repeated sparsity level (0 passed to sensitivity) does not block a layer', () => {
    const cs = curves();
    cs[0].curve.splice(1, 0, { sparsity: 0, accuracy: 0.9 });
    const alloc = allocateSparsity(cs, { sparsity: 0.5 });
    expect(alloc.A).toBeCloseTo(0.9, 12);
    expect(alloc.B).toBeCloseTo(0.1, 12);
  });
});

describe('modelStats and csrBytes', () => {
  it('csrBytes: 6 bytes per nonzero with 16-bit columns (8 past 65,536 columns) plus 4·(rows + 1)', () => {
    expect(csrBytes(3, 4, 7)).toBe(7 * 6 + 16);
    expect(csrBytes(10, 65536, 5)).toBe(5 * 6 + 44);
    expect(csrBytes(10, 65537, 5)).toBe(5 * 8 + 44);
    expect(csrBytes(2, 2, 0)).toBe(12);
  });

  it('hand-worked Dense model', () => {
    const fc1 = new Dense(4, 3, { name: 'fc1' }), fc2 = new Dense(3, 2, { name: 'fc2' });
    const model = new Sequential([fc1, new Activation('relu'), fc2]);
    fc1.weight.value.data.set([1, 0, 2, 0, 0, 3, 0, 4, 5, 6, 0, 7]); // 7 nonzero of 12
    fc1.bias.value.data.set([0, 1, 0]);
    fc2.weight.value.data.set([0, 1, 2, 0, 3, 4]); // 4 of 6
    fc2.bias.value.data.set([0.5, 0]);
    const s = modelStats(model);
    expect(s.layers).toEqual([
      { layer: 'fc1', type: 'dense', parameters: 15, active: 8, sparsity: expect.closeTo(5 / 12, 12), denseMacs: 12, sparseMacs: 7, denseBytes: 60, csrBytes: 7 * 6 + 16 + 12 },
      { layer: 'fc2', type: 'dense', parameters: 8, active: 5, sparsity: expect.closeTo(2 / 6, 12), denseMacs: 6, sparseMacs: 4, denseBytes: 32, csrBytes: 4 * 6 + 12 + 8 },
    ]);
    expect(s.parameters).toBe(23);
    expect(s.active).toBe(13);
    expect(s.sparsity).toBeCloseTo(7 / 18, 12); // weights only
    expect(s.denseMacs).toBe(18);
    expect(s.sparseMacs).toBe(11);
    expect(s.denseBytes).toBe(92);
    expect(s.csrBytes).toBe(70 + 44);
    expect(s.compression).toBeCloseTo(23 / 13, 12);
  });

  it('a Conv2D layer does its multiply-adds at every output position', () => {
    const conv = new Conv2D([2, 5, 5], 3, 3, { name: 'c', seed: 1 }); // output 3×3×3: 9 positions
    const fc = new Dense(27, 2, { name: 'fc', seed: 2 });
    const model = new Sequential([conv, new Flatten(), fc]);
    const mask = Uint8Array.from({ length: 54 }, (_, i) => (i % 3 === 0 ? 0 : 1)); // 18 pruned, 36 kept
    conv.weight.setMask(mask);
    const c = modelStats(model).layers[0];
    expect(c).toEqual({
      layer: 'c', type: 'conv2d', parameters: 57, active: 36, sparsity: expect.closeTo(18 / 54, 12),
      denseMacs: 54 * 9, sparseMacs: 36 * 9, denseBytes: 57 * 4, csrBytes: 36 * 6 + 4 * 4 + 3 * 4,
    });
    expect(modelStats(model).denseMacs).toBe(54 * 9 + 54);
  });

  it('after pruning, the sparsity is the pruned fraction of all weights', () => {
    const model = mlp([8, 16, 4], { seed: 2 });
    prune(model, magnitude(), 0.75, { scope: 'global' });
    const s = modelStats(model);
    expect(s.sparsity).toBe(144 / 192);
    expect(s.sparseMacs).toBe(48);
    expect(s.active).toBe(48); // biases are zero at initialization
  });
});

describe('descriptionLength', () => {
  /** Plain-JS float64 forward of a Dense-tanh-Dense net and Σ −log2 softmax(label). */
  function referenceBits(model: Sequential, x: Float32Array, y: Int32Array): number {
    const [fc1, , fc2] = model.layers as [Dense, unknown, Dense];
    const nin = fc1.inFeatures, hid = fc1.outFeatures, out = fc2.outFeatures;
    let total = 0;
    for (let s = 0; s < y.length; s++) {
      const h = Array.from({ length: hid }, (_, j) => Math.tanh(fc1.bias.value.data[j] + Array.from({ length: nin }, (_, k) => fc1.weight.value.data[j * nin + k] * x[s * nin + k]).reduce((a, b) => a + b, 0)));
      const z = Array.from({ length: out }, (_, c) => fc2.bias.value.data[c] + h.reduce((a, v, j) => a + fc2.weight.value.data[c * hid + j] * v, 0));
      const logSum = Math.log(z.reduce((a, v) => a + Math.exp(v), 0));
      total += -(z[y[s]] - logSum) / Math.LN2;
    }
    return total;
  }

  it('dataBits == Σ −log2 p(label | x), modelBits defaults to the CSR size in bits', () => {
    const data = gaussianBlobs({ samples: 1100, features: 5, classes: 3, seed: 2 }); // more than one internal batch
    const model = mlp([5, 7, 3], { seed: 3, activation: 'tanh' });
    const r = new Random(4);
    for (const p of model.parameters()) p.value.data.forEach((_, i, a) => (a[i] = r.normal() * 0.5));
    prune(model, magnitude(), 0.5);
    const d = descriptionLength(model, data);
    const expected = referenceBits(model, data.x.data, data.y);
    expect(Math.abs(d.dataBits - expected) / expected).toBeLessThan(1e-5);
    expect(d.modelBits).toBe(modelStats(model).csrBytes * 8);
    expect(d.totalBits).toBe(d.modelBits + d.dataBits);
    expect(d.bitsPerSample).toBeCloseTo(d.dataBits / 1100, 12);
    const given = descriptionLength(model, data, { modelBits: 1000 });
    expect(given.modelBits).toBe(1000);
    expect(given.totalBits).toBe(1000 + d.dataBits);
    expect(() => descriptionLength(model, data, { modelBits: -1 })).toThrow(ArgumentRangeError);
  });

  it('a model with all-zero weights (uniform softmax) costs log2(classes) bits per sample', () => {
    const data = gaussianBlobs({ samples: 30, features: 5, classes: 4, seed: 1 });
    const model = mlp([5, 7, 4], { seed: 3, activation: 'tanh' });
    for (const p of model.parameters()) p.value.data.fill(0);
    expect(descriptionLength(model, data).bitsPerSample).toBeCloseTo(2, 9);
  });
});

describe('bad arguments are typed errors naming the parameter', () => {
  const curve = (): LayerSensitivity => ({ layer: 'A', size: 100, curve: [{ sparsity: 0, accuracy: 0.9 }, { sparsity: 0.5, accuracy: 0.8 }] });
  const data = gaussianBlobs({ samples: 20, features: 4, classes: 3, seed: 1 });

  it.each([
    ['modelStats(5)', () => modelStats(5 as never), ArgumentTypeError, 'Expected a Sequential model for model but received the number 5'],
    ['descriptionLength of a non-model', () => descriptionLength({} as never, data), ArgumentTypeError, 'Expected a Sequential model for model but received an object'],
    ['descriptionLength null options', () => descriptionLength(mlp([4, 3]), data, null as never), ArgumentTypeError, 'Expected an options object for options but received null'],
    ['csrBytes of a string', () => csrBytes('3' as never, 4, 7), ArgumentTypeError, 'for rows but received a string'],
    ['csrBytes more nonzeros than entries', () => csrBytes(3, 4, 13), ArgumentRangeError, 'Expected an integer in [0, 12] for nonzero but received the number 13'],
    ['allocateSparsity(c, null)', () => allocateSparsity([curve()], null as never), ArgumentTypeError, 'Expected a budget ({ sparsity } or { parameters }) for budget but received null'],
    ['a curve with no size', () => allocateSparsity([{ layer: 'A', curve: [] } as never], { sparsity: 0.5 }), ArgumentTypeError, 'for curves[0].size but received undefined'],
    ['a curve point with NaN accuracy', () => allocateSparsity([{ ...curve(), curve: [{ sparsity: 0.5, accuracy: NaN }] }], { sparsity: 0.5 }), ArgumentRangeError, 'Expected a finite number for curves[0].curve[0].accuracy but received NaN'],
    ['a null curve', () => allocateSparsity([null as never], { sparsity: 0.5 }), ArgumentTypeError, 'Expected a sensitivity curve ({ layer, size, curve }) for curves[0] but received null'],
    ['sensitivity null options', () => sensitivity(mlp([4, 3]), data, null as never), ArgumentTypeError, 'Expected an options object for options but received null'],
    ['sensitivity sparsities not an array', () => sensitivity(mlp([4, 3]), data, { sparsities: 0.5 as never }), ArgumentTypeError, 'Expected an array of sparsities for options.sparsities but received the number 0.5'],
    ['sensitivity with a non-method', () => sensitivity(mlp([4, 3]), data, { method: { name: 'x' } as never }), ArgumentTypeError, 'Expected a function for options.method.prune but received undefined'],
  ])('%s', (_, call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });

  it('an unreachable budget holding a bigint still gets its typed error', () => {
    const call = () => allocateSparsity([curve()], { sparsity: 0.9, note: 1n } as never);
    expect(call).toThrow(ArgumentRangeError);
    expect(call).toThrow('Expected a budget the curves reach (at most sparsity 0.5000) for budget but received sparsity 0.9');
  });
});
