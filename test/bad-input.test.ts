/**
 * Bad input to the network, training and tensor APIs, as a fuzzing pass sent
 * it: each call must throw the library's typed error naming the parameter,
 * and nothing may change before it does.
 */
import { lstatSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import path from 'path';
import { checkModelReads } from '../lib/cli/pipeline';
import { assertWritable } from '../lib/files';
import {
  Activation, Adam, AdamW, CorruptModelError, DataError, SparseMatrix, combineHooks, crc32, dataDependentInit, encodeModel, gemm, layerFromSpec, loadModel,
  lotteryTicket, magnitudeThreshold, maskedSgdStep, parseIdx, roundHalfEven, saveCheckpoint, shareWeights, ArgumentRangeError, ArgumentTypeError, Conv2D, Dense, Dropout, Flatten, InferencePlan, MaxPool2D,
  LrSchedule, NonFiniteError, PrunekitError, Pruner, allocateSparsity, descriptionLength, magnitude, oneShot, polynomialDecay, Random, SGD, Sequential, ShapeError, Tensor, activation, biasAdd, clipGradNorm, confusionMatrix,
  gaussianBlobs, l2, mlp, parseCheckpoint, prune, quantization, serializeCheckpoint, train,
} from '../lib';

const model = () => mlp([4, 5, 3], { seed: 1 });
const t = (...shape: number[]) => Tensor.zeros(shape);

const cases: [string, () => unknown, new (m: string) => Error, string][] = [
  ['a null options object', () => new Dense(4, 5, null as never), ArgumentTypeError, 'Expected an options object for options but received null'],
  ['a Symbol as a layer name', () => new Dense(4, 5, { name: Symbol('x') as never }), ArgumentTypeError,
    'Expected a string for options.name but received a symbol'],
  ['a layer too large to build', () => new Dense(65536, 65536), ArgumentRangeError,
    'Expected at most 2^28 weights (inFeatures × outFeatures) for layer size but received 4294967296'],
  ['a convolution with too many weights', () => new Conv2D([1, 2, 2], 2 ** 30, 1), ArgumentRangeError,
    'Expected at most 2^28 weights (outChannels × channels × kernel²) for layer size but received 1073741824'],
  ['a pooling input shape with a negative side', () => new MaxPool2D([-1, 6, 6]), ArgumentRangeError,
    'Expected an integer in [1, 9007199254740991] for inputShape[0] but received the number -1'],
  ['a pooling input shape of four sides', () => new MaxPool2D([1, 6, 6, 9] as never), ArgumentTypeError,
    'Expected [channels, height, width] for inputShape but received an array of length 4'],
  ['a convolution input shape of four sides', () => new Conv2D([1, 6, 6, 6] as never, 2, 3), ArgumentTypeError,
    'Expected [channels, height, width] for inputShape but received an array of length 4'],
  ['an unknown activation', () => new Activation('gelu' as never), ArgumentRangeError,
    "Expected 'relu', 'tanh' or 'sigmoid' for kind but received 'gelu'"],
  ['an activation forward of null', () => new Activation('relu').forward(null as never, 'eval'), ArgumentTypeError,
    'Expected a Tensor for input of relu but received null'],
  ['a null output tensor', () => activation('relu', t(2, 2), null as never), ArgumentTypeError, 'Expected a Tensor for out but received null'],
  ['a null bias', () => biasAdd(t(2, 2), null as never), ArgumentTypeError, 'Expected a Float32Array for bias but received null'],
  ['a flatten backward of a number', () => { const f = new Flatten(); f.forward(t(2, 3), 'train'); return f.backward(5 as never); }, ArgumentTypeError,
    'Expected a Tensor for dy of flatten but received the number 5'],
  ['a dropout gradient of another shape', () => { const d = new Dropout(0.5); d.forward(t(2, 4), 'train'); return d.backward(t(4, 4)); }, ShapeError,
    'Expected shape [2, 4] for dy of dropout0.5 but received shape [4, 4]'],
  ['a dense gradient of another shape', () => { const d = new Dense(4, 3); d.forward(t(2, 4), 'train'); return d.backward(t(2, 4)); }, ShapeError,
    'Expected shape [2, 3] for dy of dense_4_3 but received shape [2, 4]'],
  ['compiling a model of pass-through layers', () => InferencePlan.compile(new Sequential([new Flatten(), new Dropout(0.5)])), ArgumentTypeError,
    'Expected a model whose first computing layer is Dense, Conv2D or MaxPool2D (it fixes the input size) for model but received only pass-through layers'],
  ['compiling a model that starts with an activation', () => InferencePlan.compile(new Sequential([new Activation('relu'), new Dense(2, 2)])), ArgumentTypeError,
    "Expected a model whose first computing layer is Dense, Conv2D or MaxPool2D (it fixes the input size) for model but received layer 'relu' (relu) first"],
  ['serving a Tensor whose buffer was transferred away', () => {
    const x = t(2, 2);
    structuredClone(x.data.buffer, { transfer: [x.data.buffer as ArrayBuffer] });
    return InferencePlan.compile(new Sequential([new Dense(2, 3)])).predict(x);
  }, ShapeError, 'Expected 4 values for shape [2, 2] for x but received length 0 (a detached buffer?)'],
  ['serving a batch whose scores would not fit one Float32Array', () => InferencePlan.compile(new Sequential([new Dense(1, 100000)])).logits(new Float32Array(42950)),
    ArgumentRangeError, 'Expected a batch whose 100000 scores per sample fit one Float32Array (at most 42949 samples) for x but received 42950 samples'],
  // Found by an adversarial pass over the training API: each used to run and give a wrong result.
  ['one layer object at two positions', () => { const d = new Dense(4, 4); return new Sequential([d, new Activation('relu'), d]); }, ArgumentRangeError,
    'layers[2] is layers[0] (dense_4_4) again; build a new layer for each position'],
  ['layers that do not chain (it used to train nowhere and save a file loadModel called corrupt)', () => new Sequential([new Dense(4, 8, { name: 'a' }), new Dense(7, 3, { name: 'b' })]), ShapeError,
    "layer 'b' reads 7 values per sample but layer 'a' before it writes 8"],
  ['a layer name two layers answer to (default names; it pruned both)', () => {
    const twins = new Sequential([new Dense(8, 8), new Activation('relu'), new Dense(8, 8), new Activation('relu'), new Dense(8, 2)]);
    return new Pruner(twins, { method: magnitude(), schedule: oneShot(0.5), layers: ['dense_8_8'] });
  }, ArgumentRangeError, "options.layers: 'dense_8_8' names 2 layers of the model; give its layers distinct names ({ name: 'fc1' }, ...)"],
  ['an optimizer listing a parameter twice', () => { const p = model().parameters()[0]; return new SGD([p, p], { lr: 0.1 }); }, ArgumentRangeError,
    'params[1] is params[0] (fc1.weight) again; list each parameter once'],
  // Misspelt options used to be ignored: the run went on with the defaults.
  ['a misspelt training option', () => train(model(), gaussianBlobs({ features: 4, classes: 3 }), { optimizer: new SGD(model().parameters(), { lr: 0.1 }), epochs: 1, batchsize: 7 } as never),
    ArgumentRangeError, 'options.batchsize is not an option (did you mean batchSize?); the options are optimizer, schedule, clipNorm, regularizers, epochs, batchSize, seed, validation, hooks, augment'],
  ['a misspelt optimizer setting', () => new SGD(model().parameters(), { lr: 0.1, momentom: 0.9 } as never), ArgumentRangeError,
    'config.momentom is not an option (did you mean momentum?); the options are lr, momentum, weightDecay, nesterov'],
  ['a misspelt pruning scope', () => prune(model(), magnitude(), 0.5, { scop: 'global' } as never), ArgumentRangeError,
    'options.scop is not an option (did you mean scope?); the options are layers, exclude, scope, overrides'],
  ['an option no entry point has', () => shareWeights(model(), { bits: 4, colour: 'red' } as never), ArgumentRangeError,
    'options.colour is not an option; the options are layers, exclude, bits, init, seed, maxIterations'],
  ['checkpoint metadata under the file\'s own keys (it was dropped without a word)', () => serializeCheckpoint(model(), { format: 'tf' }), ArgumentRangeError,
    "metadata.format: 'format' and 'prunekit_…' keys are the checkpoint's own; choose another name"],
  ['one sample without its batch dimension', () => InferencePlan.compile(model()).predict(Tensor.zeros([4])), ShapeError,
    'Expected a batch: shape [batch, ...] with 4 values per sample (one sample is [1, 4]) for x but received shape [4]'],
  ['a checkpoint given to loadModel', () => loadModel(serializeCheckpoint(model())), CorruptModelError,
    'model buffer: not a prunekit model file (bad magic bytes); it looks like a safetensors checkpoint: read those with loadCheckpoint'],
  ['a model with fewer outputs than the data has classes', () => {
    const narrow = mlp([4, 5, 2], { seed: 1 });
    return train(narrow, gaussianBlobs({ features: 4, classes: 3 }), { optimizer: new SGD(narrow.parameters(), { lr: 0.1 }), epochs: 1 });
  },
    ShapeError, 'blobs(3×4, seed 0) has labels up to 2, but the model gives 2 scores per sample: its last layer needs one output per class'],
  ['an ArrayBuffer for a model file', () => loadModel(new ArrayBuffer(8) as never), ArgumentTypeError,
    'Expected a path or a Uint8Array/Buffer for source but received an ArrayBuffer'],
  ['Nesterov without momentum', () => new SGD(model().parameters(), { lr: 0.1, nesterov: true }), ArgumentRangeError,
    'Expected a momentum above 0 for Nesterov for momentum but received the number 0'],
  ['Nesterov as a string', () => new SGD(model().parameters(), { lr: 0.1, momentum: 0.9, nesterov: 'yes' as never }), ArgumentTypeError,
    'Expected a boolean for nesterov but received a string'],
  ['decoupled as a string', () => new Adam(model().parameters(), { decoupled: 'no' as never }), ArgumentTypeError,
    'Expected a boolean for decoupled but received a string'],
  ['an Adam step at learning rate 0', () => { const a = new Adam(model().parameters()); a.lr = 0; a.step(); }, ArgumentRangeError,
    'Expected a number in (0, Infinity] for lr but received the number 0'],
  ['training with an optimizer over another model', () => {
    const other = model();
    return train(model(), gaussianBlobs({ samples: 8, features: 4, classes: 3, seed: 1 }), { optimizer: new SGD(other.parameters(), { lr: 0.1 }), epochs: 1 });
  }, ArgumentRangeError, 'Expected an optimizer over parameters of the model being trained (or an afterBackward hook that gives its own parameters gradients) for options.optimizer.params but received fc1.weight and others, none of which the model holds'],
  ['a learning-rate schedule that reaches 0 before the last epoch', () => {
    const m = model(), before = m.parameters()[0].value.data.slice();
    try {
      return train(m, gaussianBlobs({ samples: 8, features: 4, classes: 3, seed: 1 }), { optimizer: new SGD(m.parameters(), { lr: 0.1 }), epochs: 3, schedule: LrSchedule.cosine(0.1, 2) });
    } finally {
      expect(m.parameters()[0].value.data).toEqual(before); // refused before the first step
    }
  }, ArgumentRangeError, 'Expected a learning rate above 0 at every epoch trained for options.schedule but received 0 at epoch 3 of 3'],
  ['a polynomial pruning schedule of power 0 (it would never prune)', () => polynomialDecay({ final: 0.8, end: 100, power: 0 }), ArgumentRangeError,
    'Expected a number in (0, 100] for options.power but received the number 0'],
  ['a Pruner with an unknown scope, refused when built rather than at its first prune', () => new Pruner(model(), { method: magnitude(), schedule: oneShot(0.5), scope: 'net' as never }),
    ArgumentRangeError, "Expected 'layer' or 'global' for options.scope but received 'net'"],
  ['a description length of labels past the model\'s outputs', () => descriptionLength(model(), gaussianBlobs({ samples: 8, features: 4, classes: 4, seed: 1 })),
    ArgumentRangeError, "Expected a class in [0, 3) (the model's outputs) for the labels of data"],
  ['allocating sparsity over two curves of one layer', () => allocateSparsity([
    { layer: 'fc1', size: 10, curve: [{ sparsity: 0, accuracy: 1 }, { sparsity: 0.5, accuracy: 0.9 }] },
    { layer: 'fc1', size: 10, curve: [{ sparsity: 0, accuracy: 1 }, { sparsity: 0.5, accuracy: 0.8 }] },
  ], { sparsity: 0.25 }), ArgumentRangeError, "curves[1] repeats layer 'fc1'; give each layer one curve"],
  ['a misspelt hook', () => {
    const m = model();
    return train(m, gaussianBlobs({ samples: 8, features: 4, classes: 3, seed: 1 }), { optimizer: new SGD(m.parameters(), { lr: 0.1 }), epochs: 1, hooks: { afterStep: () => undefined } as never });
  }, ArgumentRangeError, 'options.hooks.afterStep: not a hook (hooks: beforeBatch, afterBackward, afterBatch, afterEpoch, afterError); it would never run'],
  ['a model of characters', () => new Sequential('abc' as never), ArgumentTypeError, 'Expected an array of layers for layers but received a string'],
  ['a model with a null layer', () => new Sequential([new Dense(2, 2), null as never]), ArgumentTypeError,
    'Expected a layer (forward, backward, parameters, spec) for layers[1] but received null'],
  ['an activation name that is not one', () => mlp([4, 3, 2], { activation: 1n as never }), ArgumentRangeError,
    "Expected 'relu', 'tanh' or 'sigmoid' for options.activation but received a bigint"],
  ['compiling something other than a model', () => InferencePlan.compile({} as never), ArgumentTypeError,
    'Expected a Sequential model for model but received an object'],
  ['a confusion matrix with a prediction out of range', () => confusionMatrix(Int32Array.of(0, 1, 5), Int32Array.of(0, 1, 1), 3), ArgumentRangeError,
    'Expected a class in [0, 3) for predicted[2] but received 5'],
  ['a confusion matrix of 1.5 classes', () => confusionMatrix(Int32Array.of(0), Int32Array.of(0), 1.5), ArgumentRangeError,
    'Expected an integer in [1, 65536] for classes but received the number 1.5'],
  ['SGD with no settings', () => new SGD(model().parameters(), undefined as never), ArgumentTypeError,
    'Expected a number in (0, Infinity] for lr but received undefined'],
  ['Adam with null settings', () => new Adam(model().parameters(), null as never), ArgumentTypeError,
    'Expected an options object for config but received null'],
  ['AdamW with null settings', () => new AdamW(model().parameters(), null as never), ArgumentTypeError,
    'Expected an options object for config but received null'],
  ['an optimizer over something other than parameters', () => new SGD([1] as never, { lr: 0.1 }), ArgumentTypeError,
    'Expected a Parameter for params[0] but received the number 1'],
  ['clipping null', () => clipGradNorm(null as never, 1), ArgumentTypeError,
    'Expected an array of Parameters (model.parameters()) for params but received null'],
  ['a regularizer given null', () => l2(0.1).addGradient(null as never), ArgumentTypeError,
    'Expected an array of Parameters (model.parameters()) for params but received null'],
  ['a quantization target of null', () => quantization(0.1, null as never), ArgumentTypeError,
    'Expected { grid } or { codebook } for target but received null'],
  ['a checkpoint of a non-model', () => serializeCheckpoint(null as never), ArgumentTypeError, 'Expected a Sequential model for model but received null'],
  ['checkpoint metadata that is not text', () => serializeCheckpoint(model(), { a: 1 } as never), ArgumentTypeError,
    'Expected a string for metadata.a but received the number 1'],
  ['a checkpoint parsed from a plain Uint8Array', () => parseCheckpoint(new Uint8Array(8)), PrunekitError,
    'checkpoint: header is not valid JSON'],
  ['a tensor from a huge array-like', () => Tensor.from({ length: 2 ** 40 } as never, [2]), ShapeError,
    'Expected length 2 (shape [2]) for values but received length 1099511627776'],
  ['a tensor from strings', () => Tensor.from(['a', 'b'] as never, [2]), ArgumentTypeError, 'Expected a number for values[0] but received a string'],
  ['a random integer below NaN', () => new Random(1).int(NaN), ArgumentRangeError,
    'Expected an integer in [1, 4294967296] for n but received NaN'],
  ['a permutation of -1', () => new Random(1).permutation(-1), ArgumentRangeError,
    'Expected an integer in [0, 2147483647] for n but received the number -1'],
  ['data-dependent init of null', () => dataDependentInit(null as never, t(8, 4)), ArgumentTypeError,
    'Expected a Sequential model for model but received null'],
  ['data-dependent init with null options', () => dataDependentInit(model(), t(8, 4), null as never), ArgumentTypeError,
    'Expected an options object for options but received null'],
  ['a layer spec of null', () => layerFromSpec(null as never), PrunekitError, 'a layer spec must be an object, found null'],
  ['gemm with null options', () => gemm(t(2, 2), t(2, 2), null as never), ArgumentTypeError, 'Expected an options object for options but received null'],
  ['gemm with numeric options', () => gemm(t(2, 2), t(2, 2), 5 as never), ArgumentTypeError,
    'Expected an options object for options but received the number 5'],
  ['a threshold with null options', () => magnitudeThreshold(new Float32Array(6), 0.5, null as never), ArgumentTypeError,
    'Expected an options object for options but received null'],
  ['an SGD step on null', () => maskedSgdStep(null as never, { lr: 0.1 }), ArgumentTypeError,
    'Expected an object { weights, grad, velocity?, mask? } for param but received null'],
  ['a CSR of null', () => SparseMatrix.fromCsr(null as never, [2, 3]), ArgumentTypeError,
    'Expected an object { rowPtr, colIdx, values } for csr but received null'],
  ['a CSR with no shape', () => SparseMatrix.fromCsr({ rowPtr: new Int32Array(3), colIdx: new Int32Array(0), values: new Float32Array(0) }, null as never),
    ArgumentTypeError, 'Expected [rows, cols] for shape but received null'],
  ['hooks combined with null', () => combineHooks(null as never), ArgumentTypeError, 'Expected an options object for sets[0] but received null'],
  ['rounding a bigint', () => roundHalfEven(1n as never), ArgumentTypeError, 'Expected a number in [-Infinity, Infinity] for x but received a bigint'],
  ['rounding undefined', () => roundHalfEven(undefined as never), ArgumentTypeError, 'for x but received undefined'],
  ['a codebook of bigints', () => quantization(0.1, { codebook: [1n] as never }), ArgumentTypeError, 'Expected a number for codebook[0] but received a bigint'],
  ['a lottery ticket with a bigint rate', () => lotteryTicket({ build: model, trainModel: () => undefined, evaluate: () => 0, rounds: 1, perRound: 1n } as never),
    ArgumentTypeError, 'for options.perRound but received a bigint'],
  ['a checkpoint name that is not a string', () => parseCheckpoint(new Uint8Array(8), 5 as never), ArgumentTypeError,
    'Expected a string for name but received the number 5'],
];

describe('bad input gets typed errors (found by fuzzing)', () => {
  for (const [name, call, type, message] of cases) {
    it(name, () => {
      expect(call).toThrow(type);
      expect(call).toThrow(message);
    });
  }

  it('a model with a fully pruned layer reads back (an empty section has the seed as its CRC-32)', () => {
    expect(crc32(new Uint8Array(new ArrayBuffer(0)), 5)).toBe(5);
    expect(crc32(new Uint8Array(0), 0xdeadbeef)).toBe(0xdeadbeef);
    const m = model();
    const w = m.parameters()[2];
    w.value.data.fill(0);
    w.setMask(new Uint8Array(w.size));
    const loaded = loadModel(encodeModel(m, { weightBits: 3 }).bytes);
    expect(Array.from(loaded.logits(t(1, 4)).data)).toEqual(Array.from(m.logits(t(1, 4)).data));
  });

  it('a file from the builds that wrote 0 as an empty section\'s CRC-32 still reads; a non-empty section\'s 0 is corrupt', () => {
    const m = model();
    const w = m.parameters()[2];
    w.value.data.fill(0);
    w.setMask(new Uint8Array(w.size));
    const encoded = encodeModel(m, { weightBits: 3 });
    const crcAt: { at: number; length: number }[] = [];
    let at = encoded.headerBytes;
    for (const tensor of encoded.layout) {
      for (const length of Object.values(tensor.sections)) {
        crcAt.push({ at: at + 4, length });
        at += 8 + length;
      }
    }
    expect(at).toBe(encoded.bytes.length);
    const withZero = (which: { at: number }) => {
      const b = Uint8Array.from(encoded.bytes);
      new DataView(b.buffer).setUint32(which.at, 0, true);
      return b;
    };
    const empty = crcAt.find((s) => s.length === 0)!;
    const full = crcAt.find((s) => s.length > 0)!;
    expect(Array.from(loadModel(withZero(empty)).logits(t(1, 4)).data)).toEqual(Array.from(m.logits(t(1, 4)).data));
    expect(() => loadModel(withZero(full))).toThrow(CorruptModelError);
    expect(() => loadModel(withZero(full))).toThrow('CRC-32 mismatch');
  });

  it('an optimizer step refuses a non-finite gradient before changing any weight or state', () => {
    for (const make of [(m: Sequential) => new SGD(m.parameters(), { lr: 0.1, momentum: 0.9 }), (m: Sequential) => new AdamW(m.parameters())]) {
      const m = model(), twin = model();
      const opt = make(m), twinOpt = make(twin);
      const fill = (target: Sequential, bad: boolean) => target.parameters().forEach((p, i) => p.grad.data.fill(bad && i === 2 ? NaN : 0.5));
      fill(m, true);
      const name = opt instanceof SGD ? 'SGD' : 'AdamW';
      expect(() => opt.step()).toThrow(NonFiniteError);
      expect(() => opt.step()).toThrow(`${name}.step(): the gradient of ${m.parameters()[2].name} is NaN at index 0; no weight was changed`);
      expect(m.parameters().map((p) => Array.from(p.value.data))).toEqual(twin.parameters().map((p) => Array.from(p.value.data)));
      // The refused steps left no state behind: the next good step matches a fresh optimizer's.
      fill(m, false);
      fill(twin, false);
      opt.step();
      twinOpt.step();
      expect(m.parameters().map((p) => Array.from(p.value.data))).toEqual(twin.parameters().map((p) => Array.from(p.value.data)));
    }
    const huge = model();
    huge.parameters().forEach((p) => p.grad.data.fill(1e30));
    expect(() => new SGD(huge.parameters(), { lr: 1e-40 }).step()).not.toThrow();
  });

  it('training names the epoch and batch of a non-finite gradient behind a finite loss', () => {
    const m = model();
    const data = gaussianBlobs({ samples: 20, features: 4, classes: 3, seed: 1 });
    const before = m.parameters().map((p) => Array.from(p.value.data));
    // Poisons every second batch's gradient; its penalty stays 0.
    let calls = 0;
    const poison = { addGradient: (ps: { grad: Tensor }[]) => ((calls++ % 2 === 1 ? ps[0].grad.data[3] = Infinity : 0), 0) };
    const run = () => train(m, data, { optimizer: new SGD(m.parameters(), { lr: 0.01 }), epochs: 1, batchSize: 10, regularizers: [poison as never] });
    expect(run).toThrow(NonFiniteError);
    expect(run).toThrow(/the gradient of .* is Infinity at index 3; no weight was changed \(epoch 1, batch 2\)/);
    // Clipping leaves a non-finite gradient alone, so the error still names the Infinity (not the NaN a scale of 0 makes).
    const clipped = () => train(m, data, { optimizer: new SGD(m.parameters(), { lr: 0.01 }), epochs: 1, batchSize: 10, clipNorm: 1, regularizers: [poison as never] });
    expect(clipped).toThrow(/the gradient of .* is Infinity at index 3; no weight was changed \(epoch 1, batch 2\)/);
    // An optimizer of the caller's own gets the same check from train(), before its step runs.
    let steps = 0;
    const own = { lr: 0.01, params: m.parameters(), step: () => void steps++ };
    const custom = () => train(m, data, { optimizer: own, epochs: 1, batchSize: 10, regularizers: [poison as never] });
    expect(custom).toThrow(/^train\(\): the gradient of .* is Infinity at index 3; no weight was changed \(epoch 1, batch 2\)/);
    expect(steps).toBe(1);
    // So does a subclass that overrides step().
    class Logged extends SGD {
      override step(): void {
        steps++;
        super.step();
      }
    }
    steps = 0;
    const logged = () => train(m, data, { optimizer: new Logged(m.parameters(), { lr: 0.01 }), epochs: 1, batchSize: 10, regularizers: [poison as never] });
    expect(logged).toThrow(/^train\(\): the gradient of .* is Infinity at index 3/);
    expect(steps).toBe(1);
    expect(m.parameters().every((p) => p.value.data.every(Number.isFinite))).toBe(true);
    expect(before).not.toEqual(m.parameters().map((p) => Array.from(p.value.data)));
  });

  it('an output path is checked as the atomic write will use it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pk-out-'));
    const file = path.join(dir, 'f.prk');
    writeFileSync(file, 'x');
    expect(() => assertWritable('/dev/null', 'the model file')).not.toThrow();
    expect(() => assertWritable(file, 'the model file')).not.toThrow();
    expect(() => assertWritable(path.join(dir, 'new.prk'), 'the model file')).not.toThrow();
    expect(() => assertWritable(`${dir}/sub/`, 'the model file')).toThrow(`${dir}/sub/: cannot write the model file (a directory, not a file)`);
    expect(() => assertWritable(dir, 'the report')).toThrow(`${dir}: cannot write the report (a directory, not a file)`);
    expect(() => assertWritable(path.join(file, 'x.prk'), 'the report')).toThrow(`cannot write the report (${file} is not a directory)`);
    expect(() => assertWritable(path.join(dir, 'gone', 'x.prk'), 'the report')).toThrow(`(the directory ${path.join(dir, 'gone')} does not exist)`);
    // A link is judged by the directory of the file it names, where the temporary file goes.
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'pk-real-'));
    writeFileSync(path.join(elsewhere, 'real.prk'), 'x');
    symlinkSync(path.join(elsewhere, 'real.prk'), path.join(dir, 'link.prk'));
    expect(() => assertWritable(path.join(dir, 'link.prk'), 'the model file')).not.toThrow();
    expect(() => assertWritable('', 'the model file')).toThrow(ArgumentTypeError);
  });

  it('saving onto a device writes to it instead of replacing it; a directory is refused', () => {
    saveCheckpoint(model(), '/dev/null');
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
    const dir = mkdtempSync(path.join(tmpdir(), 'pk-dir-'));
    expect(() => saveCheckpoint(model(), dir)).toThrow(DataError);
    expect(() => saveCheckpoint(model(), dir)).toThrow(`${dir}: cannot write the checkpoint (a directory, not a file)`);
  });

  it('checking a model against an empty split says the split is empty, not that the model is wrong', () => {
    const empty = { ...gaussianBlobs({ samples: 3, features: 4, classes: 3, seed: 1 }), name: 'tiny (test)' };
    const none = { ...empty, x: new Tensor(new Float32Array(0), [0, 4]), y: new Int32Array(0) };
    expect(() => checkModelReads(model(), none, 'm.prk')).toThrow(DataError);
    expect(() => checkModelReads(model(), none, 'm.prk')).toThrow('tiny (test) has no samples to check m.prk against');
  });

  it('predicting from NaN input is a NonFiniteError, not class 0', () => {
    const m = model();
    const x = t(3, 4);
    x.data[5] = NaN;
    expect(() => m.predict(x)).toThrow(NonFiniteError);
    expect(() => m.predict(x)).toThrow('Expected finite scores for sample 1 but received NaN (its input holds NaN or Infinity)');
    expect(() => InferencePlan.compile(m).predict(x)).toThrow(NonFiniteError);
    expect(Array.from(m.predict(t(3, 4)))).toHaveLength(3);
  });

  it('review fixes: empty layer names load, combined hooks skip undefined sets, huge finite weights train', () => {
    const named = new Sequential([new Dense(4, 3, { name: '' }), new Dense(3, 2)]);
    expect(parseCheckpoint(serializeCheckpoint(named)).model.layers[0].name).toBe('');
    const calls: string[] = [];
    combineHooks({ beforeBatch: () => calls.push('a') }, undefined as never).beforeBatch?.({} as never);
    expect(calls).toEqual(['a']);
    // 2e19 squared overflows float32: the weights are still finite and training goes on
    const m = mlp([2, 3], { seed: 1 });
    m.parameters()[0].value.data[0] = 2e19;
    const x = new Tensor(Float32Array.from([0, 1, 0, 1]), [2, 2]);
    const data = { name: 'zeros in feature 0', x, y: Int32Array.of(0, 1), classes: 3, sampleShape: [2] };
    expect(train(m, data, { optimizer: new SGD(m.parameters(), { lr: 0.01 }), epochs: 1 })).toHaveLength(1);
  });

  it('review fixes: writes go through symbolic links; detached IDX bytes; bits errors name the key used', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pk-link-'));
    const file = path.join(dir, 'real.safetensors'), link = path.join(dir, 'link.safetensors');
    writeFileSync(file, 'old');
    symlinkSync(file, link);
    saveCheckpoint(model(), link);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(parseCheckpoint(readFileSync(file)).model.layers).toHaveLength(3);
    const detached = new Uint8Array(16);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    expect(() => parseIdx(detached, 'x.idx')).toThrow(DataError);
    expect(() => shareWeights(model(), { bits: { default: 99 } })).toThrow('for options.bits.default but received the number 99');
  });

  it('network seeds past 2^32 / 1000 give distinct networks (no wrap every 2^29)', () => {
    const weights = (seed: number) => Array.from(mlp([4, 3], { seed }).parameters()[0].value.data);
    expect(weights(2 ** 29)).not.toEqual(weights(0));
    expect(weights(2 ** 32 - 1)).not.toEqual(weights(2 ** 32 - 2));
    expect(weights(7)).toEqual(Array.from(new Dense(4, 3, { seed: 7000, name: 'fc1' }).weight.value.data));
  });

  it('a shape whose element getter changes reads once: the tensor keeps what was checked', () => {
    let reads = 0;
    const shape = [2];
    Object.defineProperty(shape, 1, { get: () => (++reads === 1 ? 3 : -7), enumerable: true });
    const tensor = new Tensor(new Float32Array(6), shape);
    expect(tensor.shape).toEqual([2, 3]);
  });

  it('train() checks every option before the first step, so nothing is lost', () => {
    const data = gaussianBlobs({ samples: 12, features: 4, classes: 3, seed: 1 });
    const m = model();
    const before = m.parameters().map((p) => p.value.data.slice());
    const optimizer = new SGD(m.parameters(), { lr: 0.1 });
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ optimizer: {}, epochs: 1 }, /Expected a function for options\.optimizer\.step/],
      [{ optimizer, epochs: 2, seed: 2 ** 32 }, /Expected an integer in \[0, 4294967295\] for seed/],
      [{ optimizer, epochs: 1, hooks: null }, /Expected an options object for options\.hooks but received null/],
      [{ optimizer, epochs: 1, hooks: { beforeBatch: 5 } }, /Expected a function for options\.hooks\.beforeBatch/],
      [{ optimizer, epochs: 1, schedule: {} }, /Expected an LrSchedule for options\.schedule/],
      [{ optimizer, epochs: 1, regularizers: null }, /Expected an array of regularizers for options\.regularizers/],
      [{ optimizer, epochs: 1, clipNorm: -1 }, /for clipNorm but received the number -1/],
      [{ optimizer, epochs: 1, validation: { name: 'v' } }, /options\.validation/],
    ];
    for (const [options, message] of bad) {
      expect(() => train(m, data, options as never)).toThrow(PrunekitError);
      expect(() => train(m, data, options as never)).toThrow(message);
    }
    expect(() => train(m, data, undefined as never)).toThrow('Expected an optimizer (SGD, Adam, AdamW) for options.optimizer but received undefined');
    // fewer rows than labels: refused, not trained on nothing
    expect(() => train(m, { ...data, x: new Tensor(new Float32Array(24), [6, 4]) }, { optimizer, epochs: 1 })).toThrow(PrunekitError);
    m.parameters().forEach((p, i) => expect(p.value.data).toEqual(before[i]));
    // the largest seed still trains (epoch seeds wrap instead of overflowing)
    expect(train(m, data, { optimizer, epochs: 2, seed: 2 ** 32 - 1 })).toHaveLength(2);
  });

  it('weights that stop being finite in the last step stop training with NonFiniteError', () => {
    // One batch per epoch: no later loss would show it.
    const data = gaussianBlobs({ samples: 16, features: 4, classes: 3, seed: 1 });
    const run = () => {
      const m = model();
      const poison = { afterBatch: () => { m.parameters()[2].value.data[0] = Infinity; } };
      return train(m, data, { optimizer: new SGD(m.parameters(), { lr: 0.1 }), epochs: 1, batchSize: 16, hooks: poison });
    };
    expect(run).toThrow(NonFiniteError);
    expect(run).toThrow('weights of fc2.weight became non-finite during epoch 1');
  });

  it('a custom regularizer whose penalty is NaN stops training', () => {
    const data = gaussianBlobs({ samples: 16, features: 4, classes: 3, seed: 1 });
    const m = model();
    const nan = { name: 'nan', penalty: () => NaN, addGradient: () => NaN };
    expect(() => train(m, data, { optimizer: new SGD(m.parameters(), { lr: 0.1 }), epochs: 1, regularizers: [nan] }))
      .toThrow('regularization penalty became NaN at epoch 1, batch 1');
  });
});
