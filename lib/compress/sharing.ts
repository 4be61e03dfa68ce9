/**
 * Trained quantization by weight sharing (Deep Compression §3): each chosen
 * weight tensor's live entries are clustered with 1-D k-means into
 * 2^bits shared values (its codebook), and the weights are replaced by their
 * centroid. Fine-tuning then trains the centroids: every weight's gradient is
 * summed into its cluster's centroid (§3.3, native scatter-add), the optimizer
 * steps the codebooks, and the weights are re-gathered from them. Pruned
 * entries stay exactly zero throughout; masks are untouched.
 */
import { ArgumentRangeError, ArgumentTypeError } from '../errors';
import { native } from '../native';
import { Parameter } from '../nn/parameter';
import { Sequential, assertModel } from '../nn/sequential';
import { PruneSource, TARGET_OPTIONS, TargetOptions, selectTargets } from '../prune/targets';
import { Dataset } from '../data/dataset';
import { Tensor } from '../tensor';
import { Adam } from '../train/adam';
import { SGD } from '../train/sgd';
import { EpochResult, TrainerHooks, combineHooks, train } from '../train/trainer';
import { checkDataset } from '../data/dataset';
import { assertInteger, describe, expected, optionsObject, quoted } from '../validate';
import { CentroidInit, KMeansResult, assignNearest, kmeans1d } from './kmeans';
import { MAX_ALPHABET } from './huffman';
import { gatherLive, livePositions } from './sparse-index';

export const MAX_WEIGHT_BITS = Math.log2(MAX_ALPHABET);

/** Bits per layer: one number for all, or layer/parameter name → bits with `default` for the rest. */
export type BitsOption = number | Record<string, number>;

export interface ShareOptions extends TargetOptions {
  /** Default: 8 for convolution kernels, 5 for dense weights (the paper's AlexNet choice). */
  bits?: BitsOption;
  init?: CentroidInit;
  seed?: number;
  maxIterations?: number;
}

export interface SharedTensor {
  readonly layer: string;
  readonly param: Parameter;
  readonly bits: number;
  /** The shared values, sorted ascending; trained by fine-tuning. */
  readonly codebook: Parameter;
  /** Cluster of each entry of the weight, −1 where pruned. */
  readonly assignment: Int32Array;
  readonly kmeans: KMeansResult;
}

export const DEFAULT_BITS = { conv: 8, dense: 5 } as const;

/**
 * The width a tensor gets under a BitsOption (weight bits, or index bits with
 * their own defaults): by parameter name, layer name, `default`, then the
 * default for convolution kernels or dense weights.
 */
export function bitsFor(
  option: BitsOption | undefined, layer: string, param: Parameter,
  defaults: { conv: number; dense: number } = DEFAULT_BITS, optionName = 'bits',
): number {
  const fallback = param.shape.length === 4 ? defaults.conv : defaults.dense;
  if (option === undefined) return fallback;
  if (typeof option === 'number') {
    assertInteger(optionName, option, 1, MAX_WEIGHT_BITS);
    return option;
  }
  const key = [param.name, layer, 'default'].find((k) => option[k] !== undefined);
  if (key === undefined) return fallback;
  assertInteger(`${optionName}.${key}`, option[key], 1, MAX_WEIGHT_BITS);
  return option[key] as number;
}

/** A BitsOption's form and names (bitsFor checks each width it reads); anything else would be silently ignored. */
export function checkBitsOption(option: unknown, known: Set<string>, optionName = 'options.bits'): void {
  if (option === undefined || typeof option === 'number') return;
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw new ArgumentTypeError(expected('a number or an object of layer name → bits', optionName, describe(option)));
  }
  for (const name of Object.keys(option)) {
    if (name !== 'default' && !known.has(name)) {
      throw new ArgumentRangeError(expected(`a layer name (one of ${[...known].join(', ')}) or 'default'`, optionName, `unknown layer '${name}'`));
    }
  }
}

export class SharedWeights {
  constructor(readonly tensors: readonly SharedTensor[]) {}

  /** Writes every codebook's values into its weights (pruned entries stay 0). */
  apply(): void {
    for (const t of this.tensors) {
      native.codebookGather(t.codebook.value.data, t.assignment, t.param.value.data);
      t.param.touch();
    }
  }

  /** The codebooks as parameters, for an optimizer. */
  codebooks(): Parameter[] {
    return this.tensors.map((t) => t.codebook);
  }

  /** Sums each weight's gradient into its centroid's gradient. */
  accumulateGradients(): void {
    for (const t of this.tensors) native.codebookScatterAdd(t.param.grad.data, t.assignment, t.codebook.grad.data);
  }

  /** Trainer hooks: centroid gradients before the optimizer step, weights re-gathered after it. */
  hooks(): TrainerHooks {
    return { afterBackward: () => this.accumulateGradients(), afterBatch: () => this.apply() };
  }
}

/** Clusters each chosen weight's live entries and replaces them by their centroids. */
export function shareWeights(source: PruneSource, options: ShareOptions = {}): SharedWeights {
  options = optionsObject('options', options, [...TARGET_OPTIONS, 'bits', 'init', 'seed', 'maxIterations']);
  const targets = selectTargets(source, options);
  checkBitsOption(options.bits, new Set(targets.flatMap((t) => [t.layer, t.param.name])));
  const tensors = targets.map(({ layer, param }) => {
    const bits = bitsFor(options.bits, layer, param, DEFAULT_BITS, 'options.bits');
    const w = param.value.data;
    const values = gatherLive(w, livePositions(w, param.mask));
    const kmeans = kmeans1d(values, 2 ** bits, { init: options.init, seed: options.seed, maxIterations: options.maxIterations });
    const liveMask = param.mask ?? Uint8Array.from(w, (v) => (v !== 0 ? 1 : 0));
    const assignment = kmeans.centroids.length > 0 ? assignNearest(w, kmeans.centroids, liveMask) : new Int32Array(w.length).fill(-1);
    const codebook = new Parameter(`${param.name}.codebook`, new Tensor(kmeans.centroids.slice(), [kmeans.centroids.length]), 'weight');
    return { layer, param, bits, codebook, assignment, kmeans };
  });
  const shared = new SharedWeights(tensors);
  shared.apply();
  return shared;
}

export interface CentroidFineTuneOptions {
  epochs: number;
  lr: number;
  optimizer?: 'adam' | 'sgd';
  /** Also train the biases (stored as float32), default true. */
  biases?: boolean;
  batchSize?: number;
  seed?: number;
  validation?: Dataset;
  hooks?: TrainerHooks;
}

/** Trains the shared centroids (and biases) on data; weights stay on their codebooks. */
export function fineTuneCentroids(model: Sequential, shared: SharedWeights, data: Dataset, options: CentroidFineTuneOptions): EpochResult[] {
  assertModel('model', model);
  if (!(shared instanceof SharedWeights)) throw new ArgumentTypeError(expected('SharedWeights (from shareWeights)', 'shared', describe(shared)));
  checkDataset(data, 'data');
  options = optionsObject('options', options, ['epochs', 'lr', 'optimizer', 'biases', 'batchSize', 'seed', 'validation', 'hooks']);
  if (options.optimizer !== undefined && options.optimizer !== 'adam' && options.optimizer !== 'sgd') {
    throw new ArgumentRangeError(expected("'adam' or 'sgd'", 'options.optimizer', quoted(options.optimizer)));
  }
  const params = [...shared.codebooks()];
  if (options.biases ?? true) params.push(...model.parameters().filter((p) => p.role === 'bias'));
  const optimizer = options.optimizer === 'sgd' ? new SGD(params, { lr: options.lr, momentum: 0.9 }) : new Adam(params, { lr: options.lr });
  return train(model, data, {
    optimizer,
    epochs: options.epochs,
    batchSize: options.batchSize,
    seed: options.seed,
    validation: options.validation,
    hooks: combineHooks(shared.hooks(), options.hooks ?? {}),
  });
}
