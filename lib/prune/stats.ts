/**
 * Statistics of a (pruned) model: per-layer and total sparsity, active
 * parameters, multiply-adds per sample (dense vs. skipping pruned weights),
 * storage (dense float32 vs. CSR with float32 values), and the description
 * length (MDL) in bits: model bits + data bits, where data bits are
 * Σ −log₂ p(label | x) under the model. Model bits default to the CSR +
 * float32 size; pass the encoded file's size once it is compressed.
 */
import { Dataset, batches, checkDataset } from '../data/dataset';
import { Conv2D } from '../nn/conv';
import { Dense } from '../nn/dense';
import { Sequential, assertModel } from '../nn/sequential';
import { assertInRange, assertInteger, expected, optionsObject } from '../validate';
import { ArgumentRangeError } from '../errors';

/** Sizes, work and storage of one layer or of the whole model. */
export interface Footprint {
  parameters: number;
  /** Weight and bias entries that are not exactly zero. */
  active: number;
  /** Fraction of the weight entries that are zero. */
  sparsity: number;
  denseMacs: number;
  sparseMacs: number;
  denseBytes: number;
  csrBytes: number;
}

export interface LayerStats extends Footprint {
  layer: string;
  type: string;
}

export interface ModelStats extends Footprint {
  layers: LayerStats[];
  /** parameters / active. */
  compression: number;
}

function countNonzero(d: Float32Array): number {
  let n = 0;
  for (let i = 0; i < d.length; i++) n += d[i] !== 0 ? 1 : 0;
  return n;
}

/** CSR bytes: float32 values, 16-bit column indices (32-bit past 65,536 columns), 32-bit row pointers. */
export function csrBytes(rows: number, cols: number, nonzero: number): number {
  assertInteger('rows', rows, 0);
  assertInteger('cols', cols, 0);
  assertInteger('nonzero', nonzero, 0, rows * cols);
  return nonzero * (4 + (cols <= 65536 ? 2 : 4)) + (rows + 1) * 4;
}

export function modelStats(model: Sequential): ModelStats {
  assertModel('model', model);
  const layers: LayerStats[] = [];
  let weights = 0, weightZeros = 0;
  for (const l of model.layers) {
    if (!(l instanceof Dense || l instanceof Conv2D)) continue;
    const w = l.weight, b = l.bias;
    const nnz = countNonzero(w.value.data);
    const positions = l instanceof Conv2D ? l.outputShape[1] * l.outputShape[2] : 1;
    const rows = w.shape[0];
    weights += w.size;
    weightZeros += w.size - nnz;
    layers.push({
      layer: l.name,
      type: l.spec().type,
      parameters: w.size + b.size,
      active: nnz + countNonzero(b.value.data),
      sparsity: 1 - nnz / w.size,
      denseMacs: w.size * positions,
      sparseMacs: nnz * positions,
      denseBytes: (w.size + b.size) * 4,
      csrBytes: csrBytes(rows, w.size / rows, nnz) + b.size * 4,
    });
  }
  const sum = (k: keyof Footprint) => layers.reduce((s, r) => s + r[k], 0);
  const parameters = sum('parameters'), active = sum('active');
  return {
    layers,
    parameters,
    active,
    sparsity: weights ? weightZeros / weights : 0,
    denseMacs: sum('denseMacs'),
    sparseMacs: sum('sparseMacs'),
    denseBytes: sum('denseBytes'),
    csrBytes: sum('csrBytes'),
    compression: active ? parameters / active : Infinity,
  };
}

export interface DescriptionLength {
  modelBits: number;
  dataBits: number;
  totalBits: number;
  /** Data bits per sample. */
  bitsPerSample: number;
}

/** The two-part MDL code length of `data` under the model, in bits. */
export function descriptionLength(model: Sequential, data: Dataset, options: { modelBits?: number } = {}): DescriptionLength {
  assertModel('model', model);
  checkDataset(data, 'data');
  const modelBits = optionsObject('options', options, ['modelBits']).modelBits ?? modelStats(model).csrBytes * 8;
  assertInRange('options.modelBits', modelBits, 0, Infinity);
  let dataBits = 0;
  for (const b of batches(data, 1000, { reuse: true })) {
    const z = model.logits(b.x);
    const classes = z.shape[1];
    for (let i = 0; i < b.y.length; i++) {
      // The same refusal evaluate() and train() make: a class the model has no score for has no code length.
      if (b.y[i] >= classes) {
        throw new ArgumentRangeError(expected(`a class in [0, ${classes}) (the model's outputs)`, `the labels of data (sample ${b.indices[i]})`, `class ${b.y[i]}`));
      }
      const row = z.data.subarray(i * classes, (i + 1) * classes);
      let max = -Infinity;
      for (let c = 0; c < classes; c++) max = Math.max(max, row[c]);
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(row[c] - max);
      dataBits += (Math.log(sum) + max - row[b.y[i]]) / Math.LN2;
    }
  }
  const n = data.y.length;
  return { modelBits, dataBits, totalBits: modelBits + dataBits, bitsPerSample: n ? dataBits / n : 0 };
}
