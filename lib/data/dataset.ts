/**
 * Datasets: samples as rows of a [n, features] tensor plus integer labels.
 * Splits, subsets, hold-out validation, normalisation and seeded batching.
 */
import { ArgumentRangeError, ArgumentTypeError, DataError, NonFiniteError, ShapeError } from '../errors';
import { native } from '../native';
import { Random } from '../random';
import { Tensor, assertTensor } from '../tensor';
import {
  assertBoolean, assertInRange, assertInt32Array, assertInteger, assertObject, assertString, describe, expected, isArrayOrTypedArray,
  optionsObject, quoted,
} from '../validate';

/**
 * The most classes a dataset may have. Class counts size per-class buffers
 * and model outputs, so a corrupt label (2e9 in an IDX file) must be refused
 * rather than allocated for; 2^16 is far above any classification set here.
 */
export const MAX_CLASSES = 65_536;

export interface Dataset {
  /** Where the data came from, for reports and error messages. */
  name: string;
  /** [n, features], one sample per row. */
  x: Tensor;
  /** Labels in [0, classes). */
  y: Int32Array;
  classes: number;
  /** The shape of one sample, e.g. [1, 28, 28] for images or [features]. */
  sampleShape: readonly number[];
  /** Names of the classes, when the source has them (CSV string labels). */
  labelNames?: readonly string[];
}

export interface Split {
  train: Dataset;
  test: Dataset;
}

export function datasetSize(ds: Dataset): number {
  return checkDataset(ds, 'ds').y.length;
}

/**
 * Checks the invariants every loader guarantees. `name` is the argument's
 * name in errors: wrong types are ArgumentTypeErrors, inconsistent contents
 * DataErrors naming the dataset.
 */
export function checkDataset(value: unknown, name = 'dataset'): Dataset {
  assertObject(name, value, 'a dataset');
  const ds = value as Dataset;
  assertString(`${name}.name`, ds.name);
  assertTensor(`${name}.x`, ds.x, 2);
  assertInt32Array(`${name}.y`, ds.y);
  assertInteger(`${name}.classes`, ds.classes, 1, MAX_CLASSES);
  if (!Array.isArray(ds.sampleShape)) throw new ArgumentTypeError(expected('an array of dimensions', `${name}.sampleShape`, describe(ds.sampleShape)));
  ds.sampleShape.forEach((d, i) => assertInteger(`${name}.sampleShape[${i}]`, d, 0));
  const n = ds.y.length;
  if (ds.x.shape[0] !== n) {
    throw new DataError(`${ds.name}: ${ds.x.shape[0]} samples but ${n} labels`);
  }
  const features = ds.sampleShape.reduce((a, b) => a * b, 1);
  if (features !== ds.x.shape[1]) {
    throw new DataError(`${ds.name}: sample shape [${ds.sampleShape.join(', ')}] does not hold ${ds.x.shape[1]} features`);
  }
  for (let i = 0; i < n; i++) {
    if (ds.y[i] < 0 || ds.y[i] >= ds.classes) {
      throw new DataError(`${ds.name}: label ${ds.y[i]} of sample ${i} is outside [0, ${ds.classes})`);
    }
  }
  return ds;
}

/** Array-likes of numbers: arrays and typed arrays (elements are checked one by one). */
function assertIndexList(name: string, value: unknown): asserts value is ArrayLike<number> {
  if (!isArrayOrTypedArray(value)) {
    throw new ArgumentTypeError(expected('an array of sample indices', name, describe(value)));
  }
}

/** The samples at `indices`, copied, in that order. */
export function subset(ds: Dataset, indices: ArrayLike<number>, name?: string): Dataset {
  checkDataset(ds, 'ds');
  assertIndexList('indices', indices);
  if (name !== undefined) assertString('name', name);
  const n = ds.y.length, f = ds.x.shape[1], count = indices.length;
  const rows = new Int32Array(count);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const j = indices[i];
    assertInteger(`indices[${i}]`, j, 0, n - 1);
    rows[i] = j;
    y[i] = ds.y[j];
  }
  const x = Tensor.zeros([count, f]);
  if (f > 0) native.gatherRows(x.data, ds.x.data, f, rows);
  return { ...ds, name: name ?? ds.name, x, y };
}

/**
 * Holds out a validation set from a training set: a seeded, stratified
 * choice of `fraction` of each class. Tune hyperparameters on it, never on
 * the test split.
 */
export function holdOut(train: Dataset, fraction: number, seed = 0): { train: Dataset; validation: Dataset } {
  checkDataset(train, 'train');
  assertInRange('fraction', fraction, 0, 1, { minExclusive: true, maxExclusive: true });
  const rng = new Random(seed);
  const byClass: number[][] = Array.from({ length: train.classes }, () => []);
  for (const i of rng.permutation(train.y.length)) byClass[train.y[i]].push(i);
  const kept: number[] = [], held: number[] = [];
  for (const members of byClass) {
    const cut = Math.round(members.length * fraction);
    held.push(...members.slice(0, cut));
    kept.push(...members.slice(cut));
  }
  kept.sort((a, b) => a - b);
  held.sort((a, b) => a - b);
  return { train: subset(train, kept, `${train.name} (train)`), validation: subset(train, held, `${train.name} (validation)`) };
}

function assertFinite(ds: Dataset, name: string): void {
  const f = ds.x.shape[1], data = ds.x.data;
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) {
      throw new NonFiniteError(expected('finite features', name, `${describe(data[k])} at sample ${Math.floor(k / f)}, feature ${k % f}`));
    }
  }
}

export type Normalization = 'none' | 'standardize' | 'minmax';

/**
 * The statistics normalize() took from the training set, as plain numbers:
 * store them with the model (saveModel's metadata) and normalize requests
 * the same way when serving (applyNormalizer).
 */
export interface Normalizer {
  mode: 'standardize' | 'minmax';
  /** Subtracted from each feature: its mean, or its minimum. */
  offset: number[];
  /** Then divided by: the standard deviation, or max − min (1 where that is 0). */
  scale: number[];
}

/**
 * Normalises features with statistics of the training set only, applied to
 * every set given ({ train, test } as loaders return, { train, validation }
 * as holdOut does): 'standardize' (zero mean, unit variance per feature;
 * constant features are only centred) or 'minmax' (each feature to [0, 1]).
 * The statistics come back as `normalizer` (null for 'none').
 */
export function normalize<T extends { train: Dataset }>(split: T, mode: Normalization): T & { normalizer: Normalizer | null } {
  assertObject('split', split, 'a split { train, test } or { train, validation }');
  const sets = Object.entries(split).filter(([key]) => key !== 'normalizer');
  for (const [key, ds] of sets) checkDataset(ds, `split.${key}`);
  checkDataset(split.train, 'split.train');
  const f = split.train.x.shape[1];
  for (const [key, ds] of sets) {
    if ((ds as Dataset).x.shape[1] !== f) throw new ShapeError(expected(`${f} features per sample (as split.train)`, `split.${key}`, `${(ds as Dataset).x.shape[1]}`));
  }
  if (mode === 'none') return { ...split, normalizer: null };
  if (mode !== 'standardize' && mode !== 'minmax') {
    const what = "one of 'none', 'standardize', 'minmax'";
    throw new (typeof mode === 'string' ? ArgumentRangeError : ArgumentTypeError)(expected(what, 'mode', quoted(mode)));
  }
  // One NaN or Infinity would spread through its feature's statistics to every sample.
  for (const [key, ds] of sets) assertFinite(ds as Dataset, `split.${key}`);
  const n = split.train.y.length;
  if (n === 0) throw new ArgumentRangeError(expected('at least one sample to take statistics from', 'split.train', '0 samples'));
  const a = new Float64Array(f), b = new Float64Array(f);
  const xs = split.train.x.data;
  if (mode === 'standardize') {
    for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) a[j] += xs[i * f + j];
    for (let j = 0; j < f; j++) a[j] /= n;
    for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) b[j] += (xs[i * f + j] - a[j]) ** 2;
    for (let j = 0; j < f; j++) b[j] = Math.sqrt(b[j] / n) || 1;
  } else {
    a.fill(Infinity);
    b.fill(-Infinity);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < f; j++) {
        const v = xs[i * f + j];
        if (v < a[j]) a[j] = v;
        if (v > b[j]) b[j] = v;
      }
    }
    for (let j = 0; j < f; j++) b[j] = b[j] - a[j] || 1;
  }
  const normalizer: Normalizer = { mode, offset: Array.from(a), scale: Array.from(b) };
  const out = Object.fromEntries(sets.map(([key, ds]) => [key, { ...(ds as Dataset), x: new Tensor(applyNormalizer((ds as Dataset).x, normalizer), (ds as Dataset).x.shape) }]));
  return { ...split, ...out, normalizer };
}

/** Features normalized as normalize() did the training data (a new array; the input is left alone). */
export function applyNormalizer(x: Tensor | Float32Array, normalizer: Normalizer): Float32Array {
  const data = x instanceof Tensor ? x.data : x;
  if (!(data instanceof Float32Array)) throw new ArgumentTypeError(expected('a Tensor or a Float32Array', 'x', describe(x)));
  assertObject('normalizer', normalizer, 'a normalizer { mode, offset, scale } from normalize()');
  const { offset, scale } = normalizer;
  const f = Array.isArray(offset) ? offset.length : -1;
  if (f < 1 || !Array.isArray(scale) || scale.length !== f || ![...offset, ...scale].every(Number.isFinite) || scale.some((v) => v === 0)) {
    throw new ArgumentTypeError(expected('equal-length arrays of finite numbers (scales not 0)', 'normalizer.offset/scale', 'something else'));
  }
  if (x instanceof Tensor && x.shape.slice(1).reduce((a, b) => a * b, 1) !== f) {
    throw new ShapeError(expected(`shape [batch, ${f}] (the normalizer's features)`, 'x', `shape [${x.shape.join(', ')}]`));
  }
  if (data.length % f !== 0) throw new ShapeError(expected(`a multiple of the normalizer's ${f} features`, 'x', `length ${data.length}`));
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i += f) for (let j = 0; j < f; j++) out[i + j] = (data[i + j] - offset[j]) / scale[j];
  return out;
}

export interface Batch {
  x: Tensor;
  y: Int32Array;
  /** Indices of the batch's samples in the dataset. */
  indices: Int32Array;
}

/**
 * Mini-batches covering every sample once per pass; the last batch may be
 * smaller. With a seed the order is a seeded permutation, else the data's.
 * With `reuse`, every batch is written into the same memory, so a batch is
 * valid until the next one is drawn: a training loop then allocates nothing
 * per step (a fresh 128 × 784 batch cost up to a tenth of a LeNet-300-100
 * step in allocation, zeroing and garbage collection).
 */
export function batches(ds: Dataset, batchSize: number, options: { seed?: number; reuse?: boolean } = {}): Generator<Batch> {
  // Checked here, not in the generator, so a bad call fails when made rather than when first iterated.
  checkDataset(ds, 'ds');
  assertInteger('batchSize', batchSize, 1);
  const { seed, reuse = false } = optionsObject('options', options, ['seed', 'reuse']);
  assertBoolean('options.reuse', reuse);
  const n = ds.y.length;
  const order = seed === undefined ? Int32Array.from({ length: n }, (_, i) => i) : new Random(seed).permutation(n);
  return batchesInOrder(ds, batchSize, order, reuse);
}

function* batchesInOrder(ds: Dataset, batchSize: number, order: Int32Array, reuse: boolean): Generator<Batch> {
  const n = order.length, f = ds.x.shape[1], largest = Math.min(batchSize, n);
  const shared = reuse ? { x: new Float32Array(largest * f), y: new Int32Array(largest) } : null;
  for (let start = 0; start < n; start += batchSize) {
    const indices = order.subarray(start, Math.min(n, start + batchSize));
    const m = indices.length;
    const x = shared ? shared.x.subarray(0, m * f) : new Float32Array(m * f);
    const y = shared ? shared.y.subarray(0, m) : new Int32Array(m);
    if (f > 0) native.gatherRows(x, ds.x.data, f, indices);
    for (let i = 0; i < m; i++) y[i] = ds.y[indices[i]];
    yield { x: new Tensor(x, [m, f]), y, indices };
  }
}
