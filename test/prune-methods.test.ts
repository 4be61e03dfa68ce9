/**
 * Unstructured pruning methods (lib/prune): torch.nn.utils.prune semantics on
 * hand-worked numbers, exact counts, monotonicity, layer selection, seeded
 * randomness, gradient-based scores against a plain-JavaScript back-prop, masks
 * during training, and typed errors.
 */
import {
  Adam, ArgumentRangeError, ArgumentTypeError, Dense, NonFiniteError, Parameter, PruningMethod, PrunekitError, Random, SGD,
  Sequential, Tensor, block, collectGradients, gaussianBlobs, gradientPruning, info, lnStructured, magnitude, mlp,
  layerNameOf, nm, probabilisticMagnitude, prune, randomPruning, roundHalfEven, saliency, scoreMethod, selectTargets, sparsityOf, train,
} from '../lib';
import { referenceMasks, rng } from './helpers';

const P = (name: string, values: number[], shape: number[] = [values.length]) => new Parameter(name, Tensor.from(values, shape), 'weight');
const maskOf = (p: Parameter): number[] => Array.from(p.mask ?? new Uint8Array(p.size).fill(1));
const prunedOf = (p: Parameter): number => (p.mask ? p.mask.reduce((s, m) => s + (m ? 0 : 1), 0) : 0);
const weightsOf = (m: Sequential) => m.parameters().filter((p) => p.role === 'weight');

function randomize(model: Sequential, seed: number): Sequential {
  const r = new Random(seed);
  for (const p of model.parameters()) p.value.data.forEach((_, i, a) => (a[i] = r.normal() * (p.role === 'bias' ? 0.3 : 1)));
  return model;
}

function expectPrunedAreZero(p: Parameter): void {
  if (!p.mask) return;
  for (let i = 0; i < p.size; i++) if (!p.mask[i]) expect(p.value.data[i] === 0).toBe(true);
}

describe('a failed prune changes nothing', () => {
  it.each([
    ['NaN in a later layer', (m: Sequential) => { m.parameters()[2].value.data[5] = NaN; return () => prune(m, magnitude(), 0.5); }, NonFiniteError],
    ['a count too large for the last layer only', (m: Sequential) => () => prune(m, magnitude(), 100), ArgumentRangeError],
    ['structured scores with NaN in a later layer', (m: Sequential) => { m.parameters()[2].value.data[0] = NaN; return () => prune(m, lnStructured(), 0.5); }, NonFiniteError],
  ] as const)('per layer: %s', (_what, setup, type) => {
    const m = mlp([8, 16, 12, 3], { seed: 1 });
    const call = setup(m);
    expect(call).toThrow(type);
    expect(m.parameters().map((p) => p.mask)).toEqual([null, null, null, null, null, null]);
  });
});

describe('torch.nn.utils.prune.l1_unstructured semantics (per layer magnitude)', () => {
  it('a fraction prunes round-half-even of n: 0.5 of 5 weights prunes 2, ties lowest index first', () => {
    // |w| = 0.3 0.1 0.2 0.1 0.5 -> round(2.5) = 2 -> the two 0.1s (indices 1 and 3); round-half-up would also take 0.2
    const w = P('a.weight', [0.3, -0.1, 0.2, -0.1, 0.5]);
    const r = prune([w], magnitude(), 0.5);
    expect(maskOf(w)).toEqual([1, 0, 1, 0, 1]);
    expect(Array.from(w.value.data)).toEqual([Math.fround(0.3), 0, Math.fround(0.2), 0, 0.5]);
    expect(r.layers).toEqual([{ name: 'a.weight', size: 5, pruned: 2, sparsity: 0.4 }]);
    expect(r.sparsity).toBe(0.4);
    expect(r.method).toBe('magnitude');
  });

  it('0.5 of 7 weights prunes 4 (round(3.5) = 4)', () => {
    const w = P('a.weight', [0.7, -0.6, 0.5, 0.4, -0.3, 0.2, 0.1]);
    prune([w], magnitude(), 0.5);
    expect(maskOf(w)).toEqual([1, 1, 1, 0, 0, 0, 0]);
  });

  it('0.25 of a [2, 5] weight prunes round(2.5) = 2, flattened row-major', () => {
    const w = P('fc.weight', [0.9, 0.05, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.02, 0.2], [2, 5]);
    prune([w], magnitude(), 0.25);
    expect(maskOf(w)).toEqual([1, 0, 1, 1, 1, 1, 1, 1, 0, 1]);
  });

  it('an integer amount >= 1 is a count; ties go lowest index first', () => {
    // magnitudes 0.5 0.1 0.1 0.3 0.1 0.1 2: the 0.1s sit at 1, 2, 4, 5
    const x = [0.5, -0.1, 0.1, 0.3, -0.1, 0.1, 2];
    const three = P('a.weight', x);
    prune([three], magnitude(), 3);
    expect(maskOf(three)).toEqual([1, 0, 0, 1, 0, 1, 1]);
    const one = P('a.weight', x);
    prune([one], magnitude(), 1); // 1 is the count 1, not 100%
    expect(maskOf(one)).toEqual([1, 0, 1, 1, 1, 1, 1]);
    const all = P('a.weight', x);
    prune([all], magnitude(), 7);
    expect(maskOf(all)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('amount 0 prunes nothing but still sets an all-ones mask', () => {
    const w = P('a.weight', [1, -2, 3]);
    prune([w], magnitude(), 0);
    expect(maskOf(w)).toEqual([1, 1, 1]);
    expect(Array.from(w.value.data)).toEqual([1, -2, 3]);
  });

  it('already-pruned weights count toward the amount before live weights that are exactly 0', () => {
    // index 4 is pruned; indices 0 and 2 are live zeros. Count 2 = the pruned one plus the first live zero.
    const w = P('a.weight', [0, 0.5, 0, 0.3, 0.9]);
    w.setMask(Uint8Array.from([1, 1, 1, 1, 0]));
    prune([w], magnitude(), 2);
    expect(maskOf(w)).toEqual([0, 1, 1, 1, 0]);
    // and per layer with a fraction: 0.6 of 5 = 3 -> the pruned one and both live zeros
    prune([w], magnitude(), 0.6);
    expect(maskOf(w)).toEqual([0, 1, 0, 1, 0]);
    // globally, a pruned zero in the second parameter still goes before a live zero in the first
    const a = P('l1.weight', [0, 0.4, 0.7]);
    const b = P('l2.weight', [0.2, 0, 0.6]);
    b.setMask(Uint8Array.from([1, 0, 1]));
    prune([a, b], magnitude(), 2, { scope: 'global' });
    expect([maskOf(a), maskOf(b)]).toEqual([[0, 1, 1], [1, 0, 1]]);
  });

  it('per layer, each parameter is pruned to the amount on its own', () => {
    const a = P('l1.weight', [0.3, -0.2, 0.9]);
    const b = P('l2.weight', [0.2, 0.8, -0.1, 0.4]);
    prune([a, b], magnitude(), 1);
    expect(maskOf(a)).toEqual([1, 0, 1]);
    expect(maskOf(b)).toEqual([1, 1, 0, 1]);
  });
});

describe("scope 'global' == global_unstructured(L1Unstructured)", () => {
  // |a| = 0.3 0.2 0.9, |b| = 0.2 0.8 0.1 0.4; sorted: b2 0.1, a1 0.2, b0 0.2, a0 0.3, b3 0.4, b1 0.8, a2 0.9
  const make = () => [P('l1.weight', [0.3, -0.2, 0.9]), P('l2.weight', [0.2, 0.8, -0.1, 0.4])];

  it('count 2: a tie at 0.2 across parameters goes to the first parameter', () => {
    const [a, b] = make();
    prune([a, b], magnitude(), 2, { scope: 'global' });
    expect(maskOf(a)).toEqual([1, 0, 1]);
    expect(maskOf(b)).toEqual([1, 1, 0, 1]);
  });

  it('fraction 0.3 of 7 prunes round(2.1) = 2; fraction 0.5 prunes round(3.5) = 4', () => {
    const [a, b] = make();
    prune([a, b], magnitude(), 0.3, { scope: 'global' });
    expect([maskOf(a), maskOf(b)]).toEqual([[1, 0, 1], [1, 1, 0, 1]]);
    const [c, d] = make();
    const r = prune([c, d], magnitude(), 0.5, { scope: 'global' });
    expect([maskOf(c), maskOf(d)]).toEqual([[0, 0, 1], [0, 1, 0, 1]]);
    expect(r.sparsity).toBeCloseTo(4 / 7, 12);
    expect(r.layers.map((l) => l.pruned)).toEqual([2, 2]);
  });

  it('per layer and global differ, each matching its reference on a model', () => {
    const perLayer = randomize(mlp([6, 12, 8, 3], { seed: 1 }), 11);
    const global = randomize(mlp([6, 12, 8, 3], { seed: 1 }), 11);
    prune(perLayer, magnitude(), 0.6);
    prune(global, magnitude(), 0.6, { scope: 'global' });
    for (const w of weightsOf(perLayer)) {
      expect(maskOf(w)).toEqual(Array.from(referenceMasks([w.value.data], roundHalfEven(0.6 * w.size)).masks[0]));
    }
    // the reference ranks the original values: rebuild them
    const fresh = weightsOf(randomize(mlp([6, 12, 8, 3], { seed: 1 }), 11));
    const total = fresh.reduce((s, w) => s + w.size, 0);
    const expected = referenceMasks(fresh.map((w) => w.value.data), roundHalfEven(0.6 * total)).masks;
    weightsOf(global).forEach((w, i) => expect(maskOf(w)).toEqual(Array.from(expected[i])));
    expect(weightsOf(global).map(prunedOf)).not.toEqual(weightsOf(perLayer).map(prunedOf));
  });
});

describe('layer selection: layers, exclude, overrides; biases never pruned', () => {
  const fresh = () => randomize(mlp([8, 16, 16, 4], { seed: 3 }), 5);

  it('layers / exclude by layer or parameter name', () => {
    const a = fresh();
    prune(a, magnitude(), 0.5, { layers: ['fc1'] });
    expect(a.parameters().map((p) => prunedOf(p))).toEqual([64, 0, 0, 0, 0, 0]);
    expect(a.parameters().map((p) => p.mask === null)).toEqual([false, true, true, true, true, true]);
    const b = fresh();
    prune(b, magnitude(), 0.5, { exclude: ['fc3.weight', 'fc1'] });
    expect(b.parameters().map((p) => prunedOf(p))).toEqual([0, 0, 128, 0, 0, 0]);
    const c = fresh();
    prune(c, magnitude(), 0.5, { layers: ['fc2.weight', 'fc3'], exclude: ['fc3'] });
    expect(c.parameters().map((p) => prunedOf(p))).toEqual([0, 0, 128, 0, 0, 0]);
  });

  it('overrides set a layer its own fraction or count', () => {
    const m = fresh();
    const r = prune(m, magnitude(), 0.5, { overrides: { fc3: 0.25, 'fc1.weight': 10 } });
    expect(r.layers.map((l) => l.pruned)).toEqual([10, 128, 16]);
    const w3 = weightsOf(m)[2];
    expect(maskOf(w3)).toEqual(Array.from(referenceMasks([weightsOf(fresh())[2].value.data], 16).masks[0]));
  });

  it("with scope 'global', overridden layers are pruned alone and the rest share one threshold", () => {
    const m = fresh();
    prune(m, magnitude(), 0.5, { scope: 'global', overrides: { fc3: 0.25 } });
    const orig = weightsOf(fresh());
    const shared = referenceMasks([orig[0].value.data, orig[1].value.data], roundHalfEven(0.5 * (128 + 256))).masks;
    const own = referenceMasks([orig[2].value.data], 16).masks[0];
    const ws = weightsOf(m);
    expect(maskOf(ws[0])).toEqual(Array.from(shared[0]));
    expect(maskOf(ws[1])).toEqual(Array.from(shared[1]));
    expect(maskOf(ws[2])).toEqual(Array.from(own));
    expect(prunedOf(ws[0]) + prunedOf(ws[1])).toBe(192);
  });

  it('selectTargets keeps model order and skips biases', () => {
    expect(selectTargets(fresh(), { exclude: ['fc2'] }).map((t) => [t.layer, t.param.name])).toEqual([
      ['fc1', 'fc1.weight'], ['fc3', 'fc3.weight'],
    ]);
  });
});

/** Every method whose scores need no gradients, by name. */
const gradientFree: [string, () => PruningMethod, (size: number, s: number, shape: readonly number[]) => number][] = [
  ['magnitude', () => magnitude(), (n, s) => roundHalfEven(s * n)],
  ['random', () => randomPruning({ seed: 4 }), (n, s) => roundHalfEven(s * n)],
  ['probabilistic', () => probabilisticMagnitude({ seed: 4 }), (n, s) => roundHalfEven(s * n)],
  ['l2 neurons', () => lnStructured({ dim: 'neurons' }), (n, s, shape) => roundHalfEven(s * shape[0]) * (n / shape[0])],
  ['l1 channels', () => lnStructured({ n: 1, dim: 'channels' }), (n, s, shape) => roundHalfEven(s * shape[1]) * (n / shape[1])],
  ['block 2x4', () => block({ rows: 2, cols: 4 }), (n, s) => roundHalfEven((s * n) / 8) * 8],
];

describe.each(gradientFree)('%s: exact counts, zeros, monotonicity', (_name, make, expectedPruned) => {
  it('prunes exactly the count at each step, never revives, and pruned weights are 0', () => {
    const model = randomize(mlp([8, 16, 8], { seed: 2 }), 9);
    const method = make();
    let previous = weightsOf(model).map(maskOf);
    let reached = 0;
    for (const s of [0.3, 0.6, 0.2, 0.75]) {
      prune(model, method, s);
      reached = Math.max(reached, s);
      const now = weightsOf(model).map(maskOf);
      weightsOf(model).forEach((w, i) => {
        expect(prunedOf(w)).toBe(expectedPruned(w.size, reached, w.shape));
        expectPrunedAreZero(w);
        // a weight pruned before stays pruned
        previous[i].forEach((m, j) => (m === 0 ? expect(now[i][j]).toBe(0) : undefined));
      });
      if (s === 0.2) expect(now).toEqual(previous); // a lower target changes nothing
      previous = now;
    }
    for (const p of model.parameters()) if (p.role === 'bias') expect(p.mask).toBeNull();
  });
});

describe('random and probabilistic pruning are seeded', () => {
  const masksAfter = (method: PruningMethod) => {
    const m = randomize(mlp([8, 16, 4], { seed: 1 }), 2);
    prune(m, method, 0.5);
    return weightsOf(m).map(maskOf);
  };

  it.each([
    ['random', (seed: number) => randomPruning({ seed })],
    ['probabilistic', (seed: number) => probabilisticMagnitude({ seed })],
  ])('%s: same seed, same masks; another seed, other masks', (_n, make) => {
    expect(masksAfter(make(7))).toEqual(masksAfter(make(7)));
    expect(masksAfter(make(7))).not.toEqual(masksAfter(make(8)));
  });

  it('random pruning ignores magnitudes: it does not pick the smallest weights', () => {
    const m = randomize(mlp([8, 16, 4], { seed: 1 }), 2);
    const byMagnitude = referenceMasks([weightsOf(m)[0].value.data], 64).masks[0];
    prune(m, randomPruning({ seed: 3 }), 0.5, { layers: ['fc1'] });
    const agree = maskOf(weightsOf(m)[0]).filter((v, i) => v === byMagnitude[i]).length;
    expect(agree).toBeLessThan(100); // magnitude pruning would agree on all 128
  });

  it('probabilistic: over many seeds larger weights survive more often, with the count exact', () => {
    const values = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0].map((v, i) => (i % 2 ? -v : v));
    const survived = new Array(10).fill(0);
    const seeds = 300;
    for (let seed = 0; seed < seeds; seed++) {
      const w = P('w.weight', values);
      prune([w], probabilisticMagnitude({ seed, power: 2 }), 0.5);
      expect(prunedOf(w)).toBe(5);
      maskOf(w).forEach((m, i) => (survived[i] += m));
    }
    const rate = survived.map((s) => s / seeds);
    expect(rate[9]).toBeGreaterThan(0.8);
    expect(rate[0]).toBeLessThan(0.15);
    // the three largest survive far more than the three smallest, and no weight beats one 3 places larger
    expect((rate[7] + rate[8] + rate[9]) / 3 - (rate[0] + rate[1] + rate[2]) / 3).toBeGreaterThan(0.5);
    for (let i = 0; i + 3 < 10; i++) expect(rate[i + 3]).toBeGreaterThan(rate[i]);
    // and it is not magnitude pruning: small weights do sometimes survive
    expect(rate[2] + rate[3]).toBeGreaterThan(0);
  });

  it('probabilistic with a huge power approaches magnitude pruning', () => {
    const values = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
    const w = P('w.weight', values);
    prune([w], probabilisticMagnitude({ seed: 1, power: 64 }), 0.5);
    expect(maskOf(w)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  });
});

/** Plain-JS forward and backward of a Dense-ReLU-Dense network under mean softmax cross-entropy (float64). */
function jsGradients(model: Sequential, x: Float32Array, y: Int32Array, rows: ArrayLike<number>): Float64Array[] {
  const [fc1, , fc2] = model.layers as [Dense, unknown, Dense];
  const W1 = fc1.weight.value.data, b1 = fc1.bias.value.data, W2 = fc2.weight.value.data, b2 = fc2.bias.value.data;
  const nin = fc1.inFeatures, hid = fc1.outFeatures, out = fc2.outFeatures, B = rows.length;
  const g1 = new Float64Array(W1.length), g2 = new Float64Array(W2.length);
  for (let s = 0; s < B; s++) {
    const xi = x.subarray(rows[s] * nin, (rows[s] + 1) * nin);
    const z1 = Array.from({ length: hid }, (_, j) => b1[j] + xi.reduce((a, v, k) => a + W1[j * nin + k] * v, 0));
    const h = z1.map((v) => Math.max(0, v));
    const z2 = Array.from({ length: out }, (_, c) => b2[c] + h.reduce((a, v, j) => a + W2[c * hid + j] * v, 0));
    const mx = Math.max(...z2);
    const e = z2.map((v) => Math.exp(v - mx));
    const sum = e.reduce((a, v) => a + v, 0);
    const d2 = e.map((v, c) => (v / sum - (c === y[rows[s]] ? 1 : 0)) / B);
    for (let c = 0; c < out; c++) for (let j = 0; j < hid; j++) g2[c * hid + j] += d2[c] * h[j];
    for (let j = 0; j < hid; j++) {
      if (z1[j] <= 0) continue;
      let dh = 0;
      for (let c = 0; c < out; c++) dh += d2[c] * W2[c * hid + j];
      for (let k = 0; k < nin; k++) g1[j * nin + k] += dh * xi[k];
    }
  }
  return [g1, g2];
}

describe('gradient and saliency scores against a plain-JS back-propagation', () => {
  const data = gaussianBlobs({ samples: 60, features: 4, classes: 3, seed: 4 });
  const build = () => {
    const m = mlp([4, 5, 3], { seed: 6 });
    const r = new Random(12);
    for (const p of m.parameters()) p.value.data.forEach((_, i, a) => (a[i] = r.normal() * 0.7));
    return m;
  };
  const batchRows = (seed: number, size: number, count: number) => {
    const order = new Random(seed).permutation(60);
    return Array.from({ length: count }, (_, b) => order.subarray(b * size, (b + 1) * size));
  };

  /** Reference mask keeping all but the k lowest scores, after checking the k-th and (k+1)-th are well apart. */
  function referenceMask(scores: Float64Array, k: number): number[] {
    const sorted = Array.from(scores).sort((a, b) => a - b);
    expect(sorted[k] - sorted[k - 1]).toBeGreaterThan(1e-5 * (1 + sorted[k])); // precondition: no near-tie at the cut
    return Array.from(referenceMasks([Float32Array.from(scores)], k).masks[0]);
  }

  it('the oracle agrees with the library gradient on one batch', () => {
    const m = build();
    const rows = batchRows(7, 16, 1)[0];
    const xs = new Tensor(Float32Array.from(Array.from(rows).flatMap((r) => Array.from(data.x.data.subarray(r * 4, r * 4 + 4)))), [16, 4]);
    m.lossAndGradients(xs, Int32Array.from(rows, (r) => data.y[r]));
    const [g1, g2] = jsGradients(m, data.x.data, data.y, rows);
    const [w1, w2] = weightsOf(m);
    w1.grad.data.forEach((g, i) => expect(g).toBeCloseTo(g1[i], 5));
    w2.grad.data.forEach((g, i) => expect(g).toBeCloseTo(g2[i], 5));
  });

  /** Mean over the collected batches of f(g) per weight of each layer, from the plain-JS gradients. */
  function meanOver(m: Sequential, f: (g: number) => number, size: number, count: number): Float64Array[] {
    const sums = [new Float64Array(20), new Float64Array(15)];
    for (const rows of batchRows(7, size, count)) jsGradients(m, data.x.data, data.y, rows).forEach((g, l) => g.forEach((v, i) => (sums[l][i] += f(v) / count)));
    return sums;
  }

  /** Cuts k where the k-th and (k+1)-th smallest scores are well apart (no float32/float64 near-tie). */
  function clearCuts(scores: Float64Array): number[] {
    const sorted = Array.from(scores).sort((a, b) => a - b);
    return sorted.map((_, k) => k).filter((k) => k > 0 && sorted[k] - sorted[k - 1] > 1e-5 * (1 + sorted[k]));
  }

  /** Prunes a fresh model to every clear cut of every layer and compares with the reference ranking. */
  function expectRanking(make: () => PruningMethod, scores: (m: Sequential) => Float64Array[], size: number, count: number): void {
    const ref = scores(build());
    ref.forEach((layerScores, l) => {
      const cuts = clearCuts(layerScores);
      expect(cuts.length).toBeGreaterThan(layerScores.length / 2);
      for (const k of cuts) {
        const m = build();
        const method = make();
        collectGradients(m, data, method, { batchCount: count, batchSize: size, seed: 7 });
        prune(m, method, k, { layers: [l === 0 ? 'fc1' : 'fc2'] });
        expect({ k, mask: maskOf(weightsOf(m)[l]) }).toEqual({ k, mask: Array.from(referenceMasks([Float32Array.from(layerScores)], k).masks[0]) });
      }
    });
  }

  it('gradientPruning after collectGradients ranks weights by mean |g| (every clear cut of both layers)', () => {
    expectRanking(() => gradientPruning(), (m) => meanOver(m, Math.abs, 8, 5), 8, 5);
  });

  it('gradientPruning prunes per layer and leaves the survivors untouched', () => {
    const m = build();
    const method = gradientPruning();
    collectGradients(m, data, method, { batchCount: 3, batchSize: 16, seed: 7 });
    const means = meanOver(m, Math.abs, 16, 3);
    const expected = [referenceMask(means[0], 8), referenceMask(means[1], 6)];
    const before = weightsOf(m).map((w) => w.value.data.slice());
    prune(m, method, 0.4);
    weightsOf(m).forEach((w, l) => {
      expect(maskOf(w)).toEqual(expected[l]);
      // the score is |g| alone: surviving weights are untouched, whatever their size
      w.value.data.forEach((v, i) => expect(v).toBe(expected[l][i] ? before[l][i] : 0));
    });
  });

  it('saliency == |w · mean g| with the signed mean over the observed batches (every clear cut)', () => {
    const saliencyScores = (m: Sequential) => {
      const means = meanOver(m, (g) => g, 8, 5);
      return weightsOf(m).map((w, l) => Float64Array.from(means[l], (g, i) => Math.abs(g * w.value.data[i])));
    };
    // the signed mean matters here: ranking by |w|·mean|g| would differ
    const probe = build();
    const absMeans = meanOver(probe, Math.abs, 8, 5);
    const alt = weightsOf(probe).map((w, l) => Float64Array.from(absMeans[l], (g, i) => Math.abs(g * w.value.data[i])));
    const order = (x: Float64Array) => Array.from(x.keys()).sort((a, b) => x[a] - x[b]);
    expect(saliencyScores(probe).map(order)).not.toEqual(alt.map(order));
    expectRanking(() => saliency(), saliencyScores, 8, 5);
  });

  it('with nothing collected, the current gradient is the score', () => {
    const m = build();
    const rows = batchRows(3, 20, 1)[0];
    const xs = new Tensor(Float32Array.from(Array.from(rows).flatMap((r) => Array.from(data.x.data.subarray(r * 4, r * 4 + 4)))), [20, 4]);
    m.lossAndGradients(xs, Int32Array.from(rows, (r) => data.y[r]));
    const [g1] = jsGradients(m, data.x.data, data.y, rows);
    const expected = referenceMask(Float64Array.from(g1, Math.abs), 10);
    prune(m, gradientPruning(), 10, { layers: ['fc1'] });
    expect(maskOf(weightsOf(m)[0])).toEqual(expected);
  });

  it('gradient pruning is monotone across rounds of collection', () => {
    const m = build();
    const method = gradientPruning();
    collectGradients(m, data, method, { batchCount: 2, batchSize: 20, seed: 1 });
    prune(m, method, 0.3);
    const first = weightsOf(m).map(maskOf);
    collectGradients(m, data, method, { batchCount: 2, batchSize: 20, seed: 2 });
    prune(m, method, 0.6);
    weightsOf(m).forEach((w, l) => {
      expect(prunedOf(w)).toBe(roundHalfEven(0.6 * w.size));
      first[l].forEach((v, i) => (v === 0 ? expect(w.mask![i]).toBe(0) : undefined));
    });
  });
});

describe('masks hold while training', () => {
  const data = gaussianBlobs({ samples: 240, features: 8, classes: 4, seed: 8 });

  it.each([
    ['SGD with momentum', (m: Sequential) => new SGD(m.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 })],
    ['Adam', (m: Sequential) => new Adam(m.parameters(), { lr: 0.01 })],
  ])('%s keeps pruned weights exactly 0 and the sparse kernel on above 0.8', (_name, optimizer) => {
    const model = mlp([8, 16, 4], { seed: 1 });
    train(model, data, { optimizer: optimizer(model), epochs: 2, batchSize: 40 });
    prune(model, magnitude(), 0.85);
    const masks = weightsOf(model).map(maskOf);
    const kept = weightsOf(model).map((w) => w.value.data.slice());
    expect(weightsOf(model).map(prunedOf)).toEqual([109, 54]); // round(108.8), round(54.4)
    const [fc1, , fc2] = model.layers as [Dense, unknown, Dense];
    expect(fc1.usesSparseKernel).toBe(true);
    expect(fc2.usesSparseKernel).toBe(true);
    train(model, data, { optimizer: optimizer(model), epochs: 3, batchSize: 40 });
    weightsOf(model).forEach((w, l) => {
      expect(maskOf(w)).toEqual(masks[l]);
      let moved = 0;
      w.value.data.forEach((v, i) => {
        if (!masks[l][i]) expect(v === 0).toBe(true);
        else if (v !== kept[l][i]) moved++;
      });
      expect(moved).toBeGreaterThan(0); // the survivors did train
    });
    expect(fc1.usesSparseKernel).toBe(true);
  });

  it('the dense kernel runs below the crossover: 50% for this 128-weight layer on AVX-512 (64 of 128), else 80% (103 of 128)', () => {
    const model = mlp([8, 16, 4], { seed: 1 });
    const fc1 = model.layers[0] as Dense;
    const boundary = info().simd === 'avx512' ? 64 : 103;
    prune(model, magnitude(), 0.4, { layers: ['fc1'] });
    expect(fc1.usesSparseKernel).toBe(false);
    prune(model, magnitude(), boundary - 1, { layers: ['fc1'] });
    expect(prunedOf(fc1.weight)).toBe(boundary - 1);
    expect(fc1.usesSparseKernel).toBe(false);
    prune(model, magnitude(), boundary, { layers: ['fc1'] });
    expect(fc1.usesSparseKernel).toBe(true);
  });
});

describe('bad configurations raise typed errors naming the option', () => {
  const model = () => mlp([4, 6, 3], { seed: 1 });
  const cases: [string, () => unknown, new (m: string) => Error, string[]][] = [
    ['sparsity 1.5', () => prune(model(), magnitude(), 1.5), ArgumentRangeError, ['amount', '1.5']],
    ['sparsity -0.1', () => prune(model(), magnitude(), -0.1), ArgumentRangeError, ['amount', '-0.1']],
    ['sparsity 1.0001', () => prune(model(), magnitude(), 1.0001), ArgumentRangeError, ['amount']],
    ['a count above the layer size', () => prune(model(), magnitude(), 19), ArgumentRangeError, ['at most 18']],
    ['a string amount', () => prune(model(), magnitude(), '0.5' as unknown as number), ArgumentTypeError, ['amount']],
    ['unknown layer in layers', () => prune(model(), magnitude(), 0.5, { layers: ['fc9'] }), ArgumentRangeError, ['options.layers', "'fc9'"]],
    ['unknown layer in exclude', () => prune(model(), magnitude(), 0.5, { exclude: ['conv1'] }), ArgumentRangeError, ['options.exclude', "'conv1'"]],
    ['unknown layer in overrides', () => prune(model(), magnitude(), 0.5, { overrides: { fc7: 0.1 } }), ArgumentRangeError, ['options.overrides', "'fc7'"]],
    ['an override outside [0, 1)', () => prune(model(), magnitude(), 0.5, { overrides: { fc1: 1.5 } }), ArgumentRangeError, ['options.overrides.fc1']],
    ['layers and exclude leaving nothing', () => prune(model(), magnitude(), 0.5, { layers: ['fc1'], exclude: ['fc1'] }), ArgumentRangeError, ['no weights']],
    ['a bias named as a layer', () => prune(model(), magnitude(), 0.5, { layers: ['fc1.bias'] }), ArgumentRangeError, ["'fc1.bias'"]],
    ['unknown structured dim', () => lnStructured({ dim: 'rows' as never }), ArgumentRangeError, ['options.dim', 'rows']],
    ['structured n below 1', () => lnStructured({ n: 0.5 }), ArgumentRangeError, ['options.n']],
    ['block rows 0', () => block({ rows: 0, cols: 2 }), ArgumentRangeError, ['options.rows']],
    ['probabilistic power -1', () => probabilisticMagnitude({ power: -1 }), ArgumentRangeError, ['options.power']],
    ['not a model', () => prune({} as never, magnitude(), 0.5), ArgumentTypeError, ['model']],
    ['not a pruning method', () => prune(model(), {} as never, 0.5), ArgumentTypeError, ['Expected a function for method.prune but received undefined']],
    ['a null method', () => prune(model(), null as never, 0.5), ArgumentTypeError, ['Expected a pruning method (an object with a prune function) for method but received null']],
    ['null options', () => prune(model(), magnitude(), 0.5, null as never), ArgumentTypeError, ['Expected an options object for options but received null']],
    ['unknown scope', () => prune(model(), magnitude(), 0.5, { scope: 'globl' as never }), ArgumentRangeError, ["Expected 'layer' or 'global' for options.scope but received 'globl'"]],
    ['a bigint scope', () => prune(model(), magnitude(), 0.5, { scope: 1n as never }), ArgumentRangeError, ["Expected 'layer' or 'global' for options.scope but received a bigint"]],
    ['method.prune on a non-array', () => magnitude().prune(5 as never, 0.5), ArgumentTypeError, ['Expected an array of targets (from selectTargets) for targets but received the number 5']],
    ['method.prune on a bad target', () => magnitude().prune([{}] as never, 0.5), ArgumentTypeError, ['Expected a target ({ layer, param: Parameter }) for targets[0] but received an object']],
    ['nm prune on a non-array', () => nm({ n: 2, m: 4 }).prune(null as never, 0), ArgumentTypeError, ['Expected an array of targets (from selectTargets) for targets but received null']],
    ['scoreMethod(null)', () => scoreMethod(null as never), ArgumentTypeError, ['Expected a scorer (an object with a scores function) for scorer but received null']],
    ['a scorer without scores', () => scoreMethod({ name: 'x' } as never), ArgumentTypeError, ['Expected a function for scorer.scores but received undefined']],
    ['sparsityOf(null)', () => sparsityOf(null as never), ArgumentTypeError, ['Expected an array of targets (from selectTargets) for targets but received null']],
    ['layerNameOf(a string)', () => layerNameOf('fc1.weight' as never), ArgumentTypeError, ['Expected a Parameter for p but received a string']],
    ['randomPruning(null)', () => randomPruning(null as never), ArgumentTypeError, ['Expected an options object for options but received null']],
    ['probabilisticMagnitude(null)', () => probabilisticMagnitude(null as never), ArgumentTypeError, ['Expected an options object for options but received null']],
    ['selectTargets null options', () => selectTargets(model(), null as never), ArgumentTypeError, ['Expected an options object for options but received null']],
    ['collectGradients null options', () => collectGradients(model(), gaussianBlobs({ samples: 8, features: 4, classes: 3, seed: 1 }), saliency(), null as never), ArgumentTypeError, ['Expected an options object for options but received null']],
    ['collectGradients without a method', () => collectGradients(model(), gaussianBlobs({ samples: 8, features: 4, classes: 3, seed: 1 }), undefined as never), ArgumentTypeError, ['Expected a pruning method (an object with a prune function) for method but received undefined']],
  ];
  for (const [name, call, type, parts] of cases) {
    it(name, () => {
      expect(call).toThrow(type);
      for (const part of parts) expect(call).toThrow(part);
    });
  }

  it('gradient methods with no gradients raise PrunekitError naming the parameter', () => {
    for (const method of [gradientPruning(), saliency()]) {
      const call = () => prune(model(), method, 0.5);
      expect(call).toThrow(PrunekitError);
      expect(call).toThrow('fc1.weight');
    }
  });

  it.each([
    ['magnitude', () => magnitude()],
    ['probabilistic', () => probabilisticMagnitude()],
    ['l2 neurons', () => lnStructured()],
    ['block', () => block({ rows: 1, cols: 2 })],
    // their scores never read the weights: they kept a NaN weight
    ['random', () => randomPruning({ seed: 1 })],
    ['gradient', () => gradientPruning()],
  ])('NaN weights raise NonFiniteError naming the parameter (%s)', (_n, make) => {
    const m = model();
    (m.layers[2] as Dense).weight.value.data[3] = NaN;
    const method = make();
    const call = () => prune(m, method, 0.5);
    expect(call).toThrow(NonFiniteError);
    expect(call).toThrow('Expected finite values for fc2.weight but received NaN at index 3');
    expect((m.layers[2] as Dense).weight.mask).toBeNull(); // nothing pruned
  });

  it('NaN weights are reported even when the layer already has a mask', () => {
    const m = model();
    prune(m, magnitude(), 0.3);
    const w = (m.layers[0] as Dense).weight;
    const live = w.mask!.indexOf(1);
    w.value.data[live] = NaN;
    const call = () => prune(m, magnitude(), 0.5);
    expect(call).toThrow(NonFiniteError);
    expect(call).toThrow('fc1.weight');
  });

  it('a global step over a NaN names the right parameter', () => {
    const m = model();
    (m.layers[2] as Dense).weight.value.data[0] = NaN;
    expect(() => prune(m, magnitude(), 0.5, { scope: 'global' })).toThrow(/fc2\.weight.*NaN|NaN.*fc2\.weight/);
  });
});

describe('the exact-count tie rule holds for a large random model (sanity against the helper oracle)', () => {
  it('global magnitude over three layers', () => {
    const next = rng(31);
    const m = mlp([32, 64, 32, 10], { seed: 2 });
    // values from a small set: many ties across layers
    for (const w of weightsOf(m)) w.value.data.forEach((_, i, a) => (a[i] = Math.round((next() * 2 - 1) * 8) / 8));
    const values = weightsOf(m).map((w) => w.value.data.slice());
    const total = values.reduce((s, v) => s + v.length, 0);
    prune(m, magnitude(), 0.7, { scope: 'global' });
    const expected = referenceMasks(values, roundHalfEven(0.7 * total)).masks;
    weightsOf(m).forEach((w, i) => expect(Buffer.from(w.mask!).equals(Buffer.from(expected[i]))).toBe(true));
  });
});
