/** Weight sharing, centroid fine-tuning, the model file, loading, accounting, and the reader under fuzzing. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  Activation, ArgumentRangeError, ArgumentTypeError, Conv2D, CorruptModelError, DataError, Dense, Flatten, InferencePlan, MaxPool2D, SGD, Sequential, Tensor,
  NonFiniteError, compressionReport, decodeModel, encodeModel, fineTuneCentroids, gaussianBlobs, loadModel, loadModelAsync, magnitude, mlp,
  prune, saveModel, shareWeights, train,
} from '../lib';
import { inferenceChunk } from '../lib/nn/sizes';
import { crc32, crc32Fallback } from '../lib/compress/crc32';
import { lossOf, randomTensor, rng } from './helpers';

function trainedMlp(): Sequential {
  const data = gaussianBlobs({ samples: 400, features: 20, classes: 4, seed: 3 });
  const model = mlp([20, 16, 12, 4], { seed: 2 });
  train(model, data, { optimizer: new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }), epochs: 3, batchSize: 32 });
  return model;
}

function smallConvNet(): Sequential {
  return new Sequential([
    new Conv2D([1, 8, 8], 3, 3, { padding: 1, name: 'conv1', seed: 1 }), new Activation('relu'),
    new MaxPool2D([3, 8, 8], 2, 2), new Flatten(),
    new Dense(48, 10, { name: 'fc1', seed: 2 }), new Activation('tanh'), new Dense(10, 4, { name: 'fc2', seed: 3 }),
  ]);
}

function compressed(model: Sequential, sparsity: number, bits: number, scope: 'global' | 'layer' = 'global'): Sequential {
  prune(model, magnitude(), sparsity, { scope });
  shareWeights(model, { bits });
  return model;
}

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe('weight sharing', () => {
  it('leaves at most 2^bits values per layer, keeps masks, and keeps pruned weights at exactly zero', () => {
    const model = trainedMlp();
    prune(model, magnitude(), 0.6, { scope: 'global' });
    const masks = model.parameters().map((p) => (p.mask ? p.mask.slice() : null));
    const shared = shareWeights(model, { bits: { fc1: 2, default: 3 } });
    for (const t of shared.tensors) {
      const live = new Set<number>();
      t.param.value.data.forEach((v, i) => (t.param.mask![i] ? live.add(v) : expect(v).toBe(0)));
      expect(live.size).toBeLessThanOrEqual(2 ** (t.layer === 'fc1' ? 2 : 3));
      expect([...live].every((v) => t.codebook.value.data.includes(v))).toBe(true);
    }
    model.parameters().forEach((p, i) => expect(p.mask).toEqual(masks[i]));
    expect(() => shareWeights(model, { bits: { fc9: 2 } })).toThrow(/unknown layer 'fc9'/);
    expect(() => shareWeights(model, { bits: 13 })).toThrow(/bits/);
  });

  it('sums each weight gradient into its centroid (paper §3.3), as a plain loop does', () => {
    const model = compressed(trainedMlp(), 0.5, 3);
    const shared = shareWeights(model, { bits: 3 });
    const next = rng(8);
    for (const t of shared.tensors) t.param.grad.data.forEach((_, i, g) => (g[i] = next() - 0.5));
    shared.accumulateGradients();
    for (const t of shared.tensors) {
      const expected = new Float64Array(t.codebook.size);
      t.assignment.forEach((c, i) => c >= 0 && (expected[c] += t.param.grad.data[i]));
      t.codebook.grad.data.forEach((g, c) => expect(g).toBeCloseTo(expected[c], 5));
    }
  });

  it('centroid fine-tuning lowers the loss on a fixed batch and keeps weights on their codebooks', () => {
    const data = gaussianBlobs({ samples: 128, features: 20, classes: 4, seed: 5 });
    const model = trainedMlp();
    prune(model, magnitude(), 0.5, { scope: 'global' });
    const shared = shareWeights(model, { bits: 1 }); // two values per layer: a large quantization error to recover
    const before = lossOf(model, data.x, data.y);
    fineTuneCentroids(model, shared, data, { epochs: 20, lr: 0.01, batchSize: 128 });
    expect(lossOf(model, data.x, data.y)).toBeLessThan(before * 0.9);
    for (const t of shared.tensors) {
      t.param.value.data.forEach((v, i) => expect(v).toBe(t.assignment[i] < 0 ? 0 : t.codebook.value.data[t.assignment[i]]));
    }
  });
});

describe('the model file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'prunekit-model-'));

  it('round-trips an MLP and a convolutional network: identical values, masks and predictions', async () => {
    for (const [model, input] of [
      [compressed(trainedMlp(), 0.85, 4), randomTensor([33, 20], rng(1))],
      [compressed(smallConvNet(), 0.7, 5), randomTensor([9, 1, 8, 8], rng(2))],
    ] as const) {
      const file = path.join(dir, 'm.prk');
      const written = saveModel(model, file, { metadata: { dataset: 'test', accuracy: { baseline: 0.9 } } });
      const loaded = loadModel(file);
      expect(loaded.fileBytes).toBe(written.bytes.length);
      expect(loaded.metadata).toEqual({ dataset: 'test', accuracy: { baseline: 0.9 } });
      model.parameters().forEach((p, i) => {
        const q = loaded.model.parameters()[i];
        expect(q.name).toBe(p.name);
        expect(same(q.value.data, p.value.data)).toBe(true);
        expect(q.mask).toEqual(p.mask);
      });
      const expected = model.logits(input);
      expect(same(loaded.logits(input).data, expected.data)).toBe(true);
      expect(same((await loaded.logitsAsync(input)).data, expected.data)).toBe(true);
      expect(Array.from(loaded.predict(input))).toEqual(Array.from(model.predict(input)));
      expect(Array.from(await loaded.predictAsync(input.data))).toEqual(Array.from(model.predict(input)));
      expect(same(loadModel(readFileSync(file)).logits(input).data, expected.data)).toBe(true);
      expect(same((await loadModelAsync(file)).logits(input).data, expected.data)).toBe(true);
    }
    expect(readdirSync(dir)).toEqual(['m.prk']); // the atomic write left no temporary file
  });

  it('a served model holds only its plan until its network is asked for, then decodes it from its own copy of the bytes', () => {
    // pruned layer by layer, so every layer is sparse enough for the sparse kernel whatever the training's rounding
    const original = compressed(trainedMlp(), 0.85, 4, 'layer');
    const bytes = Buffer.from(encodeModel(original).bytes);
    const loaded = loadModel(bytes);
    bytes.fill(0); // the caller reuses its buffer
    const input = randomTensor([3, 20], rng(4));
    const served = loaded.logits(input);
    const data = gaussianBlobs({ samples: 50, features: 20, classes: 4, seed: 5 });
    const evaluation = loaded.evaluate(data, 16);
    const internals = (o: object) => o as unknown as { decoded: object | null; compiled: object; gradValue: Tensor | null; sparse: object | null };
    expect(internals(loaded).decoded).toBeNull();
    const plan = internals(loaded).compiled;
    // Asked for, the network is the file's, the plan is not compiled again, and the served figures are the layers' own.
    original.parameters().forEach((p, i) => expect(same(loaded.model.parameters()[i].value.data, p.value.data)).toBe(true));
    expect(loaded.model).toBe(loaded.model);
    expect(same(loaded.logits(input).data, served.data)).toBe(true);
    expect(internals(loaded).compiled).toBe(plan);
    // Its parameters hold no gradients, nor its Dense layers CSR copies, until training or a layer-by-layer pass asks.
    const params = loaded.model.parameters();
    expect(params.map((p) => internals(p).gradValue)).toEqual(params.map(() => null));
    const dense = loaded.model.layers.filter((l): l is Dense => l instanceof Dense);
    expect(dense.every((l) => l.usesSparseKernel && internals(l).sparse === null)).toBe(true);
    expect(Array.from(params[0].grad.data)).toEqual(new Array(params[0].size).fill(0));
    expect(params[0].grad).toBe(params[0].grad);
    expect(params[0].grad.shape).toEqual(params[0].shape);
    expect(same(loaded.model.logits(input).data, served.data)).toBe(true);
    expect(dense.every((l) => internals(l).sparse !== null)).toBe(true);
    expect(loaded.model.evaluate(data, 16)).toEqual(evaluation);
  });

  it('stores weights that were pruned but not quantized as sparse float32, exactly', () => {
    const model = trainedMlp();
    prune(model, magnitude(), 0.5, { scope: 'global' });
    const enc = encodeModel(model);
    expect(enc.header.tensors.filter((t) => t.name.endsWith('.weight')).map((t) => t.encoding)).toEqual(['sparse-float32', 'sparse-float32', 'sparse-float32']);
    const back = decodeModel(enc.bytes).model;
    model.parameters().forEach((p, i) => expect(same(back.parameters()[i].value.data, p.value.data)).toBe(true));
  });

  it('keeps live -0 and +0 apart in a codebook; unstored zeros read back as +0', () => {
    const m = new Sequential([new Dense(4, 2, { name: 'fc', seed: 1 })]);
    const w = m.layers[0].parameters()[0];
    w.value.data.set([-0, 0, 0.5, -0.5, 0.5, 0, -0, 0.25]);
    w.setMask(Uint8Array.of(1, 1, 1, 1, 1, 0, 1, 1));
    // Seven live values are stored as float32; the wide layer's 439 pay for a codebook.
    const wide = new Sequential([new Dense(64, 8, { name: 'wide', seed: 1 })]);
    const v = wide.layers[0].parameters()[0];
    v.value.data.forEach((_, i) => (v.value.data[i] = [-0, 0, 0.5, -0.25][i % 4]));
    v.setMask(Uint8Array.from(v.value.data, (_, i) => (i % 7 === 6 ? 0 : 1)));
    for (const model of [m, wide]) {
      const enc = encodeModel(model);
      const back = decodeModel(enc.bytes).model.parameters()[0].value.data;
      const p = model.parameters()[0];
      back.forEach((x, i) => expect(Object.is(x, p.mask![i] ? p.value.data[i] : 0)).toBe(true));
    }
    expect(encodeModel(wide).header.tensors[0]).toMatchObject({ encoding: 'shared-sparse', codebookSize: 4 });
    const unmasked = new Sequential([new Dense(2, 1, { name: 'u', seed: 1 })]);
    unmasked.parameters()[0].value.data.set([-0, 1]);
    expect(Object.is(decodeModel(encodeModel(unmasked).bytes).model.parameters()[0].value.data[0], 0)).toBe(true);
  });

  it('refuses to write a NaN or infinite stored value, which no reader would load', () => {
    for (const [role, at, value] of [['weight', 1, Infinity], ['weight', 3, NaN], ['bias', 0, -Infinity]] as const) {
      const m = new Sequential([new Dense(4, 2, { name: 'fc', seed: 1 })]);
      m.parameters().find((p) => p.role === role)!.value.data[at] = value;
      expect(() => encodeModel(m)).toThrow(NonFiniteError);
      expect(() => encodeModel(m)).toThrow(`cannot encode fc.${role}: it stores ${value} at entry ${at}; a model file holds finite values only`);
    }
    const pruned = new Sequential([new Dense(4, 2, { name: 'fc', seed: 1 })]);
    pruned.parameters()[0].value.data[5] = NaN;
    pruned.parameters()[0].setMask(Uint8Array.from({ length: 8 }, (_, i) => (i === 5 ? 0 : 1)));
    expect(() => encodeModel(pruned)).not.toThrow();
  });

  it('runs the compiled plan bit-identically to the layers, pruned layers through the sparse kernel', () => {
    const model = compressed(mlp([64, 48, 10], { seed: 4 }), 0.9, 5);
    const fc1 = model.layers[0] as Dense;
    expect(fc1.usesSparseKernel).toBe(true);
    const x = randomTensor([5, 64], rng(3));
    expect(same(InferencePlan.compile(model).logits(x).data, model.logits(x).data)).toBe(true);
    expect(() => InferencePlan.compile(model).logits(new Tensor(new Float32Array(63), [1, 63]))).toThrow(/64 values per sample/);
  });

  it('runs a batch larger than its scratch in chunks, with the layers\' results', () => {
    // 256 x 64 x 64 = 2^20 values per sample: 16 MB of scratch holds 4 samples, so 10 run as 4 + 4 + 2.
    const model = new Sequential([
      new Conv2D([1, 64, 64], 256, 3, { padding: 1, seed: 1 }), new MaxPool2D([256, 64, 64]), new Flatten(), new Dense(256 * 32 * 32, 10, { seed: 2 }),
    ]);
    const x = randomTensor([10, 64 * 64], rng(5));
    const plan = InferencePlan.compile(model);
    const chunked = plan.logits(x).data;
    // The layers split the batch alike, so the two agree bit for bit.
    expect(same(chunked, model.logits(x).data)).toBe(true);
    // Each chunk's samples come out where they belong: the last two alone give the last two rows.
    const lastTwo = new Tensor(x.data.slice(8 * 4096), [2, 4096]);
    expect(same(plan.logits(lastTwo).data, chunked.subarray(80))).toBe(true);
    expect(same(model.logits(lastTwo).data, chunked.subarray(80))).toBe(true);
    expect(inferenceChunk(model.layers, 4096)).toBe(4);
    expect(inferenceChunk(mlp([784, 300, 100, 10]).layers, 784)).toBe(5349);
    // A batch of the wrong width is refused with its own shape, not a chunk's.
    expect(() => model.logits(Tensor.zeros([10, 4097]))).toThrow('shape [10, 4097]');
  });

  it('splits a pruned MLP\'s batch into chunks as the layers do, each by the path its own size picks', () => {
    // A 65,536-wide hidden layer: 64 samples per chunk. Pruned to 97%, every layer runs sparse, through the
    // transposed tiles above 16 samples and the small-batch kernels below: 65 = 64 + 1, 80 = 64 + 16, 81 = 64 + 17.
    const model = mlp([16, 65536, 10], { seed: 3 });
    prune(model, magnitude(), 0.97, { scope: 'layer' });
    expect(inferenceChunk(model.layers, 16)).toBe(64);
    const plan = InferencePlan.compile(model);
    for (const batch of [64, 65, 80, 81, 129]) {
      const x = randomTensor([batch, 16], rng(batch));
      expect(same(plan.logits(x).data, model.logits(x).data)).toBe(true);
    }
  });

  it('runs from codebook indices (up to 32 entries in registers, up to 256 gathered) with the float plan\'s outputs, bit for bit', () => {
    // 5 and 8 bits as shareWeights gives them, then full codebooks at the register (32/33) and byte (256) limits
    for (const entries of [5, 8, 32, 33, 256]) {
      const model = mlp([128, 64, 40, 10], { seed: 4 });
      prune(model, magnitude(), 0.9, { scope: 'layer' }); // every layer sparse enough that the float plan runs it sparse too
      if (entries <= 8) {
        shareWeights(model, { bits: entries });
      } else {
        for (const l of model.layers) {
          if (!(l instanceof Dense)) continue;
          let k = 0;
          l.weight.value.data.forEach((_, i, w) => { if (l.weight.mask![i]) w[i] = ((k++ % entries) - entries / 2 + 0.5) / entries; });
          l.weight.touch();
        }
        const fc1 = (model.layers[0] as Dense).weight;
        expect(new Set(fc1.value.data.filter((_, i) => fc1.mask![i])).size).toBe(entries);
      }
      const floats = InferencePlan.compile(model);
      const codes = InferencePlan.compile(model, { weights: 'codebook' });
      const loaded = loadModel(encodeModel(model).bytes, { weights: 'codebook' });
      // one byte per stored weight instead of four (in the CSR, and in the blocked-ELL layout where the CPU gets one),
      // less a float per codebook entry
      const dense = model.layers.filter((l): l is Dense => l instanceof Dense);
      const stored = dense.reduce((n, l) => n + l.weight.mask!.reduce((a, b) => a + b, 0), 0);
      const codebookEntries = dense.reduce((n, l) => n + new Set(l.weight.value.data.filter((_, i) => l.weight.mask![i])).size, 0);
      expect(floats.residentBytes - codes.residentBytes).toBeGreaterThanOrEqual(3 * stored - 4 * codebookEntries);
      expect(codes.residentBytes).toBeLessThan(floats.residentBytes);
      const next = rng(entries);
      for (const batch of [1, 2, 3, 16, 17, 40, 257]) {
        const x = randomTensor([batch, 128], next);
        const expected = floats.logits(x).data;
        expect(same(codes.logits(x).data, expected)).toBe(true);
        expect(same(loaded.logits(x).data, expected)).toBe(true);
      }
    }
  });

  it('runs codebook indices through the row kernel where no blocked-ELL layout is built (over 65,536 inputs)', () => {
    const layer = new Dense(70000, 3, { seed: 1 });
    const w = layer.weight.value.data, mask = new Uint8Array(w.length);
    const next = rng(31);
    w.fill(0);
    for (let i = 0; i < 300; i++) {
      const at = Math.floor(next() * w.length);
      mask[at] = 1;
      w[at] = [-0.5, -0.25, 0.125, 0.375, 0.75][i % 5];
    }
    layer.weight.setMask(mask);
    const model = new Sequential([layer, new Activation('relu')]);
    const floats = InferencePlan.compile(model), codes = InferencePlan.compile(model, { weights: 'codebook' });
    for (const batch of [1, 2, 5, 40]) {
      const x = randomTensor([batch, 70000], next);
      expect(same(codes.logits(x).data, floats.logits(x).data)).toBe(true);
    }
  });

  it('refuses codebook execution for layers with more than 256 distinct weights, and unknown weight options, naming them', () => {
    const model = mlp([64, 48, 10], { seed: 4 });
    prune(model, magnitude(), 0.5, { scope: 'global' });
    expect(() => InferencePlan.compile(model, { weights: 'codebook' })).toThrow(ArgumentRangeError);
    expect(() => InferencePlan.compile(model, { weights: 'codebook' })).toThrow("layer 'fc1' has more than 256 distinct weight values; codebook execution needs a weight-shared layer (shareWeights, at most 8 bits)");
    expect(() => loadModel(encodeModel(model).bytes, null as never)).toThrow('Expected an options object for options but received null');
    expect(() => loadModel(encodeModel(model).bytes, { weights: 'codebook' })).toThrow(/layer 'fc1' has more than 256/);
    expect(() => InferencePlan.compile(model, { weights: 'int8' as never })).toThrow("Expected 'float' or 'codebook' for options.weights but received 'int8'");
  });

  it('recompiles its plan when the decoded network changes (e.g. further fine-tuning)', () => {
    const loaded = loadModel(encodeModel(compressed(trainedMlp(), 0.8, 3)).bytes);
    const x = randomTensor([3, 20], rng(9));
    const before = loaded.logits(x).data;
    const bias = loaded.model.parameters().find((p) => p.name === 'fc3.bias')!;
    bias.value.data[0] += 1;
    bias.touch();
    const after = loaded.logits(x).data;
    expect(same(after, loaded.model.logits(x).data)).toBe(true);
    expect(after[0]).toBeCloseTo(before[0] + 1, 5);
  });

  it('accounts bytes per layer and stage; the file ratio uses the whole file', () => {
    const model = compressed(trainedMlp(), 0.8, 4);
    const enc = encodeModel(model, { indexBits: 4 });
    const r = compressionReport(enc.layout, enc.bytes.length, enc.headerBytes);
    expect(r.total.dense).toBe(model.parameters().reduce((s, p) => s + p.size * 4, 0));
    expect(r.ratio.file).toBeCloseTo(r.total.dense / enc.bytes.length, 12);
    const fc1 = r.layers.find((l) => l.layer === 'fc1')!;
    const t = enc.header.tensors.find((x) => x.name === 'fc1.weight')!;
    expect(fc1.kept).toBeCloseTo(t.nonzero! / 320, 12);
    expect(fc1.bytes.pruned).toBe(t.nonzero! * 4 + Math.ceil((t.entries! * 4) / 8) + 16 * 4);
    expect(fc1.bytes.quantized).toBe(Math.ceil((t.nonzero! * t.weightBits!) / 8) + t.codebookSize! * 4 + Math.ceil((t.entries! * 4) / 8) + 16 * 4);
    expect(fc1.weightBitsHuffman).toBeLessThanOrEqual(4 + 1e-9);
    expect(r.total.huffman).toBe(enc.layout.reduce((s, t) => s + Object.values(t.sections).reduce((a, b) => a + b, 0), 0));
    expect(r.total.quantized).toBeLessThan(r.total.pruned);
    expect(r.total.pruned).toBeLessThan(r.total.dense);
  });

  it('refuses bad magic, unknown versions, a corrupt header, a missing file and a huge claimed model', () => {
    const bytes = encodeModel(compressed(trainedMlp(), 0.8, 3)).bytes;
    const mutate = (f: (b: Buffer) => void) => {
      const b = Buffer.from(bytes);
      f(b);
      return b;
    };
    expect(() => loadModel(mutate((b) => (b[1] = 0x51)))).toThrow(/magic/);
    expect(() => loadModel(mutate((b) => b.writeUInt32LE(2, 8)))).toThrow(/version 2 is not supported/);
    expect(() => loadModel(mutate((b) => (b[30] ^= 1)))).toThrow(/header CRC/);
    expect(() => loadModel(bytes.subarray(0, 10))).toThrow(CorruptModelError);
    expect(() => loadModel(bytes.subarray(0, bytes.length - 1))).toThrow(CorruptModelError);
    expect(() => loadModel(path.join(dir, 'missing.prk'))).toThrow(DataError);
    // a valid header claiming a 10^9-weight layer: refused before anything that size is allocated
    const headerLength = bytes.readUInt32LE(12);
    const header = JSON.parse(bytes.subarray(20, 20 + headerLength).toString());
    header.architecture[0].in = 1e9;
    const json = Buffer.from(JSON.stringify(header));
    const big = Buffer.concat([bytes.subarray(0, 20), json, bytes.subarray(20 + headerLength)]);
    big.writeUInt32LE(json.length, 12);
    big.writeUInt32LE(crc32(json), 16);
    expect(() => loadModel(big)).toThrow(/more than a \d+-byte file can describe/);
  });

  it('refuses, as corrupt, a header whose architecture could never run, a detached array and a device', () => {
    const bytes = encodeModel(compressed(smallConvNet(), 0.75, 3)).bytes;
    const withArchitecture = (edit: (layers: Record<string, unknown>[]) => void) => {
      const headerLength = bytes.readUInt32LE(12);
      const header = JSON.parse(bytes.subarray(20, 20 + headerLength).toString());
      edit(header.architecture);
      const json = Buffer.from(JSON.stringify(header));
      const out = Buffer.concat([bytes.subarray(0, 20), json, bytes.subarray(20 + headerLength)]);
      out.writeUInt32LE(json.length, 12);
      out.writeUInt32LE(crc32(json), 16);
      return out;
    };
    const dense = (layers: Record<string, unknown>[]) => layers.filter((l) => l.type === 'dense');
    // the last layer reads one value fewer than the one before it writes
    const unchained = withArchitecture((layers) => { const d = dense(layers); d[d.length - 2].out = Number(d[d.length - 2].out) - 1; });
    expect(() => loadModel(unchained)).toThrow(CorruptModelError);
    expect(() => loadModel(unchained)).toThrow(/reads \d+ values per sample but layer '[^']+' before it writes \d+/);
    // a convolution over a huge image: few weights, but 2^26+ unrolled values per sample
    const huge = withArchitecture((layers) => { (layers[0] as { input: number[] }).input = [1, 1 << 14, 1 << 14]; });
    expect(() => loadModel(huge)).toThrow(CorruptModelError);
    expect(() => loadModel(huge)).toThrow(/at most 2\^26 unrolled values per sample/);
    // an activation first: it would load, then fail at its first prediction
    const activationFirst = withArchitecture((layers) => layers.unshift({ type: 'relu', name: 'relu0' }));
    expect(() => loadModel(activationFirst)).toThrow(CorruptModelError);
    expect(() => loadModel(activationFirst)).toThrow("the architecture cannot serve: expected a model whose first computing layer is Dense, Conv2D or MaxPool2D (it fixes the input size), found layer 'relu0' (relu) first");
    const unservable = new Sequential([new Activation('relu'), new Dense(4, 2)]);
    expect(() => encodeModel(unservable)).toThrow(ArgumentTypeError);
    expect(() => encodeModel(unservable)).toThrow("Expected a model whose first computing layer is Dense, Conv2D or MaxPool2D (it fixes the input size) for model but received layer 'relu' (relu) first");
    const detached = new Uint8Array(bytes);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    expect(() => loadModel(detached)).toThrow(/0 bytes is too short/);
    expect(() => loadModel('/dev/zero')).toThrow(DataError);
    expect(() => loadModel('/dev/zero')).toThrow('/dev/zero: cannot read (a device, not a file)');
  });

  it('computes CRC-32 like zlib with or without zlib.crc32', () => {
    const data = Buffer.from('123456789');
    expect(crc32(data)).toBe(0xcbf43926);
    expect(crc32Fallback(data)).toBe(0xcbf43926);
    expect(crc32Fallback('6789', crc32Fallback('12345'))).toBe(0xcbf43926);
  });

  it('survives 5,000 seeded mutations: each either loads the identical model or throws CorruptModelError', () => {
    const model = compressed(smallConvNet(), 0.75, 3);
    const enc = encodeModel(model, { metadata: { dataset: 'fuzz' } });
    const base = enc.bytes;
    const input = randomTensor([4, 1, 8, 8], rng(6));
    const expected = model.logits(input).data;
    // where each section frame starts
    const frames: { at: number; bytes: number }[] = [];
    let at = enc.headerBytes;
    for (const t of enc.layout) {
      for (const s of Object.values(t.sections)) {
        frames.push({ at, bytes: 8 + s });
        at += 8 + s;
      }
    }
    const next = rng(2026);
    const int = (n: number) => Math.floor(next() * n);
    const counts = { loaded: 0, refused: 0 };
    for (let i = 0; i < 5000; i++) {
      let b = Buffer.from(base);
      switch (i % 6) {
        case 0: b = b.subarray(0, int(b.length)); break;
        case 1: for (let f = 1 + int(3); f > 0; f--) b[int(b.length)] ^= 1 << int(8); break;
        case 2: { // a length field set to a huge or off-by-some value
          const field = next() < 0.2 ? 12 : frames[int(frames.length)].at;
          b.writeUInt32LE([0xffffffff, 0x7fffffff, b.length, b.readUInt32LE(field) + 1 + int(64)][int(4)] >>> 0, field);
          break;
        }
        case 3: { // two sections swapped
          const [x, y] = [frames[int(frames.length)], frames[int(frames.length)]].sort((p, q) => p.at - q.at);
          if (x.at === y.at) break;
          b = Buffer.concat([b.subarray(0, x.at), b.subarray(y.at, y.at + y.bytes), b.subarray(x.at + x.bytes, y.at), b.subarray(x.at, x.at + x.bytes), b.subarray(y.at + y.bytes)]);
          break;
        }
        case 4: for (let f = 1 + int(8); f > 0; f--) b[int(b.length)] = int(256); break;
        case 5: b = Buffer.concat([b, Buffer.from([int(256)])]); break;
      }
      let loaded;
      try {
        loaded = loadModel(b);
      } catch (e) {
        if (!(e instanceof CorruptModelError)) throw new Error(`mutation ${i}: ${String(e)}`);
        counts.refused++;
        continue;
      }
      expect(same(loaded.logits(input).data, expected)).toBe(true);
      counts.loaded++;
    }
    expect(counts.refused).toBeGreaterThan(4000);
  });

  afterAll(() => {
    if (existsSync(dir)) writeFileSync(path.join(dir, '.done'), '');
  });
});

describe('bad arguments to the model file functions are typed errors', () => {
  const model = () => mlp([4, 6, 3], { seed: 1 });

  it.each([
    ['indexBits as a string', { indexBits: '3' }, ArgumentTypeError, 'Expected a number or an object of layer name → bits for options.indexBits but received a string'],
    ['indexBits as an array', { indexBits: [1, 2, 3] }, ArgumentTypeError, 'Expected a number or an object of layer name → bits for options.indexBits but received an array of length 3'],
    ['weightBits as a boolean', { weightBits: true }, ArgumentTypeError, 'Expected a number or an object of layer name → bits for options.weightBits but received the boolean true'],
    ['indexBits for an unknown layer', { indexBits: { fc9: 4 } }, ArgumentRangeError, "for options.indexBits but received unknown layer 'fc9'"],
    ['weightBits 0', { weightBits: 0 }, ArgumentRangeError, 'Expected an integer in [1, 12] for options.weightBits but received the number 0'],
    ['bigint metadata', { metadata: { a: 1n } }, ArgumentTypeError, 'Expected JSON-serialisable metadata for options.metadata but received a value JSON.stringify refuses (Do not know how to serialize a BigInt)'],
    ['metadata that is not an object', { metadata: 'run 7' }, ArgumentTypeError, 'Expected an object for options.metadata but received a string'],
  ])('encodeModel: %s', (_, options, type, message) => {
    const call = () => encodeModel(model(), options as never);
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });

  it('encodeModel: circular metadata, null options and non-models', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const cases: [() => unknown, new (m: string) => Error, string][] = [
      [() => encodeModel(model(), { metadata: circular }), ArgumentTypeError, 'Expected JSON-serialisable metadata for options.metadata but received a value JSON.stringify refuses (Converting circular structure to JSON'],
      [() => encodeModel(model(), null as never), ArgumentTypeError, 'Expected an options object for options but received null'],
      [() => encodeModel({} as never), ArgumentTypeError, 'Expected a Sequential model for model but received an object'],
      [() => encodeModel(model(), { metadata: { big: 'x'.repeat(17 * 2 ** 20) } }), ArgumentRangeError, 'Expected metadata that keeps the header within 16777216 bytes for options.metadata'],
      [() => decodeModel(5 as never), ArgumentTypeError, 'Expected a Uint8Array for buf but received the number 5'],
      [() => saveModel(model(), 5 as never), ArgumentTypeError, 'Expected a file path for file but received the number 5'],
      [() => shareWeights(model(), null as never), ArgumentTypeError, 'Expected an options object for options but received null'],
      [() => fineTuneCentroids(model(), null as never, gaussianBlobs({ samples: 8, features: 4, classes: 3, seed: 1 }), { epochs: 1, lr: 0.1 }), ArgumentTypeError, 'Expected SharedWeights (from shareWeights) for shared but received null'],
    ];
    for (const [call, type, message] of cases) {
      expect(call).toThrow(type);
      expect(call).toThrow(message);
    }
  });

  it('fineTuneCentroids checks its options before changing any weight', () => {
    const m = model();
    const shared = shareWeights(m, { bits: 2 });
    const before = m.parameters().map((p) => p.value.data.slice());
    const data = gaussianBlobs({ samples: 8, features: 4, classes: 3, seed: 1 });
    const cases: [() => unknown, new (m: string) => Error, string][] = [
      [() => fineTuneCentroids(m, shared, data, null as never), ArgumentTypeError, 'Expected an options object for options but received null'],
      [() => fineTuneCentroids(m, shared, data, { epochs: 1, lr: 0.1, optimizer: 'rmsprop' as never }), ArgumentRangeError, "Expected 'adam' or 'sgd' for options.optimizer but received 'rmsprop'"],
    ];
    for (const [call, type, message] of cases) {
      expect(call).toThrow(type);
      expect(call).toThrow(message);
    }
    expect(m.parameters().map((p) => p.value.data)).toEqual(before);
  });
});
