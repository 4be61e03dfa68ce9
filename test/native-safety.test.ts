/**
 * The addon itself, called directly with bad arguments: every call must throw
 * a JavaScript error and never crash the process, whatever lib/ would have
 * caught first.
 */
import { ArgumentRangeError, ArgumentTypeError, PrunekitError, ShapeError } from '../lib';
import { Worker } from 'node:worker_threads';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { native } from '../lib/native';

const f32 = (n: number) => new Float32Array(n);
const sparse = native.csrFromDense(f32(6).fill(1), null, 2, 3);

const cases: [string, () => unknown, new (m: string) => Error, string][] = [
  ['gemm with no arguments', () => (native.gemm as unknown as () => void)(), ArgumentTypeError,
    'Expected a Float32Array for C but received undefined'],
  ['gemm with a short C', () => native.gemm(f32(3), f32(4), f32(4), false, false, 2, 2, 2, 1, 0), ShapeError,
    'Expected length 4 for C but received length 3'],
  ['gemm with a short B', () => native.gemm(f32(4), f32(4), f32(3), false, false, 2, 2, 2, 1, 0), ShapeError,
    'Expected length 4 for B but received length 3'],
  ['gemm with a negative dimension', () => native.gemm(f32(4), f32(4), f32(4), false, false, -2, 2, 2, 1, 0), ArgumentRangeError,
    'Expected an integer in [0, 2147483647] for M but received the number -2'],
  ['gemm with a fractional dimension', () => native.gemm(f32(4), f32(4), f32(4), false, false, 2.5, 2, 2, 1, 0), ArgumentRangeError,
    'Expected an integer in [0, 2147483647] for M but received the number 2.5'],
  ['gemm whose sizes overflow', () => native.gemm(f32(4), f32(4), f32(4), false, false, 2 ** 31 - 1, 2 ** 31 - 1, 2, 1, 0), ArgumentRangeError,
    'Expected at most 1099511627776 elements for C (M x N) but received 2147483647 x 2147483647'],
  ['gemm with aliased output', () => { const c = f32(4); native.gemm(c, c, f32(4), false, false, 2, 2, 2, 1, 0); }, ArgumentRangeError,
    'Expected memory separate from A for C but received an overlapping view of the same buffer'],
  ['gemm with Infinity alpha', () => native.gemm(f32(4), f32(4), f32(4), false, false, 2, 2, 2, Infinity, 0), ArgumentRangeError,
    'Expected a finite number for alpha but received the number Infinity'],
  ['gemm with a string flag', () => native.gemm(f32(4), f32(4), f32(4), 'no' as unknown as boolean, false, 2, 2, 2, 1, 0), ArgumentTypeError,
    'Expected a boolean for transA but received a string'],
  ['spmm with a dense object for W', () => native.spmmXWt(f32(2), f32(3), null, {} as never, 1), ArgumentTypeError,
    'Expected a SparseMatrix for W but received another object'],
  ['spmm with a short X', () => native.spmmXWt(f32(2), f32(2), null, sparse, 1), ShapeError,
    'Expected length 3 for X but received length 2'],
  ['spmm with a short bias', () => native.spmmXWt(f32(2), f32(3), f32(1), sparse, 1), ShapeError,
    'Expected length 2 for bias but received length 1'],
  ['spmmXW with a short Y', () => native.spmmXW(f32(2), f32(2), sparse, 1), ShapeError, 'Expected length 3 for Y but received length 2'],
  ['sddmm with a short dW', () => native.sddmm(f32(5), f32(2), f32(3), sparse, 1), ShapeError, 'Expected length 6 for dW but received length 5'],
  ['csrFromDense with a short mask', () => native.csrFromDense(f32(6), new Uint8Array(2), 2, 3), ShapeError,
    'Expected length 6 for mask but received length 2'],
  ['csrFromArrays reading past colIdx', () => native.csrFromArrays(Int32Array.from([0, 5, 1]), Int32Array.from([0]), f32(1), 2, 3),
    ArgumentRangeError, 'Expected a non-decreasing sequence for rowPtr but received rowPtr[2] < rowPtr[1]'],
  ['constructing SparseMatrix directly', () => new (native as unknown as { SparseMatrix: new () => unknown }).SparseMatrix(),
    ArgumentTypeError, 'SparseMatrix cannot be constructed directly'],
  ['updateValues with a short array', () => sparse.updateValues(f32(2)), ShapeError, 'Expected length 6 for weights but received length 2'],
  ['applyMask with a short mask', () => native.applyMask(f32(4), new Uint8Array(3)), ShapeError, 'Expected length 4 for mask but received length 3'],
  ['sgdMasked without velocity', () => native.sgdMasked(f32(4), null, f32(4), null, 0.1, 0.9, 0, false), ArgumentTypeError,
    'Expected a Float32Array when momentum != 0 for velocity but received null'],
  ['threshold with k above the total', () => native.magnitudeThreshold([f32(4)], null, 5), ArgumentRangeError,
    'Expected an integer in [0, 4] for k but received the number 5'],
  ['threshold with a non-array', () => native.magnitudeThreshold(f32(4) as unknown as Float32Array[], null, 1), ArgumentTypeError,
    'Expected an array of Float32Array for tensors but received something else'],
  ['threshold with a mask aliasing a tensor', () => { const x = f32(4); native.magnitudeThreshold([x], [new Uint8Array(x.buffer, 0, 4)], 1); },
    ArgumentRangeError, 'Expected memory separate from tensors[0] for masks[0] but received an overlapping view of the same buffer'],
  ['threshold with a wrong-typed tensor', () => native.magnitudeThreshold([new Int32Array(4) as unknown as Float32Array], null, 1),
    ArgumentTypeError, 'Expected a Float32Array for tensors[0] but received an Int32Array'],
  ['percentile of an empty array', () => native.percentile(f32(0), 50), ShapeError, 'Expected a non-empty Float32Array for x but received length 0'],
  ['biasAdd with a short bias', () => native.biasAdd(f32(6), f32(2), 2, 3), ShapeError, 'Expected length 3 for bias but received length 2'],
  ['activation of an unknown kind', () => native.activation(f32(2), f32(2), 7), ArgumentRangeError,
    'Expected an integer in [0, 2] for kind but received the number 7'],
  ['activationGrad with partially overlapping dx and dy', () => { const b = f32(8); native.activationGrad(b.subarray(0, 4), b.subarray(2, 6), f32(4), 0); },
    ArgumentRangeError, 'Expected memory separate from dy for dx but received an overlapping view of the same buffer'],
  ['dropout with p = 1', () => native.dropout(f32(4), new Uint8Array(4), f32(4), 1, 0, 0), ArgumentRangeError,
    'Expected a number in [0, 1) for p but received the number 1'],
  ['dropout with a short mask', () => native.dropout(f32(4), new Uint8Array(3), f32(4), 0.5, 0, 0), ShapeError,
    'Expected length 4 for keep but received length 3'],
  ['dropout with a mask inside its output', () => { const b = f32(4); native.dropout(b, new Uint8Array(b.buffer, 0, 4), f32(4), 0.5, 0, 0); },
    ArgumentRangeError, 'Expected memory separate from y for keep but received an overlapping view of the same buffer'],
  ['dropout with a seed past 2^32', () => native.dropout(f32(4), new Uint8Array(4), f32(4), 0.5, 2 ** 32, 0), ArgumentRangeError,
    'Expected an integer in [0, 4294967295] for seed but received the number 4294967296'],
  ['dropoutGrad with a short dy', () => native.dropoutGrad(f32(4), f32(2), new Uint8Array(4), 0.5), ShapeError,
    'Expected length 4 for dy but received length 2'],
  ['dropoutGrad writing over its mask', () => { const b = f32(4); native.dropoutGrad(b, f32(4), new Uint8Array(b.buffer, 4, 4), 0.5); },
    ArgumentRangeError, 'Expected memory separate from keep for dx but received an overlapping view of the same buffer'],
  ['penalty of an unknown kind', () => native.penalty(null, f32(4), 3, 1, 1), ArgumentRangeError,
    'Expected an integer in [0, 2] for kind but received the number 3'],
  ['penalty on a grid of step 0', () => native.penalty(null, f32(4), 2, 1, 0), ArgumentRangeError,
    'Expected a positive number for step but received the number 0'],
  ['penalty with a gradient over its weights', () => { const b = f32(8); native.penalty(b.subarray(0, 4), b.subarray(2, 6), 0, 1, 1); },
    ArgumentRangeError, 'Expected memory separate from w for grad but received an overlapping view of the same buffer'],
  ['penaltyCodebook with a codebook out of order', () => native.penaltyCodebook(null, f32(4), 1, Float64Array.of(0, 2, 1)), ArgumentRangeError,
    'Expected finite values in ascending order for codebook but received codebook[2] out of order or not finite'],
  ['penaltyCodebook with an empty codebook', () => native.penaltyCodebook(f32(4), f32(4), 1, new Float64Array(0)), ShapeError,
    'Expected a non-empty Float64Array for codebook but received length 0'],
  ['penaltyCodebook with a Float32Array codebook', () => native.penaltyCodebook(null, f32(4), 1, f32(2) as never), ArgumentTypeError,
    'Expected a Float64Array for codebook but received a Float32Array'],
  ['groupLasso with a shape that does not cover w', () => native.groupLasso(null, f32(12), 2, 3, 3, false, 1), ShapeError,
    'Expected length 18 for w but received length 12'],
  ['groupLasso with a short gradient', () => native.groupLasso(f32(5), f32(6), 2, 3, 1, true, 1), ShapeError,
    'Expected length 6 for grad but received length 5'],
  ['softmaxCrossEntropy with a negative label', () => native.softmaxCrossEntropy(null, f32(6), Int32Array.from([0, -1]), 2, 3),
    ArgumentRangeError, 'Expected a class in [0, 3) for labels[1] but received -1'],
  ['softmaxCrossEntropy with zero classes', () => native.softmaxCrossEntropy(null, f32(0), Int32Array.from([0]), 1, 0),
    ArgumentRangeError, 'Expected an integer in [1, 2147483647] for classes but received the number 0'],
  ['maxpool2dBackward with an argmax outside the input', () => native.maxpool2dBackward(f32(16), f32(4), Int32Array.from([0, 1, 2, 99]), 1, 1, 4, 4, 2, 2),
    ArgumentRangeError, 'Expected an index in [0, 16) (its own plane) for argmax[3] but received 99'],
  ['maxpool2dBackward with an argmax in another plane', () => native.maxpool2dBackward(f32(32), f32(8), Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]), 1, 2, 4, 4, 2, 2),
    ArgumentRangeError, 'Expected an index in [16, 32) (its own plane) for argmax[4] but received 4'],
  ['conv2dForward with a kernel larger than the input', () => native.conv2dForward(f32(1), f32(4), f32(9), null, 1, 1, 2, 2, 1, 3, 3, 1, 0),
    ShapeError, 'Expected a kernel that fits the padded input for kernel but received 3x3'],
  ['conv2dBackward with a short dy', () => native.conv2dBackward(f32(9), f32(1), null, f32(3), f32(16), f32(9), 1, 1, 4, 4, 1, 3, 3, 1, 0),
    ShapeError, 'Expected length 4 for dy but received length 3'],
  ['setThreads of 0', () => native.setThreads(0), ArgumentRangeError, 'Expected an integer in [1, 64] for threads but received the number 0'],
  ['huffmanEncode into a short buffer', () => native.huffmanEncode(new Uint16Array(9), new Uint16Array(2), Uint8Array.of(1, 1), new Uint8Array(1)),
    ShapeError, 'Expected an output buffer large enough for the encoded stream for out but received length 1'],
  ['huffmanEncode of a symbol outside the alphabet', () => native.huffmanEncode(Uint16Array.of(5), new Uint16Array(2), Uint8Array.of(1, 1), new Uint8Array(4)),
    ArgumentRangeError, 'Expected symbols that have a code (alphabet 2) for symbols but received a symbol without one'],
  ['huffmanDecode with a short table', () => native.huffmanDecode(new Uint8Array(4), new Uint32Array(3), 2, new Uint16Array(1)),
    ShapeError, 'Expected length 4 for table but received length 3'],
  ['huffmanDecode with a 16-bit table', () => native.huffmanDecode(new Uint8Array(4), new Uint32Array(4), 16, new Uint16Array(1)),
    ArgumentRangeError, 'Expected an integer in [1, 15] for tableBits but received the number 16'],
  ['huffmanDecode with a Uint8Array output', () => native.huffmanDecode(new Uint8Array(4), new Uint32Array(2), 1, new Uint8Array(1) as never),
    ArgumentTypeError, 'Expected a Uint16Array for out but received a Uint8Array'],
  ['assignNearest with unsorted centroids', () => native.assignNearest(f32(3), null, Float32Array.of(1, 0), new Int32Array(3)),
    ArgumentRangeError, 'Expected centroids sorted ascending for centroids but received entry 1 out of order'],
  ['assignNearest with no centroids', () => native.assignNearest(f32(3), null, f32(0), new Int32Array(3)),
    ArgumentRangeError, 'Expected at least one centroid for centroids but received an empty array'],
  ['codebookGather with an index past the codebook', () => native.codebookGather(f32(2), Int32Array.of(0, 2), f32(2)),
    ArgumentRangeError, 'Expected indices below the codebook size 2 for indices but received a larger index'],
  ['gatherRows with a row past the source', () => native.gatherRows(f32(4), f32(6), 2, Int32Array.of(2, 3)),
    ArgumentRangeError, 'Expected an integer in [0, 2] for rows[1] but received 3'],
  ['gatherRows with a negative row', () => native.gatherRows(f32(2), f32(6), 2, Int32Array.of(-1)),
    ArgumentRangeError, 'Expected an integer in [0, 2] for rows[0] but received -1'],
  ['gatherRows from an empty source', () => native.gatherRows(f32(2), f32(0), 2, Int32Array.of(0)),
    ArgumentRangeError, 'Expected a source with rows for src but received an empty array'],
  ['gatherRows with a source that is not whole rows', () => native.gatherRows(f32(2), f32(5), 2, Int32Array.of(0)),
    ShapeError, 'Expected a multiple of width 2 for src length but received 5'],
  ['gatherRows with a short destination', () => native.gatherRows(f32(3), f32(6), 2, Int32Array.of(0, 1)),
    ShapeError, 'Expected length 4 for dst but received length 3'],
  ['gatherRows with width 0', () => native.gatherRows(f32(0), f32(6), 0, Int32Array.of(0)),
    ArgumentRangeError, 'Expected an integer in [1, 2147483647] for width but received the number 0'],
  ['gatherRows into its own source', () => { const a = f32(6); native.gatherRows(a.subarray(0, 2), a, 2, Int32Array.of(2)); },
    ArgumentRangeError, 'Expected memory separate from src for dst but received an overlapping view of the same buffer'],
  ['codebookScatterAdd with a short index', () => native.codebookScatterAdd(f32(3), Int32Array.of(0), f32(2)),
    ShapeError, 'Expected length 3 for indices but received length 1'],
  ['createPlan with an unknown op', () => native.createPlan([{ op: 'lstm' } as never]), ArgumentRangeError,
    "Expected op 'dense', 'activation', 'conv2d' or 'maxpool2d' for steps[0].op but received 'lstm'"],
  ['createPlan with chained sizes that disagree', () => native.createPlan([
    { op: 'dense', weights: f32(6), bias: f32(2), mask: null, rows: 2, cols: 3, sparseMaxBatch: 0 },
    { op: 'dense', weights: f32(6), bias: f32(2), mask: null, rows: 2, cols: 3, sparseMaxBatch: 2 ** 31 - 1 }]), ShapeError,
    "Expected an input of 2 values (the previous step's output) for steps[1] but received 3"],
  ['createPlan with a negative sparse batch limit', () => native.createPlan([{ op: 'dense', weights: f32(6), bias: f32(2), mask: null, rows: 2, cols: 3, sparseMaxBatch: -1 }]),
    ArgumentRangeError, 'Expected an integer in [0, 2147483647] for steps[0].sparseMaxBatch but received another value'],
  ['createPlan with a short bias', () => native.createPlan([{ op: 'dense', weights: f32(6), bias: f32(1), mask: null, rows: 2, cols: 3, sparseMaxBatch: 0 }]),
    ShapeError, 'Expected length 2 for steps[0].bias but received length 1'],
  ['createPlan with a pool window larger than the image', () => native.createPlan([{ op: 'maxpool2d', dims: [1, 2, 2, 3, 3] }]),
    ShapeError, 'Expected a window that fits the image for steps[0].dims but received one that does not'],
  ['createPlan with padding as large as the kernel', () => native.createPlan([{ op: 'conv2d', weights: f32(1), bias: f32(1), dims: [1, 4, 4, 1, 1, 1, 1, 1] }]),
    ArgumentRangeError, 'Expected padding smaller than the kernel for steps[0].padding but received 1'],
  ['createPlan with a convolution too large to unroll', () => native.createPlan([{ op: 'conv2d', weights: f32(9), bias: f32(1), dims: [1, 8192, 8192, 1, 3, 3, 1, 0] }]),
    ArgumentRangeError, 'Expected at most 2^26 unrolled values per sample (C*KH*KW*OH*OW) for steps[0].convolution but received 603684900'],
  ['a plan run with an output array of the wrong size', () => native.createPlan([{ op: 'conv2d', weights: f32(65536), bias: f32(65536), dims: [1, 1, 1, 65536, 1, 1, 1, 0] }])
    .run(f32(32768), 32768, f32(0)), ShapeError, 'Expected length 2147483648 for out but received length 0'],
  ['an async plan run whose output no Float32Array could hold', () => native.createPlan([{ op: 'conv2d', weights: f32(65536), bias: f32(65536), dims: [1, 1, 1, 65536, 1, 1, 1, 0] }])
    .runAsync(f32(65537), 65537), ArgumentRangeError,
    'Expected at most 2^32 output values (batch x 65536), the largest Float32Array for batch but received 65537'],
  ['a CSR of 2^31 - 1 empty rows', () => native.csrFromDense(f32(0), null, 2 ** 31 - 1, 0), ArgumentRangeError,
    'Expected at most 2^24 rows in a matrix with no columns for rows but received 2147483647'],
  ['spmmXWt with a null matrix', () => native.spmmXWt(f32(1), f32(1), null, null as unknown as typeof sparse, 1), ArgumentTypeError,
    'Expected a SparseMatrix for W but received a non-object'],
  ['a plan run with a short input', () => native.createPlan([{ op: 'dense', weights: f32(6), bias: f32(2), mask: null, rows: 2, cols: 3, sparseMaxBatch: 0 }])
    .run(f32(5), 2, f32(4)), ShapeError, 'Expected length 6 for x but received length 5'],
];

describe('native functions never crash on bad arguments', () => {
  for (const [name, call, type, message] of cases) {
    it(name, () => {
      expect(call).toThrow(type);
      expect(call).toThrow(PrunekitError);
      expect(call).toThrow(message);
    });
  }

  it('async twins reject (not crash) on bad arguments', async () => {
    expect(() => native.gemmAsync(f32(3), f32(4), f32(4), false, false, 2, 2, 2, 1, 0)).toThrow(ShapeError);
    expect(() => native.spmmXWtAsync(f32(1), f32(3), null, sparse, 1)).toThrow(ShapeError);
    expect(() => native.magnitudeThresholdAsync([f32(1)], null, 2)).toThrow(ArgumentRangeError);
  });

  it('an empty matrix with a huge declared width stays cheap (no layout proportional to the width)', () => {
    const m = native.csrFromArrays(new Int32Array(17), new Int32Array(0), f32(0), 16, 2 ** 31 - 1);
    expect(m.nnz).toBe(0);
    expect(m.cols).toBe(2 ** 31 - 1);
  });

  it('async work survives its buffers being transferred away meanwhile (it ran on copies)', async () => {
    const n = 256;
    const a = f32(n * n).fill(1), b = f32(n * n).fill(2), c = f32(n * n);
    const pending = native.gemmAsync(c, a, b, false, false, n, n, n, 1, 0);
    structuredClone(a.buffer, { transfer: [a.buffer] });
    structuredClone(c.buffer, { transfer: [c.buffer] });
    await expect(pending).rejects.toThrow('C was detached or resized while gemmAsync ran; nothing written');
    const x = f32(1000).fill(3);
    const t = native.magnitudeThresholdAsync([x], [new Uint8Array(1000)], 10);
    structuredClone(x.buffer, { transfer: [x.buffer] });
    await expect(t).resolves.toMatchObject({ pruned: 10, threshold: 3 });
  });

  it('element getters that resize the arrays mid-call cannot unbalance a threshold call', () => {
    const masks = [new Uint8Array(6)];
    const shrinking: Float32Array[] = [];
    Object.defineProperty(shrinking, 0, { get: () => { masks.length = 0; return f32(6); } });
    expect(native.magnitudeThreshold(shrinking, masks, 1)).toMatchObject({ pruned: 1 });
    const growing: Float32Array[] = [];
    Object.defineProperty(growing, 0, { get: () => { growing.push(f32(6)); return f32(6); } });
    expect(native.magnitudeThreshold(growing, [new Uint8Array(6)], 1)).toMatchObject({ pruned: 1 });
  });

  it('a getter that detaches the weights while a plan is built gets an error, not freed memory', () => {
    const weights = f32(1 << 16).fill(1);
    const step = {
      op: 'dense', weights, bias: f32(256), rows: 256, cols: 256, sparseMaxBatch: 64,
      get mask() { structuredClone(weights.buffer, { transfer: [weights.buffer] }); return null; },
    };
    expect(() => native.createPlan([step as never])).toThrow('Expected length 65536 for steps[0].weights but received length 0');
  });

  it('error classes that throw when constructed give plain errors, and async work still settles', async () => {
    class Broken { constructor() { throw new Error('broken class'); } }
    const real = { PrunekitError, ArgumentTypeError, ArgumentRangeError, ShapeError };
    native.setErrorClasses({ PrunekitError: Broken, ArgumentTypeError: Broken, ArgumentRangeError: Broken, ShapeError: Broken } as never);
    try {
      expect(() => native.gemm(f32(3), f32(4), f32(4), false, false, 2, 2, 2, 1, 0)).toThrow('Expected length 4 for C but received length 3');
      const c = f32(1);
      const pending = native.gemmAsync(c, f32(1), f32(1), false, false, 1, 1, 1, 1, 0);
      structuredClone(c.buffer, { transfer: [c.buffer] });
      await expect(pending).rejects.toThrow('C was detached or resized while gemmAsync ran; nothing written');
    } finally {
      native.setErrorClasses(real);
    }
    expect(() => native.gemm(f32(3), f32(4), f32(4), false, false, 2, 2, 2, 1, 0)).toThrow(ShapeError);
  });

  it('gatherRows uses the indices it checked, even while another thread rewrites them', async () => {
    // Row indices in a SharedArrayBuffer that a worker flips between 0 and 2^31 - 1 as fast as it can.
    const shared = new Int32Array(new SharedArrayBuffer(4 * 64));
    const flipper = new Worker(`
      const { workerData } = require('node:worker_threads');
      const rows = new Int32Array(workerData);
      const stop = new Int32Array(workerData, 252, 1);
      Atomics.store(stop, 0, 1);
      while (Atomics.load(stop, 0) === 1) for (let i = 0; i < 63; i++) rows[i] = rows[i] === 0 ? 2147483647 : 0;
    `, { eval: true, workerData: shared.buffer });
    try {
      while (Atomics.load(shared, 63) !== 1) await new Promise((resolve) => setTimeout(resolve, 1));
      const rows = shared.subarray(0, 63), src = f32(4 * 8).fill(1), dst = f32(4 * 63);
      let copied = 0, refused = 0;
      for (let call = 0; call < 20000; call++) {
        try {
          native.gatherRows(dst, src, 4, rows);
          copied++;
        } catch (error) {
          expect(error).toBeInstanceOf(ArgumentRangeError);
          refused++;
        }
      }
      expect(copied + refused).toBe(20000);
      expect(refused).toBeGreaterThan(0);
    } finally {
      Atomics.store(shared, 63, 0);
      await flipper.terminate();
    }
  });

  it('softmax cross-entropy over no samples allocates nothing for its classes', () => {
    // It once sized a per-thread scratch by the class count first: 16 GB and 38 s for this call.
    expect(native.softmaxCrossEntropy(null, f32(0), new Int32Array(0), 0, 2 ** 31 - 1)).toEqual({ loss: 0, correct: 0 });
  });

  it('a worker thread that ends with async work pending takes nothing down with it', () => {
    // Settling a promise while a worker shuts down used to throw past OnOK into std::terminate: SIGABRT for the whole process.
    const dist = path.join(__dirname, '..', 'dist');
    const script = `
      const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
      if (isMainThread) {
        (async () => {
          for (const how of ['terminate', 'exit', 'terminate', 'exit']) {
            const w = new Worker(__filename, { workerData: how });
            await new Promise((resolve) => w.on('message', resolve));
            if (how === 'terminate') await w.terminate(); else await new Promise((resolve) => w.on('exit', resolve));
          }
          console.log('survived');
        })();
      } else {
        const pk = require(${JSON.stringify(dist)});
        const a = pk.Tensor.zeros([384, 384]);
        for (let i = 0; i < 4; i++) pk.gemmAsync(a, a);
        parentPort.postMessage('started');
        if (workerData === 'exit') process.exit(0);
      }`;
    const file = path.join(os.tmpdir(), `prunekit-worker-exit-${process.pid}.js`);
    writeFileSync(file, script);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).not.toContain('terminate called');
    expect([r.status, r.signal, r.stdout.trim()]).toEqual([0, null, 'survived']);
  });

  it('a stack trace from native errors points at the caller', () => {
    try {
      native.applyMask(f32(4), new Uint8Array(3));
      throw new Error('did not throw');
    } catch (error) {
      expect((error as Error).stack).toContain('native-safety.test.ts');
    }
  });
});
